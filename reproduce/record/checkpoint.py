"""A run's checkpoint: everything needed to continue it bit-identically after its last completed epoch.

It lives next to the run's report as `.<model>-seed<k>.ckpt` and holds the model and optimizer state, the
learning-rate scheduler's state, every RNG the run draws from (torch CPU, CUDA when used, numpy, python
`random`), the data-order generator, the augmentation generator, the [ema] average of the weights, and the
epoch records so far. Checkpoints written before schedules, augmentation and [ema] existed lack their keys; their
runs had none of them. Written atomically
after each epoch and *before* the report, so the checkpoint is never behind the report: when a crash falls
between the two writes, resuming from the checkpoint rewrites the report.

Removed once the report says `complete` (see sweep/local.py): the report and its weights hash are the record; a
checkpoint only exists to finish a run, and keeping one would leave a second, larger copy of the result that
nothing reads.
"""
import io
import pickle
import random
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from reproduce.errors import first_line
from reproduce.files import atomic
from reproduce.record.schema import EpochRecord, ReportError
from reproduce.training.config import TrainConfig
from reproduce.training.trainer import RunState, start_run

FORMAT = 1


def checkpoint_path(report_path: Path) -> Path:
    report_path = Path(report_path)
    return report_path.with_name(f".{report_path.stem}.ckpt")


def rng_states(device: torch.device) -> dict:
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
        # as tensors and plain numbers: torch.load(weights_only=True) refuses numpy objects
        "numpy": (kind, torch.from_numpy(np.asarray(keys).astype(np.int64)), pos, has_gauss, gauss),
        "python": random.getstate(),
    }


def restore_rng_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] is not None:
        torch.cuda.set_rng_state_all(states["cuda"])
    kind, keys, pos, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    version, internal, gauss_next = states["python"]
    random.setstate((version, tuple(internal), gauss_next))


def save(path: Path, state: RunState, fingerprint: str, device: torch.device, train_seconds: float) -> None:
    """Called between epochs, after evaluation, so the RNG states are exactly those the next epoch starts from."""
    buf = io.BytesIO()
    torch.save({
        "format": FORMAT,
        "fingerprint": fingerprint,
        "epochs": [asdict(e) for e in state.epochs],
        "train_seconds": train_seconds,
        "model": state.net.state_dict(),
        "optimizer": state.opt.state_dict(),
        "order": state.order.get_state(),
        "schedule": state.schedule.state_dict() if state.schedule is not None else None,
        "augment": state.augment.state() if state.augment is not None else None,
        **({"average": state.average.state_dict()} if state.average is not None else {}),
        "rng": rng_states(device),
    }, buf)
    atomic.write_bytes(Path(path), buf.getvalue())


def read(path: Path) -> dict:
    """The checkpoint's content, or ReportError naming the file in one line."""
    try:
        ck = torch.load(Path(path), map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as e:
        # truncated, not a checkpoint, written by something else
        raise ReportError(f"{path}: not a readable checkpoint ({first_line(e, 120)})") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise ReportError(f"{path}: not a checkpoint of format {FORMAT}")
    return ck


def resume(ck: dict, cfg: TrainConfig, seed: int, device: torch.device, n_train: int) -> RunState:
    """Rebuild the run's state from a checkpoint (read()) whose fingerprint the caller has matched."""
    state = start_run(cfg, seed, device, n_train)  # seeds every RNG, builds the model; all overwritten below
    state.net.load_state_dict(ck["model"])
    state.opt.load_state_dict(ck["optimizer"])
    state.order.set_state(ck["order"])
    if state.schedule is not None:
        state.schedule.load_state_dict(ck["schedule"])
    if state.augment is not None:
        state.augment.restore(ck["augment"])
    if state.average is not None:
        state.average.load_state_dict(ck["average"])
    state.epochs = [EpochRecord(**e) for e in ck["epochs"]]
    restore_rng_states(ck["rng"])           # last: building the model above drew from the global RNGs
    return state
