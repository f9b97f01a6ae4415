"""The recipe's further augmentations, each on made-up images where its effect can be seen exactly: erasing sets
a rectangle to its value, center_crop zooms, resized_crop's boxes keep their ranges, shear slants, perspective
pulls the corners in, color_jitter scales brightness and contrast; every image its own draw, a fixed number
of draws per stage, and rotation/translation/scale alone still take the old path bit for bit."""
import math

import pytest
import torch
import torch.nn.functional as F

from reproduce.training.augment import BACKGROUND, Affine, Augment
from reproduce.training.augmentation import geometry, pixels

CPU = torch.device("cpu")
ERASING = {"p": 1.0, "scale": [0.02, 0.33], "ratio": [0.3, 3.3], "value": 100.0}
EVERYTHING = {"shear": [-10.0, 10.0, 0.0, 0.0], "resized_crop": {"scale": [0.5, 1.0], "ratio": [0.75, 4 / 3]},
              "center_crop": {"size": 22, "p": 0.5}, "perspective": {"distortion": 0.5, "p": 0.5},
              "color_jitter": {"brightness": 0.3, "contrast": 0.3},
              "erasing": {**ERASING, "p": 0.5, "value": 0.0}}


def square(n=8, lo=10, hi=18) -> torch.Tensor:
    """Black images with a white square (normalised as MNIST is)."""
    x = torch.full((n, 1, 28, 28), BACKGROUND)
    x[:, :, lo:hi, lo:hi] = (1 - 0.1307) / 0.3081
    return x


def lit(x, background=BACKGROUND) -> torch.Tensor:
    return (x - background > 1.0).float()


def only(more: dict, seed=0, **kw) -> Augment:
    return Augment(Affine(), seed, CPU, more, **kw)


def test_erasing_sets_one_rectangle_to_its_value():
    x = torch.randn(300, 1, 28, 28)
    out = pixels.erasing(x, torch.rand(300, pixels.DRAWS["erasing"]), ERASING)
    changed = out != x
    assert torch.all(out[changed] == 100.0)
    for img in changed[:, 0]:
        rows, cols = img.any(1).nonzero()[:, 0], img.any(0).nonzero()[:, 0]
        box = img[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        # a filled rectangle, nothing else
        assert box.all()
        assert img.sum() == box.numel()
        assert box.numel() <= round(math.sqrt(0.33 * 784 * 3.3)) * round(math.sqrt(0.33 * 784 / 0.3))
    areas = changed.sum((1, 2, 3)).float() / 784
    assert (areas > 0).float().mean() > 0.9
    assert areas.max() < 0.4
    assert areas.std() > 0.03
    assert torch.equal(pixels.erasing(x, torch.rand(300, pixels.DRAWS["erasing"]), {**ERASING, "p": 0.0}), x)


def test_center_crop_zooms_the_centre_with_its_probability():
    x = square(400, 11, 17)                                          # 6 x 6 in the middle
    out = only({"center_crop": {"size": 14, "p": 1.0}})(x)
    assert lit(out).sum((1, 2, 3)).float().mean() == pytest.approx(144, abs=8)   # twice the side: 12 x 12
    half = only({"center_crop": {"size": 14, "p": 0.5}})(x)
    zoomed = lit(half).sum((1, 2, 3)) > 100
    assert 0.4 < zoomed.float().mean() < 0.6


def test_resized_crop_boxes_keep_their_ranges_and_fall_back_to_the_centre():
    m = geometry.resized_crop(torch.rand(4000, geometry.DRAWS["resized_crop"]), [0.2, 0.9], [0.5, 2.0])
    w, h, cx, cy = m[:, 0, 0], m[:, 1, 1], m[:, 0, 2], m[:, 1, 2]
    assert (w * h).min() >= 0.2 - 1e-5
    assert (w * h).max() <= 0.9 + 1e-5
    assert (w * h).std() > 0.1
    assert (w / h).min() >= 0.5 - 1e-5
    assert (w / h).max() <= 2.0 + 1e-5
    assert (cx.abs() + w).max() <= 1 + 1e-5
    assert (cy.abs() + h).max() <= 1 + 1e-5
    assert cx.std() > 0.05
    wide = geometry.resized_crop(torch.rand(50, geometry.DRAWS["resized_crop"]), [0.99, 1.0], [2.0, 3.0])
    assert torch.allclose(wide[:, 0, 0], torch.ones(50))
    assert torch.allclose(wide[:, 1, 1], torch.full((50,), 0.5))
    assert torch.all(wide[:, :2, 2] == 0)


def test_shear_slants_vertical_lines_and_leaves_horizontal_ones():
    vertical = torch.full((4, 1, 28, 28), BACKGROUND)
    vertical[:, :, :, 13:15] = 2.8
    out = only({"shear": [20.0, 20.0, 0.0, 0.0]})(vertical)
    column = lambda row: (lit(out)[:, 0, row] * torch.arange(28.0)).sum(1) / lit(out)[:, 0, row].sum(1)
    assert torch.allclose(column(24) - column(4), torch.full((4,), -20 * math.tan(math.radians(20))), atol=1)
    horizontal = vertical.transpose(2, 3).contiguous()
    out = only({"shear": [20.0, 20.0, 0.0, 0.0]})(horizontal)
    assert torch.equal(lit(out).sum(3).nonzero()[:, 2].unique(), torch.tensor([13, 14]))


def test_perspective_pulls_the_corners_in_with_its_probability():
    white = torch.full((200, 1, 28, 28), 2.8)
    out = only({"perspective": {"distortion": 0.6, "p": 1.0}})(white)
    black = (out - BACKGROUND).abs() < 1.0
    assert black[:, 0, [0, 0, -1, -1], [0, -1, 0, -1]].float().mean() > 0.9
    assert not black[:, :, 10:18, 10:18].any()
    kept = only({"perspective": {"distortion": 0.6, "p": 0.0}})(square())
    assert torch.allclose(kept, square(), atol=1e-5)


def test_color_jitter_scales_brightness_and_contrast_within_their_ranges():
    grey = torch.full((500, 1, 28, 28), 0.5)
    u = torch.rand(500, pixels.DRAWS["color_jitter"])
    bright = pixels.color_jitter(grey, u, 0.4, 0.0)[:, 0, 0, 0]
    assert bright.min() >= 0.3 - 1e-6
    assert bright.max() <= 0.7 + 1e-6
    assert bright.std() > 0.08
    two = torch.zeros(500, 1, 28, 28)
    two[:, :, 14:] = 0.6                                             # mean 0.3, spread 0.6
    spread = pixels.color_jitter(two, u, 0.0, 0.5)
    spread = spread[:, 0, 20, 0] - spread[:, 0, 0, 0]
    assert spread.min() >= 0.3 - 1e-5
    assert spread.max() <= 0.9 + 1e-5
    assert spread.std() > 0.1
    assert pixels.color_jitter(torch.ones(9, 1, 4, 4), torch.rand(9, 3), 2.0, 2.0).max() <= 1.0


def test_translate_per_axis():
    theta = Augment(Affine(0, [0.1, 0.0], [1, 1]), 0, CPU).thetas(2000, CPU)
    assert theta[:, 0, 2].abs().max() <= 0.2 + 1e-6
    assert theta[:, 0, 2].std() > 0.08
    assert torch.all(theta[:, 1, 2] == 0)


def test_every_stage_on_gives_each_image_its_own_draw_and_keeps_the_background():
    same = square(8)
    out = only(EVERYTHING)(same)
    assert all(not torch.equal(out[i], out[j]) for i in range(8) for j in range(i + 1, 8))
    geometric = {k: v for k, v in EVERYTHING.items() if k not in ("color_jitter", "erasing")}
    blank = torch.full((16, 1, 28, 28), -1.0)                        # black under normalize = [0.5, 0.5]
    assert torch.allclose(only(geometric, normalize=[0.5, 0.5])(blank), blank, atol=1e-5)


def test_same_seed_same_bytes_and_a_fixed_number_of_draws_per_stage():
    x = square(32)
    a, b, c = only(EVERYTHING, 3), only(EVERYTHING, 3), only(EVERYTHING, 4)
    assert all(torch.equal(a(x), b(x)) for _ in range(3))
    assert not torch.equal(a(x), c(x))
    other = {**EVERYTHING, "perspective": {"distortion": 0.1, "p": 0.9}, "erasing": {**ERASING, "p": 0.1}}
    p, q = only(EVERYTHING, 5), only(other, 5)
    p(x), q(x)
    assert torch.equal(p.state(), q.state())                          # values differ, draws do not
    saved = p.state()
    nxt = p(x)
    p.restore(saved)
    assert torch.equal(p(x), nxt)


def test_rotation_translation_and_scale_alone_take_the_old_path_bit_for_bit():
    """The augmentation as it was before the other stages existed, written out: its bytes must not move."""
    x = square(64) + torch.randn(64, 1, 28, 28) * 0.1
    new = Augment(Affine(8, 0.08, [0.92, 1.08]), 7, CPU)
    old = Augment(Affine(8, 0.08, [0.92, 1.08]), 7, CPU)
    for _ in range(2):
        grid = F.affine_grid(old.thetas(64, CPU, x.dtype), list(x.shape), align_corners=False)
        expected = F.grid_sample(x - BACKGROUND, grid, mode="bilinear", padding_mode="zeros",
                                 align_corners=False) + BACKGROUND
        assert torch.equal(new(x), expected)
