"""Everything that decides a run's numbers, as one record: the recipe (from a TOML file: recipe.py), the model
spec and how the run is executed. Defaults are the seed document's recipe (model/seed.toml)."""
import math
from dataclasses import asdict, dataclass, field, fields

from reproduce.data import MEAN, STD
from reproduce.training.problem import Problem

NO_SCHEDULE = {"name": "none"}
NO_AUGMENT = {"rotate": 0.0, "translate": 0.0, "scale": [1.0, 1.0]}
MNIST_NORMALIZE = [MEAN, STD]   # what the data is normalised with unless a recipe says otherwise

EXECUTIONS = ("plain", "fast", "graph")   # graph: fast, with the whole step captured as a CUDA graph (graph_step.py)
SCHEDULE_NAMES = ("step", "multistep", "exponential", "cosine", "onecycle", "plateau", "none")   # optim.SCHEDULES
OPTIMIZER_NAMES = ("sgd", "adam", "adamw")   # optim.OPTIMIZERS
PRECISIONS = ("fp32", "bf16")             # bf16: the training forward under bf16 autocast (precision.py)


# Fields added with recipes and model files (and the recipe keys added since: normalize, l1), at the values
# every earlier run had (the seed recipe). They enter a run's fingerprint only when they differ from these, so
# a report written before they existed keeps its fingerprint: it still resumes, is skipped when complete, and
# verifies as the seed recipe. The [augment] table keeps newer keys only when they are on, for the same end.
ADDED_WITH_RECIPES = {
    "model_sha256": None, "loss": "nll", "label_smoothing": 0.0, "optimizer": "sgd", "nesterov": False,
    "weight_decay": 0.0, "schedule": NO_SCHEDULE, "augment": NO_AUGMENT, "allow_nondeterministic": False,
    "normalize": MNIST_NORMALIZE, "l1": 0.0, "precision": "fp32", "ema_decay": None,
}

# Fields a report's config leaves out while they are at rest (from_dict restores them): [ema].
WRITTEN_ONLY_WHEN_SET = {"ema_decay": None}


@dataclass(frozen=True)
class TrainConfig:
    model: str = "seed"                 # a --model spec: registry name, FILE.py:NAME or package.module:NAME
    epochs: int = 19
    batch_size: int = 128
    lr: float = 0.01
    momentum: float | None = 0.9     # sgd only (None for adam/adamw)
    train_limit: int | None = None   # train on the first N training images (smoke tests)
    eval_batch_size: int = 1000         # evaluation only; does not change any number
    val_split: int = 0                  # hold out the last N training images as validation (reproduce/data/split.py)
    execution: str = "fast"             # "plain" | "fast" | "graph" (CUDA): see reproduce/training/execution.py
    model_sha256: str | None = None  # sha256 of the file defining the model (reproduce/model/spec.py)
    loss: str = "nll"                   # "nll" (the model returns log-probabilities) | "cross_entropy" (logits)
    label_smoothing: float = 0.0        # cross_entropy only
    optimizer: str = "sgd"              # sgd | adam | adamw
    nesterov: bool | None = False    # sgd only (None for adam/adamw)
    weight_decay: float = 0.0
    schedule: dict = field(default_factory=lambda: dict(NO_SCHEDULE))   # {"name": ..., torch's own kwargs}
    augment: dict = field(default_factory=lambda: dict(NO_AUGMENT))     # docs/recipe-keys.md: what each key does
    allow_nondeterministic: bool = False  # ops without a deterministic kernel warn instead of stopping the run
    normalize: list = field(default_factory=lambda: list(MNIST_NORMALIZE))   # [mean, std] on [0, 1] pixels
    l1: float = 0.0                     # loss += l1 * sum of |p| over every parameter of the model
    precision: str = "fp32"             # "fp32" | "bf16": the training forward under bf16 autocast (precision.py)
    ema_decay: float | None = None      # [ema] decay: evaluate a moving average of the weights (optim.build_average)

    def to_dict(self) -> dict:
        """Every field, as a report's config records it; but for WRITTEN_ONLY_WHEN_SET at rest, so a run without
        them writes the config it wrote before they existed, byte for byte."""
        d = asdict(self)
        return {k: v for k, v in d.items() if k not in WRITTEN_ONLY_WHEN_SET or v != WRITTEN_ONLY_WHEN_SET[k]}

    def identity(self) -> dict:
        """What the fingerprint hashes: every field, but recipe-era fields only where they leave the seed
        recipe (ADDED_WITH_RECIPES)."""
        d = self.to_dict()
        return {k: v for k, v in d.items() if k not in ADDED_WITH_RECIPES or v != ADDED_WITH_RECIPES[k]}

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        # Reports written before `execution` existed were trained by the plain loop.
        return cls(**{"execution": "plain", **{k: v for k, v in d.items() if k in known}})

    @property
    def run_name(self) -> str:
        """What the runs are filed and shown under: the registry name, or e.g. 'tiny.Net' for nets/tiny.py:Net."""
        from reproduce.model.spec import (
            run_name,  # here: the model package loads torch, which describing a config need not
        )
        return run_name(self.model)

    @property
    def augments(self) -> bool:
        a = self.augment
        # a recipe keeps only the newer keys that are on (augmentation/recipe.py); the first three may be at rest
        return bool(a["rotate"] or a["translate"] not in (0, 0.0, [0.0, 0.0]) or list(a["scale"]) != [1.0, 1.0]
                or any(k not in NO_AUGMENT for k in a))

    def problems(self) -> list:
        """What is out of range, as Problems (field, what is wrong); empty when the config can run."""
        out = [Problem(name, f"must be at least 1, got {getattr(self, name)}")
               for name in ("epochs", "batch_size", "eval_batch_size") if getattr(self, name) < 1]
        if not (math.isfinite(self.lr) and self.lr > 0):
            out.append(Problem("lr", f"must be a positive number, got {self.lr}"))
        if self.momentum is not None and not (math.isfinite(self.momentum) and 0 <= self.momentum < 1):
            out.append(Problem("momentum", f"must be in [0, 1), got {self.momentum}"))
        out.extend(self._optimizer_problems())
        if self.train_limit is not None and self.train_limit < 1:
            out.append(Problem("train_limit", f"must be at least 1, got {self.train_limit}"))
        if self.val_split < 0:
            out.append(Problem("val_split", f"must be 0 or more, got {self.val_split}"))
        if self.execution not in EXECUTIONS:
            out.append(Problem("execution", f"must be {', '.join(EXECUTIONS[:-1])} or {EXECUTIONS[-1]}, "
                                            f"got {self.execution!r}"))
        if self.precision not in PRECISIONS:
            out.append(Problem("precision", f"must be {' or '.join(PRECISIONS)}, got {self.precision!r}"))
        if self.ema_decay is not None and not (math.isfinite(self.ema_decay) and 0 < self.ema_decay < 1):
            out.append(Problem("ema_decay", f"must be between 0 and 1 (both excluded), got {self.ema_decay}"))
        if not out:
            from reproduce.training import optim  # torch: only once the simple checks have passed
            out.extend(optim.problems(self))
        return out

    def _optimizer_problems(self) -> list:
        """An unknown optimizer name, said before the SGD-only rule (which assumes a known name)."""
        if self.optimizer not in OPTIMIZER_NAMES:
            return [Problem("optimizer", f"name must be one of {', '.join(OPTIMIZER_NAMES)}, got {self.optimizer!r}")]
        if self.optimizer != "sgd" and self.momentum is not None:
            return [Problem("momentum", f"applies to sgd only; the optimizer is {self.optimizer}")]
        return []

    def graph_problem(self) -> str | None:
        """Why --execution graph cannot run this recipe, or None. The captured step replays fixed kernels: an
        SGD update with its lr baked in, no per-batch random augmentation outside the graph."""
        if self.optimizer != "sgd":
            return f"--execution graph captures SGD's update only; this recipe uses {self.optimizer}"
        if self.schedule.get("name") != "none":
            return (f"--execution graph replays a captured SGD step whose learning rate is fixed at capture; "
                    f"it cannot follow the {self.schedule['name']} schedule (use --execution fast)")
        if self.augments:
            return "--execution graph does not augment inside the captured step (use --execution fast)"
        if self.l1:
            return "--execution graph captures the data loss only, not an l1 term (use --execution fast)"
        if self.ema_decay is not None:
            return ("--execution graph replays the captured step only, not the update of the [ema] average "
                    "(use --execution fast)")
        return None
