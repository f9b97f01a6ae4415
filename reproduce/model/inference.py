"""The suite's inference path: the same function as the eval-mode model, computed faster.

Steps, each exact in fp32 up to rounding (checked against eager in tests/model/test_inference.py):
  1. fold every foldable BatchNorm into a neighbouring conv and drop eval-mode Dropout (reproduce/model/fold_bn.py);
  2. channels_last memory format (oneDNN on CPU and cuDNN on GPU prefer NHWC for convs);
  3. torch.compile, where it works on this machine; where it does not, the reason is recorded and step 2's
     model is used as it is;
  4. on CUDA, one captured CUDA graph per input shape, which removes the per-kernel launch cost that dominates
     small batches.
`optimize()` returns a callable taking an NCHW batch and a report saying which steps were applied and why not.
"""
import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn

from reproduce.model.fold_bn import InferenceError, fold_batchnorm

VARIANTS = ("eager", "folded", "compiled", "cuda-graph")  # what bench/ times; eager is the baseline


@dataclass
class InferenceReport:
    variant: str
    folded: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    fold_fallback: str | None = None     # why the model could not be folded at all
    channels_last: bool = False
    compiled: bool = False
    compile_fallback: str | None = None  # why torch.compile was not used
    compile_seconds: float | None = None
    cuda_graph: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def _one_line(e: BaseException) -> str:
    lines = [l for l in str(e).strip().splitlines() if l.strip()]
    return f"{type(e).__name__}: {lines[0] if lines else ''}"[:300]


class CudaGraphRunner:
    """Replays one captured CUDA graph for inputs of exactly the captured shape, dtype and device.

    The output tensor is the graph's own static buffer: it is overwritten by the next call, as with any
    CUDA-graph runner; clone it to keep it. Built and called under torch.inference_mode() whatever mode the
    caller is in: its buffers are inference tensors, which may be written only inside that mode, so a runner
    built under inference_mode and called under no_grad (or the other way round) works all the same.
    """

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], example: torch.Tensor, warmup: int = 3):
        with torch.inference_mode():
            self.static_in = example.detach().clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side), torch.inference_mode():
            for _ in range(warmup):  # cuDNN picks its algorithms and allocates workspaces before capture
                fn(self.static_in)
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.inference_mode(), torch.cuda.graph(self.graph):
            self.static_out = fn(self.static_in)
        torch.cuda.synchronize()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape != self.static_in.shape or x.dtype != self.static_in.dtype:
            raise InferenceError(f"CUDA graph was captured for {tuple(self.static_in.shape)} {self.static_in.dtype}, "
                             f"got {tuple(x.shape)} {x.dtype}")
        with torch.inference_mode():
            self.static_in.copy_(x)
            self.graph.replay()
        return self.static_out


class _ChannelsLast(nn.Module):
    """Feeds the wrapped model NHWC input, so callers pass ordinary NCHW batches."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.contiguous(memory_format=torch.channels_last))


def fold(model: nn.Module, example: torch.Tensor, report: InferenceReport) -> nn.Module:
    """Steps 1 and 2. Falls back to the unfolded eval model, with the reason, if the model cannot be traced."""
    # Folding is done on the CPU in float64 from one sample (shapes do not depend on the batch), then moved.
    cpu_model = copy.deepcopy(model).cpu().eval()
    net: nn.Module
    try:
        net, fr = fold_batchnorm(cpu_model, example[:1].detach().cpu())
        report.folded, report.kept = fr.folded, fr.kept
    # An untraceable model (data-dependent control flow) still runs, unfolded.
    except Exception as e:  # noqa: BLE001 - tracing runs the network's own forward, which may raise anything
        net = cpu_model
        report.fold_fallback = _one_line(e)
    net = net.to(example.device).to(memory_format=torch.channels_last)
    report.channels_last = True
    return _ChannelsLast(net).eval()


def try_compile(net: nn.Module, example: torch.Tensor, report: InferenceReport) -> Callable:
    """Step 3. Compiles for example's shape and runs it once; on any failure returns `net` and says why."""
    start = time.perf_counter()
    # Every model's wrapper shares one forward's code, so without a reset the compile cache of earlier models
    # counts against this one: past torch's recompile limit dynamo runs it eagerly, silently, while it would be
    # reported as compiled. A fresh cache per model compiles each for real.
    torch._dynamo.reset()
    try:
        compiled = torch.compile(net, dynamic=False)
        with torch.inference_mode():
            compiled(example)
    # The network then runs uncompiled, and says why.
    except Exception as e:  # noqa: BLE001 - compiling runs the network's own code, which may raise anything
        report.compile_fallback = _one_line(e)
        report.compile_seconds = round(time.perf_counter() - start, 2)
        return net
    report.compiled = True
    report.compile_seconds = round(time.perf_counter() - start, 2)
    return compiled


def optimize(model: nn.Module, example: torch.Tensor, variant: str = "compiled") -> tuple:
    """(callable, InferenceReport) for one variant; example fixes the input shape and device.

    eager: the model in eval mode. folded: steps 1-2. compiled: steps 1-3. cuda-graph: steps 1-2 captured as
    one CUDA graph (step 4; CUDA only). The callable must be called under torch.inference_mode() or no_grad.
    """
    if variant not in VARIANTS:
        raise InferenceError(f"unknown inference variant {variant!r}; known: {', '.join(VARIANTS)}")
    if variant == "cuda-graph" and example.device.type != "cuda":
        raise InferenceError("the cuda-graph variant needs a CUDA input")
    report = InferenceReport(variant)
    if variant == "eager":
        return model.eval(), report
    net = fold(model, example, report)
    if variant == "folded":
        return net, report
    if variant == "compiled":
        return try_compile(net, example, report), report
    runner = CudaGraphRunner(net, example)
    report.cuda_graph = True
    return runner, report
