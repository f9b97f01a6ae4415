"""The geometric augmentations as sampling maps, one per image: each function turns uniform draws in [0, 1)
into (n, 3, 3) matrices that take a point of the output image to the point of the input image it shows, in
affine_grid's coordinates (-1 to 1 across the image, pixel centres inside). Maps compose by multiplication in
the order the augmentations apply (the first one's on the left), so the whole chain is sampled once, with one
bilinear grid_sample: no blur from resampling twice, and pixels that come from outside the image are black.

The draws each function takes are fixed in number (DRAWS), whatever the parameters, so the generator advances
the same way on every batch and a saved generator state resumes the same images.
"""
import math

import torch

ATTEMPTS = 10   # RandomResizedCrop's (and RandomErasing's) tries at a box that fits, before the fallback
DRAWS = {"resized_crop": 2 * ATTEMPTS + 2, "center_crop": 1, "shear": 2, "perspective": 9}


def matrices(rows, n: int, like: torch.Tensor) -> torch.Tensor:
    """(n, 3, 3) from rows [[a, b, c], [d, e, f], [g, h, i]] of (n,) tensors or numbers."""
    full = lambda v: v if torch.is_tensor(v) else torch.full((n,), float(v), dtype=like.dtype, device=like.device)
    return torch.stack([torch.stack([full(v) for v in row], 1) for row in rows], 1)


def resized_crop(u: torch.Tensor, scale, ratio) -> torch.Tensor:
    """RandomResizedCrop: a box of area fraction U(scale) and aspect ratio (width / height) log-uniform in ratio,
    the first of ATTEMPTS tries that fits inside the image, at a uniform position, shown at full size. No try
    fits: the whole image cut to the nearest ratio allowed, centred (torchvision's fallback). The box is exact,
    not rounded to whole pixels."""
    n = u.shape[0]
    area = scale[0] + (scale[1] - scale[0]) * u[:, :ATTEMPTS]
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    aspect = torch.exp(log_lo + (log_hi - log_lo) * u[:, ATTEMPTS:2 * ATTEMPTS])
    w, h = torch.sqrt(area * aspect), torch.sqrt(area / aspect)      # fractions of the side
    fits = (w <= 1) & (h <= 1)
    first = fits.to(torch.int8).argmax(1, keepdim=True)              # argmax: the first maximal entry
    found = fits.any(1)
    fall_w, fall_h = (1.0, 1.0 / ratio[0]) if ratio[0] > 1 else (ratio[1], 1.0) if ratio[1] < 1 else (1.0, 1.0)
    w = torch.where(found, w.gather(1, first)[:, 0], torch.full_like(w[:, 0], fall_w))
    h = torch.where(found, h.gather(1, first)[:, 0], torch.full_like(h[:, 0], fall_h))
    # the box's left edge is uniform in [0, 1 - w] of the side; its centre is then 2 left + w - 1 in grid units
    cx = torch.where(found, 2 * u[:, -2] * (1 - w) + w - 1, torch.zeros_like(w))
    cy = torch.where(found, 2 * u[:, -1] * (1 - h) + h - 1, torch.zeros_like(h))
    return matrices([[w, 0, cx], [0, h, cy], [0, 0, 1]], n, u)


def center_crop(u: torch.Tensor, size: int, side: int, p: float) -> torch.Tensor:
    """RandomApply([CenterCrop(size)], p) then a resize back to the full side: with probability p, the centred
    size x size square shown at full size; otherwise the image as it is."""
    zoom = torch.where(u[:, 0] < p, torch.full_like(u[:, 0], size / side), torch.ones_like(u[:, 0]))
    return matrices([[zoom, 0, 0], [0, zoom, 0], [0, 0, 1]], u.shape[0], u)


def lift(theta: torch.Tensor) -> torch.Tensor:
    """(n, 2, 3) affine_grid maps as (n, 3, 3)."""
    bottom = torch.zeros_like(theta[:, :1]).index_fill_(2, torch.tensor([2], device=theta.device), 1.0)
    return torch.cat([theta, bottom], 1)


def shear(u: torch.Tensor, ranges) -> torch.Tensor:
    """RandomAffine's shear, angles in degrees uniform in [xlo, xhi] (x) and [ylo, yhi] (y): torchvision's
    forward map SHy(sy) SHx(sx) = [[1, -tan sx], [0, 1]] then [[1, 0], [-tan sy, 1]], sampled by its inverse."""
    xlo, xhi, ylo, yhi = ranges
    tx = torch.tan(torch.deg2rad(xlo + (xhi - xlo) * u[:, 0]))
    ty = torch.tan(torch.deg2rad(ylo + (yhi - ylo) * u[:, 1]))
    return matrices([[1 + tx * ty, tx, 0], [ty, 1, 0], [0, 0, 1]], u.shape[0], u)


def adjugate(m: torch.Tensor) -> torch.Tensor:
    """The inverse of each 3x3 up to a factor, which a projective map does not need: no solver, no division."""
    c = lambda i, j, k, l: m[:, i, j] * m[:, k, l] - m[:, i, l] * m[:, k, j]
    rows = [[c(1, 1, 2, 2), -c(0, 1, 2, 2), c(0, 1, 1, 2)],
            [-c(1, 0, 2, 2), c(0, 0, 2, 2), -c(0, 0, 1, 2)],
            [c(1, 0, 2, 1), -c(0, 0, 2, 1), c(0, 0, 1, 1)]]
    return torch.stack([torch.stack(r, 1) for r in rows], 1)


def square_to_quad(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The projective map of the unit square's corners (0,0), (1,0), (1,1), (0,1) onto the (n, 4) corners x, y
    in that order (Heckbert's closed form)."""
    dx1, dx2, dx3 = x[:, 1] - x[:, 2], x[:, 3] - x[:, 2], x[:, 0] - x[:, 1] + x[:, 2] - x[:, 3]
    dy1, dy2, dy3 = y[:, 1] - y[:, 2], y[:, 3] - y[:, 2], y[:, 0] - y[:, 1] + y[:, 2] - y[:, 3]
    den = dx1 * dy2 - dx2 * dy1
    g, h = (dx3 * dy2 - dx2 * dy3) / den, (dx1 * dy3 - dx3 * dy1) / den
    rows = [[x[:, 1] - x[:, 0] + g * x[:, 1], x[:, 3] - x[:, 0] + h * x[:, 3], x[:, 0]],
            [y[:, 1] - y[:, 0] + g * y[:, 1], y[:, 3] - y[:, 0] + h * y[:, 3], y[:, 0]],
            [g, h, 1]]
    return matrices(rows, x.shape[0], x)


def perspective(u: torch.Tensor, distortion: float, p: float) -> torch.Tensor:
    """RandomPerspective(distortion_scale, p): with probability p, each corner of the image moved inward by up to
    distortion x half the side on each axis (uniformly), the image warped so that its corners land there."""
    n = u.shape[0]
    move = distortion * u[:, 1:9] * (u[:, :1] < p)                   # no move: the image as it is
    inward = torch.tensor([1, 1, -1, 1, -1, -1, 1, -1], dtype=u.dtype, device=u.device)
    corners = torch.tensor([-1, -1, 1, -1, 1, 1, -1, 1], dtype=u.dtype, device=u.device)
    moved = corners + inward * move
    to_output = square_to_quad(moved[:, 0::2], moved[:, 1::2])
    to_input = matrices([[2, 0, -1], [0, 2, -1], [0, 0, 1]], n, u)   # the unit square onto the image
    return to_input @ adjugate(to_output)


def grid(m: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """grid_sample's (n, height, width, 2) grid for the sampling maps m: each output pixel centre through m."""
    ys = (2 * torch.arange(height, dtype=m.dtype, device=m.device) + 1) / height - 1
    xs = (2 * torch.arange(width, dtype=m.dtype, device=m.device) + 1) / width - 1
    base = torch.stack([xs.expand(height, width), ys[:, None].expand(height, width),
                        torch.ones(height, width, dtype=m.dtype, device=m.device)], -1)
    points = base.reshape(1, -1, 3) @ m.transpose(1, 2)
    return (points[..., :2] / points[..., 2:]).reshape(m.shape[0], height, width, 2)
