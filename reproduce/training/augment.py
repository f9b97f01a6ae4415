"""Augmentation on the device, per image, seeded: a random affine map (rotation, translation, scale) applied to
each training batch where the data already lives, with F.affine_grid + F.grid_sample (bilinear). No
DataLoader, no PIL: one batched call on the device.

Every image gets its own draw: an angle uniform in [-rotate, rotate] degrees (or in [lo, hi] for a recipe's
`rotate = [lo, hi]`, as torchvision's RandomRotation((lo, hi)) draws it), a shift uniform in
[-translate, translate] of the side on each axis, a scale uniform in [low, high]. The draws come from a
generator of the run's own, on the training device, seeded from the run's seed alone (and saved in the
checkpoint), so a seed gives the same images alone, inside a sweep, or across a kill and resume; it is a
stream apart from the data order and from dropout's.

Pixels that come from outside the image take the background: the normalised value of a black pixel (MNIST is
normalised with mean 0.1307, std 0.3081 unless the recipe's `normalize` says otherwise), not zero, which would
draw a grey frame.

A recipe may add more (docs/recipe-keys.md), applied in this order, each stage drawing from the same
generator only when it is on: resized_crop, center_crop, the affine map (with shear), perspective, all four
sampled as one map (augmentation/geometry.py); then color_jitter on [0, 1] pixels and erasing on the normalised
image (augmentation/pixels.py). A recipe with rotation, translation and scale alone takes exactly the path, and
the draws, it always took.
"""
import hashlib
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from reproduce.data.mnist import MEAN, STD
from reproduce.training.augmentation import geometry, pixels

BACKGROUND = (0.0 - MEAN) / STD


def stream_seed(seed: int) -> int:
    """The augmentation generator's seed: a fixed function of the run's seed, different from the data order's."""
    return int.from_bytes(hashlib.sha256(f"augment:{seed}".encode()).digest()[:8], "little")


def _angles(rotate) -> float | list[float]:
    """Degrees d, or [lo, hi] where the range is not symmetric ([-d, d] is d: the same draws, the same bytes)."""
    if isinstance(rotate, (list, tuple)):
        low, high = map(float, rotate)
        return high if low == -high else [low, high]
    return float(rotate)


@dataclass(frozen=True)
class Affine:
    """The recipe's rotate, translate and scale: degrees either way (or [lo, hi] degrees), a fraction of the side
    (or [x, y] fractions) either way, and the [low, high] of the scale factor."""
    rotate: float | tuple[float, float] | list[float] = 0.0
    translate: float | list[float] = 0.0
    scale: tuple[float, float] | list[float] = (1.0, 1.0)


class Augment:
    def __init__(self, affine: Affine, seed: int, device: torch.device, more: dict | None = None,
                 normalize=(MEAN, STD)):
        """more: the recipe's other [augment] keys that are on (shear, resized_crop, ...); normalize: the
        [mean, std] the images were normalised with."""
        translate = affine.translate
        self.rotate = _angles(affine.rotate)
        self.translate = [float(t) for t in translate] if isinstance(translate, (list, tuple)) else float(translate)
        self.low, self.high = map(float, affine.scale)
        self.more = dict(more or {})
        self.mean, self.std = map(float, normalize)
        self.background = BACKGROUND if (self.mean, self.std) == (MEAN, STD) else -self.mean / self.std
        self.affine = bool(self.rotate or self.translate not in (0.0, [0.0, 0.0]) or (self.low, self.high) != (1, 1)
                           or "shear" in self.more)
        self.generator = torch.Generator(device=device).manual_seed(stream_seed(seed))

    @classmethod
    def from_config(cls, cfg, seed: int, device: torch.device):
        """The run's augmentation, or None when the recipe leaves images as they are (nothing is drawn)."""
        if not cfg.augments:
            return None
        a = cfg.augment
        more = {k: v for k, v in a.items() if k not in ("rotate", "translate", "scale")}
        return cls(Affine(a["rotate"], a["translate"], a["scale"]), seed, device, more, cfg.normalize)

    def draw(self, n: int, k: int, like: torch.Tensor) -> torch.Tensor:
        return torch.rand(n, k, generator=self.generator, device=like.device, dtype=like.dtype)

    def thetas(self, n: int, device: torch.device, dtype=torch.float32) -> torch.Tensor:
        """(n, 2, 3) affine maps from output to input coordinates (affine_grid's convention), one draw each."""
        u = torch.rand(n, 4, generator=self.generator, device=device, dtype=dtype)
        if isinstance(self.rotate, list):   # [lo, hi]: torchvision's uniform_(lo, hi), positive counter-clockwise
            low, high = map(math.radians, self.rotate)
            angle = low + (high - low) * u[:, 0]
        else:                               # d: uniform in [-d, d], the draw such recipes always had
            angle = (2 * u[:, 0] - 1) * math.radians(self.rotate)
        # affine_grid's coordinates run from -1 to 1 across the image: a shift of t sides is 2t there
        if isinstance(self.translate, list):
            shift = (2 * u[:, 1:3] - 1) * (2 * torch.tensor(self.translate, device=device, dtype=dtype))
        else:
            shift = (2 * u[:, 1:3] - 1) * (2 * self.translate)
        scale = self.low + (self.high - self.low) * u[:, 3]
        # sampling the input at R(angle) p / scale shows the image turned by angle and grown by scale
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        return torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                            torch.stack([sin, cos, shift[:, 1]], 1)], 1)

    def sampling_map(self, n: int, like: torch.Tensor) -> torch.Tensor | None:
        """The geometric stages on, composed in their order, as (n, 3, 3) maps; None when none is on."""
        side, more, maps = like.shape[-1], self.more, []
        if "resized_crop" in more:
            c = more["resized_crop"]
            u = self.draw(n, geometry.DRAWS["resized_crop"], like)
            maps.append(geometry.resized_crop(u, c["scale"], c["ratio"]))
        if "center_crop" in more:
            c = more["center_crop"]
            u = self.draw(n, geometry.DRAWS["center_crop"], like)
            maps.append(geometry.center_crop(u, c["size"], side, c["p"]))
        if self.affine:
            maps.append(geometry.lift(self.thetas(n, like.device, like.dtype)))
            if "shear" in more:
                # the shear acts on the image before the rotation and scale, as in torchvision's RandomAffine
                maps[-1] = geometry.shear(self.draw(n, geometry.DRAWS["shear"], like), more["shear"]) @ maps[-1]
        if "perspective" in more:
            c = more["perspective"]
            u = self.draw(n, geometry.DRAWS["perspective"], like)
            maps.append(geometry.perspective(u, c["distortion"], c["p"]))
        if not maps:
            return None
        m = maps[0]
        for later in maps[1:]:
            m = m @ later
        return m

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        layout = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
        if not self.more:   # rotation, translation and scale alone: the path such recipes always took
            grid = F.affine_grid(self.thetas(x.shape[0], x.device, x.dtype), list(x.shape), align_corners=False)
            out = F.grid_sample(x - self.background, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
            return (out + self.background).contiguous(memory_format=layout)
        n, more = x.shape[0], self.more
        out = x - self.background                       # black is 0: what comes from outside the image
        m = self.sampling_map(n, x)
        if m is not None:
            out = F.grid_sample(out, geometry.grid(m, x.shape[-2], x.shape[-1]), mode="bilinear",
                                padding_mode="zeros", align_corners=False)
        if "color_jitter" in more:
            c = more["color_jitter"]
            # out is pixel / std here: the [0, 1] pixels are out * std
            u = self.draw(n, pixels.DRAWS["color_jitter"], x)
            out = pixels.color_jitter(out * self.std, u, c["brightness"], c["contrast"]) / self.std
        out = out + self.background
        if "erasing" in more:
            out = pixels.erasing(out, self.draw(n, pixels.DRAWS["erasing"], x), more["erasing"])
        return out.contiguous(memory_format=layout)

    def state(self) -> torch.Tensor:
        return self.generator.get_state()

    def restore(self, state: torch.Tensor) -> None:
        self.generator.set_state(state)
