"""The newer features on a device, checked in one go (bench/gpu_check.sh runs it on a lent GPU):

    python -m bench.recipe_check --out DIR [--device cuda] [--epochs 3] [--train-limit 8192] [--threads N]

1. A recipe with a schedule and augmentation (examples/my_net.py:Net, examples/my_recipe.toml: OneCycle stepped
   every batch, per-image rotation/shift/scale): one uninterrupted run; another killed with SIGKILL once it
   reports epoch 1, then the same command again. The resumed run must equal the uninterrupted one bit for bit
   (per-epoch metrics and weights hash).
2. A user model with nn.AdaptiveAvgPool2d(2), whose backward has no deterministic CUDA kernel (pooling to one
   cell would not do: torch computes that as a mean, whose backward is deterministic): on CUDA the run
   must be refused (exit 2, one line naming the op) and train with --allow-nondeterministic; on the CPU the op
   is deterministic and the run trains without the flag.
One JSON line on stdout (and DIR/recipe_check.json); exit 0 when every check holds, 1 when one does not.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from reproduce.files.atomic import write_text

REPO = Path(__file__).resolve().parent.parent
POOLED = '''
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.05),
                                  nn.AdaptiveAvgPool2d(2))   # 2x2 cells: no deterministic backward on CUDA
        self.fc = nn.Linear(8 * 2 * 2, 10)

    def forward(self, x):
        return self.fc(self.body(x).flatten(1))
'''


def run_cmd(args, *extra) -> list:
    cmd = [sys.executable, "-m", "reproduce", "run", "--seeds", "0", "--epochs", str(args.epochs),
           "--train-limit", str(args.train_limit), "--device", args.device, *extra]
    return cmd + (["--threads", str(args.threads)] if args.threads else [])


def numbers(path: Path):
    r = json.loads(path.read_text())
    return [{k: v for k, v in e.items() if k != "seconds"} for e in r["epochs"]], r["weights_sha256"]


def check_resume(args, out: Path) -> dict:
    recipe = ["--model", "examples/my_net.py:Net", "--recipe", "examples/my_recipe.toml"]
    whole, stopped = out / "whole", out / "stopped"
    done = subprocess.run(run_cmd(args, *recipe, "--quiet", "--out", str(whole)), cwd=REPO, capture_output=True,
                          text=True)
    if done.returncode != 0:
        return {"ok": False, "error": done.stderr.strip()[-500:]}
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(run_cmd(args, *recipe, "--out", str(stopped)), cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None   # stdout=PIPE
    for line in proc.stdout:
        if "epoch  1 " in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = subprocess.run(run_cmd(args, *recipe, "--out", str(stopped)), cwd=REPO, capture_output=True, text=True)
    name = "my_net.Net-seed0.json"
    same = again.returncode == 0 and numbers(whole / name) == numbers(stopped / name)
    # On a fast device the kill can land an epoch or more after the line that asked for it: the resume line says
    # where the run really continued from, and any epoch before the last one is a real resume.
    resumed = re.search(r"resuming after epoch (\d+) of", again.stdout)
    after = int(resumed.group(1)) if resumed else None
    return {"ok": same and after is not None and 1 <= after < args.epochs, "resumed_after_epoch": after,
            "weights_sha256": numbers(whole / name)[1], "exit": again.returncode}


def check_nondeterministic(args, out: Path) -> dict:
    net = out / "pooled.py"
    net.write_text(POOLED)
    base = run_cmd(args, "--model", f"{net}:Net", "--quiet", "--out", str(out / "pooled"))
    plain = subprocess.run(base, cwd=REPO, capture_output=True, text=True)
    allowed = subprocess.run(base + ["--allow-nondeterministic", "--out", str(out / "pooled-allowed")], cwd=REPO,
                             capture_output=True, text=True)
    line = plain.stderr.strip()
    if args.device == "cuda":
        ok = (plain.returncode == 2 and line.count("\n") == 0 and "adaptive_avg_pool2d" in line
              and "--allow-nondeterministic" in line and allowed.returncode == 0)
    else:
        ok = plain.returncode == 0
    return {"ok": ok, "exit": plain.returncode, "line": line[-400:], "allowed_exit": allowed.returncode}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.recipe_check", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--train-limit", type=int, default=8192)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"device": args.device, "resume": check_resume(args, args.out),
              "nondeterministic": check_nondeterministic(args, args.out)}
    result["ok"] = result["resume"]["ok"] and result["nondeterministic"]["ok"]
    line = json.dumps(result)
    write_text(args.out / "recipe_check.json", line + "\n")
    print(line)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
