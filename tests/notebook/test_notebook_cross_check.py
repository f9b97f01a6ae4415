"""The static reading beside the dry run (draft.read_text): where the notebook's text defeats it, the draft says
that the text could not be cross-checked and goes on; under --static it is one line, exit 2."""
import pytest

from conftest import run_cli
from reproduce.model.notebook import read
from reproduce.notebook import draft
from reproduce.notebook.trace import compose, runner
from reproduce.notebook.transforms import Found
from tests import nbfactory as f

# An inline training Compose without Normalize, and a three-channel Normalize kept for pictures and never used:
# the static reading takes the latter as the notebook's normalisation and cannot read three means as one.
UNREADABLE = [
    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\n"
    "from torchvision import datasets, transforms",
    f.TINY_NET,
    """rgb_preview = transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
train_loader = torch.utils.data.DataLoader(
    datasets.MNIST('./data', train=True, download=True, transform=transforms.Compose([transforms.ToTensor()])),
    batch_size=16, shuffle=True)""",
    f.TRAIN_TWO_EPOCHS,
]


def test_text_the_static_reading_cannot_read_is_an_unread_cross_check_not_an_error(tmp_path):
    nb = read(f.write(tmp_path / "nb.ipynb", f.notebook(*UNREADABLE)))
    unread = draft.read_text(nb)
    assert isinstance(unread, compose.Unread)
    assert unread.why.startswith("TypeError: ")
    assert isinstance(draft.read_text(read(f.write(tmp_path / "ok.ipynb", f.notebook("x = 1")))), Found)


def test_the_draft_says_the_text_could_not_be_cross_checked(tmp_path):
    from tests.notebook.test_notebook_trace import epoch, record
    nb = read(f.write(tmp_path / "nb.ipynb", f.notebook("x = 1", "y = 2", "z = 3", "w = 4")))
    dry = runner.DryRun(record(epoch() * 2), "{}", 1.0, None, str(tmp_path / "scratch"))
    text = compose.compose(nb, dry, compose.Unread("TypeError: three means"), False, None).text
    assert ("# The code's text could not be cross-checked: the static reading (--static) stopped on it "
            "(TypeError: three means)") in text
    assert "epochs = 2  # observed" in text


@pytest.mark.integration
def test_static_on_unreadable_text_is_one_line_exit_2(tmp_path):
    f.write(tmp_path / "nb.ipynb", f.notebook(*UNREADABLE))
    done = run_cli("recipe", "nb.ipynb", "--static", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: nb.ipynb: the static reading (--static) cannot read its code (TypeError: ")
    assert done.stderr.strip().endswith("without --static the suite runs the notebook's code instead")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_notebook_that_defeats_the_static_reading_but_runs_is_drafted(tmp_path, mnist_root):
    f.write(tmp_path / "nb.ipynb", f.notebook(*UNREADABLE))
    done = run_cli("recipe", "nb.ipynb", cwd=tmp_path, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    assert "# The code's text could not be cross-checked: the static reading (--static) stopped on it (TypeError: " \
        in done.stdout
    for line in ("epochs = 2  # observed: 2 passes", "batch_size = 16  # observed",
                 "normalize = [0.0, 1.0]  # observed: no Normalize in the training transform"):
        assert line in done.stdout, line
