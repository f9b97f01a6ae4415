"""Resume after an interruption, bit-identically: a real subprocess stopped by a real signal during epoch 2,
then the same command again, must give the uninterrupted run's per-epoch metrics and final weights hash."""
import errno
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import REPO, SMALL_RUN, numbers, run_cli
from reproduce.cli import main
from reproduce.record import checkpoint
from reproduce.record.schema import load

pytestmark = pytest.mark.slow   # trains, kills and resumes real subprocesses: left out by make test-fast

# 2,048 images, 3 epochs: an epoch long enough that a signal sent when epoch 1 is reported lands in epoch 2.
RUN = ["--model", "seed", "--seeds", "0", "--epochs", "3", "--train-limit", "2048", "--device", "cpu",
       "--threads", "1"]


def start(out, mnist_root):
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "reproduce", "run", *RUN, "--out", str(out)], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_epoch_1(proc):
    """Read the run's output until it reports epoch 1: the checkpoint and report of epoch 1 are written then,
    and epoch 2 has begun."""
    for line in proc.stdout:
        if "epoch  1 " in line:
            return
    raise AssertionError(f"run ended before epoch 1: {proc.wait()} {proc.stderr.read()}")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, mnist_root):
    out = tmp_path_factory.mktemp("whole")
    done = run_cli("run", *RUN, "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    assert not checkpoint.checkpoint_path(out / "seed-seed0.json").exists()  # removed once complete
    return numbers(out / "seed-seed0.json")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_stopped_during_epoch_2_then_resumed_is_bit_identical(sig, uninterrupted, mnist_root, tmp_path):
    out = tmp_path / "sweep"
    proc = start(out, mnist_root)
    wait_for_epoch_1(proc)
    proc.send_signal(sig)
    proc.stdout.read()
    err = proc.stderr.read()
    code = proc.wait(timeout=120)
    report = out / "seed-seed0.json"
    if sig == signal.SIGINT:
        assert code == 130, err
        # The hint names the interpreter that ran the sweep (relative when it lives below the working folder).
        line = f"{report} has 1 of 3 epochs saved; resume with: "
        assert err.startswith("stopped by SIGINT: "), err
        assert line in err, err
        assert err.count("\n") == 1, err
        assert f" -m reproduce run {' '.join(RUN)} --out {out}" in err, err
    else:
        assert code == -signal.SIGKILL
    stopped = load(report)  # readable, sealed, and stopped where the checkpoint is
    assert stopped.status == "running"
    assert len(stopped.epochs) == 1
    assert len(checkpoint.read(checkpoint.checkpoint_path(report))["epochs"]) == 1
    stale = out / f".{report.name}.x1y2z3.tmp"   # what a writer killed mid-write leaves behind
    stale.write_text("half")

    again = run_cli(*["run", *RUN, "--out", out], env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert again.returncode == 0, again.stderr
    assert "resuming after epoch 1 of 3" in again.stdout
    # epoch 1 was not trained again
    assert "epoch  1 " not in again.stdout
    assert "epoch  2 " in again.stdout
    assert numbers(report) == uninterrupted
    assert load(report).status == "complete"
    assert load(report).execution["name"] == "fast"  # the default, fast path is what resumes bit-identically
    assert not checkpoint.checkpoint_path(report).exists()
    assert not stale.exists()


def test_sigterm_stops_cleanly_with_exit_143(mnist_root, tmp_path):
    out = tmp_path / "sweep"
    proc = start(out, mnist_root)
    deadline = time.monotonic() + 300
    while not (out / "seed-seed0.json").exists():  # the run has started: stop it during epoch 1
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.stdout.read()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 143
    assert err.startswith("stopped by SIGTERM: ")
    assert "resume with: " in err
    assert " -m reproduce run" in err
    assert "has 0 of 3 epochs saved" in err, err
    assert "Traceback" not in err, err
    assert err.count("\n") == 1, err
    assert load(out / "seed-seed0.json").epochs == []
    assert list(out.glob("*.tmp")) == []  # the writer interrupted (if any) removed its temporary file


def test_every_rng_state_survives_a_checkpoint_file(tmp_path):
    """torch, numpy and python RNG states go through torch.save / torch.load(weights_only=True) and come back
    exact: the draws after restoring equal the draws after capturing. (The data-order generator and the model
    are covered by the resume tests above: a wrong data order or weight changes every later metric.)"""
    import io
    import random

    import numpy as np
    draw = lambda: (torch.rand(3).tolist(), np.random.rand(3).tolist(), [random.random() for _ in range(3)])
    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    draw()
    buf = io.BytesIO()
    torch.save(checkpoint.rng_states(torch.device("cpu")), buf)
    expected = draw()
    draw()  # move every RNG on, as a fresh process (or another run) would
    buf.seek(0)
    checkpoint.restore_rng_states(torch.load(buf, weights_only=True))
    assert draw() == expected


def test_a_full_disk_while_saving_loses_nothing_and_the_run_resumes(small_report, mnist_root, tmp_path,
                                                                     monkeypatch, capsys):
    """ENOSPC at the checkpoint of epoch 2 (the 4th durable write: report, checkpoint 1, report 1, checkpoint 2):
    a failed run (exit 1) said in one line; the report of epoch 1 is intact; the same command then finishes the run
    exactly."""
    import reproduce.files.atomic
    out = tmp_path / "sweep"
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) >= 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_root))
    monkeypatch.setattr(reproduce.files.atomic.os, "fsync", fsync)
    threads = torch.get_num_threads()
    try:
        code = main(["run", *SMALL_RUN, "--out", str(out)])
    finally:
        torch.set_num_threads(threads)
        monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1, err
    assert "No space left on device" in err, err
    assert err.count("\n") == 1, err
    assert ".seed-seed0.ckpt" in err  # names the file it could not write
    before = (out / "seed-seed0.json").read_bytes()
    assert len(load(out / "seed-seed0.json").epochs) == 1
    assert not list(out.glob("*.tmp"))

    again = run_cli("run", *SMALL_RUN, "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert again.returncode == 0, again.stderr
    assert before != (out / "seed-seed0.json").read_bytes()
    assert numbers(out / "seed-seed0.json") == numbers(small_report)


def test_sigkill_during_a_report_write_leaves_the_previous_report(small_report, tmp_path):
    path = tmp_path / small_report.name
    shutil.copy(small_report, path)
    before = path.read_bytes()
    writer = f"""
import os, sys, time
from reproduce.files import atomic
from reproduce.record.schema import load
report = load({str(path)!r})
report.status = "running"
report.epochs = report.epochs[:1]
def fsync(fd):  # the new content is in the temporary file, not yet renamed over the report: die here
    print("writing", flush=True)
    time.sleep(60)
atomic.os.fsync = fsync
report.save({str(path)!r})
"""
    proc = subprocess.Popen([sys.executable, "-c", writer], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait(timeout=30)
    assert path.read_bytes() == before
    assert load(path).status == "complete"
    leftovers = list(tmp_path.glob(f".{path.name}.*.tmp"))
    assert len(leftovers) == 1  # the dead writer's temporary file: hidden, ignored, removed by the next run
    done = run_cli("report", tmp_path)
    assert done.returncode in (0, 1)
    assert "some epoch ≥ 99.4" in done.stdout
