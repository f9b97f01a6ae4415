"""The words a notebook check says, on made-up notebooks in the shapes real ones are written in: what the draft
cites and names, and where the code lets the test set steer the run it claims (nothing is trained here)."""
import os
import subprocess
import sys

import pytest
from nbfactory import IMPORTS, NET, TRAIN, notebook, write

from conftest import REPO
from reproduce.cli import main
from reproduce.data import mnist
from reproduce.notebook import steering
from reproduce.notebook.draft import draft

LOADER = """use_cuda = torch.cuda.is_available()
batch_size = 64
kwargs = {'num_workers': 1, 'pin_memory': True} if use_cuda else {}
train_loader = torch.utils.data.DataLoader(datasets.MNIST('../data', train=True), batch_size=batch_size, shuffle=True, **kwargs)"""


def comments(tmp_path, *cells):
    """{key: its comment} of the draft's top-level and section keys, and the draft."""
    _, d = draft(write(tmp_path / "nb.ipynb", notebook(*cells)), static=True)   # fragments: read, not run
    out, section = {}, ""
    for line in d.text.splitlines():
        if line.startswith("["):
            section = line.strip("[]") + "."
        elif " = " in line and not line.startswith("#"):
            out[section + line.split(" = ")[0]] = line.split("  # ", 1)[1]
    return out, d


def test_the_batch_size_cites_where_its_value_was_written(tmp_path):
    why, _ = comments(tmp_path, IMPORTS, NET, LOADER, TRAIN)
    assert why["batch_size"] == "cell 4, line 2: batch_size = 64"   # not the kwargs line beside it
    dict_loader = "args = dict(batch_size=32, shuffle=True)\nloader = DataLoader(train_set, **args)"
    why, _ = comments(tmp_path, IMPORTS, NET, dict_loader)
    assert why["batch_size"] == "cell 4, line 1: args = dict(batch_size=32, shuffle=True)"


@pytest.mark.parametrize(("line", "loss"), [("criterion = F.nll_loss", "nll"), ("criterion = nn.NLLLoss()", "nll"),
                                        ("criterion = F.cross_entropy", "cross_entropy")])
def test_a_loss_bound_without_a_call_is_read_as_one_built(tmp_path, line, loss):
    train = f"{line}\ndef train(model):\n    loss = criterion(model(x), y)"
    why, d = comments(tmp_path, IMPORTS, NET, train)
    assert why["loss"] == f"cell 4, line 1: {line}"
    assert f'loss = "{loss}"' in d.text


def test_a_step_on_a_scheduler_built_elsewhere_is_not_a_scheduler_and_a_bare_name_is(tmp_path, capsys):
    trainer = """class Trainer:
    def __init__(self, lr_scheduler):
        self.lr_scheduler = lr_scheduler
    def epoch(self):
        self.lr_scheduler.step()
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=6, gamma=0.1)"""
    why, d = comments(tmp_path, IMPORTS, NET, TRAIN, trainer)
    assert why["schedule.name"].startswith("cell 5, line 6: scheduler = ")
    assert "Left out" not in d.text
    nb = write(tmp_path / "cyclic.ipynb", notebook(IMPORTS, NET, "from torch.optim.lr_scheduler import CyclicLR\n"
                                                                  "s = CyclicLR(optimizer, 0.001, 0.1)"))
    assert main(["recipe", str(nb), "--static"]) == 2
    assert "the scheduler CyclicLR, which the suite cannot reproduce (cell 4, line 2" in capsys.readouterr().err


STEERED = {
    "early break": ("""for epoch in range(1, 20):
    train(model)
    acc = test(model)
    if acc > 99.4:
        print('target reached')
        break""", "the training stops as soon as a test accuracy is reached (cell 3, line 4: if acc > 99.4:)"),
    "best model": ("""best_acc = 0
for epoch in range(15):
    test_accuracy = test(model, test_loader)
    if test_accuracy > best_acc:
        best_acc = test_accuracy
        torch.save(model.state_dict(), 'best.pt')""",
                   'a "best model" is saved when a test accuracy improves (cell 3, line 4: if test_accuracy > '
                   'best_acc:): its epoch is picked on the test set'),
    "plateau": ("""scheduler = ReduceLROnPlateau(optimizer, mode='min', patience=2)
for epoch in range(15):
    test_loss = test(model)
    scheduler.step(test_loss)""", "the plateau schedule steps on test_loss (cell 3, line 4: "
                                  "scheduler.step(test_loss)): unless that is measured on held-out training images"),
}


@pytest.mark.parametrize("case", sorted(STEERED))
def test_a_run_steered_by_the_test_set_is_named(tmp_path, case):
    code, says = STEERED[case]
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, code))
    found = steering.notes(nb)
    assert len(found) == 1, found
    assert found[0].startswith(says), found


@pytest.mark.parametrize("code", [
    "for epoch in range(20):\n    train_acc = train(model)\n    if train_acc > 99.9:\n        break",   # training figure
    "for batch in loader:\n    if batch is None:\n        break",
    "scheduler = ReduceLROnPlateau(optimizer)\nfor epoch in range(3):\n    scheduler.step(train_loss)",
    "scheduler = StepLR(optimizer, 5)\nfor epoch in range(3):\n    scheduler.step()",
    TRAIN,
])
def test_a_run_the_test_set_does_not_steer_gets_no_note(tmp_path, code):
    assert steering.notes(write(tmp_path / "nb.ipynb", notebook(IMPORTS, code))) == []


def test_mnist_goes_to_a_per_user_cache_outside_a_checkout_and_to_data_inside(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert mnist.default_root() == tmp_path / "cache" / "mnist-20k-suite" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.default_root() == tmp_path / "home" / ".cache" / "mnist-20k-suite" / "mnist"
    for inside in (REPO, REPO / "docs"):   # this checkout: its data/, as make and the tests use it
        monkeypatch.chdir(inside)
        assert mnist.default_root() == REPO / "data"
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "mine"))
    assert mnist.default_root() == tmp_path / "mine"


def test_the_data_command_outside_a_checkout_writes_nothing_into_the_current_folder(tmp_path, mnist_root):
    cache = tmp_path / "cache"
    raw = cache / "mnist-20k-suite" / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in mnist.SHA256:   # already there, as after a first fetch: nothing is downloaded here
        os.symlink(mnist.raw_dir(mnist_root).resolve() / name, raw / name)
    user = tmp_path / "user"
    user.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MNIST_DATA_DIR"}
    done = subprocess.run([sys.executable, "-m", "reproduce", "data"], cwd=user, capture_output=True, text=True,
                          env={**env, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"MNIST at {cache / 'mnist-20k-suite' / 'mnist'} (source: local)" in done.stdout
    assert not any(user.iterdir())
