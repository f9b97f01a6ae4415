"""bench/sweep_check.py on the CPU, small: a sweep shared by two processes, then the first and last seed alone,
bit-identical; bad input is one line and exit 2."""
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow   # trains a sweep in two processes, then seeds alone: left out by make test-fast


def sweep_check(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bench.sweep_check", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_two_processes_share_a_sweep_and_each_seed_alone_gives_the_same_bytes(tmp_path, mnist_root):
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root))
    done = sweep_check("--out", tmp_path / "c", "--device", "cpu", "--execution", "fast", "--seeds", 3,
                       "--procs", 2, "--epochs", 1, "--threads", 1, "--train-limit", 256, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result == json.loads((tmp_path / "c" / "sweep_check.json").read_text())
    assert result["deterministic"] is True
    assert set(result["alone"]) == {"0", "2"}
    assert all(a["identical_to_sweep"] for a in result["alone"].values())
    assert result["seconds_per_seed_run"] == result["sweep_wall_s"] / 3
    assert len(result["sweep_train_seconds"]) == 3
    assert result["execution_recorded"]["name"] == "fast"
    logs = "".join(p.read_text() for p in (tmp_path / "c").glob("sweep-*.log"))
    assert "holds its lock" in logs or "complete with the same config" in logs  # the two shared the seeds


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    for args, says in [(["--procs", 0], "argument --procs: must be at least 1, got 0"),
                       (["--seeds", "x"], "argument --seeds: must be a whole number, got 'x'"),
                       ([], "--out")]:
        done = sweep_check(*args, *(["--out", tmp_path / "o"] if args else []))
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1, done.stderr
        assert says in done.stderr, done.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    done = sweep_check("--out", tmp_path / "full", "--device", "cpu")
    assert done.returncode == 2
    assert "not empty" in done.stderr
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]
