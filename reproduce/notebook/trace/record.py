"""What a dry run saw, as typed records: read from the JSON the kernel side wrote (state.py, watch.py,
loaders.py). Cells are the notebook's own numbers (every cell counted from 1). Events are in the order they
happened: a pass over a loader, an optimizer step (with the penalties at the backward before it), a scheduler
step (with the value passed), a loss call (with its value, and whether it had a gradient)."""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from reproduce.notebook.trace.state import VERSION


@dataclass
class Model:
    cls: str
    qualname: str
    module: str                 # "__main__" for a class defined in the notebook
    file: Optional[str]         # the defining file (a kernel's cell file for the notebook's own classes)
    args: list
    kwargs: dict
    built_in_cell: Optional[int]
    params: int
    cell: Optional[int]         # where the optimizer holding it was built


@dataclass
class Optimizer:
    cls: str
    module: str
    groups: List[dict]          # each param group's hyperparameters, and "tensors": how many it holds
    model: Optional[int]        # index into Record.models; None when no one module holds exactly its parameters
    cell: Optional[int]


@dataclass
class Scheduler:
    cls: str
    module: str
    optimizer: Optional[int]
    args: dict                  # constructor arguments but the optimizer, as bound to its signature
    cell: Optional[int]


@dataclass
class Loader:
    batch_size: object
    shuffle: bool
    drop_last: bool
    dataset: str                # the dataset's class, through wrappers: "Subset/MNIST"
    train: Optional[bool]       # MNIST's train flag, where the dataset has one
    size: Optional[int]
    transform: Optional[dict]   # transforms_seen.py's description
    cell: Optional[int]


@dataclass
class Event:
    kind: str                   # "pass", "step", "sched", "loss"
    fields: list
    cell: Optional[int]


@dataclass
class Record:
    cuda_asked: List[int] = field(default_factory=list)   # cells that asked torch.cuda.is_available()
    adapted: List[str] = field(default_factory=list)      # arguments dropped because today's torch refuses them
    models: List[Model] = field(default_factory=list)
    optimizers: List[Optimizer] = field(default_factory=list)
    schedulers: List[Scheduler] = field(default_factory=list)
    loaders: List[Loader] = field(default_factory=list)
    penalties: List[List[dict]] = field(default_factory=list)
    events: List[Event] = field(default_factory=list)

    @classmethod
    def empty(cls) -> "Record":
        return cls()

    @classmethod
    def from_dict(cls, raw: dict) -> "Record":
        if raw.get("version") != VERSION:
            raise ValueError(f"a dry-run record of version {raw.get('version')!r}, not {VERSION}")
        return cls(cuda_asked=list(raw["cuda_asked"]), adapted=list(raw["adapted"]),
                   models=[Model(**m) for m in raw["models"]],
                   optimizers=[Optimizer(**o) for o in raw["optimizers"]],
                   schedulers=[Scheduler(**s) for s in raw["schedulers"]],
                   loaders=[Loader(**x) for x in raw["loaders"]], penalties=raw["penalties"],
                   events=[Event(e[0], e[1:-1], e[-1]) for e in raw["events"]])

    @classmethod
    def read(cls, path: Path) -> "Record":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
