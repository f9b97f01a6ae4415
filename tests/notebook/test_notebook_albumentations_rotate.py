"""An Albumentations rotation range (lo, hi) is the recipe's rotate = [lo, hi] (albumentations_transforms.py):
Albumentations 2 draws the angle uniformly in it and turns a positive angle counter-clockwise, as torchvision
and the suite's augmentation do; a symmetric range keeps its mapping rotate = d."""
import json
import math
import warnings

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from torchvision.transforms import InterpolationMode

from reproduce.notebook.sites import Observed
from reproduce.notebook.trace import transforms
from reproduce.notebook.trace.transforms_seen import describe_transform
from reproduce.training.augment import Affine, Augment

A = pytest.importorskip("albumentations")
SITE = Observed("the training transform", 4)
BLACK = 0   # cv2.BORDER_CONSTANT: the suite fills from outside the image with black
pytestmark = pytest.mark.filterwarnings("ignore:ShiftScaleRotate is a special case of Affine")


def rotations(degrees):
    """The three Albumentations transforms that turn an image, each turning by `degrees` on every image."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # ShiftScaleRotate warns that it is an Affine
        return {"Rotate": A.Rotate(limit=degrees, p=1.0, border_mode=BLACK),
                "Affine": A.Affine(rotate=degrees, p=1.0, border_mode=BLACK),
                "ShiftScaleRotate": A.ShiftScaleRotate(shift_limit=0.0, scale_limit=0.0, rotate_limit=degrees,
                                                       p=1.0, border_mode=BLACK)}


def mapped(described: dict):
    """The recipe entries and the unknown lines of a pipeline of one turn and Normalize, as the dry run reads it."""
    pipeline = {"type": "Compose", "module": "albumentations.core.composition", "args": {"p": 1.0},
                "transforms": [described, describe_transform(A.Normalize(mean=(0.1307,), std=(0.3081,)))]}
    found = transforms.read(json.loads(json.dumps(pipeline)), SITE)
    return {e.key: e.value for e in found.entries}, found.unknown


def described(t) -> dict:
    return json.loads(json.dumps(describe_transform(t)))


@pytest.mark.parametrize("name", ["Rotate", "Affine", "ShiftScaleRotate"])
@pytest.mark.parametrize(("degrees", "rotate"), [((-6, 12), [-6.0, 12.0]), ((-30.5, -10), [-30.5, -10.0]),
                                                 ((5, 5), [5.0, 5.0]), ((-7, 7), 7.0), ((-180, 180), 180.0)])
def test_a_rotation_range_is_rotate_lo_hi_and_a_symmetric_one_keeps_rotate_d(name, degrees, rotate):
    got, unknown = mapped(described(rotations(degrees)[name]))
    assert unknown == []
    assert got["rotate"] == rotate
    assert type(got["rotate"]) is type(rotate)   # rotate = d where it was d: the same recipe, the same fingerprint


def test_a_fixed_affine_angle_is_the_range_of_that_one_angle():
    got, unknown = mapped(described(A.Affine(rotate=15, p=1.0)))
    assert unknown == []
    assert got["rotate"] == [15.0, 15.0]


def test_an_albumentations_1_range_not_centred_on_0_is_named_and_its_symmetric_one_mapped():
    """Albumentations 1 reports always_apply among its arguments; its direction of turning is not checked."""
    old = described(A.Rotate(limit=(-5, 10), p=1.0))
    old["args"] = {**old["args"], "always_apply": False}
    got, unknown = mapped(old)
    assert "rotate" not in got
    assert unknown == ["Rotate with rotation [-5.0, 10.0] from Albumentations 1 (not symmetric about 0: that "
                       "version's direction of turning is not checked; Albumentations 2's is), which the suite "
                       "cannot reproduce (cell 4)"]
    old["args"]["limit"] = [-5.0, 5.0]
    assert mapped(old) == ({"rotate": 5.0, "normalize": [0.1307, 0.3081]}, [])


def shape() -> np.ndarray:
    """An asymmetric shape (an L turned about), so that turning one way is not turning the other."""
    image = np.zeros((28, 28), np.float32)
    image[5:10, 4:20] = 1.0
    image[10:22, 14:18] = 1.0
    return image


@pytest.mark.parametrize("name", ["Rotate", "Affine", "ShiftScaleRotate"])
def test_a_positive_angle_turns_counter_clockwise_as_torchvision_and_the_suite_do(name):
    """A fixed (30, 30) through Albumentations, against torchvision's rotate by +30 and by -30, and against the
    suite's augmentation given the rotate the reader maps it onto."""
    turn = rotations((30, 30))[name]
    theirs = torch.from_numpy(turn(image=shape())["image"])[None, None]
    image = torch.from_numpy(shape())[None, None]
    counter = TF.rotate(image, 30.0, interpolation=InterpolationMode.BILINEAR)
    clockwise = TF.rotate(image, -30.0, interpolation=InterpolationMode.BILINEAR)
    assert (theirs - counter).abs().max() < 1e-4
    assert (theirs - clockwise).abs().mean() > 0.1
    rotate = mapped(described(turn))[0]["rotate"]
    ours = Augment(Affine(rotate, 0, [1, 1]), 0, torch.device("cpu"), normalize=(0.0, 1.0))(image)
    assert (ours - theirs).abs().max() < 1e-4


def drawn_angles(turn, n: int = 2000) -> np.ndarray:
    """The angles Albumentations drew, read back from the matrix it applied ([[cos, sin], [-sin, cos]] for a
    counter-clockwise turn, as OpenCV writes it)."""
    compose = A.Compose([turn], save_applied_params=True, seed=0)
    image = np.zeros((28, 28), np.float32)
    matrices = [compose(image=image)["applied_transforms"][0][1]["matrix"] for _ in range(n)]
    return np.degrees([math.atan2(m[0][1], m[0][0]) for m in matrices])


@pytest.mark.parametrize("name", ["Rotate", "Affine", "ShiftScaleRotate"])
def test_albumentations_draws_the_angle_uniformly_in_the_range(name):
    got = drawn_angles(rotations((-6, 12))[name])
    assert got.min() >= -6 - 1e-4
    assert got.max() <= 12 + 1e-4
    assert got.min() < -5.5
    assert got.max() > 11.5
    assert got.mean() == pytest.approx(3.0, abs=0.5)                 # the middle of [-6, 12]
    assert got.std() == pytest.approx(18 / math.sqrt(12), rel=0.05)  # a uniform's spread
