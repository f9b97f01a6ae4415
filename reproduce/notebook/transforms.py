"""The training transforms of a notebook as recipe keys: `normalize` and the [augment] table.

The training pipeline is the `transforms.Compose([...])` bound to a name holding "train" (train_transforms),
else the first one holding a random transform. Each transform the suite can reproduce becomes its key; one it
cannot is named (with its cell) in `unknown`, never dropped in silence.
"""
import ast
from dataclasses import dataclass, field

from reproduce.notebook.evaluate import UNKNOWN, Site, Values, calls, dotted
from reproduce.notebook.sites import Where

# Transforms that change nothing the suite's tensors do not already do (its images are 28x28 tensors).
NEUTRAL = {"ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype", "Grayscale", "Resize"}
# Positional parameters, as torchvision names them.
POSITIONAL = {
    "RandomRotation": ("degrees",), "RandomAffine": ("degrees", "translate", "scale", "shear"),
    "RandomResizedCrop": ("size", "scale", "ratio"), "ColorJitter": ("brightness", "contrast", "saturation", "hue"),
    "RandomPerspective": ("distortion_scale", "p"), "RandomErasing": ("p", "scale", "ratio", "value"),
    "RandomApply": ("transforms", "p"), "CenterCrop": ("size",), "Normalize": ("mean", "std"),
}


@dataclass
class Entry:
    section: str                # "" (top level), "optimizer", "schedule" or "augment"
    key: str
    value: object
    site: Where | None          # a line of the code (static reading) or what the dry run observed
    note: str = ""              # said after the site, e.g. "the cuda branch"


@dataclass
class Found:
    entries: list[Entry] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)    # one line each: what the suite cannot reproduce, and where


def arguments(call: ast.Call, name: str, values: Values) -> dict:
    out = dict(zip(POSITIONAL.get(name, ()), (values.of(a) for a in call.args)))
    out.update(values.kwargs(call))
    return out


def _as_list(v):
    return [float(x) for x in v] if isinstance(v, (list, tuple)) else v


def train_pipeline(nb, values: Values):
    """(list of transform calls, cell) of the training Compose, or (None, None)."""
    first_random = None
    for cell in nb.parsed():
        for node in ast.walk(cell.tree):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and dotted(node.value.func).endswith("Compose") and node.value.args
                    and isinstance(node.value.args[0], (ast.List, ast.Tuple))):
                continue
            names = " ".join(ast.unparse(t) for t in node.targets).lower()
            items = [e for e in node.value.args[0].elts if isinstance(e, ast.Call)]
            if "train" in names:
                return items, cell
            if first_random is None and any(dotted(e.func).rpartition(".")[2].startswith("Random") for e in items):
                first_random = (items, cell)
    return first_random or (None, None)


def read(nb, values: Values) -> Found:
    found = Found()
    items, cell = train_pipeline(nb, values)
    for call in items or []:
        name = dotted(call.func).rpartition(".")[2]
        site = Site(cell, call.lineno)
        args = arguments(call, name, values)
        if any(v is UNKNOWN for k, v in args.items() if k != "transforms"):
            found.unknown.append(f"{name} with a value not written as a literal ({site})")
            continue
        handler = HANDLERS.get(name)
        if handler is not None:
            try:
                handler(call, args, site, found, values)
            except (TypeError, ValueError, IndexError, KeyError):   # e.g. degrees="ten": not torchvision's form
                found.unknown.append(f"{name} with arguments the suite cannot read ({site})")
        elif name not in NEUTRAL:
            found.unknown.append(f"the transform {name}, which the suite cannot reproduce ({site})")
    if not any(e.key == "normalize" for e in found.entries):   # no training pipeline: the test one's Normalize
        for c in calls(nb):
            if c.name == "Normalize":
                args = arguments(c.node, "Normalize", values)
                if all(v is not UNKNOWN for v in args.values()):
                    _normalize(c.node, args, c.site, found, values)
                    break
    return found


def _normalize(call, args, site, found, values):
    mean, std = args.get("mean"), args.get("std")
    one = [v[0] if isinstance(v, (list, tuple)) and len(v) == 1 else v for v in (mean, std)]
    found.entries.append(Entry("", "normalize", [float(one[0]), float(one[1])], site))


def _rotation(call, args, site, found, values):
    """degrees=d is the recipe's rotate = d; degrees=(lo, hi) is rotate = [lo, hi], or d where it is (-d, d)."""
    d = args.get("degrees", 0.0)
    if isinstance(d, (list, tuple)):
        low, high = (float(x) for x in d)   # torchvision takes exactly two: any other count is not its form
        rotate = high if low == -high else [low, high]
    else:
        rotate = abs(float(d))
    found.entries.append(Entry("augment", "rotate", rotate, site))


def _affine(call, args, site, found, values):
    if args.get("degrees"):
        _rotation(call, args, site, found, values)
    if args.get("translate") is not None:
        t = _as_list(args["translate"])
        found.entries.append(Entry("augment", "translate", t[0] if t[0] == t[1] else t, site))
    if args.get("scale") is not None:
        found.entries.append(Entry("augment", "scale", _as_list(args["scale"]), site))
    if args.get("shear") is not None:
        s = args["shear"]
        found.entries.append(Entry("augment", "shear", _as_list(s) if isinstance(s, (list, tuple)) else float(s), site))


def _resized_crop(call, args, site, found, values):
    found.entries.append(Entry("augment", "resized_crop", {"scale": _as_list(args.get("scale", (0.08, 1.0))),
                                                           "ratio": _as_list(args.get("ratio", (0.75, 4 / 3)))}, site))


def _random_apply(call, args, site, found, values):
    inner = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "transforms"), None)
    crops = [e for e in getattr(inner, "elts", []) if isinstance(e, ast.Call) and dotted(e.func).endswith("CenterCrop")]
    if len(crops) != 1 or len(inner.elts) != 1:
        found.unknown.append(f"RandomApply of something other than one CenterCrop, which the suite cannot "
                             f"reproduce ({site})")
        return
    size = arguments(crops[0], "CenterCrop", values).get("size")
    size = size[0] if isinstance(size, (list, tuple)) else size
    found.entries.append(Entry("augment", "center_crop", {"size": int(size), "p": float(args.get("p", 0.5))}, site))


def _color_jitter(call, args, site, found, values):
    kept = {k: float(args[k]) for k in ("brightness", "contrast") if args.get(k)}
    note = "saturation and hue leave a grey image as it is" if any(args.get(k) for k in ("saturation", "hue")) else ""
    found.entries.append(Entry("augment", "color_jitter", kept, site, note))


def _perspective(call, args, site, found, values):
    found.entries.append(Entry("augment", "perspective", {"distortion": float(args.get("distortion_scale", 0.5)),
                                                          "p": float(args.get("p", 0.5))}, site))


def _erasing(call, args, site, found, values):
    value = args.get("value", 0)
    if not isinstance(value, (int, float)):
        found.unknown.append(f"RandomErasing with value={value!r}, which the suite cannot reproduce ({site})")
        return
    found.entries.append(Entry("augment", "erasing", {
        "p": float(args.get("p", 0.5)), "scale": _as_list(args.get("scale", (0.02, 0.33))),
        "ratio": _as_list(args.get("ratio", (0.3, 3.3))), "value": float(value)}, site))


HANDLERS = {"Normalize": _normalize, "RandomRotation": _rotation, "RandomAffine": _affine,
            "RandomResizedCrop": _resized_crop, "RandomApply": _random_apply, "ColorJitter": _color_jitter,
            "RandomPerspective": _perspective, "RandomErasing": _erasing}
