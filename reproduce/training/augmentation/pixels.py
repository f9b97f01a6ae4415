"""The augmentations that change pixel values, batched, each image its own draw from uniform draws in [0, 1):
ColorJitter's brightness and contrast (on pixels in [0, 1]) and RandomErasing (on normalised images, where
torchvision pipelines put it, after Normalize). DRAWS: how many draws each takes per image, always.
"""
import math

import torch

from reproduce.training.augmentation.geometry import ATTEMPTS

DRAWS = {"color_jitter": 3, "erasing": 1 + 2 * ATTEMPTS + 2}


def _factor(u: torch.Tensor, amount: float) -> torch.Tensor:
    """ColorJitter's factor: uniform in [max(0, 1 - amount), 1 + amount]."""
    lo = max(0.0, 1.0 - amount)
    return (lo + (1.0 + amount - lo) * u)[:, None, None, None]


def color_jitter(x: torch.Tensor, u: torch.Tensor, brightness: float, contrast: float) -> torch.Tensor:
    """ColorJitter(brightness, contrast) on images x in [0, 1]: brightness scales the pixels, contrast blends
    them with the image's mean; both clip to [0, 1]. Like torchvision, each image takes the two in a random
    order (its third draw)."""
    fb, fc = _factor(u[:, 0], brightness), _factor(u[:, 1], contrast)
    bright = lambda t: (t * fb).clamp(0, 1)
    contrasted = lambda t: (fc * t + (1 - fc) * t.mean((1, 2, 3), keepdim=True)).clamp(0, 1)
    brightness_first = (u[:, 2] < 0.5)[:, None, None, None]
    return torch.where(brightness_first, contrasted(bright(x)), bright(contrasted(x)))


def erasing(x: torch.Tensor, u: torch.Tensor, spec: dict) -> torch.Tensor:
    """RandomErasing(p, scale, ratio, value): with probability p, a rectangle of whole pixels, of area fraction
    U(scale) and aspect ratio (height / width) log-uniform in ratio, the first of ATTEMPTS tries smaller than
    the image, at a uniform position, set to value. No try fits: the image as it is (torchvision's rule)."""
    n, height, width = x.shape[0], x.shape[-2], x.shape[-1]
    lo, hi = spec["scale"]
    area = height * width * (lo + (hi - lo) * u[:, 1:1 + ATTEMPTS])
    log_lo, log_hi = math.log(spec["ratio"][0]), math.log(spec["ratio"][1])
    aspect = torch.exp(log_lo + (log_hi - log_lo) * u[:, 1 + ATTEMPTS:1 + 2 * ATTEMPTS])
    h, w = torch.round(torch.sqrt(area * aspect)), torch.round(torch.sqrt(area / aspect))
    fits = (h < height) & (w < width)
    first = fits.to(torch.int8).argmax(1, keepdim=True)
    h, w = h.gather(1, first)[:, 0], w.gather(1, first)[:, 0]
    top = torch.floor(u[:, -2] * (height - h + 1))          # randint(0, height - h + 1)
    left = torch.floor(u[:, -1] * (width - w + 1))
    erase = (u[:, 0] < spec["p"]) & fits.any(1)
    rows = torch.arange(height, dtype=x.dtype, device=x.device)[None, :]
    cols = torch.arange(width, dtype=x.dtype, device=x.device)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < (top + h)[:, None])
    in_cols = (cols >= left[:, None]) & (cols < (left + w)[:, None])
    mask = (in_rows[:, :, None] & in_cols[:, None, :] & erase[:, None, None]).view(n, 1, height, width)
    return torch.where(mask, torch.full_like(x, spec["value"]), x)
