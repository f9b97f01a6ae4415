"""Determinism with every further recipe key on (all the augmentations, normalize, l1, plateau on a validation
split): a real process killed by a real signal during epoch 2, then the same command again, ends with the
uninterrupted run's metrics and weights hash; and the same seed alone equals it inside a sweep."""
from pathlib import Path

import pytest
import torch
from rich.console import Console

from conftest import kill_after_epoch_1, numbers, run_cli
from reproduce.data.mnist import DataInfo
from reproduce.record import checkpoint
from reproduce.sweep.local import run_sweep
from reproduce.sweep.options import Sweep, SweepOptions
from reproduce.training.config import TrainConfig
from reproduce.training.recipe import load as load_recipe

pytestmark = pytest.mark.slow   # trains, or runs a script that does

RECIPE = """epochs = 3
batch_size = 64
loss = "cross_entropy"
normalize = [0.5, 0.5]
l1 = 1e-5
[optimizer]
name = "sgd"
lr = 0.05
momentum = 0.9
[schedule]
name = "plateau"
factor = 0.5
patience = 0
[augment]
rotate = 8.0
translate = [0.08, 0.04]
scale = [0.92, 1.08]
shear = [-8, 8, -4, 4]
resized_crop = { scale = [0.7, 1.0] }
center_crop = { size = 22, p = 0.2 }
color_jitter = { brightness = 0.2, contrast = 0.2 }
perspective = { distortion = 0.3, p = 0.3 }
erasing = { p = 0.3 }
"""
NAME = "my_net.Net-seed0.json"


def command(recipe: Path) -> list:
    return ["--model", "examples/my_net.py:Net", "--recipe", str(recipe), "--seeds", "0", "--train-limit", "512",
            "--val-split", "1000", "--device", "cpu", "--threads", "1"]


def plateau_lrs(val_losses) -> list:
    """The lr of each epoch as torch's ReduceLROnPlateau sets it from these validation losses."""
    probe = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05)
    schedule, lrs = torch.optim.lr_scheduler.ReduceLROnPlateau(probe, factor=0.5, patience=0), []
    for loss in val_losses:
        lrs.append(probe.param_groups[0]["lr"])
        schedule.step(loss)
    return lrs


@pytest.fixture(scope="module")
def recipe(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("recipe") / "everything.toml"
    path.write_text(RECIPE)
    return path


def test_killed_during_epoch_2_with_every_key_on_then_resumed_is_bit_identical(recipe, mnist_root, tmp_path):
    whole = run_cli("run", *command(recipe), "--quiet", "--out", tmp_path / "whole",
                    env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert whole.returncode == 0, whole.stderr
    uninterrupted = numbers(tmp_path / "whole" / NAME)
    assert [e["lr"] for e in uninterrupted[0]] == plateau_lrs([e["val_loss"] for e in uninterrupted[0]])
    out = tmp_path / "sweep"
    kill_after_epoch_1(command(recipe), out, mnist_root)
    ck = torch.load(checkpoint.checkpoint_path(out / NAME), weights_only=True)
    assert len(ck["epochs"]) == 1
    assert ck["augment"] is not None
    assert "best" in ck["schedule"]
    again = run_cli("run", *command(recipe), "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert again.returncode == 0, again.stderr
    assert "resuming after epoch 1 of 3" in again.stdout
    assert numbers(out / NAME) == uninterrupted


def test_a_seed_alone_equals_the_same_seed_inside_a_sweep(recipe, mnist_root, tmp_path):
    info = DataInfo(str(mnist_root), "local")
    quiet = Console(quiet=True)
    fields = {**load_recipe(recipe), "epochs": 2}
    cfg, cpu = TrainConfig(model="examples/my_net.py:Net", train_limit=512, **fields), torch.device("cpu")
    run_sweep(Sweep(cfg, [0, 1], cpu, info, tmp_path / "sweep"), quiet, SweepOptions(quiet=True))
    run_sweep(Sweep(cfg, [1], cpu, info, tmp_path / "alone"), quiet, SweepOptions(quiet=True))
    assert numbers(tmp_path / "sweep" / "my_net.Net-seed1.json") == numbers(tmp_path / "alone" / "my_net.Net-seed1.json")
