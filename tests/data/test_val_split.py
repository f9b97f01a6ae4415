"""--val-split: the last N training images are held out, never trained on, and evaluated every epoch."""
import math

import pytest
import torch

from reproduce.data.mnist import MNISTTensors
from reproduce.data.split import MNIST_TRAIN_IMAGES, SplitError, plan
from reproduce.record.schema import load
from reproduce.training.config import TrainConfig
from reproduce.training.trainer import train


def indices(s: slice) -> set:
    return set(range(s.start, s.stop))


@pytest.mark.parametrize(("val_split", "train_limit", "n_train"), [
    (0, None, 60_000), (5_000, None, 55_000), (5_000, 1_024, 1_024), (5_000, 58_000, 55_000), (59_872, None, 128),
])
def test_validation_and_training_indices_never_overlap(val_split, train_limit, n_train):
    s = plan(TrainConfig(val_split=val_split, train_limit=train_limit))
    train_idx, val_idx = indices(s.train), indices(s.val)
    assert not train_idx & val_idx
    assert len(train_idx) == s.n_train == n_train
    assert len(val_idx) == s.n_val == val_split
    assert val_idx == set(range(MNIST_TRAIN_IMAGES - val_split, MNIST_TRAIN_IMAGES))   # always the last N


def test_a_split_leaving_less_than_a_batch_is_refused():
    with pytest.raises(SplitError, match="leaves 127 of 60000"):
        plan(TrainConfig(val_split=59_873))
    with pytest.raises(SplitError, match="leaves 0 of 60000"):
        plan(TrainConfig(val_split=70_000))


@pytest.mark.slow
def test_the_trainer_never_trains_on_held_out_images(mnist_cpu):
    # Poison the held-out images with NaN: one of them in a training batch would make the training loss NaN.
    n, held = 1024, 256
    x = torch.cat([mnist_cpu.train_x[:n], torch.full_like(mnist_cpu.train_x[:held], float("nan"))])
    y = mnist_cpu.train_y[:n + held]
    data = MNISTTensors(x, y, mnist_cpu.test_x[:1000], mnist_cpu.test_y[:1000])
    epochs, _, _ = train(TrainConfig(epochs=1, val_split=held), 0, data, torch.device("cpu"))
    e = epochs[0]
    assert math.isfinite(e.train_loss)
    assert math.isfinite(e.test_loss)
    assert math.isnan(e.val_loss)   # ...and the poisoned images are exactly the ones evaluated as validation


@pytest.mark.slow
def test_run_with_val_split_records_validation_every_epoch(cli, mnist_root, tmp_path):
    done = cli("run", "--seeds", "0", "--epochs", "1", "--train-limit", "512", "--val-split", "1000",
               "--device", "cpu", "--quiet", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    r = load(tmp_path / "seed-seed0.json")
    assert r.config["val_split"] == 1000
    assert r.data["val_images"] == 1000
    assert r.data["train_images"] == 512
    assert all(e.val_acc is not None and 0 <= e.val_acc <= 100 and e.val_loss > 0 for e in r.epochs)
    acc = r.epochs[0].val_acc   # k correct of 1,000 images: a whole number of tenths of a percent
    assert abs(acc * 10 - round(acc * 10)) < 1e-9
    shown = cli("report", tmp_path, env_extra={"COLUMNS": "100"})
    assert "val@ep" in shown.stdout
    assert "(1 runs)" in shown.stdout


@pytest.mark.parametrize(("args", "says"), [
    (["--val-split", "59950"], "--val-split 59950: leaves 50 of 60000 training images"),
    (["--val-split", "-1"], "--val-split must be 0 or more"),
])
def test_bad_val_split_is_one_line_and_exit_2(capsys, tmp_path, args, says):
    from reproduce.cli import main  # in-process: the same path as `python -m reproduce`, no subprocess start
    assert main(["run", "--seeds", "0", "--epochs", "1", "--device", "cpu", "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.count("\n") == 1
    assert not any(tmp_path.iterdir())   # refused before anything was written
