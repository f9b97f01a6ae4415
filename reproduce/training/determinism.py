"""Everything that makes one (config, seed) give the same bytes on the same device kind and software.

CUBLAS_WORKSPACE_CONFIG must be set before CUDA starts: `reproduce/__init__.py` sets it on import, before
anything touches the GPU; `prepare_process()` runs when this module is imported (by whatever trains or checks
a model), before any run.

Some layers have no deterministic kernel on some devices (AdaptiveAvgPool2d's CUDA backward when it pools to
more than one cell, e.g. AdaptiveAvgPool2d(2), is one; pooling to a single cell, torch takes a mean, whose
backward is deterministic). Under deterministic algorithms torch stops such a run with an error;
`nondeterministic_op` finds the op before anything is trained, so the run is refused in one line naming it,
and `--allow-nondeterministic` (a config field: recorded in the report and its fingerprint) lets torch warn
instead. Never a silent downgrade.
"""
import os
import random
import re

import numpy as np
import torch

ALERT = re.compile(r"(\S+) does not have a deterministic implementation")


def prepare_process() -> None:
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    # fp32 means IEEE fp32: cuDNN's TF32 (on by default, used by Ampere and later GPUs) rounds convolution
    # inputs to 10 mantissa bits, which a report saying "fp32" would not show. Off for every run, here only.
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


prepare_process()


def allow_nondeterministic(allowed: bool) -> None:
    """Deterministic algorithms stay on; with allowed=True an op without a deterministic kernel warns instead of
    stopping the run. Set at the start of every run, so one run's choice never leaks into the next."""
    torch.use_deterministic_algorithms(True, warn_only=allowed)


def seed_everything(seed: int) -> torch.Generator:
    """Seed every RNG for one run and return the generator that alone decides the data order.

    Called at the start of each run, so a run never depends on the runs before it in the same process.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # CPU and every CUDA device: model init and dropout masks
    return torch.Generator().manual_seed(seed)


def alerted_op(error: BaseException) -> str | None:
    """The op named by torch's 'X does not have a deterministic implementation' error, or None."""
    m = ALERT.search(str(error))
    return m.group(1) if m else None


def nondeterministic_op(net: torch.nn.Module, loss_fn, device: torch.device, batch: int = 2) -> str | None:
    """Run one training step's forward and backward and one evaluation forward of `net` (a throwaway instance)
    on a batch of `batch` blank images on `device` under deterministic algorithms; the name of the first op that
    has no deterministic kernel there, or None. Every RNG is left as it was."""
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    devices = [device] if device.type == "cuda" else []
    torch.use_deterministic_algorithms(True)
    try:
        with torch.random.fork_rng(devices=devices):
            net = net.to(device).train()
            x = torch.zeros(batch, 1, 28, 28, device=device)
            y = torch.zeros(batch, dtype=torch.long, device=device)
            try:
                loss_fn(net(x), y).backward()
                with torch.no_grad():
                    net.eval()(x)
            except RuntimeError as e:
                op = alerted_op(e)
                if op is None:
                    raise
                return op
    finally:
        torch.use_deterministic_algorithms(True, warn_only=warn_only)
    return None


def flags() -> dict:
    return {
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn_deterministic": torch.backends.cudnn.deterministic,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
    }
