"""The training recipe as one record. Defaults are the seed document's; every field has a CLI flag."""
from dataclasses import asdict, dataclass, fields
from typing import Optional


@dataclass(frozen=True)
class TrainConfig:
    model: str = "seed"
    epochs: int = 19
    batch_size: int = 128
    lr: float = 0.01
    momentum: float = 0.9
    train_limit: Optional[int] = None   # train on the first N training images (smoke tests)
    eval_batch_size: int = 1000         # evaluation only; does not change any number
    val_split: int = 0                  # hold out the last N training images as validation (reproduce/data/split.py)
    execution: str = "fast"             # "plain" | "fast" | "graph" (CUDA): see reproduce/training/execution.py

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        # Reports written before `execution` existed were trained by the plain loop.
        return cls(**{"execution": "plain", **{k: v for k, v in d.items() if k in known}})

    def problems(self) -> list:
        """What is out of range, as lines for the user; empty when the config can run."""
        out = []
        for name in ("epochs", "batch_size", "eval_batch_size"):
            if getattr(self, name) < 1:
                out.append(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0:
            out.append(f"--lr must be positive, got {self.lr}")
        if not 0 <= self.momentum < 1:
            out.append(f"--momentum must be in [0, 1), got {self.momentum}")
        if self.train_limit is not None and self.train_limit < 1:
            out.append(f"--train-limit must be at least 1, got {self.train_limit}")
        if self.val_split < 0:
            out.append(f"--val-split must be 0 or more, got {self.val_split}")
        if self.execution not in ("plain", "fast", "graph"):
            out.append(f"--execution must be plain, fast or graph, got {self.execution!r}")
        return out
