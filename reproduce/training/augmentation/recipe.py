"""A recipe's [augment] table, checked and put in one form (docs/recipe-keys.md says what each key does).

rotate, translate and scale are always present (at rest: 0, 0, [1, 1]); every other key is kept only when it
changes images (a probability above 0, an amount above 0), so that a recipe that spells out a key at rest has
the same fingerprint as one that leaves it out. Sub-tables take torchvision's defaults for keys left out.

`read` gives the table's one form and its problems: each a Problem of the "augment" field whose words start
with the key ("rotate should be ..."), which the recipe loader says as `[augment] rotate should be ...`, in
the same shape as TrainConfig.problems().
"""
import math
import numbers
from collections.abc import Callable
from typing import Any

from reproduce.training.config import NO_AUGMENT
from reproduce.training.problem import Problem

# each sub-table's keys with torchvision's defaults (None: required)
TABLES: dict[str, dict[str, Any]] = {
    "resized_crop": {"scale": [0.08, 1.0], "ratio": [3 / 4, 4 / 3]},
    "center_crop": {"size": None, "p": 1.0},
    "color_jitter": {"brightness": 0.0, "contrast": 0.0},
    "perspective": {"distortion": 0.5, "p": 0.5},
    "erasing": {"p": 0.5, "scale": [0.02, 0.33], "ratio": [0.3, 3.3], "value": 0.0},
}
KEYS = (*NO_AUGMENT, "shear", *TABLES)
SIDE = 28


class Problems:
    """The problems found so far in one [augment] table, each naming its key."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def wrong(self, key: str, should_be: str, got) -> None:
        self.found.append(Problem("augment", f"{key} should be {should_be}, got {got!r:.60}"))

    def add(self, says: str) -> None:
        self.found.append(Problem("augment", says))


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _pair(v, key: str, what: str, out: Problems, top: float = math.inf, strict_low: bool = True) -> list | None:
    """[low, high] of numbers with 0 < low <= high <= top (0 <= low when not strict_low)."""
    if (isinstance(v, list) and len(v) == 2 and all(_number(s) for s in v)
            and (v[0] > 0 if strict_low else v[0] >= 0) and v[0] <= v[1] <= top):
        return [float(s) for s in v]
    bound = "0 < low" if strict_low else "0 <= low"
    out.wrong(key, f"[low, high]{' ' + what if what else ''} with {bound} <= high"
                   f"{'' if top == math.inf else f' <= {top:g}'}", v)
    return None


def _fraction(v, key: str, out: Problems, what: str = "a probability") -> float | None:
    if _number(v) and 0 <= v <= 1:
        return float(v)
    out.wrong(key, f"{what} in [0, 1]", v)
    return None


def rotate(v, out: Problems) -> float | list[float] | None:
    """Degrees d (an angle uniform in [-d, d]) or [lo, hi] (uniform in [lo, hi], RandomRotation((lo, hi))'s
    draw); [-d, d] is d, the same run, so that both spellings have one fingerprint."""
    if _number(v) and 0 <= v <= 180:
        return float(v)
    if isinstance(v, list) and len(v) == 2 and all(_number(d) and -180 <= d <= 180 for d in v) and v[0] <= v[1]:
        low, high = float(v[0]), float(v[1])
        return high if low == -high else [low, high]
    out.wrong("rotate", "degrees d in [0, 180], or [lo, hi] with -180 <= lo <= hi <= 180", v)
    return None


def translate(v, out: Problems) -> float | list[float] | None:
    """A fraction of the side on both axes, or [x, y] fractions, each in [0, 1); [t, t] is t, the same run."""
    values = v if isinstance(v, list) and len(v) == 2 else [v]
    if all(_number(t) and 0 <= t < 1 for t in values):
        return float(values[0]) if values[0] == values[-1] else [float(t) for t in values]
    out.wrong("translate", "a fraction of the side in [0, 1), or [x, y] fractions", v)
    return None


def shear(v, out: Problems) -> list | None:
    """RandomAffine's shear in degrees: s (x in [-s, s]), [lo, hi] (x), or [xlo, xhi, ylo, yhi]; as 4 numbers."""
    if _number(v) and 0 <= v < 90:
        return [-float(v), float(v), 0.0, 0.0]
    if (isinstance(v, list) and len(v) in (2, 4) and all(_number(s) and -90 < s < 90 for s in v)
            and all(v[i] <= v[i + 1] for i in range(0, len(v), 2))):
        return [float(s) for s in v] + [0.0, 0.0] * (len(v) == 2)
    out.wrong("shear", "degrees s in [0, 90), [lo, hi] or [xlo, xhi, ylo, yhi] with each lo <= hi inside (-90, 90)",
              v)
    return None


def _with_defaults(name: str, v, out: Problems) -> dict | None:
    """The sub-table's keys, each known, with torchvision's defaults for those not given."""
    if not isinstance(v, dict):
        out.wrong(name, f"a table, e.g. {name} = {{ {', '.join(TABLES[name])} }}", v)
        return None
    unknown = sorted(set(v) - set(TABLES[name]))
    if unknown:
        out.add(f"{name}: unknown key {unknown[0]!r} (known: {', '.join(TABLES[name])})")
        return None
    return {**TABLES[name], **v}


def _center_crop(t: dict, key: Callable[[str], str], out: Problems) -> None:
    size = t["size"]
    if not (isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= SIDE):
        out.wrong(key("size"), f"a whole number of pixels in [1, {SIDE}]", size)


def _color_jitter(t: dict, key: Callable[[str], str], out: Problems) -> None:
    for k in ("brightness", "contrast"):
        if _number(t[k]) and t[k] >= 0:
            t[k] = float(t[k])
        else:
            out.wrong(key(k), "a number 0 or more", t[k])


def _erasing(t: dict, key: Callable[[str], str], out: Problems) -> None:
    if _number(t["value"]):
        t["value"] = float(t["value"])
    else:
        out.wrong(key("value"), "a number (a normalised pixel value)", t["value"])


# What one sub-table holds beyond the shared keys (p, distortion, scale, ratio), checked in place.
OWN_KEYS: dict[str, Callable[[dict, Callable[[str], str], Problems], None]] = {
    "center_crop": _center_crop, "color_jitter": _color_jitter, "erasing": _erasing}


def _table(name: str, v, out: Problems) -> dict | None:
    """A sub-table with torchvision's defaults filled in, each value checked (None when one is wrong)."""
    t = _with_defaults(name, v, out)
    if t is None:
        return None
    before = len(out.found)
    key = lambda k: f"{name}.{k}"
    for k in ("p", "distortion"):
        if k in t:
            t[k] = _fraction(t[k], key(k), out, "a probability" if k == "p" else "a fraction of half the side")
    if "scale" in t:
        t["scale"] = _pair(t["scale"], key("scale"), "area fractions", out, top=1.0,
                           strict_low=name == "resized_crop")
        t["ratio"] = _pair(t["ratio"], key("ratio"), "aspect ratios", out)
    if name in OWN_KEYS:
        OWN_KEYS[name](t, key, out)
    return t if len(out.found) == before else None


def at_rest(name: str, t) -> bool:
    """True when the key, as checked, changes no image."""
    if name == "shear":
        return not any(t)
    if name == "color_jitter":
        return not (t["brightness"] or t["contrast"])
    if name == "perspective":
        return not (t["p"] and t["distortion"])
    return "p" in t and not t["p"]


# rotate, translate and scale: each always in the table, at rest or not
ALWAYS: dict[str, Callable[[Any, Problems], Any]] = {
    "rotate": rotate, "translate": translate, "scale": lambda v, out: _pair(v, "scale", "", out)}


def read(table: dict) -> tuple[dict, list[Problem]]:
    """The [augment] table in its one form, and its problems (the form counts only when there are none)."""
    aug, out = {**NO_AUGMENT}, Problems()
    for name, v in table.items():
        if name not in KEYS:
            out.add(f"unknown key {name!r} (known: {', '.join(KEYS)})")
            continue
        t = ALWAYS[name](v, out) if name in ALWAYS else shear(v, out) if name == "shear" else _table(name, v, out)
        if t is not None and (name in ALWAYS or not at_rest(name, t)):
            aug[name] = t
    return aug, out.found


def problems(table: dict) -> list[Problem]:
    """What is wrong with the [augment] table, each naming its key; empty when it can train."""
    return read(table)[1]
