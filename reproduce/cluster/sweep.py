"""A sweep on a cluster: once `run` has checked what it checks for a local sweep (config, seeds, device, conflicts
with reports already in --out, the data), one SLURM array task per seed is submitted, each training its seed into
the shared --out as `run --seeds K` would (task.py). Then the command waits, showing the array (watch.py), or
with --no-wait says how to check the sweep later. Ctrl-C while waiting leaves the jobs running unless
--cancel-on-interrupt; either way it says which in one line.
"""
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from reproduce.cluster import slurm, watch
from reproduce.cluster.options import SlurmOptions
from reproduce.cluster.task import SeedTask
from reproduce.data.mnist import DataInfo
from reproduce.sweep.options import Sweep, SweepOptions


@dataclass
class Outcome:
    code: int                # 0 every seed done, 1 a task failed or a run is incomplete, 130 Ctrl-C
    complete: list[Path]     # the reports of the seeds that are done, for `run --report`


@dataclass(frozen=True)
class Waiting:
    """What the submitting command does once the array is submitted."""
    wait: bool = True                   # show the array until every task has ended (else say how to check later)
    cancel_on_interrupt: bool = False   # Ctrl-C while waiting cancels the jobs (else they keep running)


def run_on_cluster(sweep: Sweep, slurm_options: SlurmOptions, console: Console, options: SweepOptions,
                   waiting: Waiting = Waiting()) -> Outcome:
    cfg, seeds, out = sweep.cfg, list(sweep.seeds), Path(sweep.out)
    data = sweep.data
    # Absolute paths: the task runs from the submitting directory too, but a node should not depend on it.
    where = DataInfo(str(Path(data.root).resolve()), data.source, data.sha256)
    task = SeedTask(cfg, sweep.device.type, where, out.resolve(), options)
    array = slurm.submit(task, seeds, slurm_options, out, job_name=f"reproduce-{cfg.run_name}")
    ids = array.tasks[0].job_id + (f"..{array.tasks[-1].job_id}" if len(seeds) > 1 else "")
    console.print(f"submitted SLURM job {array.array_id} (task {ids} for seed {' '.join(map(str, seeds))}); logs "
                  f"under {out / slurm.LOG_DIR}/", highlight=False, soft_wrap=True)
    later = f"python -m reproduce report {out}"
    if not waiting.wait:
        console.print(f"check it with: squeue -j {array.array_id}; its runs so far: {later}", highlight=False,
                      soft_wrap=True)
        return Outcome(0, [])
    seeds_view = watch.views(array, out, cfg.run_name, cfg.epochs)
    try:
        watch.wait(array, seeds_view, console, options.quiet)
    except KeyboardInterrupt:
        if waiting.cancel_on_interrupt:
            slurm.cancel(array)
            line = (f"interrupted: cancelled SLURM job {array.array_id}; the runs' checkpoints are kept, the "
                    f"same command resumes them")
        else:
            line = (f"interrupted: SLURM job {array.array_id} keeps running (not cancelled: "
                    f"--cancel-on-interrupt would); check it with: squeue -j {array.array_id}; {later}")
        print(line, file=sys.stderr)
        return Outcome(130, [])
    code = watch.final(array, seeds_view, console)
    return Outcome(code, [v.report for v in seeds_view if v.phase in ("done", "diverged")])
