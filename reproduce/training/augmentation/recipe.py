"""A recipe's [augment] table, checked and put in one form (docs/recipe-keys.md says what each key does).

rotate, translate and scale are always present (at rest: 0, 0, [1, 1]); every other key is kept only when it
changes images (a probability above 0, an amount above 0), so that a recipe that spells out a key at rest has
the same fingerprint as one that leaves it out. Sub-tables take torchvision's defaults for keys left out.
A bad value raises ValueError whose message starts with the key (recipe.py adds the file and section).
"""
import math
import numbers
from collections.abc import Callable
from typing import Any

from reproduce.training.config import NO_AUGMENT

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


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _pair(v, key: str, what: str, top: float = math.inf, strict_low: bool = True) -> list:
    """[low, high] of numbers with 0 < low <= high <= top (0 <= low when not strict_low)."""
    ok = (isinstance(v, list) and len(v) == 2 and all(_number(s) for s in v)
          and (v[0] > 0 if strict_low else v[0] >= 0) and v[0] <= v[1] <= top)
    if not ok:
        bound = "0 < low" if strict_low else "0 <= low"
        raise ValueError(f"{key} should be [low, high]{' ' + what if what else ''} with {bound} <= high"
                         f"{'' if top == math.inf else f' <= {top:g}'}, got {v!r:.60}")
    return [float(s) for s in v]


def _fraction(v, key: str, what: str = "a probability") -> float:
    if not (_number(v) and 0 <= v <= 1):
        raise ValueError(f"{key} should be {what} in [0, 1], got {v!r:.60}")
    return float(v)


def translate(v):
    """A fraction of the side on both axes, or [x, y] fractions, each in [0, 1); [t, t] is t, the same run."""
    values = v if isinstance(v, list) and len(v) == 2 else [v]
    if not all(_number(t) and 0 <= t < 1 for t in values):
        raise ValueError(f"translate should be a fraction of the side in [0, 1), or [x, y] fractions, got {v!r:.60}")
    return float(values[0]) if values[0] == values[-1] else [float(t) for t in values]


def shear(v) -> list:
    """RandomAffine's shear in degrees: s (x in [-s, s]), [lo, hi] (x), or [xlo, xhi, ylo, yhi]; as 4 numbers."""
    if _number(v) and 0 <= v < 90:
        return [-float(v), float(v), 0.0, 0.0]
    if (isinstance(v, list) and len(v) in (2, 4) and all(_number(s) and -90 < s < 90 for s in v)
            and all(v[i] <= v[i + 1] for i in range(0, len(v), 2))):
        return [float(s) for s in v] + [0.0, 0.0] * (len(v) == 2)
    raise ValueError(f"shear should be degrees s in [0, 90), [lo, hi] or [xlo, xhi, ylo, yhi] with each lo <= hi "
                     f"inside (-90, 90), got {v!r:.60}")


def _with_defaults(name: str, v) -> dict:
    """The sub-table's keys, each known, with torchvision's defaults for those not given."""
    if not isinstance(v, dict):
        raise ValueError(f"{name} should be a table, e.g. {name} = {{ {', '.join(TABLES[name])} }}, got {v!r:.60}")
    unknown = sorted(set(v) - set(TABLES[name]))
    if unknown:
        raise ValueError(f"{name}: unknown key {unknown[0]!r} (known: {', '.join(TABLES[name])})")
    return {**TABLES[name], **v}


def _center_crop(t: dict, key: Callable[[str], str]) -> None:
    size = t["size"]
    if not (isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= SIDE):
        raise ValueError(f"{key('size')} should be a whole number of pixels in [1, {SIDE}], got {size!r:.60}")


def _color_jitter(t: dict, key: Callable[[str], str]) -> None:
    for k in ("brightness", "contrast"):
        if not (_number(t[k]) and t[k] >= 0):
            raise ValueError(f"{key(k)} should be a number 0 or more, got {t[k]!r:.60}")
        t[k] = float(t[k])


def _erasing(t: dict, key: Callable[[str], str]) -> None:
    if not _number(t["value"]):
        raise ValueError(f"{key('value')} should be a number (a normalised pixel value), got {t['value']!r:.60}")
    t["value"] = float(t["value"])


# What one sub-table holds beyond the shared keys (p, distortion, scale, ratio), checked in place.
OWN_KEYS: dict[str, Callable[[dict, Callable[[str], str]], None]] = {
    "center_crop": _center_crop, "color_jitter": _color_jitter, "erasing": _erasing}


def _table(name: str, v) -> dict:
    """A sub-table with torchvision's defaults filled in, each value checked."""
    t = _with_defaults(name, v)
    key = lambda k: f"{name}.{k}"
    for k in ("p", "distortion"):
        if k in t:
            t[k] = _fraction(t[k], key(k), "a probability" if k == "p" else "a fraction of half the side")
    if "scale" in t:
        t["scale"] = _pair(t["scale"], key("scale"), "area fractions", top=1.0, strict_low=name == "resized_crop")
        t["ratio"] = _pair(t["ratio"], key("ratio"), "aspect ratios")
    if name in OWN_KEYS:
        OWN_KEYS[name](t, key)
    return t


def at_rest(name: str, t) -> bool:
    """True when the key, as checked, changes no image."""
    if name == "shear":
        return not any(t)
    if name == "color_jitter":
        return not (t["brightness"] or t["contrast"])
    if name == "perspective":
        return not (t["p"] and t["distortion"])
    return "p" in t and not t["p"]


def check(table: dict) -> dict:
    """The [augment] table (its keys already known to be KEYS) in its one form, or ValueError."""
    aug = {**NO_AUGMENT}
    for name, v in table.items():
        if name == "rotate":
            if not (_number(v) and 0 <= v <= 180):
                raise ValueError(f"rotate should be degrees in [0, 180], got {v!r:.60}")
            aug[name] = float(v)
        elif name == "translate":
            aug[name] = translate(v)
        elif name == "scale":
            aug[name] = _pair(v, "scale", "")
        else:
            t = shear(v) if name == "shear" else _table(name, v)
            if not at_rest(name, t):
                aug[name] = t
    return aug
