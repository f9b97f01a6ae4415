"""How fast the command line answers: `python -m reproduce --help` (which loads neither torch nor rich) against
`python -c "import torch"` on the same machine, both as fresh processes. The figure that matters is the ratio,
extra_info "ratio_to_import_torch" (the goal: under a third), shown by `python -m bench.table`; machines differ
too much for the absolute times to mean much. Timed here only, never asserted."""
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import common_info, median_seconds

REPO_ROOT = Path(__file__).resolve().parent.parent

ROUNDS = 5


def fresh_process(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=REPO_ROOT, check=True, capture_output=True)
    return time.perf_counter() - t0


def test_help_against_import_torch(benchmark):
    import_torch = statistics.median(fresh_process("-c", "import torch") for _ in range(ROUNDS))
    benchmark.pedantic(fresh_process, args=("-m", "reproduce", "--help"), rounds=ROUNDS, iterations=1,
                       warmup_rounds=1)
    help_median = median_seconds(benchmark) or fresh_process("-m", "reproduce", "--help")  # untimed: one run
    benchmark.extra_info.update(common_info("cpu"))
    benchmark.extra_info.update({"startup": "python -m reproduce --help", "import_torch_seconds": import_torch,
                                 "ratio_to_import_torch": help_median / import_torch})
