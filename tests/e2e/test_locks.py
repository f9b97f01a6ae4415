"""A lock per run file: two sweeps on one folder never train or write the same run twice."""
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, SMALL_RUN
from reproduce.record.locks import try_lock
from reproduce.record.schema import load

pytestmark = pytest.mark.slow   # trains sweeps in several processes: left out by make test-fast


def test_a_run_lock_is_exclusive_until_released(tmp_path):
    report = tmp_path / "seed-seed0.json"
    held = try_lock(report)
    assert held is not None
    assert try_lock(report) is None  # flock is per open file: a second open, even in this process, must wait
    held.release()
    again = try_lock(report)
    assert again is not None
    again.release()


def test_a_locked_run_is_skipped_and_said(cli, mnist_root, tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    with try_lock(out / "seed-seed0.json"):
        done = cli("run", *SMALL_RUN, "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    assert f"skipped {out / 'seed-seed0.json'}: another process (pid {os.getpid()}) holds its lock" in done.stdout
    assert not (out / "seed-seed0.json").exists()


def test_a_shared_sweep_says_its_eta_is_shared(cli, mnist_root, tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    with try_lock(out / "seed-seed0.json"):  # as if another sweep were training seed 0
        done = cli("run", "--model", "seed", "--seeds", "0-2", "--epochs", "1", "--train-limit", "128",
                   "--device", "cpu", "--threads", "1", "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    assert re.search(r"sweep: 2/3 runs done, ETA \d+ s \(with 2 processes\)", done.stdout), done.stdout


def test_two_sweeps_on_one_folder_train_each_run_once(mnist_root, tmp_path):
    out = tmp_path / "sweep"
    args = [a for a in SMALL_RUN if a != "--quiet"]
    args[args.index("--epochs") + 1] = "1"
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root), PYTHONUNBUFFERED="1")
    procs = [subprocess.Popen([sys.executable, "-m", "reproduce", "run", *args, "--seeds", *seeds, "--out", str(out)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for seeds in (["0", "1"], ["1", "0"])]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    stdout = "".join(o for o, _ in outputs)
    for seed in (0, 1):
        assert stdout.count(f"seed seed {seed} epoch  1 ") == 1, stdout  # trained by exactly one of them
        assert load(out / f"seed-seed{seed}.json").status == "complete"
    # each sweep met the other's run: locked while it trained, or complete once it had finished
    assert stdout.count("holds its lock") + stdout.count("complete with the same config, skipped") == 2, stdout
