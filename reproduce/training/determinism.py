"""Everything that makes one (config, seed) give the same bytes on the same device kind and software.

CUBLAS_WORKSPACE_CONFIG must be set before CUDA starts, so `reproduce/__init__.py` calls `prepare_process()`
on import, before anything touches the GPU.
"""
import os
import random

import numpy as np
import torch


def prepare_process() -> None:
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def seed_everything(seed: int) -> torch.Generator:
    """Seed every RNG for one run and return the generator that alone decides the data order.

    Called at the start of each run, so a run never depends on the runs before it in the same process.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # CPU and every CUDA device: model init and dropout masks
    return torch.Generator().manual_seed(seed)


def flags() -> dict:
    return {
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "cudnn_deterministic": torch.backends.cudnn.deterministic,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    }
