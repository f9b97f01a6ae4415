"""One training run: the recipe (TrainConfig) as a plain, explicit loop over tensors held on the device.

Every epoch: the training images reshuffled by a generator seeded with the run's seed, each batch gathered by
index, augmented on the device if the recipe says so (augment.py), forward, the recipe's loss, backward,
torch's optimizer step, the [ema] average's update and OneCycle's per-batch schedule step; then an evaluation
(of the [ema] average where the recipe keeps one, optim.py) on the 10,000 test images (and the held-out
validation images, if any) and the per-epoch schedule step (plateau's on the validation
loss, else the training loss; never the test loss). No DataLoader: the data set
is already a tensor on the device, a batch is an index into it. No host synchronisation inside an epoch: the
running loss and accuracy stay on the device until the epoch ends. The seed recipe (model/seed.toml) runs
exactly the loop it always ran: no schedule and no augmentation draw nothing and change nothing.
"""
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import LRScheduler
from torch.optim.swa_utils import AveragedModel

import reproduce.model as models
from reproduce.data.mnist import MNISTTensors, renormalised
from reproduce.data.split import plan
from reproduce.training import determinism, execution, optim, precision
from reproduce.training.augment import Augment
from reproduce.training.config import TrainConfig
from reproduce.training.determinism import seed_everything
from reproduce.training.epoch import EpochRecord
from reproduce.training.graph_step import GraphedTraining


def weights_sha256(net: nn.Module, average: AveragedModel | None = None) -> str:
    """sha256 over the state_dict in its (definition) order: names, dtypes, shapes and raw bytes; then, for a
    recipe with [ema], the average's state_dict under names starting 'average.' (without it: the same bytes as
    before [ema] existed)."""
    h = hashlib.sha256()
    states = [("", net.state_dict())] + ([("average.", average.state_dict())] if average is not None else [])
    for prefix, state in states:
        for name, t in state.items():
            t = t.detach().cpu().contiguous()
            h.update(f"{prefix}{name}:{t.dtype}:{tuple(t.shape)};".encode())
            h.update(t.numpy().tobytes())
    return h.hexdigest()


def make_model(cfg: TrainConfig, seed: int, device: torch.device):
    """Seed every RNG, then build the model on the CPU (so its initial weights do not depend on the device).
    A model file is loaded before the seeding: whatever its import draws cannot shift the run's numbers."""
    source = models.resolve(cfg.model)
    determinism.allow_nondeterministic(cfg.allow_nondeterministic)
    order = seed_everything(seed)
    net = execution.place_model(models.instantiate(source).to(device), cfg.execution)
    opt = execution.optimizer(net, cfg)
    return net, opt, order


@dataclass
class RunState:
    """A run between two epochs: what `train` continues from. checkpoint.py saves and restores it (with the
    process-wide RNG states, which live outside it) so that an interrupted run resumes bit-identically."""
    net: nn.Module
    opt: torch.optim.Optimizer
    order: torch.Generator                  # decides the data order, nothing else
    epochs: list[EpochRecord] = field(default_factory=list)
    schedule: LRScheduler | None = None  # the recipe's torch lr scheduler, if any
    augment: Augment | None = None       # the recipe's augmentation with its own generator, if any
    average: AveragedModel | None = None  # the recipe's [ema] average of the weights, if any


class Diverged(Exception):
    """An epoch's loss was not finite (NaN or infinite): the run cannot learn from here. A result, not a fault:
    the epoch's record, with None for each figure that was not finite, is already appended to the run's epochs."""

    def __init__(self, record: EpochRecord, what: str, net: nn.Module):
        super().__init__(f"{what} at epoch {record.epoch}")
        self.record, self.net = record, net


def not_finite(losses: dict) -> str | None:
    """'the training loss became nan' for the first loss that is not finite, else None."""
    for name, value in losses.items():
        if value is not None and not math.isfinite(value):
            return f"the {name} loss became {value}"
    return None


def finite_or_none(value):
    return value if value is None or math.isfinite(value) else None


def batches_per_epoch(cfg: TrainConfig, n_train: int) -> int:
    return -(-n_train // cfg.batch_size)


def start_run(cfg: TrainConfig, seed: int, device: torch.device, n_train: int | None = None) -> RunState:
    """A fresh run. n_train (the images trained on: OneCycle's steps per epoch) defaults to MNIST's split."""
    n_train = plan(cfg).n_train if n_train is None else n_train
    net, opt, order = make_model(cfg, seed, device)
    schedule = optim.build_schedule(opt, cfg, batches_per_epoch(cfg, n_train))
    return RunState(net, opt, order, schedule=schedule, augment=Augment.from_config(cfg, seed, device),
                    average=optim.build_average(net, cfg))   # a copy: draws no random number


def _no_batch_hook() -> None:
    """Nothing to tell after a batch."""


def _no_epoch_hook(record: EpochRecord) -> None:
    """Nothing to tell after an epoch."""


@dataclass(frozen=True)
class EpochSteps:
    """How train_epoch steps through one epoch, besides the network, its optimizer and the data."""
    batch_size: int
    order: torch.Generator                      # the generator of the epoch's shuffle
    loss_fn: Callable = F.nll_loss
    augment: Augment | None = None              # applied to each gathered batch
    batch_schedule: LRScheduler | None = None   # stepped after every optimizer step (OneCycle)
    on_batch: Callable[[], None] = _no_batch_hook
    average: AveragedModel | None = None        # [ema]: updated from `net` after every optimizer step
    net: nn.Module | None = None                # the network itself, where train_epoch gets a wrapper (bf16)


def train_epoch(net, opt, x, y, steps: EpochSteps):
    """One epoch of net on the images x and labels y; (mean training loss, training accuracy %)."""
    batch_size, loss_fn, augment, batch_schedule = steps.batch_size, steps.loss_fn, steps.augment, steps.batch_schedule
    net.train()
    n = x.shape[0]
    perm = torch.randperm(n, generator=steps.order).to(x.device)
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), dtype=torch.long, device=x.device)
    for start in range(0, n, batch_size):
        idx = perm[start:start + batch_size]
        xb, yb = x[idx], y[idx]
        if augment is not None:
            xb = augment(xb)
        out = net(xb)
        loss = loss_fn(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if steps.average is not None:
            steps.average.update_parameters(net if steps.net is None else steps.net)
        if batch_schedule is not None:
            batch_schedule.step()
        loss_sum += loss.detach() * idx.numel()
        correct += (out.argmax(1) == yb).sum()
        steps.on_batch()
    return loss_sum.item() / n, 100.0 * correct.item() / n


@torch.no_grad()
def evaluate(net, x, y, batch_size: int, loss_sum_fn=lambda out, y: F.nll_loss(out, y, reduction="sum")):
    net.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    correct = torch.zeros((), dtype=torch.long, device=x.device)
    for start in range(0, x.shape[0], batch_size):
        out = net(x[start:start + batch_size])
        yb = y[start:start + batch_size]
        loss_sum += loss_sum_fn(out, yb).double()
        correct += (out.argmax(1) == yb).sum()
    n = x.shape[0]
    return loss_sum.item() / n, 100.0 * correct.item() / n


@dataclass(frozen=True)
class TrainOptions:
    """Where train starts and stops, and whom it tells after each epoch and batch."""
    on_epoch: Callable[[EpochRecord], None] = _no_epoch_hook
    on_batch: Callable[[], None] = _no_batch_hook
    # Continue this state (a resumed run) instead of a fresh one; it is updated in place, so on_epoch can
    # checkpoint it.
    start: RunState | None = None
    stop_after: int | None = None   # end after that epoch (verify re-runs a prefix of a run)


def train(cfg: TrainConfig, seed: int, data: MNISTTensors, device: torch.device,
          options: TrainOptions = TrainOptions()):
    """Train one run; call options.on_epoch after each epoch. Returns (epochs, final weights sha256, the model
    the epochs' test figures measure: the network, or its [ema] average)."""
    on_epoch, on_batch, start, stop_after = options.on_epoch, options.on_batch, options.start, options.stop_after
    split = plan(cfg, data.train_x.shape[0])
    data = renormalised(data, *cfg.normalize)
    state = start if start is not None else start_run(cfg, seed, device, split.n_train)
    net, opt, order, epochs = state.net, state.opt, state.order, state.epochs
    measured = net if state.average is None else state.average.module   # what every evaluation measures
    loss_fn, eval_sum = optim.with_l1(optim.train_loss(cfg), net, cfg.l1), optim.eval_loss_sum(cfg)
    per_batch = state.schedule if optim.steps_per_batch(cfg) else None
    place = lambda images: execution.place_images(images, cfg.execution)
    x, y = place(data.train_x[split.train]), data.train_y[split.train]
    val_x, val_y = place(data.train_x[split.val]), data.train_y[split.val]
    test_x = place(data.test_x)
    graphed = None  # the graph execution's captured step, made before its first epoch
    forward = precision.training_forward(net, cfg.precision, device.type)   # net itself in fp32
    for epoch in range(len(epochs) + 1, min(cfg.epochs, stop_after or cfg.epochs) + 1):
        t0 = time.perf_counter()
        lr = opt.param_groups[0]["lr"]   # the epoch's first step's (OneCycle moves it every batch)
        with execution.kernels(cfg.execution):
            if cfg.execution == "graph":
                graphed = graphed or GraphedTraining(net, opt, (x, y), cfg.batch_size, capture=device.type == "cuda",
                                                     loss_fn=loss_fn)
                train_loss, train_acc = graphed.train_epoch(order, on_batch)
            else:
                steps = EpochSteps(cfg.batch_size, order, loss_fn, state.augment, per_batch, on_batch,
                                   state.average, net)
                train_loss, train_acc = train_epoch(forward, opt, x, y, steps)
            test_loss, test_acc = evaluate(measured, test_x, data.test_y, cfg.eval_batch_size, eval_sum)
            val_loss, val_acc = (evaluate(measured, val_x, val_y, cfg.eval_batch_size, eval_sum) if split.n_val
                                 else (None, None))
            if state.schedule is not None and per_batch is None:
                optim.step_epoch(state.schedule, cfg, train_loss, val_loss)   # never on the test loss
        figures = (train_loss, train_acc, test_loss, test_acc, lr, time.perf_counter() - t0, val_loss, val_acc)
        # The test loss too: a model whose outputs on real images are NaN learns nothing either. (Validation is
        # left out: it only picks an epoch, and its images are the caller's to choose.)
        diverged = not_finite({"training": train_loss, "test": test_loss})
        if diverged:
            # Not checkpointed (on_epoch is not called): nothing continues from this epoch, its record is final.
            epochs.append(EpochRecord(epoch, *map(finite_or_none, figures)))
            raise Diverged(epochs[-1], diverged, net)
        record = EpochRecord(epoch, *figures)
        epochs.append(record)
        on_epoch(record)
    return epochs, weights_sha256(net, state.average), measured
