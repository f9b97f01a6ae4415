"""SLURM through submitit (the only user of submitit's API besides task.py's base class): the executor built from
SlurmOptions, one array task per seed submitted, their states read back, a failed task's reason, cancelling.

submitit pickles the task (task.py, importable, so pickled by name) into the executor folder, runs it on a node
with the submitting Python from the submitting working directory, and on USR2 (preemption, or 90 s before the
time limit) calls the task's checkpoint() and requeues it. Its files go under `<out>/.slurm/<job>_<task>/`:
hidden, so `report` never reads them, and next to the runs they belong to.
"""
import contextlib
import io
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reproduce.cluster.options import ClusterError, SlurmOptions

LOG_DIR = ".slurm"
# A task is requeued on every USR2 for as long as it makes progress (task.py ends it when it does not), so
# submitit's own count of time-outs must not end it first: with a time limit under ~50 min submitit counts
# every interruption as a time-out (its `has_timed_out`), and its default allows 3.
MAX_REQUEUES = 1000
# States after which a task does not run again. PREEMPTED is not among them: a preempted task of ours is
# requeued (by submitit on USR2, or by SLURM), so it is waited for like a pending one.
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE",
         "REVOKED", "SPECIAL_EXIT"}
RUNNING = {"RUNNING", "COMPLETING", "CONFIGURING", "STAGE_OUT"}


@dataclass(frozen=True)
class Task:
    """One array task: the seed it trains, its SLURM id (`<array>_<index>`) and its log (stdout and stderr)."""
    seed: int
    job_id: str
    log: Path


@dataclass
class Array:
    array_id: str
    tasks: list[Task]
    _jobs: list          # submitit's Job objects, in the order of tasks


def _submitit():
    try:
        import submitit
    except ImportError:
        raise ClusterError("--cluster slurm needs submitit: pip install '.[cluster]'") from None
    return submitit


def checked(options: SlurmOptions) -> SlurmOptions:
    """The options with their time limit decided, once submitit imports, SLURM's commands are on PATH, the
    controller answers and the partition exists; ClusterError otherwise. Before anything is read or submitted."""
    _submitit()
    missing = [c for c in ("sbatch", "srun", "sacct", "scontrol", "scancel") if shutil.which(c) is None]
    if missing:
        raise ClusterError(f"--cluster slurm: no {', '.join(missing)} on PATH (is this a SLURM login node?)")
    if options.time_min is not None:
        partition_time(options.partition)    # the controller and the partition, checked all the same
        return options
    return replace(options, time_min=partition_time(options.partition))


def _scontrol(*args: str) -> str:
    try:
        done = subprocess.run(["scontrol", *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ClusterError(f"scontrol {' '.join(args)}: {e}") from None
    if done.returncode != 0:
        raise ClusterError(f"SLURM: {first_line(done.stderr or done.stdout) or 'scontrol failed'}")
    return done.stdout


def minutes(limit: str) -> int | None:
    """A SLURM time as scontrol prints it ([days-]hours:minutes:seconds, or minutes) in whole minutes; None for
    UNLIMITED / INFINITE / NONE."""
    if limit.upper() in ("UNLIMITED", "INFINITE", "NONE", ""):
        return None
    days, _, rest = limit.rpartition("-")
    parts = [int(p) for p in rest.split(":")]
    h, m, s = ([0] * (3 - len(parts)) + parts) if len(parts) > 1 else (0, parts[0], 0)
    return (int(days or 0) * 24 + h) * 60 + m + (1 if s else 0)


def partition_time(partition: str | None) -> int:
    """The time limit a task gets without --time, as SLURM would give it: the partition's DefaultTime, else its
    MaxTime; 0 (sbatch's "no limit") for an unlimited one. Also the check that the controller answers and the
    partition exists, before anything is submitted. submitit needs the number: it writes `--time` itself."""
    text = _scontrol("show", "partition", "--oneliner", *([partition] if partition else []))
    for line in text.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if partition or fields.get("Default") == "YES":
            limit = minutes(fields.get("DefaultTime", "NONE"))
            return limit if limit is not None else (minutes(fields.get("MaxTime", "UNLIMITED")) or 0)
    raise ClusterError("SLURM: no default partition; name one with --partition")


def executor(options: SlurmOptions, out: Path, job_name: str):
    """A submitit executor for the sweep's array, every parameter from the options (checked())."""
    submitit = _submitit()
    folder = Path(out).resolve() / LOG_DIR / "%j"      # %j: submitit's per-task folder
    ex = submitit.SlurmExecutor(folder=folder, max_num_timeout=MAX_REQUEUES)
    given = dict(partition=options.partition, account=options.account, cpus_per_task=options.cpus_per_task,
                 gpus_per_task=options.gpus_per_task, array_parallelism=options.max_parallel)
    ex.update_parameters(job_name=job_name, time=options.time_min, stderr_to_stdout=True,
                         additional_parameters=dict(options.extra),
                         **{k: v for k, v in given.items() if v is not None})
    return ex


def submit(task: Callable[[int], object], seeds: Sequence[int], options: SlurmOptions, out: Path,
           job_name: str) -> Array:
    """One array task per seed, running task(seed). ClusterError (sbatch's own message) when refused."""
    made = [p for p in (Path(out), Path(out) / LOG_DIR) if not p.exists()]   # removed again if refused
    ex = executor(options, out, job_name)
    noise = io.StringIO()
    try:
        with contextlib.redirect_stderr(noise):    # submitit prints sbatch's stderr as well as raising it
            jobs = ex.map_array(task, list(seeds))
    # Each one a refused array.
    except Exception as e:  # noqa: BLE001 - submitit passes on sbatch's refusal as whatever its backend raised
        for p in reversed(made):                   # a refused sweep leaves --out as it found it
            shutil.rmtree(p, ignore_errors=True)
        raise ClusterError(f"sbatch refused the array: {first_line(str(e)) or type(e).__name__}") from None
    tasks = [Task(seed, job.job_id, Path(job.paths.stdout)) for seed, job in zip(seeds, jobs)]
    return Array(jobs[0].job_id.split("_")[0], tasks, jobs)


def states(array: Array) -> dict[str, str]:
    """SLURM's state of each task by job id (one sacct call for the array), first word only ('CANCELLED by 0'
    -> 'CANCELLED'). A task sacct does not know yet (just submitted) is 'PENDING'."""
    watcher = array._jobs[0].watcher
    for job in array._jobs:
        watcher.register_job(job.job_id)
    watcher.update()
    out = {}
    for job in array._jobs:
        state = watcher.get_state(job.job_id, mode="cache").split()
        out[job.job_id] = state[0] if state and state[0] != "UNKNOWN" else "PENDING"
    return out


def failure(array: Array, task: Task) -> str | None:
    """The last line of the exception a failed task raised (from submitit's result file), or None when the task
    left none (killed by SLURM: out of memory, node failure, cancelled)."""
    job = array._jobs[array.tasks.index(task)]
    path = Path(job.paths.result_pickle)
    if not path.exists():
        return None
    from submitit.core.utils import pickle_load
    try:
        outcome, value = pickle_load(path)
    # Half-written, or from another submitit version: the state and the log still say what happened.
    except Exception:  # noqa: BLE001 - unpickling runs the file's own code, which may raise anything
        return None
    lines = [l for l in str(value).strip().splitlines() if l.strip()] if outcome == "error" else []
    return lines[-1].strip()[:200] if lines else None


def cancel(array: Array) -> None:
    subprocess.run(["scancel", array.array_id], capture_output=True, timeout=60)


def first_line(text: str) -> str:
    """The line of SLURM's output that says what is wrong: sbatch ends with 'Batch job submission failed: ...'
    after the details, or with 'Try "sbatch --help"' after an unknown option, which is no reason."""
    lines = [re.sub(r"^(sbatch|scontrol)(: error)?: ", "", l.strip()) for l in text.strip().splitlines()
             if l.strip() and not l.strip().startswith("Try ")]
    return lines[-1] if lines else ""
