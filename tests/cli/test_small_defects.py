"""Defects found by trying the suite as a new user: --target out of range, report file modes, one 'some epoch ≥'
line (test_cli), and a sweep's own progress: runs done of n and its ETA."""
import os
import re
import stat
import subprocess
import sys

import pytest

from conftest import REPO
from reproduce.cli import main
from reproduce.files.atomic import umask_mode, write_text
from reproduce.sweep.progress import SweepProgress


@pytest.mark.parametrize("target", ["101", "0", "-5", "nan"])
def test_report_and_compare_refuse_a_target_out_of_range(target, small_report, capsys):
    assert main(["report", str(small_report), "--target", target]) == 2
    assert "--target" in capsys.readouterr().err
    assert main(["compare", str(small_report), str(small_report), "--target", target]) == 2


def test_files_get_the_usual_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "r.json", "{}")
        assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644 == umask_mode()
        os.umask(0o002)
        write_text(tmp_path / "r.json", "{}")
        assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_a_run_report_is_readable_by_the_group(small_report):
    assert stat.S_IMODE(small_report.stat().st_mode) & 0o044 == 0o044 & umask_mode()


def test_sweep_progress_counts_runs_and_estimates_what_is_left():
    ticks = iter([0.0, 0.0, 10.0, 20.0])
    s = SweepProgress(runs=4, epochs_per_run=2, clock=lambda: next(ticks))
    assert s.line() == "sweep: 0/4 runs done, ETA —"   # nothing trained here yet: no speed to go by
    s.run_done()                                           # skipped: complete already
    s.epoch_started()
    s.epoch_trained()                                      # 10 s per epoch
    s.epoch_trained()
    s.run_done()
    assert s.eta() == 2 * 2 * 10
    assert s.line() == "sweep: 2/4 runs done, ETA 40 s"
    assert s.eta(epochs_left_in_run=1) == (1 * 2 + 1) * 10
    s.run_done(), s.run_done()
    assert s.line() == "sweep: 4/4 runs done"


def test_a_shared_sweep_divides_the_runs_left_among_the_processes_seen():
    ticks = iter([0.0, 0.0, 10.0])
    s = SweepProgress(runs=6, epochs_per_run=2, clock=lambda: next(ticks))
    s.shared_with("4242")                                  # run 0 is locked by another process
    s.run_done()
    s.epoch_started()
    s.epoch_trained()                                      # run 1 here: 10 s per epoch, 1 epoch left in it
    # 4 runs not started, shared by two processes (2 each), plus this run's last epoch
    assert s.eta(epochs_left_in_run=1) == (4 * 2 / 2 + 1) * 10
    assert s.line(epochs_left_in_run=1) == "sweep: 1/6 runs done, ETA 50 s (with 2 processes)"
    s.shared_with("4242")                                  # the same process again: still two
    assert s.eta(epochs_left_in_run=1) == 50


@pytest.mark.slow
def test_a_sweep_prints_its_progress_after_each_run(tmp_path, mnist_root):
    done = subprocess.run([sys.executable, "-m", "reproduce", "run", "--seeds", "0-1", "--epochs", "1",
                           "--train-limit", "128", "--threads", "1", "--out", str(tmp_path)], cwd=REPO,
                          env=dict(os.environ, MNIST_DATA_DIR=str(mnist_root)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert re.search(r"sweep: 1/2 runs done, ETA \d+ s", done.stdout)
    assert "sweep: 2/2 runs done" in done.stdout
