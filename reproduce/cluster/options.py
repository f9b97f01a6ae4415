"""What `run --cluster slurm` asks of the cluster, from its flags. Nothing about a machine is assumed here:
partition, account, time, CPUs, GPUs and any other sbatch option come from the command line, and what is not
given is left to the cluster's own defaults (the partition's time limit, one CPU per task)."""
import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reproduce.errors import BadInput
from reproduce.flags import at_least

if TYPE_CHECKING:
    import torch

CLUSTERS = ("slurm",)
# sbatch options the suite sets itself: the array, where the logs go, and the USR2 signal submitit's requeue
# relies on. Changing one would break waiting, logs or preemption, so --slurm-arg may not.
RESERVED = {"array", "output", "error", "open-mode", "signal"}


class ClusterError(BadInput):
    """The cluster cannot be used as asked (no submitit, no sbatch, no controller, a bad option): one line,
    exit 2."""


@dataclass(frozen=True)
class SlurmOptions:
    partition: str | None = None
    account: str | None = None
    time_min: int | None = None          # None: the partition's own limit
    cpus_per_task: int | None = None     # None: SLURM's default (one)
    gpus_per_task: int | None = None
    max_parallel: int | None = None      # tasks running at once (the array's %K)
    extra: dict[str, str | bool] = field(default_factory=dict)   # --slurm-arg KEY=VALUE, as sbatch --KEY=VALUE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("on a cluster (every seed a SLURM array task; see docs/sweeps.md)")
    g.add_argument("--cluster", choices=CLUSTERS, default=None,
                   help="submit one array task per seed instead of training here")
    g.add_argument("--partition", default=None, help="SLURM partition (default: the cluster's default one)")
    g.add_argument("--account", default=None, help="SLURM account to charge")
    g.add_argument("--time", type=at_least(1), default=None, metavar="MIN",
                   help="time limit per task in minutes (default: the partition's); a task stopped by it is "
                        "requeued and resumes after its last completed epoch")
    g.add_argument("--cpus-per-task", type=at_least(1), default=None, metavar="N",
                   help="CPUs per task; torch uses as many threads unless --threads")
    g.add_argument("--gpus-per-task", type=at_least(0), default=None, metavar="N",
                   help="GPUs per task (with --device auto, N > 0 trains on cuda)")
    g.add_argument("--max-parallel", type=at_least(1), default=None, metavar="K",
                   help="at most K tasks running at once")
    g.add_argument("--slurm-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="any other sbatch option, as --KEY=VALUE (KEY alone: a flag); repeatable")
    g.add_argument("--no-wait", action="store_true",
                   help="submit, print the job id and how to check the sweep, and return")
    g.add_argument("--cancel-on-interrupt", action="store_true",
                   help="Ctrl-C while waiting cancels the jobs (by default they keep running)")


def parse_slurm_args(items: list[str]) -> dict[str, str | bool]:
    extra: dict[str, str | bool] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lstrip("-")
        if not key or (sep and not value):
            raise ClusterError(f"--slurm-arg {item!r}: expected KEY=VALUE (an sbatch option without its --) or KEY")
        if key.replace("_", "-") in RESERVED:
            raise ClusterError(f"--slurm-arg {item!r}: --{key} is set by the suite (array, logs, requeue signal)")
        extra[key] = value if sep else True
    return extra


def from_args(args) -> SlurmOptions | None:
    """None for a local run. With --cluster slurm: the options as given; `slurm.checked` then checks them against
    the cluster itself (submitit, SLURM's commands, the controller, the partition and its time limit)."""
    if args.cluster is None:
        stray = given_without_cluster(args)
        if stray:
            raise ClusterError(f"{stray[0]} is an option of --cluster slurm, which was not given")
        return None
    return SlurmOptions(partition=args.partition, account=args.account, time_min=args.time,
                        cpus_per_task=args.cpus_per_task, gpus_per_task=args.gpus_per_task,
                        max_parallel=args.max_parallel, extra=parse_slurm_args(args.slurm_arg))


def device_kind(requested: str, options: SlurmOptions) -> "torch.device":
    """The device the tasks train on, decided here for the whole sweep (it is part of every run's fingerprint),
    not by what the submitting machine has: `auto` is cuda when the tasks get GPUs, the CPU otherwise."""
    import torch  # here, not above: the command line reads these flags before it loads torch
    if requested == "auto":
        return torch.device("cuda" if options.gpus_per_task else "cpu")
    return torch.device(requested)


def given_without_cluster(args) -> list[str]:
    """Cluster flags given without --cluster: almost certainly a forgotten --cluster, so refused, not ignored."""
    names = {"partition": "--partition", "account": "--account", "time": "--time",
             "cpus_per_task": "--cpus-per-task", "gpus_per_task": "--gpus-per-task",
             "max_parallel": "--max-parallel", "slurm_arg": "--slurm-arg", "no_wait": "--no-wait",
             "cancel_on_interrupt": "--cancel-on-interrupt"}
    return [flag for name, flag in names.items() if getattr(args, name) not in (None, False, [])]
