"""Augmentation on the device: each image its own random affine draw, from a generator seeded by the run's seed
alone; the seed recipe draws nothing."""
import math

import torch

from reproduce.training.augment import BACKGROUND, Affine, Augment, stream_seed
from reproduce.training.config import TrainConfig

CPU = torch.device("cpu")


def images(mnist_cpu, n=64):
    return mnist_cpu.train_x[:n].clone()


def test_the_seed_recipe_has_no_augmentation_and_draws_nothing():
    assert Augment.from_config(TrainConfig(), 0, CPU) is None


def test_identity_parameters_leave_images_as_they_are(mnist_cpu):
    x = images(mnist_cpu)
    assert torch.allclose(Augment(Affine(0, 0, [1, 1]), 0, CPU)(x), x, atol=1e-5)


def test_each_image_gets_its_own_draw_within_the_ranges(mnist_cpu):
    aug = Augment(Affine(10, 0.1, [0.9, 1.1]), 0, CPU)
    theta = aug.thetas(2000, CPU)
    a, b = theta[:, 0, 0], theta[:, 1, 0]                       # cos/scale, sin/scale
    scale = 1 / torch.sqrt(a * a + b * b)
    angle = torch.atan2(b, a)
    assert scale.min() >= 0.9 - 1e-5
    assert scale.max() <= 1.1 + 1e-5
    assert scale.std() > 0.04
    assert angle.abs().max() <= math.radians(10) + 1e-5
    assert angle.std() > math.radians(4)
    shifts = theta[:, :, 2]
    # 0.1 of the side is 0.2 in grid units
    assert shifts.abs().max() <= 0.2 + 1e-6
    assert shifts.std() > 0.08
    same = images(mnist_cpu, 1).expand(8, 1, 28, 28).contiguous()
    out = aug(same)
    assert all(not torch.equal(out[i], out[j]) for i in range(8) for j in range(i + 1, 8))


def test_the_background_stays_background_and_a_shift_moves_the_digit(mnist_cpu):
    blank = torch.full((4, 1, 28, 28), BACKGROUND)
    assert torch.allclose(Augment(Affine(30, 0.2, [0.8, 1.2]), 0, CPU)(blank), blank, atol=1e-5)
    x = images(mnist_cpu, 16)
    moved = Augment(Affine(0, 0.15, [1, 1]), 0, CPU)(x)
    centre = lambda t: ((t - BACKGROUND).clamp(min=0) * torch.arange(28.0)).sum((1, 2, 3)) / \
        (t - BACKGROUND).clamp(min=0).sum((1, 2, 3))
    assert (centre(moved) - centre(x)).abs().mean() > 0.5        # columns' centre of mass moved


def test_same_seed_same_bytes_another_seed_other_bytes(mnist_cpu):
    x = images(mnist_cpu)
    run = lambda seed: [Augment(Affine(8, 0.08, [0.92, 1.08]), seed, CPU)(x) for _ in range(3)]
    a, b, c = run(0), run(0), run(1)
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert stream_seed(0) != 0
    assert stream_seed(0) != stream_seed(1)


def test_the_generator_state_restores_the_stream(mnist_cpu):
    x = images(mnist_cpu)
    aug = Augment(Affine(8, 0.08, [0.92, 1.08]), 0, CPU)
    aug(x)
    saved = aug.state()
    nxt = aug(x)
    aug.restore(saved)
    assert torch.equal(aug(x), nxt)
