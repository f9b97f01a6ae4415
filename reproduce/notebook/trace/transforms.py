"""A training loader's transform, as the dry run described it (transforms_seen.py), mapped onto recipe keys:
`normalize` and the [augment] table, through the same handlers as the static reading's
(reproduce/notebook/transforms.py), given the objects' own attributes instead of the call's arguments.

torchvision v1 and v2 are read alike; v2's `ToDtype(scale=True)` is ToTensor; a rotation's degrees (lo, hi)
are the recipe's `rotate = [lo, hi]`. A RandomChoice, a RandomApply of anything but one CenterCrop, or any
transform the suite does not know is named in `unknown` (one line each), never dropped. An Albumentations
pipeline is read by albumentations_transforms.py."""
from reproduce.notebook import transforms as static
from reproduce.notebook.sites import Observed
from reproduce.notebook.trace import albumentations_transforms
from reproduce.notebook.transforms import Entry, Found

NEUTRAL = static.NEUTRAL | {"ToImage", "ToDtype", "ToPureTensor", "ToImageTensor", "ConvertImageDtype",
                            "ToTensorV2"}   # ToTensorV2: Albumentations' (its other transforms are named, unknown)
CONTAINERS = ("Compose", "Sequential")


def _flat(t):
    """The transforms in order, Compose flattened."""
    if t is None:
        return []
    if t["type"] in CONTAINERS and "transforms" in t:
        return [x for inner in t["transforms"] for x in _flat(inner)]
    return [t]


def _pair_width(v) -> float:
    """ColorJitter keeps brightness b as (1 - b, 1 + b): b back."""
    if isinstance(v, list) and len(v) == 2:
        return (v[1] - v[0]) / 2
    return float(v or 0)


def _args(t) -> dict:
    a = dict(t["args"])
    if t["type"] == "ColorJitter":
        a = {k: _pair_width(a.get(k)) for k in ("brightness", "contrast", "saturation", "hue")}
    if t["type"] == "RandomAffine" and isinstance(a.get("shear"), list) and len(a["shear"]) == 4 \
            and a["shear"][2:] == [0.0, 0.0]:
        a["shear"] = a["shear"][:2]
    return a


def _random_apply(t, site, found: Found) -> None:
    inner = t.get("transforms") or []
    if len(inner) == 1 and inner[0]["type"] == "CenterCrop":
        size = inner[0]["args"].get("size")
        size = size[0] if isinstance(size, list) else size
        found.entries.append(Entry("augment", "center_crop", {"size": int(size), "p": float(t["args"]["p"])}, site))
    else:
        found.unknown.append(f"RandomApply of {', '.join(x['type'] for x in inner) or 'nothing'}, which the suite "
                             f"cannot reproduce ({site.short})")


def read(transform, site: Observed) -> Found:
    """Recipe entries of one loader's transform; `site` says where the loader was built."""
    if albumentations_transforms.uses(transform):
        return albumentations_transforms.read(transform, site)
    found = Found()
    for t in _flat(transform):
        name = t["type"]
        if name == "ToDtype" and not t["args"].get("scale"):
            found.unknown.append(f"ToDtype without scale=True (pixels left in [0, 255]), which the suite cannot "
                                 f"reproduce ({site.short})")
        elif name in NEUTRAL:
            continue
        elif name == "RandomApply":
            _random_apply(t, site, found)
        elif name in static.HANDLERS:
            try:
                static.HANDLERS[name](None, _args(t), site, found, None)
            except (TypeError, ValueError, IndexError, KeyError):
                found.unknown.append(f"{name} with arguments the suite cannot read ({site.short})")
        else:
            found.unknown.append(f"the transform {name}, which the suite cannot reproduce ({site.short})")
    return found


SLACK = 0.02   # of the [0, 1] scale: bilinear resampling and float rounding


def check_pixels(pixels: list[float] | None, found: Found, site: Observed, albumentations: bool) -> None:
    """The images the training loader handed out, taken back through the drafted normalize ([0, 1] where there
    is none), must be images in [0, 1] with bright strokes: else something the transform does not show changed
    them (a Dataset's own arithmetic; an Albumentations pipeline handed other than the 0-255 pixels its
    Normalize was read for), and the drafted normalize is not what the network saw."""
    if pixels is None or found.unknown:
        return
    given = [e.value for e in found.entries if e.key == "normalize"]
    mean, std = (float(v) for v in given[0]) if given and isinstance(given[0], list) else (0.0, 1.0)
    low, high = (v * std + mean for v in pixels)
    if low < -SLACK or high > 1 + SLACK or high < 0.5:
        source, hint = ("the Albumentations pipeline", "does the Dataset hand the pipeline other than np.array's "
                        "0-255 pixels?") if albumentations else ("the training transform", "does the Dataset change "
                                                                 "the images in its own code?")
        found.unknown.append(
            f"the training images came out of {source} in [{pixels[0]:.4g}, {pixels[1]:.4g}], which normalize = "
            f"[{mean:g}, {std:g}] gives from pixels in [{low:.4g}, {high:.4g}], not from images in [0, 1] "
            f"({hint}) ({site.short})")
