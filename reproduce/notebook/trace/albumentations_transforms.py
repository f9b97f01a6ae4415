"""An Albumentations training pipeline, as the dry run described it (transforms_seen.py), mapped onto recipe
keys where the suite's augmentation does the same thing, else named in `unknown` (one line each).

Mapped: Rotate -> rotate; ShiftScaleRotate and Affine -> translate, scale, rotate; Normalize -> normalize;
one CoarseDropout hole of a fixed size -> the erasing table; ToTensorV2 changes nothing, ToFloat(max_value=255)
scales as ToTensor does. Each of these only where it is what the suite does:
- applied to every image (p = 1): the suite's rotate, translate and scale have no probability;
- a rotation range (-d, d) is rotate = d; any other (lo, hi) is rotate = [lo, hi]: Albumentations 2 draws the
  angle uniformly in it and turns a positive angle counter-clockwise, as torchvision and the suite do (a pixel
  test holds the three together). Albumentations 1 (its arguments carry always_apply) built its turns
  another way, not checked here: only its symmetric ranges, where the sign changes nothing, are mapped;
- symmetric shift ranges about 0, black from outside the image (constant border, fill 0), no shear;
- one zoom for both axes (Affine's keep_ratio=True; Albumentations 2's ShiftScaleRotate zooms the axes apart);
- the geometry before Normalize (after it, the border is filled with the normalised 0, not black) and the
  dropout after the geometry (the suite erases last).
Normalize divides the pixels by max_pixel_value (255) before taking mean and std: with the 0-255 pixels a
Dataset wrapper hands it (np.array of an MNIST image), that is torchvision's Normalize after ToTensor, and the
draft says so beside the value. A pipeline that leaves pixels in [0, 255] (no Normalize, no ToFloat) is
named: what the network then sees depends on code the dry run does not describe. That Normalize reading is
then checked against the images the loader handed out (transforms.check_pixels)."""
from dataclasses import dataclass, field

from reproduce.notebook.sites import Observed
from reproduce.notebook.transforms import Entry, Found

SIDE = 28                       # MNIST's side in pixels: CoarseDropout's holes are in pixels
CONSTANT = 0                    # cv2.BORDER_CONSTANT
MAX_DEGREES = 180               # the recipe's rotate = [lo, hi] bounds
WHOLE = ("Compose",)            # containers applied in order, all of them (with their own p)
NEUTRAL = ("ToTensorV2",)
WHY_NORMALIZE = ("Albumentations' Normalize divides by max_pixel_value=255: torchvision's after ToTensor, for the "
                 "0-255 pixels of np.array(image)")


def uses(transform) -> bool:
    """True when the transform, or one nested in it, is Albumentations'."""
    if not transform:
        return False
    return str(transform.get("module", "")).startswith("albumentations") or any(
        uses(t) for t in transform.get("transforms") or [])


@dataclass
class Pipeline:
    """What is known walking the pipeline in order."""
    site: Observed
    found: Found = field(default_factory=Found)
    pixels: str = "0-255"             # then "0-1" (ToFloat), "normalized" (Normalize), "unread" (one refused)
    geometry_after_dropout: str = ""  # a geometric transform met after a CoarseDropout: its name
    dropout: dict | None = None       # the erasing table, its value in the pixels' units of the time
    dropout_pixels: str = ""
    mean_std: tuple[float, float] = (0.0, 1.0)   # the pipeline's Normalize, once met

    def unknown(self, what: str) -> None:
        self.found.unknown.append(f"{what}, which the suite cannot reproduce ({self.site.short})")

    def entry(self, key: str, value, note: str = "") -> None:
        section = "" if key == "normalize" else "augment"
        if any(e.key == key for e in self.found.entries):
            self.unknown(f"Albumentations' {key} set by two transforms of the pipeline (they compose)")
            return
        self.found.entries.append(Entry(section, key, value, self.site, note))


def _flat(t, pipe: Pipeline) -> list[dict]:
    """The transforms in order, Albumentations' Compose flattened; other containers named unknown."""
    if t is None:
        return []
    if "transforms" not in t:
        return [t]
    if t["type"] not in WHOLE or _probability(t["args"]) != 1.0:
        pipe.unknown(f"the Albumentations container {t['type']} (p={t['args'].get('p')}): it skips or picks "
                     f"transforms per image")
        return []
    return [x for inner in t["transforms"] for x in _flat(inner, pipe)]


def _probability(args: dict) -> float | None:
    if args.get("always_apply") is True:     # Albumentations 1's way of saying p = 1
        return 1.0
    p = args.get("p")
    return float(p) if isinstance(p, (int, float)) and not isinstance(p, bool) else None


def _symmetric(pair) -> float | None:
    """h of a range (-h, h); None for anything else."""
    if isinstance(pair, (int, float)) and not isinstance(pair, bool):
        return None    # a number is a fixed value (Affine) or read differently by versions: not a range
    if isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, (int, float)) for v in pair) \
            and pair[0] == -pair[1]:
        return abs(float(pair[1]))
    return None


def _black_border(args: dict) -> bool:
    """A constant border filled with 0, under Albumentations 2's names or 1's (mode/cval, value)."""
    border = args.get("border_mode", args.get("mode"))
    fill = args.get("fill", args.get("cval", args.get("value", 0)))
    fill = fill[0] if isinstance(fill, list) and fill and all(v == fill[0] for v in fill) else fill
    return border == CONSTANT and fill in (0, None) and not args.get("crop_border") and not args.get("fit_output")


def _geometry_ok(t: dict, pipe: Pipeline) -> bool:
    """The conditions every geometric transform shares; False (named unknown) where one fails."""
    name, args = t["type"], t["args"]
    if _probability(args) != 1.0:
        pipe.unknown(f"{name} with p={args.get('p')}: the suite turns, shifts and zooms every image (its keys "
                     f"have no probability)")
    elif not _black_border(args):
        pipe.unknown(f"{name} with border_mode={args.get('border_mode', args.get('mode'))} and fill="
                     f"{args.get('fill', args.get('cval', args.get('value')))} (the suite fills with black)")
    elif pipe.pixels == "normalized":
        pipe.unknown(f"{name} after Normalize (its border is the normalised 0, not black)")
    else:
        if pipe.dropout is not None:
            pipe.geometry_after_dropout = name
        return True
    return False


def _angle_range(pair) -> list[float] | None:
    """[lo, hi] of a range of degrees the recipe takes (-180 <= lo <= hi <= 180); None for anything else."""
    if not (isinstance(pair, list) and len(pair) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)):
        return None
    low, high = (float(v) for v in pair)
    return [low, high] if -MAX_DEGREES <= low <= high <= MAX_DEGREES else None


def _rotation(t: dict, pair, pipe: Pipeline) -> None:
    """A symmetric range keeps the mapping it always had (rotate = d, the same fingerprint); another range is
    rotate = [lo, hi] where the library's sign is known to be torchvision's."""
    if pair is None or pair == [0, 0] or pair == 0:
        return
    degrees = _symmetric(pair)
    if degrees is not None:
        pipe.entry("rotate", degrees)
        return
    angles = _angle_range(pair)
    if angles is None:
        pipe.unknown(f"{t['type']} with rotation {pair} (not a range of degrees in [-180, 180])")
    elif "always_apply" in t["args"]:
        pipe.unknown(f"{t['type']} with rotation {pair} from Albumentations 1 (not symmetric about 0: that "
                     f"version's direction of turning is not checked; Albumentations 2's is)")
    else:
        pipe.entry("rotate", angles)


def _rotate(t: dict, pipe: Pipeline) -> None:
    if _geometry_ok(t, pipe):
        _rotation(t, t["args"].get("limit"), pipe)


def _shift(name: str, x, y, pipe: Pipeline) -> None:
    if (x in (None, [0, 0], 0)) and (y in (None, [0, 0], 0)):
        return
    hx, hy = _symmetric(x), _symmetric(y)
    if hx is None or hy is None:
        pipe.unknown(f"{name} with shift {x}, {y} (a fraction of the side, not symmetric about 0)")
        return
    pipe.entry("translate", hx if hx == hy else [hx, hy], "Albumentations shifts by whole pixels")


def _shift_scale_rotate(t: dict, pipe: Pipeline) -> None:
    args = t["args"]
    if not _geometry_ok(t, pipe):
        return
    shift = args.get("shift_limit")
    _shift(t["type"], args.get("shift_limit_x", shift), args.get("shift_limit_y", shift), pipe)
    limit = args.get("scale_limit")    # init args keep the constructor's offset from 1 in every version
    if isinstance(limit, list) and len(limit) == 2 and limit != [0, 0]:
        if args.get("keep_ratio") is False:   # Albumentations 2: an Affine whose axes zoom apart
            pipe.unknown(f"{t['type']} with scale_limit={limit}: this Albumentations zooms x and y apart "
                         f"(the suite zooms both alike)")
        else:
            pipe.entry("scale", [1 + float(limit[0]), 1 + float(limit[1])])
    elif limit not in (None, [0, 0]):
        pipe.unknown(f"{t['type']} with scale_limit={limit!r}")
    _rotation(t, args.get("rotate_limit"), pipe)


def _affine_scale(args: dict, pipe: Pipeline) -> None:
    scale = args.get("scale")
    pairs = [scale.get("x"), scale.get("y")] if isinstance(scale, dict) else [scale, scale]
    if all(p in ([1, 1], 1) for p in pairs):
        return
    if not (args.get("keep_ratio") is True and not args.get("balanced_scale") and isinstance(pairs[0], list)):
        pipe.unknown(f"Affine with scale={scale} (keep_ratio={args.get('keep_ratio')}, balanced_scale="
                     f"{args.get('balanced_scale')}): the suite zooms both axes alike, uniformly in one range")
        return
    pipe.entry("scale", [float(v) for v in pairs[0]])


def _affine(t: dict, pipe: Pipeline) -> None:
    args = t["args"]
    if not _geometry_ok(t, pipe):
        return
    shear = args.get("shear")
    if any(v not in ([0, 0], 0, None) for v in (shear.values() if isinstance(shear, dict) else [shear])):
        pipe.unknown(f"Affine with shear={shear} (its sign and order differ from the suite's shear)")
        return
    px = args.get("translate_px")
    if px is not None and any(v not in ([0, 0], 0) for v in (px.values() if isinstance(px, dict) else [px])):
        pipe.unknown(f"Affine with translate_px={px} (whole-pixel shifts the suite does not draw)")
        return
    percent = args.get("translate_percent")
    if isinstance(percent, dict):
        _shift("Affine", percent.get("x"), percent.get("y"), pipe)
    elif percent is not None:
        pipe.unknown(f"Affine with translate_percent={percent!r}")
    _affine_scale(args, pipe)
    _rotation(t, args.get("rotate"), pipe)


def _one(v):
    return v[0] if isinstance(v, list) and len(v) == 1 else v


def _normalize(t: dict, pipe: Pipeline) -> None:
    args = t["args"]
    mean, std, top = _one(args.get("mean")), _one(args.get("std")), args.get("max_pixel_value")
    expected = {"0-255": (255, None), "0-1": (1, None)}.get(pipe.pixels, ())
    if _probability(args) != 1.0 or args.get("normalization", "standard") != "standard":
        pipe.unknown(f"Normalize with p={args.get('p')}, normalization={args.get('normalization')!r}")
    elif not all(isinstance(v, (int, float)) for v in (mean, std)) or not std:
        pipe.unknown(f"Normalize with mean={args.get('mean')}, std={args.get('std')} (one channel's numbers wanted)")
    elif top not in expected:
        pipe.unknown(f"Normalize with max_pixel_value={top} on pixels in [{pipe.pixels.replace('-', ', ')}]")
    else:
        pipe.mean_std = (float(mean), float(std))
        pipe.entry("normalize", list(pipe.mean_std), WHY_NORMALIZE if pipe.pixels == "0-255" else "")
        pipe.pixels = "normalized"
        return
    pipe.pixels = "unread"   # named above: what follows is not judged by a scale the suite does not know


def _to_float(t: dict, pipe: Pipeline) -> None:
    if pipe.pixels == "0-255" and t["args"].get("max_value") in (255, None) and _probability(t["args"]) == 1.0:
        pipe.pixels = "0-1"
    else:
        pipe.unknown(f"ToFloat with max_value={t['args'].get('max_value')} on pixels in "
                     f"[{pipe.pixels.replace('-', ', ')}]")
        pipe.pixels = "unread"


def _holes(heights, widths) -> tuple[int, int] | None:
    """A fixed hole's (height, width) in pixels: ranges (v, v) both of whole pixels (>= 1) or both of fractions
    of the side (< 1), as Albumentations 2 reads them; None for anything else."""
    pairs = (heights, widths)
    if not all(isinstance(p, list) and len(p) == 2 and p[0] == p[1] and isinstance(p[0], (int, float))
               for p in pairs):
        return None
    values = [p[0] for p in pairs]
    if all(v >= 1 and float(v).is_integer() for v in values):
        sides = [int(v) for v in values]
    elif all(0 < v < 1 for v in values):
        sides = [int(SIDE * v) for v in values]
    else:
        return None
    return (sides[0], sides[1]) if all(1 <= s < SIDE for s in sides) else None


def _coarse_dropout(t: dict, pipe: Pipeline) -> None:
    args = t["args"]
    hole = _holes(args.get("hole_height_range"), args.get("hole_width_range"))
    fill, p = args.get("fill", args.get("fill_value")), _probability(args)
    if args.get("num_holes_range") != [1, 1] or hole is None:
        pipe.unknown(f"CoarseDropout with {', '.join(f'{k}={v}' for k, v in args.items() if 'hole' in k)} "
                     f"(the suite's erasing is one rectangle; only one hole of a fixed size is the same draw)")
    elif not isinstance(fill, (int, float)) or isinstance(fill, bool) or p is None:
        pipe.unknown(f"CoarseDropout with fill={fill!r}, p={args.get('p')}")
    elif pipe.dropout is not None:
        pipe.unknown("two CoarseDropouts in one pipeline")
    else:
        h, w = hole
        area = h * w / (SIDE * SIDE)
        pipe.dropout = {"p": p, "scale": [area, area], "ratio": [h / w, h / w], "value": float(fill)}
        pipe.dropout_pixels = pipe.pixels


def _erasing(pipe: Pipeline) -> None:
    """The dropout as the suite's erasing, which fills on the normalised image: a fill given in 0-255 or 0-1
    pixels is carried through the pipeline's Normalize."""
    if pipe.dropout is None:
        return
    if pipe.geometry_after_dropout:
        pipe.unknown(f"CoarseDropout before {pipe.geometry_after_dropout} (the suite erases after turning and "
                     f"shifting)")
        return
    mean, std = pipe.mean_std
    scale = {"0-255": 255.0, "0-1": 1.0}.get(pipe.dropout_pixels)
    table = dict(pipe.dropout)
    if scale is not None:
        table["value"] = (table["value"] / scale - mean) / std
    pipe.entry("erasing", table, "CoarseDropout: one hole of a fixed size")


MAPPED = {"Rotate": _rotate, "ShiftScaleRotate": _shift_scale_rotate, "Affine": _affine, "Normalize": _normalize,
          "ToFloat": _to_float, "CoarseDropout": _coarse_dropout}


def read(transform, site: Observed) -> Found:
    """Recipe entries of an Albumentations pipeline; `site` says where its loader was built."""
    pipe = Pipeline(site)
    for t in _flat(transform, pipe):
        name, library = t["type"], str(t.get("module", ""))
        if not library.startswith("albumentations"):
            pipe.unknown(f"the transform {name} ({library}) inside an Albumentations pipeline")
        elif name in NEUTRAL:
            continue
        elif name in MAPPED:
            MAPPED[name](t, pipe)
        else:
            pipe.unknown(f"the Albumentations transform {name}")
    _erasing(pipe)
    if pipe.pixels == "0-255":
        pipe.unknown("an Albumentations pipeline with neither Normalize nor ToFloat (its pixels stay in [0, 255]: "
                     "what the network sees depends on code the dry run does not describe)")
    return pipe.found
