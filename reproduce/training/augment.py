"""Augmentation on the device, per image, seeded: a random affine map (rotation, translation, scale) applied to
each training batch where the data already lives, with F.affine_grid + F.grid_sample (bilinear). No
DataLoader, no PIL: one batched call on the device.

Every image gets its own draw: an angle uniform in [-rotate, rotate] degrees, a shift uniform in
[-translate, translate] of the side on each axis, a scale uniform in [low, high]. The draws come from a
generator of the run's own, on the training device, seeded from the run's seed alone (and saved in the
checkpoint), so a seed gives the same images alone, inside a sweep, or across a kill and resume; it is a
stream apart from the data order and from dropout's.

Pixels that come from outside the image take the background: the normalised value of a black pixel (MNIST is
normalised with mean 0.1307, std 0.3081), not zero, which would draw a grey frame.
"""
import hashlib
import math

import torch
import torch.nn.functional as F

from reproduce.data.mnist import MEAN, STD

BACKGROUND = (0.0 - MEAN) / STD


def stream_seed(seed: int) -> int:
    """The augmentation generator's seed: a fixed function of the run's seed, different from the data order's."""
    return int.from_bytes(hashlib.sha256(f"augment:{seed}".encode()).digest()[:8], "little")


class Augment:
    def __init__(self, rotate: float, translate: float, scale, seed: int, device: torch.device):
        self.rotate, self.translate = float(rotate), float(translate)
        self.low, self.high = map(float, scale)
        self.generator = torch.Generator(device=device).manual_seed(stream_seed(seed))

    @classmethod
    def from_config(cls, cfg, seed: int, device: torch.device):
        """The run's augmentation, or None when the recipe leaves images as they are (nothing is drawn)."""
        if not cfg.augments:
            return None
        a = cfg.augment
        return cls(a["rotate"], a["translate"], a["scale"], seed, device)

    def thetas(self, n: int, device: torch.device, dtype=torch.float32) -> torch.Tensor:
        """(n, 2, 3) affine maps from output to input coordinates (affine_grid's convention), one draw each."""
        u = torch.rand(n, 4, generator=self.generator, device=device, dtype=dtype)
        angle = (2 * u[:, 0] - 1) * math.radians(self.rotate)
        # affine_grid's coordinates run from -1 to 1 across the image: a shift of t sides is 2t there
        shift = (2 * u[:, 1:3] - 1) * (2 * self.translate)
        scale = self.low + (self.high - self.low) * u[:, 3]
        # sampling the input at R(angle) p / scale shows the image turned by angle and grown by scale
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        return torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                            torch.stack([sin, cos, shift[:, 1]], 1)], 1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        grid = F.affine_grid(self.thetas(x.shape[0], x.device, x.dtype), list(x.shape), align_corners=False)
        out = F.grid_sample(x - BACKGROUND, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return (out + BACKGROUND).contiguous(memory_format=torch.channels_last if
                                             x.is_contiguous(memory_format=torch.channels_last) else
                                             torch.contiguous_format)

    def state(self) -> torch.Tensor:
        return self.generator.get_state()

    def restore(self, state: torch.Tensor) -> None:
        self.generator.set_state(state)
