"""Training throughput: seconds per step (batch 128) of the suite's trainer against the textbook loop in
bench/reference_loop.py, on the same slice of real MNIST, the same model and the same run.

Each timed round is one pass over BENCH_TRAIN_BATCHES batches (default 16). Seconds per epoch is derived as
seconds per step x 469 (60,000 images / 128, rounded up) and labelled as derived wherever it is shown; the
ratio reference/trainer is what `python -m bench.table` prints as the trainer's speed-up.
"""
import os

import pytest
import torch

from bench import reference_loop
from bench.common import common_info, devices, median_seconds, synchronizer
from reproduce.config import TrainConfig
from reproduce.trainer import make_model, train_epoch

BATCH = 128
STEPS_PER_EPOCH = 469  # ceil(60000 / 128)
LOOPS = ("reference", "trainer")


def batches_per_round() -> int:
    raw = os.environ.get("BENCH_TRAIN_BATCHES", "16").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise pytest.UsageError(f"BENCH_TRAIN_BATCHES must be a positive integer, got {raw!r}")
    return int(raw)


@pytest.fixture(scope="session")
def mnist_train():
    """The real training set, read from disk only: nothing is downloaded at bench time."""
    from reproduce.data import DataError, default_root, load_tensors, raw_dir, verify
    root = default_root()
    try:
        verify(raw_dir(root))
    except DataError as e:
        pytest.skip(f"training throughput needs MNIST ({e}); run `make data` or set MNIST_DATA_DIR")
    data = load_tensors(root, "cpu")
    return data.train_x, data.train_y


def one_round(loop: str, device: str, x, y):
    """A fresh model and optimizer (seed 0, the suite's recipe) and the function that trains one round."""
    cfg = TrainConfig()
    net, opt, order = make_model(cfg, seed=0, device=torch.device(device))
    if loop == "trainer":
        return lambda: train_epoch(net, opt, x, y, BATCH, order, lambda: None)
    return lambda: reference_loop.train_one_epoch(net, opt, x, y, BATCH, order)


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("device", [pytest.param(d, marks=m) for d, m in devices()])
def test_train_throughput(benchmark, mnist_train, device, loop):
    benchmark.group = f"train {device} batch {BATCH}"
    steps = batches_per_round()
    x, y = (t[:steps * BATCH].to(device) for t in mnist_train)
    train, sync = one_round(loop, device, x, y), synchronizer(device)

    def one_pass():
        train()
        sync()
    # A round is seconds long: a fixed number of rounds after one warm-up round, not pytest-benchmark's
    # calibration (which would spend a minute per loop finding out that one iteration is enough).
    benchmark.pedantic(one_pass, rounds=5, iterations=1, warmup_rounds=1)

    median = median_seconds(benchmark)
    per_step = median / steps if median else None
    benchmark.extra_info.update(common_info(device))
    benchmark.extra_info.update({
        "loop": loop, "device": device, "batch": BATCH, "steps_per_round": steps,
        "seconds_per_step": per_step,
        "seconds_per_epoch_derived": per_step * STEPS_PER_EPOCH if per_step else None,
        "images_per_s": BATCH / per_step if per_step else None,
    })
