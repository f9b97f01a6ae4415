"""What a user asks `run` (or `check`, per notebook) to train: the flags as data, before anything is checked
against torch, the model or the disk (build.py does that)."""
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from reproduce.cluster.options import SlurmOptions


@dataclass(frozen=True)
class Overrides:
    """Flags that override the recipe's values; None leaves the recipe's."""
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    momentum: float | None = None
    precision: str | None = None

    def given(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class RunRequest:
    model: str                             # a --model spec
    recipe: Path | None                 # a TOML recipe or a notebook to draft one from; None: the model's own
    seeds: list[int]
    overrides: Overrides = Overrides()
    approximate: bool = False              # with a notebook recipe: leave out what cannot be reproduced
    static: bool = False                   # with a notebook recipe: read its code's text instead of a dry run
    train_limit: int | None = None
    eval_batch_size: int = 1000
    val_split: int = 0
    execution: str = "fast"
    device: str = "auto"
    threads: int | None = None
    allow_nondeterministic: bool = False
    out: Path | None = None             # None: reports/<model>-<epochs>ep
    data_dir: Path | None = None        # None: the default MNIST root
    quiet: bool = False
    report: bool = False                   # check and render the sweep's runs at the end
    force: bool = False
    cluster: SlurmOptions | None = None  # None: a local sweep
    wait: bool = True                      # on a cluster: watch the tasks until they end
    cancel_on_interrupt: bool = False      # on a cluster: Ctrl-C cancels the tasks too
    # asked after each seed: stop starting new ones (check --until-settled)
    settled: Callable[[], bool] | None = None
