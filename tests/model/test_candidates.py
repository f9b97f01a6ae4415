"""The under-4,000-parameter candidates in model/candidates/: plain network files with a recipe each, to screen on
the validation split before any is registered. Each meets every rule under 4,000 parameters, says its true
count in its docstring, has a recipe of at most 15 epochs with [ema] that the suite accepts, and trains."""
import ast
import re

import pytest
import torch

import reproduce.model as model
from conftest import REPO
from reproduce.data.mnist import MNISTTensors
from reproduce.model.audit import audit
from reproduce.training.config import TrainConfig
from reproduce.training.recipe import load
from reproduce.training.trainer import train

FOLDER = REPO / "model" / "candidates"
FILES = sorted(FOLDER.glob("*.py"))
UNDER = 4_000


def spec_of(path) -> str:
    """'model/candidates/x.py:XNet' for the one network class the file defines."""
    classes = [n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.ClassDef)]
    assert len(classes) == 1, f"{path.name}: one network class per candidate, found {classes}"
    return f"{path}:{classes[0]}"


def test_there_are_candidates_each_with_its_recipe():
    assert 2 <= len(FILES) <= 4
    assert sorted(p.stem for p in FOLDER.glob("*.toml")) == [p.stem for p in FILES]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_meets_every_rule_under_4000_and_its_docstring_says_its_count(path):
    a = audit(model.build(spec_of(path)))
    assert a.params < UNDER
    assert a.batchnorm
    assert a.dropout
    assert a.fully_connected
    assert a.global_avg_pool
    first_line = ast.get_docstring(ast.parse(path.read_text())).splitlines()[0]
    said = re.search(r"under 4,000 parameters: (\d[\d,]*\d)", first_line)
    assert said, f"{path.name}: its docstring's first line names its parameter count"
    assert int(said.group(1).replace(",", "")) == a.params


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_recipe_trains_at_most_15_epochs_with_a_moving_average(path):
    source = model.resolve(spec_of(path))
    cfg = TrainConfig(model=spec_of(path), model_sha256=source.sha256, **load(path.with_suffix(".toml")))
    assert cfg.epochs <= 15
    assert cfg.ema_decay is not None
    assert cfg.schedule["name"] == "onecycle"
    assert cfg.augments
    assert cfg.problems() == []


def test_none_is_registered():
    registered = [model.resolve(name) for name in model.registry()]
    assert not {src.sha256 for src in registered} & {model.resolve(spec_of(p)).sha256 for p in FILES}
    assert not any(src.recipe is not None and src.recipe.parent.resolve() == FOLDER.resolve() for src in registered)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_trains_a_tiny_run(path, mnist_cpu):
    data = MNISTTensors(mnist_cpu.train_x[:256], mnist_cpu.train_y[:256], mnist_cpu.test_x[:200],
                        mnist_cpu.test_y[:200])
    cfg = TrainConfig(model=spec_of(path), epochs=1, batch_size=64, eval_batch_size=200, loss="cross_entropy",
                      ema_decay=0.5)
    epochs, _, net = train(cfg, 0, data, torch.device("cpu"))
    assert epochs[0].train_loss is not None
    assert net(data.test_x[:2]).shape == (2, 10)
