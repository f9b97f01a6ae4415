"""One seed of a sweep as a SLURM array task: trained through reproduce.sweep.local.run_sweep, exactly as a local
`run --seeds K` trains it (same lock, same checkpoint after every epoch, same report), with torch's threads taken
from the task's allocation so that the report records them.

Preemption and time limits: SLURM (or `scancel --signal=USR2`) sends USR2; submitit then calls checkpoint(),
requeues the task and exits. Nothing needs saving at that moment: the run's checkpoint of its last completed
epoch is already on disk, so checkpoint() only hands submitit the same call again, and the requeued task
resumes the run bit-identically (or skips it, if it had just completed). SIGTERM, which SLURM sends with the
preemption, is left to submitit (it ignores it): the USR2 that follows is what stops the task.

A task that is interrupted again and again without saving an epoch (a --time shorter than one epoch) is not
requeued forever: after MAX_STALLED such interruptions in a row it fails, saying why.
"""
import os
import re
import sys
from pathlib import Path

import submitit
import torch
from rich.console import Console

from reproduce.data.mnist import DataInfo, raw_dir, verify
from reproduce.record.locks import holder
from reproduce.record.schema import ReportError, load, run_filename
from reproduce.sweep.local import run_sweep
from reproduce.sweep.options import Sweep, SweepOptions
from reproduce.sweep.outcome import RunFailed
from reproduce.training.config import TrainConfig

MAX_STALLED = 3
# The line each start of a task writes to its log, read back by watch.py to show that a task resumed.
START = "reproduce task start: seed {seed}, {saved} of {epochs} epochs saved"
START_RE = re.compile(r"^reproduce task start: seed (\d+), (\d+) of (\d+) epochs saved", re.M)


def allocated_cpus() -> int:
    """The CPUs SLURM gave the task: SLURM_CPUS_PER_TASK when --cpus-per-task was asked, else the CPUs this
    process may run on (its cgroup / affinity), so torch never runs more threads than the task has CPUs."""
    given = os.environ.get("SLURM_CPUS_PER_TASK", "")
    return int(given) if given.isdigit() and int(given) > 0 else len(os.sched_getaffinity(0))


def saved_epochs(path: Path) -> int:
    """Epochs saved in the run's report so far (0 when there is none yet, or it cannot be read)."""
    try:
        return len(load(path).epochs) if path.exists() else 0
    except ReportError:
        return 0


def starts(log_text: str) -> list[int]:
    """From a task's log: the epochs that were saved at each start of the task (one entry per start)."""
    return [int(m.group(2)) for m in START_RE.finditer(log_text)]


class SeedTask(submitit.helpers.Checkpointable):
    """Called as task(seed) on a node. Holds only what the submitting command decided (pickled by submitit)."""

    def __init__(self, cfg: TrainConfig, device: str, data: DataInfo, out: Path,
                 options: SweepOptions | None = None):
        """options: the submitting sweep's; a task keeps its threads, force and notebook (only those pickle)."""
        options = options or SweepOptions()
        self.cfg, self.device, self.data, self.out = cfg, device, data, Path(out)
        self.threads, self.force = options.threads, options.force
        # the notebook the network or recipe came from, kept in the report (a task pickled before this field
        # existed has none)
        self.notebook = options.notebook
        self.stalled = 0            # interruptions in a row that saved no new epoch
        self.saved_at_start = 0

    def report_path(self, seed: int) -> Path:
        return self.out / run_filename(self.cfg.run_name, seed)

    def __call__(self, seed: int) -> str:
        path = self.report_path(seed)
        self.saved_at_start = saved_epochs(path)
        print(START.format(seed=seed, saved=self.saved_at_start, epochs=self.cfg.epochs), flush=True)
        torch.set_num_threads(self.threads or allocated_cpus())   # before run_sweep records the environment
        device = torch.device(self.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RunFailed("the sweep trains on cuda but this task sees no CUDA device (ask for GPUs with "
                               "--gpus-per-task or --slurm-arg gres=...)")
        verify(raw_dir(Path(self.data.root)))   # the files the submitting command verified, as this node sees them
        console = Console(file=sys.stdout, highlight=False)    # the task's log: every epoch, and a resume, said
        # stop_signals=(): SIGTERM stays with submitit (ignored); USR2 requeues (see the module's docstring)
        sweep = Sweep(self.cfg, [seed], device, self.data, self.out)
        options = SweepOptions(force=self.force, notebook=getattr(self, "notebook", None), stop_signals=())
        done = run_sweep(sweep, console, options).done
        if not done:   # run_sweep skips a run whose lock another process holds: this task did not train it
            raise RunFailed(f"{path}: another process (pid {holder(path) or '?'}) holds its lock; "
                               f"not trained by this task")
        status = load(path).status
        if status not in ("complete", "diverged"):   # diverged: a final result, the report says so
            raise RunFailed(f"{path}: {status}, not complete, after the task ended")
        return str(path)

    def checkpoint(self, seed: int) -> submitit.helpers.DelayedSubmission:
        """Called by submitit on USR2, in the signal handler, just before it requeues the task."""
        saved = saved_epochs(self.report_path(seed))
        self.stalled = 0 if saved > self.saved_at_start else self.stalled + 1
        if self.stalled > MAX_STALLED:
            raise RunFailed(f"interrupted {self.stalled} times in a row without saving an epoch (is the time "
                               f"limit shorter than one epoch?); not requeued again")
        # os.write to fd 1 (the log), not print: in a signal handler print fails if the interrupted code was printing
        os.write(1, f"reproduce task: interrupted with {saved} of {self.cfg.epochs} epochs saved; requeued\n".encode())
        return super().checkpoint(seed)
