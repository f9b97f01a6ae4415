"""How a run is executed: `plain` (the textbook loop's layout and kernels) or `fast` (the default).

The recipe is the same either way; only the order of floating-point work differs, so the two give (slightly)
different bytes. That is why `execution` is a TrainConfig field: it is part of the run's fingerprint, a resumed
run continues with the execution it started with, and verify re-runs a report with the report's execution.

fast, on the CPU (measured in bench/test_train_throughput.py, profile in the README):
- channels_last for the model and the images: oneDNN's convolutions and BatchNorm run natively in NHWC, with
  no reorders between layers;
- SGD with foreach=True: one multi-tensor kernel per update instead of one per parameter;
- torch.utils.deterministic.fill_uninitialized_memory off while training: under use_deterministic_algorithms
  torch fills every fresh torch.empty with NaN (about a seventh of a step's time here). Turning it off changes
  no result of a program that writes its buffers before reading them, which the determinism tests check: same
  seed twice, seed alone vs after another, resume after a stop, all bit-identical.
Nothing here is compiled and nothing is captured: torch.compile is not used (its CPU compile costs about a
minute per process, and its dropout RNG differs from eager's).
"""
from contextlib import contextmanager

import torch

EXECUTIONS = ("plain", "fast")


def memory_format(execution: str) -> torch.memory_format:
    return torch.channels_last if execution == "fast" else torch.contiguous_format


def place_model(net: torch.nn.Module, execution: str) -> torch.nn.Module:
    return net.to(memory_format=memory_format(execution))


def place_images(x: torch.Tensor, execution: str) -> torch.Tensor:
    """The images in the execution's layout (a copy only when the layout changes)."""
    return x.contiguous(memory_format=memory_format(execution))


def optimizer(net: torch.nn.Module, lr: float, momentum: float, execution: str) -> torch.optim.Optimizer:
    return torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, foreach=execution == "fast")


@contextmanager
def kernels(execution: str):
    """The process-wide kernel settings of the execution, restored on leaving (the plain loop runs with torch's)."""
    if execution != "fast":
        yield
        return
    before = torch.utils.deterministic.fill_uninitialized_memory
    torch.utils.deterministic.fill_uninitialized_memory = False
    try:
        yield
    finally:
        torch.utils.deterministic.fill_uninitialized_memory = before


def describe(execution: str) -> dict:
    """What the report records about how the run was executed (threads: environment.torch_threads)."""
    fast = execution == "fast"
    return {
        "name": execution,
        "memory_format": "channels_last" if fast else "contiguous",
        "sgd_foreach": fast,
        "fill_uninitialized_memory": not fast and torch.utils.deterministic.fill_uninitialized_memory,
        "compiled": False,
        "cuda_graphs": False,
        "threads": torch.get_num_threads(),
    }
