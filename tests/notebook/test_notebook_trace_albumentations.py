"""The dry run reads an Albumentations training pipeline (reproduce/notebook/trace/albumentations_transforms.py):
the real objects described as the kernel describes them, then mapped onto recipe keys or named."""
import json
import warnings

import pytest

from conftest import run_cli
from reproduce.notebook.sites import Observed
from reproduce.notebook.trace import transforms
from reproduce.notebook.trace.loaders import pixel_range
from reproduce.notebook.trace.transforms_seen import describe_transform
from tests import nbfactory as f

A = pytest.importorskip("albumentations")
ToTensorV2 = pytest.importorskip("albumentations.pytorch").ToTensorV2
SITE = Observed("the training transform", 4)
pytestmark = pytest.mark.filterwarnings("ignore:ShiftScaleRotate is a special case of Affine")


def seen(*items):
    """The pipeline as the dry run records it (through JSON, as the record travels), mapped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # ShiftScaleRotate warns that it is an Affine
        described = json.loads(json.dumps(describe_transform(A.Compose(list(items)))))
    found = transforms.read(described, SITE)
    return {(e.section, e.key): e.value for e in found.entries}, found.unknown


def norm():
    return A.Normalize(mean=(0.1307,), std=(0.3081,))


def test_albumentations_objects_are_described_by_their_constructor_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = describe_transform(A.Compose([A.ShiftScaleRotate(shift_limit=0.05, scale_limit=0.1, rotate_limit=5)]))
    inner = d["transforms"][0]
    assert d["type"] == "Compose"
    assert inner["module"].startswith("albumentations")
    assert inner["args"]["scale_limit"] == pytest.approx([-0.1, 0.1])   # the argument, not the 1 + limit kept
    assert (inner["args"]["rotate_limit"], inner["args"]["p"]) == ([-5.0, 5.0], 0.5)


def test_rotate_affine_normalize_and_one_fixed_hole_map_onto_recipe_keys():
    got, unknown = seen(A.Rotate(limit=7, p=1.0), norm(), A.CoarseDropout(
        num_holes_range=(1, 1), hole_height_range=(6, 6), hole_width_range=(4, 4), fill=0, p=0.25), ToTensorV2())
    assert unknown == []
    assert got[("augment", "rotate")] == 7.0
    assert got[("", "normalize")] == [0.1307, 0.3081]
    erasing = got[("augment", "erasing")]
    assert (erasing["p"], erasing["ratio"], erasing["value"]) == (0.25, [1.5, 1.5], 0.0)   # after Normalize: grey
    assert erasing["scale"] == pytest.approx([24 / 784, 24 / 784])   # a 6 x 4 hole of the 28 x 28 image
    got, unknown = seen(A.Affine(translate_percent=(-0.1, 0.1), scale=(0.9, 1.1), keep_ratio=True, rotate=(-8, 8),
                                 p=1.0),
                        A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(8, 8), hole_width_range=(8, 8),
                                        fill=0, p=0.5), norm(), ToTensorV2())
    assert unknown == []
    assert (got[("augment", "translate")], got[("augment", "scale")], got[("augment", "rotate")]) == (
        0.1, [0.9, 1.1], 8.0)
    assert got[("augment", "erasing")]["value"] == pytest.approx(-0.1307 / 0.3081)   # before Normalize: black


def test_shift_scale_rotate_applied_to_every_image_maps_its_shift_and_rotation():
    got, unknown = seen(A.ShiftScaleRotate(shift_limit=0.05, scale_limit=0.0, rotate_limit=5, p=1.0), norm())
    assert unknown == []
    assert (got[("augment", "translate")], got[("augment", "rotate")]) == (0.05, 5.0)


def test_numpy_numbers_in_the_arguments_are_read_as_numbers():
    import numpy as np
    got, unknown = seen(A.Rotate(limit=np.float32(6.0), p=1.0),
                        A.Normalize(mean=np.array([0.5]), std=np.array([0.25])), ToTensorV2())
    assert unknown == []
    assert (got[("augment", "rotate")], got[("", "normalize")]) == (6.0, [0.5, 0.25])


def test_a_pipeline_scaled_by_to_float_without_normalize_trains_on_pixels_in_0_1():
    got, unknown = seen(A.Rotate(limit=3, p=1.0), A.ToFloat(max_value=255), ToTensorV2())
    assert unknown == []
    assert ("", "normalize") not in got   # to_recipe then writes [0, 1], as for ToTensor


def cannot():
    """Pipelines the suite cannot reproduce, each with the start of its one line."""
    return [
    ((A.Rotate(limit=7), norm()), "Rotate with p=0.5: the suite turns, shifts and zooms every image"),
    ((A.Rotate(limit=(-190, 10), p=1.0), norm()), "Rotate with rotation [-190.0, 10.0] (not a range of degrees"),
    ((A.Rotate(limit=7, p=1.0, border_mode=4), norm()), "Rotate with border_mode=4 and fill=0.0"),
    ((norm(), A.Rotate(limit=7, p=1.0)), "Rotate after Normalize"),
    ((A.ShiftScaleRotate(shift_limit=0.0, scale_limit=0.1, rotate_limit=0, p=1.0), norm()),
     "ShiftScaleRotate with scale_limit="),
    ((A.Affine(scale=(0.9, 1.1), p=1.0), norm()), "Affine with scale="),
    ((A.Affine(shear=5, p=1.0), norm()), "Affine with shear="),
    ((A.Affine(translate_percent=0.1, p=1.0), norm()), "Affine with shift [0.1, 0.1], [0.1, 0.1]"),
    ((norm(), A.CoarseDropout(num_holes_range=(1, 3), hole_height_range=(4, 8), hole_width_range=(4, 8))),
     "CoarseDropout with num_holes_range=[1, 3], hole_height_range=[4, 8]"),
    ((A.HorizontalFlip(p=0.5), norm()), "the Albumentations transform HorizontalFlip"),
    ((A.OneOf([A.Rotate(limit=7)], p=1.0), norm()), "the Albumentations container OneOf (p=1.0)"),
    ((A.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),),
     "Normalize with mean=[0.485, 0.456, 0.406]"),
    ((ToTensorV2(),), "an Albumentations pipeline with neither Normalize nor ToFloat"),
    ]


with warnings.catch_warnings():   # built while the tests are collected
    warnings.simplefilter("ignore")
    CANNOT = cannot()


@pytest.mark.parametrize(("items", "said"), CANNOT)
def test_what_the_suite_cannot_reproduce_is_named_with_its_cell(items, said):
    _, unknown = seen(*items)
    assert len(unknown) == 1, unknown
    assert unknown[0].startswith(said), unknown[0]
    assert unknown[0].endswith("(cell 4)")


def test_two_transforms_setting_one_key_are_named_not_overwritten():
    got, unknown = seen(A.Rotate(limit=7, p=1.0), A.Affine(rotate=(-3, 3), p=1.0), norm())
    assert got[("augment", "rotate")] == 7.0
    assert unknown == ["Albumentations' rotate set by two transforms of the pipeline (they compose), which the "
                       "suite cannot reproduce (cell 4)"]


def test_the_loader_records_the_range_of_the_images_it_handed_out():
    import torch
    loader: dict = {}
    pixel_range(loader, (torch.tensor([[0.5, -0.2]]), torch.tensor([1])))
    pixel_range(loader, [torch.tensor([[2.0, 0.1]]), torch.tensor([3])])
    pixel_range(loader, {"image": torch.tensor([9.0])})   # not (images, labels): not read
    assert loader["pixels"] == pytest.approx([-0.2, 2.0])


@pytest.mark.parametrize(("pixels", "refused"), [
    ([-0.4242, 2.8215], False),       # np.array's 0-255 pixels through Normalize(0.1307, 0.3081): [0, 1] back
    ([-0.4242, -0.4116], True),       # floats in [0, 1] divided by 255 again: every image almost black
    (None, False),                    # no batch seen: nothing to check
])
def test_the_images_handed_out_must_be_what_the_drafted_normalize_gives(pixels, refused):
    found = transforms.read(json.loads(json.dumps(describe_transform(A.Compose([norm(), ToTensorV2()])))), SITE)
    transforms.check_pixels(pixels, found, SITE, albumentations=True)
    assert bool(found.unknown) is refused
    if refused:
        assert found.unknown[0].startswith("the training images came out of the Albumentations pipeline in "
                                           "[-0.4242, -0.4116], which normalize = [0.1307, 0.3081] gives from pixels")


# --- slow: a made-up notebook in a kernel ----------------------------------------------------------------------

def albumentations_notebook(pipeline: str, pixels: str = "np.array(image)"):
    """A Dataset wrapper that hands the Albumentations pipeline np.array(image), as answers write it."""
    return f.notebook(
        "import numpy as np\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "import torch.optim as optim\nfrom torchvision import datasets\nimport albumentations as A\n"
        "from albumentations.pytorch import ToTensorV2",
        f.TINY_NET,
        f"""class Digits(torch.utils.data.Dataset):
    def __init__(self, train, transform):
        self.mnist = datasets.MNIST('./data', train=train, download=True)
        self.transform = transform

    def __len__(self):
        return len(self.mnist)

    def __getitem__(self, i):
        image, label = self.mnist[i]
        return self.transform(image={pixels})["image"], label

augment = A.Compose([{pipeline}])
plain = A.Compose([A.Normalize(mean=(0.1307,), std=(0.3081,)), ToTensorV2()])
train_loader = torch.utils.data.DataLoader(Digits(True, augment), batch_size=32, shuffle=True)
test_loader = torch.utils.data.DataLoader(Digits(False, plain), batch_size=100)""",
        f.TRAIN_TWO_EPOCHS)


@pytest.mark.slow
def test_a_dataset_wrapper_with_an_albumentations_compose_drafts_the_mapped_keys(tmp_path, mnist_root):
    f.write(tmp_path / "alb.ipynb", albumentations_notebook(
        "A.Rotate(limit=7, p=1.0), A.Normalize(mean=(0.1307,), std=(0.3081,)), A.CoarseDropout(num_holes_range=(1, 1), "
        "hole_height_range=(7, 7), hole_width_range=(7, 7), fill=0, p=0.5), ToTensorV2()"))
    env = {"MNIST_DATA_DIR": str(mnist_root)}
    done = run_cli("recipe", "alb.ipynb", cwd=tmp_path, env_extra=env)
    assert done.returncode == 0, done.stderr
    for line in ("rotate = 7.0  # observed: the training transform, cell 4",
                 "normalize = [0.1307, 0.3081]  # observed: the training transform, cell 4 "
                 "(Albumentations' Normalize divides by max_pixel_value=255",
                 "erasing = { p = 0.5, scale = [0.0625, 0.0625], ratio = [1.0, 1.0], value = 0.0 }  # observed: "
                 "the training transform, cell 4 (CoarseDropout: one hole of a fixed size)",
                 "batch_size = 32  # observed: DataLoader(batch_size=32, shuffle=True) over Digits/MNIST, cell 4"):
        assert line in done.stdout, line
    f.write(tmp_path / "half.ipynb", albumentations_notebook(
        "A.Rotate(limit=7), A.Normalize(mean=(0.1307,), std=(0.3081,)), ToTensorV2()"))
    refused = run_cli("recipe", "half.ipynb", cwd=tmp_path, env_extra=env)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: half.ipynb: Rotate with p=0.5: the suite turns, shifts and zooms every image (its keys have no "
        "probability), which the suite cannot reproduce (cell 4); --approximate leaves it out (recorded in the "
        "report)")
    f.write(tmp_path / "floats.ipynb", albumentations_notebook(
        "A.Normalize(mean=(0.1307,), std=(0.3081,)), ToTensorV2()", pixels="np.array(image, dtype=np.float32) / 255"))
    floats = run_cli("recipe", "floats.ipynb", cwd=tmp_path, env_extra=env)
    assert floats.returncode == 2
    assert "error: floats.ipynb: the training images came out of the Albumentations pipeline in [-0.4242, " \
        in floats.stderr


@pytest.mark.slow
def test_a_rotation_range_not_centred_on_0_is_drafted_as_rotate_lo_hi(tmp_path, mnist_root):
    f.write(tmp_path / "tilted.ipynb", albumentations_notebook(
        "A.Affine(rotate=(-6, 12), p=1.0), A.Normalize(mean=(0.1307,), std=(0.3081,)), ToTensorV2()"))
    done = run_cli("recipe", "tilted.ipynb", cwd=tmp_path, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    assert "rotate = [-6.0, 12.0]  # observed: the training transform, cell 4" in done.stdout
