"""The training transform found through a notebook's own Dataset wrappers (reproduce/notebook/trace/loaders.py):
under any attribute name, through any attribute holding the wrapped dataset, and both halves where a wrapper
transforms what the dataset it wraps already transformed."""
import pytest
import torch
from torchvision import transforms as T

from conftest import run_cli
from reproduce.notebook.trace.loaders import _dataset_name, _transform_of
from tests import nbfactory as f


class Images(torch.utils.data.Dataset):
    """Stands for MNIST: a dataset with (or without) its own transform."""

    def __init__(self, transform=None):
        self.transform = transform

    def __len__(self):
        return 1


class Wrapper(torch.utils.data.Dataset):
    def __init__(self, **fields):
        vars(self).update(fields)

    def __len__(self):
        return 1


def test_a_wrapper_keeping_its_pipeline_under_another_name_is_read():
    tf = T.Compose([T.RandomRotation(5), T.Normalize((0.1307,), (0.3081,))])
    found = Wrapper(ds=Images(), tf=tf, target_tf=T.Lambda(int))   # a target transform is never the images'
    assert _transform_of(found) is tf
    assert _dataset_name(found) == "Wrapper/Images"


def test_a_subclass_of_a_library_transform_counts_and_a_plain_function_does_not():
    class MyCompose(T.Compose):
        pass

    mine = MyCompose([T.ToTensor()])
    assert _transform_of(Wrapper(data=Images(), aug=mine)) is mine
    assert _transform_of(Wrapper(data=Images(), aug=lambda x: x)) is None


def test_two_attributes_holding_transforms_are_not_guessed_between():
    assert _transform_of(Wrapper(ds=Images(), train_tf=T.ToTensor(), test_tf=T.ToTensor())) is None


def test_a_wrapper_transforming_what_the_wrapped_dataset_returns_is_both_inner_first():
    inner, outer = T.ToTensor(), T.RandomRotation(7)
    both = _transform_of(Wrapper(mnist=Images(inner), tf=outer))
    assert isinstance(both, T.Compose)
    assert both.transforms == [inner, outer]


def test_subset_and_a_named_transform_keep_their_reading():
    tf = T.ToTensor()
    subset = torch.utils.data.Subset(Images(tf), [0])
    assert _transform_of(subset) is tf
    assert _dataset_name(subset) == "Subset/Images"
    assert _transform_of(Wrapper(transform=tf, mnist=Images())) is tf


# --- slow: a made-up notebook in a kernel ----------------------------------------------------------------------

def wrapper_notebook(getitem: str, build: str):
    return f.notebook(
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\n"
        "from torchvision import datasets, transforms",
        f.TINY_NET,
        f"""class Shifted(torch.utils.data.Dataset):
    def __init__(self, train, tf=None):
        self.ds = datasets.MNIST('./data', train=train, download=True, transform=transforms.ToTensor())
        self.tf = tf

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        image, label = self.ds[i]
        return {getitem}, label

{build}""",
        f.TRAIN_TWO_EPOCHS)


@pytest.mark.slow
def test_a_wrapper_with_its_own_name_for_the_pipeline_drafts_it_and_its_own_arithmetic_is_refused(tmp_path, mnist_root):
    env = {"MNIST_DATA_DIR": str(mnist_root)}
    f.write(tmp_path / "tf.ipynb", wrapper_notebook(
        "self.tf(image)",
        "aug = transforms.Compose([transforms.RandomRotation(5), transforms.Normalize((0.1307,), (0.3081,))])\n"
        "train_loader = torch.utils.data.DataLoader(Shifted(True, aug), batch_size=64, shuffle=True)"))
    done = run_cli("recipe", "tf.ipynb", cwd=tmp_path, env_extra=env)
    assert done.returncode == 0, done.stderr
    for line in ("rotate = 5.0  # observed: the training transform, cell 4",
                 "normalize = [0.1307, 0.3081]  # observed: the training transform, cell 4",
                 "batch_size = 64  # observed: DataLoader(batch_size=64, shuffle=True) over Shifted/MNIST, cell 4"):
        assert line in done.stdout, line
    f.write(tmp_path / "own.ipynb", wrapper_notebook(
        "(image - 0.5) * 2",
        "train_loader = torch.utils.data.DataLoader(Shifted(True), batch_size=64, shuffle=True)"))
    own = run_cli("recipe", "own.ipynb", cwd=tmp_path, env_extra=env)
    assert own.returncode == 2   # MNIST's own ToTensor is seen, the wrapper's arithmetic is not: the pixels say
    assert own.stderr.strip().startswith(
        "error: own.ipynb: the training images came out of the training transform in [-1, 1], which normalize = "
        "[0, 1] gives from pixels in [-1, 1], not from images in [0, 1] (does the Dataset change the images in its "
        "own code?) (cell 4)"), own.stderr
