"""What a dry run saw, as typed records: read from the JSON the kernel side wrote (state.py, watch.py,
loaders.py). Cells are the notebook's own numbers (every cell counted from 1). Events are in the order they
happened: a pass over a loader, an optimizer step (with the penalties at the backward before it), a scheduler
step (with the value passed), a loss call (with its value, and whether it had a gradient)."""
import json
from dataclasses import dataclass, field
from pathlib import Path

from reproduce.errors import SuiteError
from reproduce.notebook.trace.state import VERSION


@dataclass
class Model:
    cls: str
    qualname: str
    module: str                 # "__main__" for a class defined in the notebook
    file: str | None         # the defining file (a kernel's cell file for the notebook's own classes)
    args: list
    kwargs: dict
    built_in_cell: int | None
    params: int
    cell: int | None         # where the optimizer holding it was built


@dataclass
class Optimizer:
    cls: str
    module: str
    groups: list[dict]          # each param group's hyperparameters, and "tensors": how many it holds
    model: int | None        # index into Record.models; None when no one module holds exactly its parameters
    cell: int | None


@dataclass
class Scheduler:
    cls: str
    module: str
    optimizer: int | None
    args: dict                  # constructor arguments but the optimizer, as bound to its signature
    cell: int | None


@dataclass
class Loader:
    batch_size: object
    shuffle: bool
    drop_last: bool
    dataset: str                # the dataset's class, through wrappers: "Subset/MNIST"
    train: bool | None       # MNIST's train flag, where the dataset has one
    size: int | None
    transform: dict | None   # transforms_seen.py's description
    cell: int | None
    pixels: list[float] | None = None   # [min, max] of the images of the batches it handed out


@dataclass
class Event:
    kind: str                   # "pass", "step", "sched", "loss"
    fields: list
    cell: int | None


class RecordError(SuiteError):
    """A dry-run record that this version of the suite did not write (its kernel files and its reader out of
    step), said in one line."""


@dataclass
class Record:
    cuda_asked: list[int] = field(default_factory=list)   # cells that asked torch.cuda.is_available()
    adapted: list[str] = field(default_factory=list)      # arguments dropped because today's torch refuses them
    models: list[Model] = field(default_factory=list)
    optimizers: list[Optimizer] = field(default_factory=list)
    schedulers: list[Scheduler] = field(default_factory=list)
    loaders: list[Loader] = field(default_factory=list)
    penalties: list[list[dict]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @classmethod
    def empty(cls) -> "Record":
        return cls()

    @classmethod
    def from_dict(cls, raw: dict) -> "Record":
        if raw.get("version") != VERSION:
            raise RecordError(f"a dry-run record of version {raw.get('version')!r}, not {VERSION}")
        return cls(cuda_asked=list(raw["cuda_asked"]), adapted=list(raw["adapted"]),
                   models=[Model(**m) for m in raw["models"]],
                   optimizers=[Optimizer(**o) for o in raw["optimizers"]],
                   schedulers=[Scheduler(**s) for s in raw["schedulers"]],
                   loaders=[Loader(**x) for x in raw["loaders"]], penalties=raw["penalties"],
                   events=[Event(e[0], e[1:-1], e[-1]) for e in raw["events"]])

    @classmethod
    def read(cls, path: Path) -> "Record":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
