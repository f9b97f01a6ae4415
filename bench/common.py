"""Shared pieces of the benchmarks: devices (CUDA skipped with its stated reason), timing helpers, extra_info."""
import platform

import pytest
import torch


def cuda_skip_reason() -> str:
    if torch.version.cuda is None:
        return f"CUDA absent: this torch ({torch.__version__}) is built without CUDA"
    return f"CUDA absent: torch.cuda.is_available() is False (torch {torch.__version__}, CUDA {torch.version.cuda})"


def devices():
    """(device, marks) for every device the suite benchmarks: the CUDA cases exist everywhere and, where there
    is no GPU, are skipped with the reason, so a CPU-only run says what it did not measure."""
    no_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason=cuda_skip_reason())
    return [("cpu", ()), ("cuda", (no_cuda,))]


def device_name(device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name(0)
    from reproduce.training.environment import cpu_model
    return cpu_model()


def synchronizer(device: str):
    """What ends the timed region: on CUDA the kernels must have finished, not just been queued."""
    return torch.cuda.synchronize if device == "cuda" else (lambda: None)


def common_info(device: str) -> dict:
    return {
        "device_name": device_name(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "cudnn_deterministic": torch.backends.cudnn.deterministic,
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
    }


def median_seconds(benchmark):
    """The median of the timed rounds, or None under --benchmark-disable (then nothing was timed)."""
    stats = getattr(benchmark, "stats", None)
    return stats.stats.median if stats is not None else None
