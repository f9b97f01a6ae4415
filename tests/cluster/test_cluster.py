"""Sweeps on a real SLURM: `run --cluster slurm` on the single-node cluster of tests/slurm/ (brought up once for
this module in a state folder of its own, and down again after). A sweep's reports are the local runs' bytes;
a task stopped as SLURM stops a preempted one (SIGTERM, then USR2) is requeued and resumes bit-identically; a
failing task is shown failed with its SLURM state and its log, exit 1.

Without SLURM (or root, or submitit) these tests are skipped with the reason; under CI (CI set, as .ci/run does)
they fail instead, so a CI machine that cannot run them is noticed. The checks that need no cluster (bad flags,
no sbatch, no controller, no submitit) run everywhere."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, numbers, run_cli, tiny_net, write_file
from reproduce.cli import main

SLURM = REPO / "tests" / "slurm"
SMALL = ["--model", "seed", "--epochs", "1", "--train-limit", "512", "--device", "cpu"]
ON_SLURM = ["--cluster", "slurm", "--cpus-per-task", "1"]


def local_run(*args, mnist_root):
    """`run ARGS --threads 1` here, started in the background: the reference a cluster run must equal, trained on
    the core a single-CPU task leaves free."""
    return subprocess.Popen([sys.executable, "-m", "reproduce", "run", *map(str, args), "--threads", "1", "--quiet"],
                            cwd=REPO, env=dict(os.environ, MNIST_DATA_DIR=str(mnist_root)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def not_here(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the SLURM tests, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running single-node SLURM for this module; /etc/slurm/slurm.conf points every client at it."""
    try:
        import submitit  # noqa: F401
    except ImportError:
        not_here("submitit is not installed (pip install '.[cluster]')")
    if os.geteuid() != 0:
        not_here("tests/slurm/up.sh needs root (it starts munged, MariaDB and the SLURM daemons)")
    missing = [b for b in ("slurmctld", "slurmd", "sbatch")
               if not shutil.which(b) and not os.path.exists(f"/usr/sbin/{b}")]
    if missing:
        not_here(f"SLURM is not installed ({', '.join(missing)} missing; tests/slurm/install.sh installs it)")
    state = tmp_path_factory.mktemp("slurm-state")
    up = subprocess.run(["bash", str(SLURM / "up.sh"), str(state)], capture_output=True, text=True, timeout=300)
    try:
        if up.returncode != 0:
            not_here(f"tests/slurm/up.sh failed: {' | '.join(up.stderr.strip().splitlines()[-3:])}")
        yield state
    finally:
        subprocess.run(["bash", str(SLURM / "down.sh"), str(state)], capture_output=True, timeout=300)


@pytest.mark.slow   # brings up SLURM and trains on it: left out by make test-fast
def test_a_sweep_on_slurm_writes_the_local_runs_bytes(slurm_cluster, mnist_root, tmp_path):
    env = {"MNIST_DATA_DIR": str(mnist_root)}
    here = local_run(*SMALL, "--seeds", "0-2", "--out", tmp_path / "local", mnist_root=mnist_root)  # meanwhile
    on = run_cli("run", *SMALL, "--seeds", "0-2", *ON_SLURM, "--out", tmp_path / "slurm", env_extra=env)
    assert on.returncode == 0, on.stdout + on.stderr
    assert "submitted SLURM job" in on.stdout, on.stdout
    assert ": 3 done" in on.stdout, on.stdout
    assert here.wait(timeout=600) == 0, here.stderr.read()
    for seed in range(3):
        name = f"seed-seed{seed}.json"
        assert numbers(tmp_path / "slurm" / name) == numbers(tmp_path / "local" / name)
        report = json.loads((tmp_path / "slurm" / name).read_text())
        # from the allocation
        assert report["status"] == "complete"
        assert report["environment"]["torch_threads"] == 1
    assert not list((tmp_path / "slurm").glob(".*.ckpt"))
    assert (tmp_path / "slurm" / ".slurm").is_dir()          # submitit's files: hidden, beside the runs
    shown = run_cli("report", tmp_path / "slurm")
    assert shown.returncode == 1
    assert re.search(r"some epoch ≥ 99.4 +0/3", shown.stdout)


@pytest.mark.slow   # brings up SLURM and trains on it: left out by make test-fast
def test_a_task_stopped_like_a_preempted_one_is_requeued_and_resumes_bit_identically(slurm_cluster, mnist_root,
                                                                                      tmp_path):
    """SIGTERM then USR2, the two signals submitit's job._interrupt() sends (a plain `scontrol requeue` would
    not call checkpoint()), during epoch 2 of 3; then the same run uninterrupted, here, with the same threads."""
    run = ["--model", "seed", "--seeds", "0", "--epochs", "3", "--train-limit", "2048", "--device", "cpu"]
    here = local_run(*run, "--out", tmp_path / "local", mnist_root=mnist_root)   # the uninterrupted run, meanwhile
    out = tmp_path / "slurm"
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "reproduce", "run", *run, *ON_SLURM, "--out", str(out)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("submitted SLURM job "), first + proc.stderr.read()
        job = first.split()[3]           # one seed: a plain job, its id is the task's
        report, deadline = out / "seed-seed0.json", time.monotonic() + 300
        while not (report.exists() and len(json.loads(report.read_text())["epochs"]) >= 1):
            assert proc.poll() is None, proc.stdout.read() + proc.stderr.read()
            assert time.monotonic() < deadline, proc.stdout.read() + proc.stderr.read()
            time.sleep(0.2)
        for sig in ("SIGTERM", "USR2"):
            subprocess.run(["scancel", "--signal", sig, job], check=True, timeout=60)
        shown, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, shown + err
    assert "seed 0: done (COMPLETED), 3/3 epochs saved; requeued 1x, resumed after epoch 1" in shown, shown
    log = next((out / ".slurm").glob("*/*_log.out")).read_text()
    assert "interrupted with 1 of 3 epochs saved; requeued" in log, log
    assert "resuming after epoch 1 of 3" in log, log
    assert log.count("epoch  1 ") == 1, log       # epoch 1 was trained once, not again after the requeue

    assert here.wait(timeout=600) == 0, here.stderr.read()
    assert numbers(report) == numbers(tmp_path / "local" / "seed-seed0.json")


# Passes every check the suite makes before training (a batch of 8, a batch of 1), trains seed 0, and fails on
# seed 1's first training batch: a sweep with one done and one failed task.
FAILS_ON_SEED_1 = tiny_net("""
if x.shape[0] > 8 and torch.initial_seed() == 1:
    raise RuntimeError(f"seed 1 refuses batches of {x.shape[0]}")
""")


@pytest.mark.slow   # brings up SLURM and trains on it: left out by make test-fast
def test_a_failing_task_is_shown_with_its_state_and_log_and_exit_1(slurm_cluster, mnist_root, tmp_path):
    net = write_file(tmp_path, FAILS_ON_SEED_1, "net.py")
    done = run_cli("run", "--model", f"{net}:Net", "--seeds", "0-1", "--epochs", "1", "--train-limit", "256",
                   "--device", "cpu", *ON_SLURM, "--out", tmp_path / "slurm", "--report",
                   env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert ": 1 done, 1 failed" in done.stdout, done.stdout
    line = [l for l in done.stdout.splitlines() if l.startswith("seed 1: failed (FAILED)")][-1]
    assert "RuntimeError: seed 1 refuses batches of 128" in line, line
    log = line.split("log: ")[1].strip()
    assert os.path.isfile(log)
    assert "Traceback" in Path(log).read_text()
    assert re.search(r"some epoch ≥ 99.4 +0/1", done.stdout)     # --report renders the seed that is done
    assert "Traceback" not in done.stderr


# --- what needs no cluster ----------------------------------------------------------------------------------

def fake_slurm(folder, scontrol_exit=0):
    """SLURM's commands as a cluster would answer them whose controller is down (scontrol_exit=1), or whose
    controller is up but whose sbatch refuses an option (0)."""
    folder.mkdir()
    for name in ("srun", "sacct", "scancel"):
        (folder / name).write_text("#!/bin/sh\nexit 1\n")
    (folder / "sbatch").write_text("#!/bin/sh\necho \"sbatch: unrecognized option '--nonsense=1'\" >&2\n"
                                   "echo 'Try \"sbatch --help\" for more information' >&2\nexit 1\n")
    answer = ("echo 'slurm_load_partitions: Unable to contact slurm controller (connect failure)' >&2" if scontrol_exit
              else "echo 'PartitionName=debug Default=YES DefaultTime=NONE MaxTime=UNLIMITED State=UP'")
    (folder / "scontrol").write_text(f"#!/bin/sh\n{answer}\nexit {scontrol_exit}\n")
    for p in folder.iterdir():
        p.chmod(0o755)
    return folder


@pytest.mark.parametrize(("args", "said"), [
    (["--partition", "debug"], "--partition is an option of --cluster slurm, which was not given"),
    (["--cluster", "slurm", "--slurm-arg", "array=0-9"], "--array is set by the suite"),
    (["--cluster", "slurm", "--slurm-arg", "mem="], "expected KEY=VALUE"),
    (["--cluster", "slurm", "--max-parallel", "0"], "argument --max-parallel: must be at least 1, got 0"),
    (["--cluster", "slurm", "--time", "0"], "argument --time: must be at least 1, got 0"),
])
def test_bad_cluster_flags_are_one_line_and_exit_2(tmp_path, capsys, args, said):
    code = main(["run", *SMALL, "--seeds", "0", "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert said in err, err
    assert err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_no_slurm_here_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, mnist_root):
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_root))   # the last case gets as far as submitting
    run = ["run", *SMALL, "--seeds", "0", "--out", str(tmp_path / "out"), "--cluster", "slurm"]
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, err = main(run), capsys.readouterr().err
    assert code == 2, err
    assert "no sbatch, srun, sacct, scontrol, scancel on PATH" in err, err
    assert err.count("\n") == 1, err

    monkeypatch.setenv("PATH", str(fake_slurm(tmp_path / "down", scontrol_exit=1)))
    code, err = main(run), capsys.readouterr().err
    assert code == 2, err
    assert "Unable to contact slurm controller" in err, err
    assert err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()

    monkeypatch.setenv("PATH", str(fake_slurm(tmp_path / "refusing")))
    code, err = main(run), capsys.readouterr().err
    assert code == 2, err
    assert err == "error: sbatch refused the array: unrecognized option '--nonsense=1'\n", err
    assert not (tmp_path / "out").exists()       # nothing left behind: neither --out nor its .slurm folder


def test_no_submitit_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "submitit", None)     # import submitit now raises ImportError
    code = main(["run", *SMALL, "--seeds", "0", "--out", str(tmp_path / "out"), "--cluster", "slurm"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "needs submitit: pip install '.[cluster]'" in err, err
    assert err.count("\n") == 1, err


@pytest.mark.parametrize(("limit", "minutes"), [("UNLIMITED", None), ("NONE", None), ("30", 30), ("1:00:00", 60),
                                            ("2-00:00:00", 2880), ("00:30:30", 31), ("45:00", 45)])
def test_slurm_time_limits_in_minutes(limit, minutes):
    from reproduce.cluster.slurm import minutes as to_minutes
    assert to_minutes(limit) == minutes


def test_a_task_interrupted_again_and_again_without_progress_gives_up(tmp_path):
    """checkpoint() requeues a task while it saves epochs; MAX_STALLED interruptions in a row without a new epoch
    (a time limit shorter than one epoch) end it, failed, instead of requeueing it forever."""
    pytest.importorskip("submitit")
    from reproduce.cluster.task import MAX_STALLED, SeedTask
    from reproduce.data.mnist import DataInfo
    from reproduce.sweep.options import SweepOptions
    from reproduce.sweep.outcome import RunFailed
    from reproduce.training.config import TrainConfig
    task = SeedTask(TrainConfig(epochs=3), "cpu", DataInfo(str(tmp_path), "local"), tmp_path, SweepOptions(threads=1))
    for _ in range(MAX_STALLED):
        again = task.checkpoint(0)
        assert again.function is task
        assert again.args == (0,)
    with pytest.raises(RunFailed, match="without saving an epoch"):
        task.checkpoint(0)
