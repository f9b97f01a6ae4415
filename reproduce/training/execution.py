"""How a run is executed: `plain` (the textbook loop's layout and kernels) or `fast` (the default).

The recipe is the same either way; only the order of floating-point work differs, so the two give (slightly)
different bytes. That is why `execution` is a TrainConfig field: it is part of the run's fingerprint, a resumed
run continues with the execution it started with, and verify re-runs a report with the report's execution.

fast, on the CPU (measured in bench/test_train_throughput.py, profile in RESULTS.md):
- channels_last for the model and the images: oneDNN's convolutions and BatchNorm run natively in NHWC, with
  no reorders between layers;
- SGD with foreach=True: one multi-tensor kernel per update instead of one per parameter;
- torch.utils.deterministic.fill_uninitialized_memory off while training: under use_deterministic_algorithms
  torch fills every fresh torch.empty with NaN (about a seventh of a step's time here). Turning it off changes
  no result of a program that writes its buffers before reading them, which the determinism tests check: same
  seed twice, seed alone vs after another, resume after a stop, all bit-identical.
- freed memory kept by the C allocator (glibc's mallopt): a step allocates activations of up to 12.8 MB, and
  glibc gives blocks that large back to the kernel when they are freed, so the next step takes about 3,000
  fresh pages (each a page fault and a zeroed page: measured 6 ms of a 100 ms step in kernel time here).
  Raising the mmap threshold to its maximum (32 MiB) and never trimming the heap keeps them in the process.
  It changes where memory comes from, never a value; it is process-wide and stays set (glibc cannot read it
  back), and where the C library has no mallopt (not glibc) it is skipped and the report says so.
Nothing here is compiled and nothing is captured: torch.compile is not used (its CPU compile costs about a
minute per process, and its dropout RNG differs from eager's).

Whether a config can train on a device is answered here only (`device_problem`, `problems`): the rules that tie
the execution, the precision and the device together. A sweep asks before anything is written
(reproduce/plan/build.py, which says a problem as the flag that set it), verify before it re-runs a report
(reproduce/sweep/verify.py, which names the report). The two questions are apart because a cluster sweep trains
on its nodes' device, not on this machine's.
"""
from __future__ import annotations

import ctypes
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch

from reproduce.training import graph_step, optim, precision

if TYPE_CHECKING:
    from reproduce.training.config import TrainConfig

DEVICES = ("cpu", "cuda")   # the device kinds the suite trains on (part of every run's fingerprint)

# Its fill_uninitialized_memory is a module attribute torch reads at run time; torch's stubs do not declare it.
_DETERMINISTIC: Any = torch.utils.deterministic


def device_problem(kind: str) -> str | None:
    """Why a run cannot train on a device of this kind on this machine, as one line; None when it can."""
    if kind not in DEVICES:
        return f"{kind!r} is not a device the suite trains on ({' or '.join(DEVICES)})"
    if kind == "cuda" and not torch.cuda.is_available():
        return "no CUDA device is available here"
    return None


def problems(cfg: TrainConfig, device: torch.device) -> list[str]:
    """Why `cfg` cannot train on `device`, each one line worded with the flags that set it (--execution,
    --precision); empty when it can. Whether the device exists on this machine is `device_problem`'s."""
    found = []
    if cfg.execution == "graph":
        if device.type != "cuda":
            found.append(f"--execution graph replays CUDA graphs: it needs a CUDA device (this run is on "
                         f"{device.type}; --execution fast is the CPU's fastest)")
        graph_problem = cfg.graph_problem()
        if graph_problem:
            found.append(graph_problem)
    precision_problem = precision.problem(cfg.precision, cfg.execution, device)
    if precision_problem:
        found.append(precision_problem)
    return found


def is_fast(execution: str) -> bool:
    """fast and graph share layout, optimizer kernels and process settings; graph adds the capture."""
    return execution in ("fast", "graph")


def memory_format(execution: str) -> torch.memory_format:
    return torch.channels_last if is_fast(execution) else torch.contiguous_format


def place_model(net: torch.nn.Module, execution: str) -> torch.nn.Module:
    return net.to(memory_format=memory_format(execution))


def place_images(x: torch.Tensor, execution: str) -> torch.Tensor:
    """The images in the execution's layout (a copy only when the layout changes)."""
    return x.contiguous(memory_format=memory_format(execution))


def optimizer(net: torch.nn.Module, cfg) -> torch.optim.Optimizer:
    """The recipe's optimizer (optim.py), with foreach kernels in the fast executions."""
    return optim.build_optimizer(net.parameters(), cfg, foreach=is_fast(cfg.execution))


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # glibc's malloc.h
MMAP_THRESHOLD_MAX = 32 << 20                  # the largest mmap threshold glibc accepts on 64-bit
_freed_memory_kept: bool | None = None      # None until the fast execution first runs in this process


def keep_freed_memory() -> bool:
    """Ask the C allocator to keep freed memory (see the module docstring); True when it agreed. Once per
    process: the setting cannot be undone or read back, so it is applied once and remembered."""
    global _freed_memory_kept
    if _freed_memory_kept is None:
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):
            _freed_memory_kept = False
        else:
            mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
            _freed_memory_kept = (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) == 1
                                  and mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1) == 1)
    return _freed_memory_kept


@contextmanager
def kernels(execution: str):
    """The process-wide kernel settings of the execution, restored on leaving (the plain loop runs with torch's),
    but for the allocator's, which stays (keep_freed_memory)."""
    if not is_fast(execution):
        yield
        return
    keep_freed_memory()
    before = _DETERMINISTIC.fill_uninitialized_memory
    _DETERMINISTIC.fill_uninitialized_memory = False
    try:
        yield
    finally:
        _DETERMINISTIC.fill_uninitialized_memory = before


def describe(execution: str) -> dict:
    """What the report records about how the run was executed (threads: environment.torch_threads)."""
    fast = is_fast(execution)
    return {
        "name": execution,
        "memory_format": "channels_last" if fast else "contiguous",
        "sgd_foreach": fast,
        "fill_uninitialized_memory": not fast and _DETERMINISTIC.fill_uninitialized_memory,
        # the process's state, which a fast run sets for good (never a value of the run depends on it)
        "malloc_keeps_freed_memory": keep_freed_memory() if fast else bool(_freed_memory_kept),
        "compiled": False,
        "cuda_graphs": execution == "graph",
        **(graph_step.describe() if execution == "graph" else {}),
        "threads": torch.get_num_threads(),
    }
