"""Resume stays exact with a schedule and augmentation: a real process with OneCycle (stepped every batch) and
per-image augmentation, killed by a real signal during epoch 2, then the same command again, ends with the
uninterrupted run's metrics and weights hash. Also: the same seed alone or inside a sweep, and a checkpoint
written before schedules existed still resumes."""

import pytest
import torch
from rich.console import Console

from conftest import REPO, kill_after_epoch_1, numbers, run_cli
from reproduce.data.mnist import DataInfo
from reproduce.record import checkpoint
from reproduce.sweep.local import run_sweep
from reproduce.sweep.options import Sweep, SweepOptions
from reproduce.training.config import TrainConfig
from reproduce.training.recipe import load as load_recipe

pytestmark = pytest.mark.slow   # trains, kills and resumes real subprocesses: left out by make test-fast

RUN = ["--model", "examples/my_net.py:Net", "--recipe", "examples/my_recipe.toml", "--seeds", "0", "--epochs", "3",
       "--train-limit", "2048", "--device", "cpu", "--threads", "1"]
NAME = "my_net.Net-seed0.json"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, mnist_root):
    out = tmp_path_factory.mktemp("whole")
    done = run_cli("run", *RUN, "--quiet", "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    return numbers(out / NAME)


def test_killed_during_epoch_2_with_onecycle_and_augmentation_then_resumed_is_bit_identical(
        uninterrupted, mnist_root, tmp_path):
    out = tmp_path / "sweep"
    kill_after_epoch_1(RUN, out, mnist_root)
    ck = torch.load(checkpoint.checkpoint_path(out / NAME), weights_only=True)
    assert len(ck["epochs"]) == 1
    assert ck["schedule"]["_step_count"] > 1
    assert ck["augment"] is not None
    again = run_cli("run", *RUN, "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert again.returncode == 0, again.stderr
    assert "resuming after epoch 1 of 3" in again.stdout
    assert numbers(out / NAME) == uninterrupted


def small_cfg() -> TrainConfig:
    fields = load_recipe(REPO / "examples" / "my_recipe.toml")
    fields.update(epochs=2)
    return TrainConfig(model="examples/my_net.py:Net", train_limit=512, **fields)


def test_a_seed_alone_equals_the_same_seed_inside_a_sweep(mnist_root, tmp_path):
    info = DataInfo(str(mnist_root), "local")
    quiet = Console(quiet=True)
    cfg, cpu = small_cfg(), torch.device("cpu")
    run_sweep(Sweep(cfg, [0, 1], cpu, info, tmp_path / "sweep"), quiet, SweepOptions(quiet=True))
    run_sweep(Sweep(cfg, [1], cpu, info, tmp_path / "alone"), quiet, SweepOptions(quiet=True))
    assert numbers(tmp_path / "sweep" / "my_net.Net-seed1.json") == numbers(tmp_path / "alone" / "my_net.Net-seed1.json")


def test_a_checkpoint_from_before_schedules_resumes(mnist_cpu, tmp_path):
    """Checkpoints of the seed recipe written before this change have no 'schedule' or 'augment' key."""
    from reproduce.training.trainer import TrainOptions, start_run, train
    cfg, cpu = TrainConfig(epochs=2, train_limit=256), torch.device("cpu")
    whole = train(cfg, 0, mnist_cpu, cpu)
    state = start_run(cfg, 0, cpu)
    train(cfg, 0, mnist_cpu, cpu, TrainOptions(start=state, stop_after=1))
    path = tmp_path / ".ck"
    checkpoint.save(path, state, "fp", cpu, 1.0)
    ck = checkpoint.read(path)
    del ck["schedule"], ck["augment"]
    resumed = train(cfg, 0, mnist_cpu, cpu, TrainOptions(start=checkpoint.resume(ck, cfg, 0, cpu, 256)))
    strip = lambda es: [{**e.__dict__, "seconds": None} for e in es]
    assert strip(resumed[0]) == strip(whole[0])
    assert resumed[1] == whole[1]
