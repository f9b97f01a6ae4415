"""Training throughput: seconds per step (batch 128) of the suite's trainer (its default, fast execution:
reproduce/training/execution.py) against the textbook loop in
bench/reference_loop.py, on the same slice of real MNIST, the same model and the same run, for the seed
network and `frontier` (each with its own recipe's loss and optimizer; the schedule and the augmentation are
left out of the timed steps, which are the same for every loop).

Each timed round is one pass over BENCH_TRAIN_BATCHES batches (default 16); reference and trainer rounds
alternate. Seconds per epoch is derived as seconds per step x 469 (60,000 images / 128, rounded up) and
labelled as derived wherever it is shown. The ratio of the medians, reference / trainer, is the trainer's
speed-up: extra_info "speedup_vs_reference", the last column of `python -m bench.table`'s training table.

A third loop alternates with them: the trainer's convolutions alone (bench/conv_floor.py), the same number of
steps with the trainer's shapes and layout. reference / convolutions is the most any fp32 trainer that keeps
torch's convolutions could reach on this machine: extra_info "ceiling_vs_reference".

A fourth: the same trainer with --precision bf16 (reproduce/training/precision.py: the forward under bf16
autocast), on its own model and optimizer from the same seed: extra_info "bf16_speedup_vs_reference", the
training table's "trainer, bf16" row.

A fifth: the recipes' augmentation alone (reproduce/training/augment.py, with examples/my_recipe.toml's
rotation, shift and scale) on the same batches. Its cost as a share of a trainer step is extra_info
"augment_share_of_step" (target: at most 15 % of a seed-network step on the CPU). A sixth: every augmentation
stage at once (examples/every_augmentation.toml: crops, affine map with shear, perspective, colour jitter,
erasing), "augment_all_share_of_step", under the same target.

The fast execution's allocator setting (freed memory kept: reproduce/training/execution.py) is process-wide, so from the
trainer's first round on the reference loop has it too: the measured speed-up is, if anything, an underestimate.
"""
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

import reproduce.model as models
from bench import reference_loop
from bench.common import common_info, devices, median_seconds, synchronizer
from bench.conv_floor import convolutions_only, step_convolutions
from reproduce.training import execution, optim, precision
from reproduce.training.augment import Affine, Augment
from reproduce.training.config import TrainConfig
from reproduce.training.recipe import load as load_recipe
from reproduce.training.trainer import EpochSteps, make_model, train_epoch

MODELS = ("seed", "frontier")

BATCH = 128
STEPS_PER_EPOCH = 469  # ceil(60000 / 128)
ROUNDS = 5
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def batches_per_round() -> int:
    raw = os.environ.get("BENCH_TRAIN_BATCHES", "16").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise pytest.UsageError(f"BENCH_TRAIN_BATCHES must be a positive integer, got {raw!r}")
    return int(raw)


@pytest.fixture(scope="session")
def mnist_train():
    """The real training set, read from disk only: nothing is downloaded at bench time."""
    from reproduce.data.mnist import DataError, default_root, load_tensors, raw_dir, verify
    root = default_root()
    try:
        verify(raw_dir(root))
    except DataError as e:
        pytest.skip(f"training throughput needs MNIST ({e}); run `make data` or set MNIST_DATA_DIR")
    data = load_tensors(root, "cpu")
    return data.train_x, data.train_y


def configs(name: str):
    """The model's recipe as the suite's default trainer ("fast"), the reference loop ("plain") and bf16."""
    recipe = models.resolve(name).recipe
    assert recipe is not None   # every network of the suite comes with its recipe
    trainer = TrainConfig(model=name, **load_recipe(recipe))
    return trainer, replace(trainer, execution="plain"), replace(trainer, precision="bf16")


def fresh_run(device: str, cfg: TrainConfig):
    """A fresh model and optimizer (seed 0, the suite's recipe, cfg's execution) and its batch order."""
    return make_model(cfg, seed=0, device=torch.device(device))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("device", [pytest.param(d, marks=m) for d, m in devices()])
def test_train_throughput(benchmark, mnist_train, device, name):
    """The trainer is the benchmarked function; the reference loop and the bf16 trainer run one round each
    before each of its rounds (pedantic's setup, outside pytest-benchmark's timing, timed here), so they alternate
    and any drift of a shared machine's load, or anything that ran before, falls on all alike."""
    benchmark.group = f"train {name} {device} batch {BATCH}"
    fast_cfg, plain_cfg, bf16_cfg = configs(name)
    bf16_problem = precision.problem("bf16", bf16_cfg.execution, torch.device(device))
    steps = batches_per_round()
    x, y = (t[:steps * BATCH].to(device) for t in mnist_train)
    sync = synchronizer(device)
    loss_fn = optim.train_loss(fast_cfg)
    net, opt, order = fresh_run(device, fast_cfg)
    ref_net, ref_opt, ref_order = fresh_run(device, plain_cfg)
    bf16_net, bf16_opt, bf16_order = fresh_run(device, bf16_cfg)
    bf16_forward = precision.training_forward(bf16_net, "bf16", device)
    fast_x = execution.place_images(x, fast_cfg.execution)
    with execution.kernels(fast_cfg.execution):
        conv_step = convolutions_only(step_convolutions(net, fast_x[:BATCH]))
    recipe = load_recipe(EXAMPLES / "my_recipe.toml")["augment"]
    augment = Augment(Affine(recipe["rotate"], recipe["translate"], recipe["scale"]), 0, torch.device(device))
    every = Augment.from_config(TrainConfig(**load_recipe(EXAMPLES / "every_augmentation.toml")), 0,
                                torch.device(device))
    reference_rounds, conv_rounds, augment_rounds, every_rounds, bf16_rounds = [], [], [], [], []

    def reference_round():
        start = time.perf_counter()
        reference_loop.train_one_epoch(ref_net, ref_opt, x, y, BATCH, ref_order, loss_fn)
        sync()
        reference_rounds.append(time.perf_counter() - start)
        if bf16_problem is None:   # a device without bf16 has no such row (the reason is in extra_info)
            start = time.perf_counter()
            with execution.kernels(bf16_cfg.execution):
                train_epoch(bf16_forward, bf16_opt, fast_x, y, EpochSteps(BATCH, bf16_order, loss_fn))
            sync()
            bf16_rounds.append(time.perf_counter() - start)
        start = time.perf_counter()
        with execution.kernels(fast_cfg.execution):
            for _ in range(steps):
                conv_step()
        sync()
        conv_rounds.append(time.perf_counter() - start)
        start = time.perf_counter()
        for k in range(steps):
            augment(fast_x[k * BATCH:(k + 1) * BATCH])
        sync()
        augment_rounds.append(time.perf_counter() - start)
        start = time.perf_counter()
        for k in range(steps):
            every(fast_x[k * BATCH:(k + 1) * BATCH])
        sync()
        every_rounds.append(time.perf_counter() - start)

    def trainer_round():
        with execution.kernels(fast_cfg.execution):
            train_epoch(net, opt, fast_x, y, EpochSteps(BATCH, order, loss_fn))
        sync()
    # A round is seconds long: a fixed number of rounds after one warm-up round of each loop, not
    # pytest-benchmark's calibration (which would spend a minute per loop finding out that one is enough).
    benchmark.pedantic(trainer_round, setup=reference_round, rounds=ROUNDS, iterations=1, warmup_rounds=1)

    median = median_seconds(benchmark)
    timed_reference = reference_rounds[1:]  # the first ran before the warm-up round
    timed_conv = conv_rounds[1:]
    reference = statistics.median(timed_reference) if median else None
    conv = statistics.median(timed_conv) if median else None
    augmenting = statistics.median(augment_rounds[1:]) if median else None
    every_stage = statistics.median(every_rounds[1:]) if median else None
    bf16 = statistics.median(bf16_rounds[1:]) if median and bf16_rounds else None
    benchmark.extra_info.update(common_info(device))
    benchmark.extra_info.update({
        "loop": "trainer", "model": name, "execution": execution.describe(fast_cfg.execution),
        "device": device, "batch": BATCH, "steps_per_round": steps,
        "seconds_per_step": median / steps if median else None,
        "seconds_per_epoch_derived": median / steps * STEPS_PER_EPOCH if median else None,
        "images_per_s": BATCH * steps / median if median else None,
        "reference_rounds_s": timed_reference,
        "reference_seconds_per_step": reference / steps if reference else None,
        "speedup_vs_reference": reference / median if median else None,
        "convolutions_rounds_s": timed_conv,
        "convolutions_seconds_per_step": conv / steps if conv else None,
        "ceiling_vs_reference": reference / conv if conv else None,
        "augment_rounds_s": augment_rounds[1:],
        "augment_seconds_per_batch": augmenting / steps if augmenting else None,
        "augment_share_of_step": augmenting / median if augmenting else None,
        "augment_all_rounds_s": every_rounds[1:],
        "augment_all_seconds_per_batch": every_stage / steps if every_stage else None,
        "augment_all_share_of_step": every_stage / median if every_stage else None,
        "bf16_rounds_s": bf16_rounds[1:], "bf16_refused": bf16_problem,
        "bf16_seconds_per_step": bf16 / steps if bf16 else None,
        "bf16_speedup_vs_reference": reference / bf16 if bf16 else None,
    })
