"""A sweep as data: what it trains (Sweep) and how it runs (SweepOptions), shared by the local sweep (local.py)
and the cluster's (reproduce/cluster/sweep.py)."""
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from reproduce.data.mnist import DataInfo
from reproduce.sweep.interrupt import STOP_SIGNALS
from reproduce.training.config import TrainConfig


@dataclass(frozen=True)
class Sweep:
    """What a sweep trains, and where its reports go: one run of cfg per seed on the device, into out."""
    cfg: TrainConfig
    seeds: Sequence[int]
    device: torch.device
    data: DataInfo          # the verified MNIST it trains on (reproduce/data/mnist.py)
    out: Path


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep runs; nothing here changes a run's numbers except threads, which its report records."""
    quiet: bool = False                # no progress bar and no epoch lines
    force: bool = False                # a report or checkpoint of another config in out is moved aside, not refused
    threads: int | None = None      # torch CPU threads (None: torch's choice here; a cluster task's CPUs there)
    notebook: dict | None = None    # the notebook the network or recipe came from, kept in each report
    stop_signals: tuple = STOP_SIGNALS  # what stops the sweep cleanly (interrupt.py); a cluster task passes ()
    # Asked after each seed: True stops the sweep starting further seeds (check --until-settled: the decision on
    # the folder's runs is settled). None: every seed runs.
    settled: Callable[[], bool] | None = None
