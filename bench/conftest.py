"""Session settings for `make bench`: thread count (BENCH_THREADS) and fp32 that means fp32.

TF32 is switched off for cuDNN convs and matmuls, so eager and every optimized variant compute in the same
precision and the 1e-4 check against eager is meaningful on the GPU too.
"""
import os

import pytest
import torch


def pytest_configure(config):
    threads = os.environ.get("BENCH_THREADS", "").strip()
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise pytest.UsageError(f"BENCH_THREADS must be a positive integer, got {threads!r}")
        torch.set_num_threads(int(threads))
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False



@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter):
    """pytest-benchmark reports a --benchmark-compare-fail regression in its summary, then raises out of the
    summary hook (a traceback). Keep its report, drop the traceback, and make the run exit 1."""
    from pytest_benchmark.session import PerformanceRegression
    try:
        return (yield)
    except PerformanceRegression:
        terminalreporter.write_line("benchmark regression beyond --benchmark-compare-fail (listed above)", red=True)
        session = getattr(terminalreporter, "_session", None)
        if session is not None:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return None
