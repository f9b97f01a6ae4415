"""Recipes as files: everything that trains a run, in one TOML file (model/seed.toml is the seed document's).

    epochs = 19
    batch_size = 128
    loss = "nll"              # "nll": the model returns log-probabilities; "cross_entropy": logits
    label_smoothing = 0.0     # cross_entropy only
    precision = "fp32"        # "bf16": the training forward under bf16 autocast (docs/precision.md)
    [optimizer]
    name = "sgd"              # sgd | adam | adamw
    lr = 0.01
    momentum = 0.9            # sgd only
    nesterov = false          # sgd only
    weight_decay = 0.0
    [schedule]
    name = "none"             # none | step | multistep | exponential | cosine | onecycle | plateau,
                              # then torch's own kwargs
    [augment]
    rotate = 0.0              # degrees: each image turned by a uniform angle in [-rotate, rotate]
                              # ([lo, hi]: in [lo, hi])
    translate = 0.0           # fraction of the side: each image shifted by up to this much per axis
    scale = [1.0, 1.0]        # each image scaled by a uniform factor in this range
    [ema]                     # off unless given: evaluate a moving average of the weights
    decay = 0.999             # average = decay * average + (1 - decay) * weights, after every step

and, off unless given (docs/recipe-keys.md): normalize = [mean, std] and l1 at the top, the plateau schedule,
and [augment] shear, resized_crop, center_crop, color_jitter, perspective and erasing (augmentation/recipe.py).

A key left out takes the seed recipe's value (momentum and nesterov: sgd only). A key the schema does not
know, a value of the wrong type, or a value torch rejects is an error naming the file and the key: a typo
never falls back to a default. `load` returns the TrainConfig fields the recipe sets.
"""
import math
import tomllib
from pathlib import Path

from reproduce.errors import BadInput
from reproduce.training.augmentation import recipe as augment_keys
from reproduce.training.config import NO_SCHEDULE, OPTIMIZER_NAMES, SCHEDULE_NAMES, Problem, TrainConfig

TOP = {"epochs": int, "batch_size": int, "loss": str, "label_smoothing": float, "normalize": list, "l1": float,
       "precision": str,
       "optimizer": dict, "schedule": dict, "augment": dict, "ema": dict}
OPTIMIZER = {"name": str, "lr": float, "momentum": float, "nesterov": bool, "weight_decay": float}
SGD_ONLY = ("momentum", "nesterov")
EMA = {"decay": float}
# A config field's name in a recipe, where it is not the field's own (a top-level key).
KEY_OF_FIELD = {"lr": "[optimizer] lr", "momentum": "[optimizer] momentum", "nesterov": "[optimizer] nesterov",
                "weight_decay": "[optimizer] weight_decay", "optimizer": "[optimizer]", "schedule": "[schedule]",
                "augment": "[augment]", "ema_decay": "[ema] decay"}


def key_of(field: str) -> str:
    return KEY_OF_FIELD.get(field, field)


def in_recipe_terms(problem: Problem) -> str:
    """A config's Problem (config.py) in a recipe's terms: its key, then what is wrong."""
    return f"{key_of(problem.field)} {problem.says}"


class RecipeError(BadInput, ValueError):
    """A recipe that cannot train, said in one line naming the file and the key."""


def _typed(value, kind, where: str):
    """value as kind (an int is a fine float; a bool is not a number), or RecipeError."""
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind in (str, bool, dict, list) and isinstance(value, kind):
        return value
    names = {float: "a number", int: "an integer", str: "a string", bool: "true or false", dict: "a table",
             list: "a list"}
    raise RecipeError(f"{where} should be {names[kind]}, got {value!r:.60}")


def _table(d: dict, schema: dict, file: str, section: str) -> dict:
    prefix = f"{file}: [{section}] " if section else f"{file}: "
    out = {}
    for key, value in d.items():
        if key not in schema:
            raise RecipeError(f"{prefix}unknown key {key!r} (known: {', '.join(schema)})")
        out[key] = _typed(value, schema[key], f"{prefix}{key}")
    return out


def _normalize_and_l1(top: dict, file: str) -> dict:
    """The top-level normalize ([mean, std] of [0, 1] pixels) and l1 (0 or more), where the recipe sets them."""
    out = {}
    if "normalize" in top:
        v = top["normalize"]
        if not (len(v) == 2 and all(isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s)
                                    for s in v) and v[1] > 0):
            raise RecipeError(f"{file}: normalize should be [mean, std] with std > 0, got {v!r:.60}")
        out["normalize"] = [float(s) for s in v]
    if "l1" in top:
        if not (math.isfinite(top["l1"]) and top["l1"] >= 0):
            raise RecipeError(f"{file}: l1 should be a number 0 or more, got {top['l1']}")
        out["l1"] = top["l1"]
    return out


def sets_nothing(path: Path) -> bool:
    """True for a recipe file that holds no key at all (comments only, empty tables); load() has read it already."""
    def empty(table: dict) -> bool:
        return all(isinstance(v, dict) and empty(v) for v in table.values())
    return empty(tomllib.loads(Path(path).read_text(encoding="utf-8")))


def _read(path: Path) -> dict:
    """The recipe file as TOML, or RecipeError."""
    file = str(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RecipeError(f"{file}: cannot read the recipe ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise RecipeError(f"{file}: not a text file") from None
    except tomllib.TOMLDecodeError as e:
        raise RecipeError(f"{file}: not valid TOML ({e})") from None


def _optimizer_fields(top: dict, file: str) -> dict:
    """[optimizer]'s TrainConfig fields; SGD's own keys only for sgd."""
    opt = _table(top.get("optimizer", {}), OPTIMIZER, file, "optimizer")
    name = opt.get("name", "sgd")
    fields = {"optimizer": name}
    if name != "sgd" and name in OPTIMIZER_NAMES:   # an unknown name is TrainConfig.problems' to say
        given = [k for k in SGD_ONLY if k in opt]
        if given:
            raise RecipeError(f"{file}: [optimizer] {given[0]}: sgd only (the optimizer is {name})")
        fields.update(momentum=None, nesterov=None)
    fields.update({k: opt[k] for k in ("lr", "momentum", "nesterov", "weight_decay") if k in opt})
    return fields


def _schedule_field(top: dict, file: str) -> dict:
    """[schedule] as TrainConfig.schedule: its name ("none" when there is no table) and its keys."""
    schedule = top.get("schedule", dict(NO_SCHEDULE))
    if "name" not in schedule and schedule:
        raise RecipeError(f"{file}: [schedule] has {sorted(schedule)[0]!r} but no name (one of "
                          f"{', '.join(SCHEDULE_NAMES)})")
    if "name" in schedule and not isinstance(schedule["name"], str):
        raise RecipeError(f"{file}: [schedule] name should be a string, got {schedule['name']!r:.60}")
    return {"name": schedule.get("name", "none"), **{k: v for k, v in schedule.items() if k != "name"}}


def _augment_field(top: dict, file: str) -> dict:
    """[augment] in its one form (augmentation/recipe.py), or RecipeError naming the first problem's key."""
    augment, problems = augment_keys.read(top.get("augment", {}))
    if problems:
        raise RecipeError(f"{file}: {in_recipe_terms(problems[0])}")
    return augment


def _ema_field(top: dict, file: str) -> dict:
    """[ema] as TrainConfig.ema_decay, where the recipe has the table (its range: TrainConfig.problems)."""
    if "ema" not in top:
        return {}
    ema = _table(top["ema"], EMA, file, "ema")
    if "decay" not in ema:
        raise RecipeError(f"{file}: [ema] needs decay, a number between 0 and 1 (e.g. 0.999)")
    return {"ema_decay": ema["decay"]}


def load(path: Path) -> dict:
    """The TrainConfig fields that the recipe at `path` sets (validated), or RecipeError."""
    path = Path(path)
    file = str(path)
    top = _table(_read(path), TOP, file, "")
    fields = {k: top[k] for k in ("epochs", "batch_size", "loss", "label_smoothing", "precision") if k in top}
    fields.update(_normalize_and_l1(top, file))
    fields.update(_optimizer_fields(top, file))
    fields["schedule"] = _schedule_field(top, file)
    fields["augment"] = _augment_field(top, file)
    fields.update(_ema_field(top, file))

    problems = TrainConfig(**fields).problems()
    if problems:
        raise RecipeError(f"{file}: {in_recipe_terms(problems[0])}")
    return fields
