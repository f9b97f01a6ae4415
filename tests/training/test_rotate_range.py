"""[augment] rotate = [lo, hi]: an angle uniform in [lo, hi] as torchvision's RandomRotation((lo, hi)) draws it,
positive counter-clockwise; `rotate = d` keeps the draws, the bytes and the fingerprint it always had, and
`[-d, d]` is the same recipe as `d`."""
import math

import pytest
import torch
import torchvision.transforms.functional as TF
from torchvision.transforms import InterpolationMode

from conftest import assert_recipe_refused, write_recipe
from reproduce.data.mnist import MNISTTensors
from reproduce.record.resume import run_fingerprint
from reproduce.training import recipe
from reproduce.training.augment import Affine, Augment
from reproduce.training.augmentation import recipe as augment_keys
from reproduce.training.config import TrainConfig
from reproduce.training.trainer import train

CPU = torch.device("cpu")
# run_fingerprint(recipe `[augment] rotate = 7`, seed 0, "cpu") as the suite computed it before rotate took
# [lo, hi]: a report written then must still resume, be skipped when complete and verify.
ROTATE_7_BEFORE = "e7b04a089d5547b577069973e6899776acfa6b593417843d31da61e5509f60b3"


def config(tmp_path, text: str) -> TrainConfig:
    return TrainConfig(**recipe.load(write_recipe(tmp_path, text)))


@pytest.mark.parametrize(("value", "form"), [(7, 7.0), (0, 0.0), (180, 180.0), ([-7, 7], 7.0), ([0, 0], 0.0),
                                             ([-6, 12], [-6.0, 12.0]), ([-180, 180], 180.0), ([5, 5], [5.0, 5.0]),
                                             ([-30.5, -10], [-30.5, -10.0])])
def test_rotate_is_degrees_or_a_range_in_one_form(value, form):
    aug, problems = augment_keys.read({"rotate": value})
    assert problems == []
    assert aug["rotate"] == form
    assert type(aug["rotate"]) is type(form)


@pytest.mark.parametrize("value", [-5, 181, float("nan"), "7", True, [12, -6], [-181, 0], [0, 180.5], [1, 2, 3],
                                   [5], [-6, "12"], [False, 3]])
def test_rotate_out_of_range_is_one_problem_naming_the_key(value):
    problems = augment_keys.problems({"rotate": value})
    assert len(problems) == 1
    assert problems[0].field == "augment"
    assert problems[0].says.startswith("rotate should be degrees d in [0, 180], or [lo, hi] with -180 <= lo <= hi")


def test_rotate_reversed_is_refused_through_the_command_line(tmp_path, capsys):
    assert_recipe_refused(tmp_path, capsys, "[augment]\nrotate = [12, -6]\n",
                          "[augment] rotate should be degrees d in [0, 180], or [lo, hi] with -180 <= lo <= hi <= 180, "
                          "got [12, -6]")


def test_rotate_d_keeps_its_fingerprint_and_minus_d_to_d_is_the_same_recipe(tmp_path):
    seven = config(tmp_path, "[augment]\nrotate = 7\n")
    assert seven.identity()["augment"] == {"rotate": 7.0, "translate": 0.0, "scale": [1.0, 1.0]}
    assert run_fingerprint(seven, 0, "cpu") == ROTATE_7_BEFORE
    assert config(tmp_path, "[augment]\nrotate = [-7, 7]\n") == seven
    asymmetric = config(tmp_path, "[augment]\nrotate = [-6, 12]\n")
    assert asymmetric.augments
    assert asymmetric.augment["rotate"] == [-6.0, 12.0]
    assert run_fingerprint(asymmetric, 0, "cpu") not in (ROTATE_7_BEFORE, run_fingerprint(TrainConfig(), 0, "cpu"))
    assert run_fingerprint(asymmetric, 0, "cpu") != run_fingerprint(config(tmp_path, "[augment]\nrotate = 9\n"),
                                                                    0, "cpu")


def angles(aug: Augment, n: int = 4000) -> torch.Tensor:
    theta = aug.thetas(n, CPU)
    return torch.rad2deg(torch.atan2(theta[:, 1, 0], theta[:, 0, 0]))


def test_an_asymmetric_range_draws_uniformly_inside_it():
    got = angles(Augment(Affine([-6.0, 12.0], 0, [1, 1]), 0, CPU))
    assert got.min() >= -6 - 1e-4
    assert got.max() <= 12 + 1e-4
    assert got.min() < -5.5
    assert got.max() > 11.5
    assert got.mean().item() == pytest.approx(3.0, abs=0.5)                # the middle of [-6, 12]
    assert got.std().item() == pytest.approx(18 / math.sqrt(12), rel=0.05)  # a uniform's spread


def test_minus_d_to_d_draws_exactly_what_d_draws(mnist_cpu):
    x = mnist_cpu.train_x[:32].clone()
    scalar, pair = Augment(Affine(7.0, 0.05, [0.9, 1.1]), 3, CPU), Augment(Affine((-7.0, 7.0), 0.05, [0.9, 1.1]), 3, CPU)
    assert pair.rotate == 7.0
    assert all(torch.equal(scalar(x), pair(x)) for _ in range(2))


def test_a_positive_angle_turns_counter_clockwise_as_torchvision_does():
    """A fixed [30, 30] against torchvision's rotate by +30 and by -30 of the same asymmetric shape."""
    shape = torch.zeros(1, 1, 28, 28)
    shape[..., 5:10, 4:20] = 1.0
    shape[..., 10:22, 14:18] = 1.0
    ours = Augment(Affine([30.0, 30.0], 0, [1, 1]), 0, CPU, normalize=(0.0, 1.0))(shape)
    counter = TF.rotate(shape, 30.0, interpolation=InterpolationMode.BILINEAR)
    clockwise = TF.rotate(shape, -30.0, interpolation=InterpolationMode.BILINEAR)
    assert (ours - counter).abs().max() < 1e-4
    assert (ours - clockwise).abs().mean() > 0.1


def test_training_with_an_asymmetric_rotation_is_deterministic(mnist_cpu):
    data = MNISTTensors(mnist_cpu.train_x[:256], mnist_cpu.train_y[:256], mnist_cpu.test_x[:500],
                        mnist_cpu.test_y[:500])
    cfg = lambda rotate: TrainConfig(epochs=1, batch_size=64, eval_batch_size=500,
                                     augment={"rotate": rotate, "translate": 0.0, "scale": [1.0, 1.0]})
    first, again = train(cfg([-6.0, 12.0]), 0, data, CPU), train(cfg([-6.0, 12.0]), 0, data, CPU)
    assert first[1] == again[1]                                           # the final weights' sha256
    assert [e.train_loss for e in first[0]] == [e.train_loss for e in again[0]]
    assert train(cfg(9.0), 0, data, CPU)[1] != first[1]                   # the same width, centred: other draws
