"""A whole sweep, timed, and the determinism contract checked on it: the GPU machine's training check.

    python -m bench.sweep_check --out DIR [--device cuda] [--execution graph] [--seeds 8] [--procs 4]
                                [--epochs 19] [--threads N] [--train-limit N] [--time-limit S]

1. The sweep: --procs processes of `python -m reproduce run --seeds 0-(S-1)` on one folder, started together.
   The per-run locks share the seeds out between them (reproduce/record/locks.py), so this is the suite's own
   multi-process sweep; wall time / seeds is the seconds per seed-run. On one GPU without MPS the processes
   take turns rather than overlap, so a graph-captured sweep is bounded by the GPU's step time: 8 seeds in 4
   processes by default, whose 19 epochs fit a single device call with the alone runs.
2. Alone: the first and the last seed again, each by itself in a fresh process and folder. Its metrics and
   weights must equal the sweep's bit for bit: same seed twice, and a seed alone vs beside others.
3. One JSON line on stdout (and DIR/sweep_check.json): wall and per-seed-run seconds, each alone run's
   training seconds, the determinism verdicts. Exit 0 when every check holds, 1 when one does not, 2 on bad
   input or when a run fails or overruns --time-limit (each process's output is kept in DIR/*.log).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from reproduce.files.atomic import write_text
from reproduce.flags import at_least_one
from reproduce.training.config import EXECUTIONS

REPO = Path(__file__).resolve().parent.parent


class CheckError(Exception):
    pass


def run_args(args, seeds: str, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "reproduce", "run", "--seeds", seeds, "--epochs", str(args.epochs),
           "--device", args.device, "--execution", args.execution, "--quiet", "--out", str(out)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.train_limit:
        cmd += ["--train-limit", str(args.train_limit)]
    return cmd


def launch(cmds: list[list[str]], logs: list[Path], deadline: float) -> float:
    """Start every command at once, wait for all; wall seconds. CheckError naming the log of a failure."""
    start = time.perf_counter()
    procs = []
    for cmd, log in zip(cmds, logs):
        with open(log, "w") as f:
            procs.append(subprocess.Popen(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT))
    try:
        for p, log in zip(procs, logs):
            code = p.wait(timeout=max(1.0, deadline - time.monotonic()))
            if code != 0:
                raise CheckError(f"a run exited {code}: see {log}")
    except subprocess.TimeoutExpired:
        raise CheckError(f"past --time-limit: see {logs[0].parent}/*.log") from None
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return time.perf_counter() - start


def complete_report(path: Path):
    from reproduce.record.schema import load
    r = load(path)
    if r.status != "complete":
        raise CheckError(f"{path} is {r.status}, not complete")
    return r


def same_bytes(a, b) -> bool:
    """Two reports of one seed: every epoch's metrics (verify's comparison: all but wall time) and the weights."""
    from reproduce.sweep.verify import epoch_differences
    return (len(a.epochs) == len(b.epochs) and a.weights_sha256 == b.weights_sha256
            and not any(epoch_differences(x, y) for x, y in zip(a.epochs, b.epochs)))


def check(args) -> dict:
    out = args.out
    if out.exists() and any(out.iterdir()):
        raise CheckError(f"--out {out} is not empty: give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.time_limit
    last = args.seeds - 1
    sweep = out / "sweep"
    wall = launch([run_args(args, f"0-{last}", sweep)] * args.procs,
                  [out / f"sweep-{i}.log" for i in range(args.procs)], deadline)
    result = {"device": args.device, "execution": args.execution, "seeds": args.seeds, "procs": args.procs,
              "epochs": args.epochs, "sweep_wall_s": wall, "seconds_per_seed_run": wall / args.seeds,
              "alone": {}}
    in_sweep = [complete_report(sweep / f"seed-seed{k}.json") for k in range(args.seeds)]
    result["sweep_train_seconds"] = [r.train_seconds for r in in_sweep]
    result["execution_recorded"] = in_sweep[0].execution
    for k in sorted({0, last}):
        folder = out / f"alone-{k}"
        launch([run_args(args, str(k), folder)], [out / f"alone-{k}.log"], deadline)
        alone = complete_report(folder / f"seed-seed{k}.json")
        result["alone"][str(k)] = {
            "train_seconds": alone.train_seconds, "epoch_seconds": [e.seconds for e in alone.epochs],
            "identical_to_sweep": same_bytes(alone, in_sweep[k])}
    result["deterministic"] = all(a["identical_to_sweep"] for a in result["alone"].values())
    return result


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise CheckError(message)


def parse(argv: list[str] | None):
    p = Parser(prog="python -m bench.sweep_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    p.add_argument("--execution", choices=EXECUTIONS, default="graph")
    p.add_argument("--seeds", type=at_least_one, default=8)
    p.add_argument("--procs", type=at_least_one, default=4)
    p.add_argument("--epochs", type=at_least_one, default=19)
    p.add_argument("--threads", type=at_least_one, default=None)
    p.add_argument("--train-limit", type=at_least_one, default=None)
    p.add_argument("--time-limit", type=float, default=3600.0, help="seconds for the whole check")
    return p.parse_args(argv)


def main(argv=None) -> int:
    try:
        args = parse(argv)
        result = check(args)
    except CheckError as e:
        print(f"sweep_check: {e}", file=sys.stderr)
        return 2
    line = json.dumps(result)
    write_text(args.out / "sweep_check.json", line + "\n")
    print(line)
    return 0 if result["deterministic"] else 1


if __name__ == "__main__":
    sys.exit(main())
