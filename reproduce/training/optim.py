"""The recipe's torch objects: optimizer, learning-rate schedule and losses, all torch's own classes.

A schedule's keys besides `name` are passed to its torch.optim.lr_scheduler class as they are. The run sets
what only it knows: OneCycleLR gets `epochs` and `steps_per_epoch` and steps after every batch; the others
step after every epoch; CosineAnnealingLR's T_max defaults to the run's epochs. ReduceLROnPlateau ("plateau")
steps after every epoch on the validation loss when the run holds images out (--val-split), else on the
training loss; never on the test loss, which would choose the learning rate by the test set.

The [ema] key keeps an exponential moving average of the weights (torch.optim.swa_utils.AveragedModel with
get_ema_multi_avg_fn), updated after each optimizer step: average = decay * average + (1 - decay) * weights. Its
first update copies the network, so it starts from trained weights and needs no warm-up. Every evaluation (test,
validation, and so the plateau schedule) measures the average; training itself is untouched, so its figures are
the same bytes as without [ema]. BatchNorm's running statistics are averaged too (use_buffers=True): the averaged
weights are normalised with statistics that follow them as the average follows the weights, where copying the
live network's would pair one network's weights with another's statistics, and recomputing them would cost a pass
over the training images every epoch. Integer buffers (BatchNorm's batch count) are copied: an average of counts
is no count.
"""
import inspect
import math
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.optim import lr_scheduler
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from reproduce.training.problem import Problem

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
SCHEDULES = {"none": None, "step": lr_scheduler.StepLR, "multistep": lr_scheduler.MultiStepLR,
             "exponential": lr_scheduler.ExponentialLR, "cosine": lr_scheduler.CosineAnnealingLR,
             "onecycle": lr_scheduler.OneCycleLR, "plateau": lr_scheduler.ReduceLROnPlateau}
SET_BY_THE_RUN = {"optimizer", "last_epoch", "verbose", "epochs", "steps_per_epoch", "total_steps"}
LOSSES = ("nll", "cross_entropy")


def build_optimizer(params, cfg, foreach: bool | None = None) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=bool(cfg.nesterov),
                               weight_decay=cfg.weight_decay, foreach=foreach)
    return OPTIMIZERS[cfg.optimizer](params, lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=foreach)


def _ema_of_floats(decay: float):
    """AveragedModel's multi_avg_fn: the EMA for floating-point tensors, a copy for the rest (AveragedModel hands
    them over grouped by device and dtype, so one call holds one kind)."""
    ema = get_ema_multi_avg_fn(decay)

    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n_averaged: torch.Tensor) -> None:
        if torch.is_floating_point(averaged[0]):
            ema(averaged, current, n_averaged)
        else:
            for a, c in zip(averaged, current, strict=True):
                a.copy_(c)
    return update


def build_average(net: torch.nn.Module, cfg) -> AveragedModel | None:
    """The moving average of net's weights and buffers ([ema]; a copy of net until its first update), or None."""
    if cfg.ema_decay is None:
        return None
    return AveragedModel(net, multi_avg_fn=_ema_of_floats(cfg.ema_decay), use_buffers=True)


def schedule_kwargs(cfg) -> dict:
    return {k: v for k, v in cfg.schedule.items() if k != "name"}


def build_schedule(opt: torch.optim.Optimizer, cfg, batches_per_epoch: int):
    """The run's scheduler, or None for "none". OneCycle covers the whole run, batch by batch."""
    cls = SCHEDULES[cfg.schedule["name"]]
    if cls is None:
        return None
    kwargs = schedule_kwargs(cfg)
    if cls is lr_scheduler.OneCycleLR:
        kwargs.update(epochs=cfg.epochs, steps_per_epoch=batches_per_epoch)
    if cls is lr_scheduler.CosineAnnealingLR:
        kwargs.setdefault("T_max", cfg.epochs)
    return cls(opt, **kwargs)


def steps_per_batch(cfg) -> bool:
    return cfg.schedule["name"] == "onecycle"


def train_loss(cfg) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The objective: NLL of the model's log-probabilities, or cross-entropy of its logits (with smoothing)."""
    if cfg.loss == "nll":
        return F.nll_loss
    smoothing = cfg.label_smoothing
    return lambda out, y: F.cross_entropy(out, y, label_smoothing=smoothing)


def with_l1(loss_fn, net: torch.nn.Module, l1: float):
    """loss_fn plus l1 times the sum of the absolute values of every parameter of net (weights, biases and
    BatchNorm's affine parameters alike: the sum over model.parameters() that notebooks add), or loss_fn as it
    is when l1 is 0."""
    if not l1:
        return loss_fn
    params = list(net.parameters())
    return lambda out, y: loss_fn(out, y) + l1 * sum(p.abs().sum() for p in params)


def step_epoch(schedule, cfg, train_loss: float, val_loss: float | None) -> None:
    """The end-of-epoch schedule step (not OneCycle's, which steps per batch): plateau watches the validation
    loss when there is one, else the training loss."""
    if cfg.schedule["name"] == "plateau":
        schedule.step(val_loss if val_loss is not None else train_loss)
    else:
        schedule.step()


def eval_loss_sum(cfg) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Summed NLL of the model's predicted distribution (no smoothing): what test_loss and val_loss report."""
    if cfg.loss == "nll":
        return lambda out, y: F.nll_loss(out, y, reduction="sum")
    return lambda out, y: F.cross_entropy(out, y, reduction="sum")


def _loss_problems(cfg) -> list:
    if cfg.loss not in LOSSES:
        return [Problem("loss", f"must be one of {', '.join(LOSSES)}, got {cfg.loss!r}")]
    if not (math.isfinite(cfg.label_smoothing) and 0 <= cfg.label_smoothing < 1):
        return [Problem("label_smoothing", f"must be in [0, 1), got {cfg.label_smoothing}")]
    if cfg.label_smoothing and cfg.loss != "cross_entropy":
        return [Problem("label_smoothing", "applies to loss = \"cross_entropy\" only")]
    return []


def _optimizer_problems(cfg) -> list:
    if cfg.optimizer not in OPTIMIZERS:
        return [Problem("optimizer", f"name must be one of {', '.join(OPTIMIZERS)}, got {cfg.optimizer!r}")]
    if cfg.optimizer == "sgd" and cfg.momentum is None:
        return [Problem("momentum", "is needed by sgd (0 for none)")]
    if not math.isfinite(cfg.weight_decay) or cfg.weight_decay < 0:
        return [Problem("weight_decay", f"must be 0 or more, got {cfg.weight_decay}")]
    return []


def _schedule_key_problems(cfg, name: str) -> list:
    """The schedule's name and keys: known to it, none of those the run sets."""
    if name not in SCHEDULES:
        return [Problem("schedule", f"name must be one of {', '.join(SCHEDULES)}, got {name!r}")]
    ours = sorted(SET_BY_THE_RUN & set(schedule_kwargs(cfg)))
    if ours:
        return [Problem("schedule", f"{name}: {ours[0]!r} is set by the run, not the recipe")]
    cls = SCHEDULES[name]
    if cls is None and schedule_kwargs(cfg):
        return [Problem("schedule", f"{name}: takes no keys, got {sorted(schedule_kwargs(cfg))[0]!r} (name the "
                                    f"schedule they belong to)")]
    if cls is not None:
        accepted = set(inspect.signature(cls.__init__).parameters) - {"self"} - SET_BY_THE_RUN
        unknown = sorted(set(schedule_kwargs(cfg)) - accepted)
        if unknown:
            return [Problem("schedule", f"{name}: unknown key {unknown[0]!r} ({cls.__name__} takes: "
                                        f"{', '.join(sorted(accepted))})")]
    return []


def _schedule_value_problems(cfg, name: str, opt) -> list:
    """The schedule's values: our own rules, then torch's, then its first steps."""
    wrong = value_problem(name, schedule_kwargs(cfg))
    if wrong:
        return [Problem("schedule", f"{name}: {wrong}")]
    try:
        schedule = build_schedule(opt, cfg, batches_per_epoch=1)
    except (ValueError, TypeError, KeyError, RuntimeError, ZeroDivisionError) as e:
        return [Problem("schedule", f"{name}: torch rejects it: {e}")]
    problem = first_steps_problem(opt, schedule, min(cfg.epochs, FIRST_STEPS), cfg)
    if problem:
        return [Problem("schedule", f"{name}: {problem}")]
    return []


def problems(cfg) -> list:
    """What torch (or the recipe's own rules) rejects in cfg's loss, optimizer and schedule: Problems (config.py),
    the first one found."""
    found = _loss_problems(cfg) or _optimizer_problems(cfg)
    if found:
        return found
    probe = [torch.nn.Parameter(torch.zeros(1))]
    try:
        opt = build_optimizer(probe, cfg)
    except (ValueError, TypeError, RuntimeError) as e:
        return [Problem("optimizer", f"{cfg.optimizer}: torch rejects it: {e}")]
    name = cfg.schedule.get("name")
    found = _schedule_key_problems(cfg, name)
    if found or SCHEDULES[name] is None:
        return found
    return _schedule_value_problems(cfg, name, opt)


FIRST_STEPS = 3


def first_steps_problem(opt, schedule, steps: int, cfg) -> str:
    """Why the schedule cannot take its first steps (torch accepts StepLR(step_size=0) or CosineAnnealingLR(T_max=0)
    but fails on the first step), or ''. On the throwaway optimizer of `problems`: nothing of a run is touched."""
    for step in range(1, steps + 1):
        opt.step()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # torch's notes on step order concern a real run, not this probe
                step_epoch(schedule, cfg, train_loss=1.0, val_loss=None)   # plateau watches a loss: any will do
        except (ValueError, TypeError, KeyError, RuntimeError, ZeroDivisionError, OverflowError) as e:
            return f"torch cannot step it (step {step}: {type(e).__name__}: {e})"
        lr = opt.param_groups[0]["lr"]
        if not math.isfinite(lr) or lr < 0:
            return f"the learning rate becomes {lr} at step {step}"
    return ""


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _positive_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


# What torch accepts but trains wrongly with, by schedule key: a step size or milestone that is never reached or
# counts backwards, a decay factor that turns the learning rate negative, a peak of 0 that never trains.
VALUE_RULES = {
    "step_size": (_positive_int, "an integer of at least 1"),
    "T_max": (_positive_int, "an integer of at least 1"),
    "milestones": (lambda v: isinstance(v, list) and bool(v) and all(_positive_int(m) for m in v),
                   "a list of epochs, integers of at least 1"),
    "gamma": (lambda v: _is_number(v) and v > 0, "a positive number"),
    "max_lr": (lambda v: _is_number(v) and v > 0, "a positive number"),
    "eta_min": (lambda v: _is_number(v) and v >= 0, "0 or a positive number"),
    "patience": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "an integer of 0 or more"),
}


def value_problem(name: str, kwargs: dict) -> str:
    """What is wrong with a schedule key's value that torch would take and train with anyway, or ''."""
    for key, value in kwargs.items():
        if key in VALUE_RULES:
            ok, should = VALUE_RULES[key]
            if not ok(value):
                return f"{key} must be {should}, got {value!r:.60}"
    return ""
