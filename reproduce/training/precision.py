"""The run's precision: `fp32` (the default) or `bf16`, the training forward pass under bf16 autocast.

bf16: each training step's forward runs under torch.autocast(device, dtype=torch.bfloat16): convolutions and
linear layers cast their inputs and weights to bf16 (on a CPU with bf16 units, oneDNN's bf16 kernels; on CUDA,
tensor cores), and what follows them runs on their bf16 outputs (ReLU, dropout, pooling, BatchNorm with its
running statistics kept in fp32; on the CPU also the seed network's final log_softmax, which CPU autocast does
not keep in fp32). The network's output is cast back to fp32 before the loss, so the loss, the gradients of the
fp32 weights and the optimizer step are fp32 as before. Evaluation runs in fp32: the reported test accuracy is the
fp32 network's, whatever precision trained it. The weights are fp32 throughout; a checkpoint is the same.

Refused, in one line, where it cannot run or cannot help (`problem`): a CPU whose torch reports no bf16 support,
the plain execution (the textbook loop stays textbook), and the graph execution (its capture is not tested
with autocast). See docs/precision.md.
"""

import torch
import torch.nn as nn


def cpu_bf16_reports() -> dict:
    """What torch says about this CPU's bf16 support, as the checks it makes before choosing oneDNN's kernels."""
    mkldnn = torch.backends.mkldnn.is_available()
    bf16 = bool(mkldnn and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return {"torch.backends.mkldnn.is_available()": mkldnn, "torch.ops.mkldnn._is_mkldnn_bf16_supported()": bf16}


def problem(precision: str, execution: str, device: torch.device) -> str | None:
    """Why this precision cannot train with this execution on this device, as one line; None when it can."""
    if precision == "fp32":
        return None
    if execution == "plain":
        return (f"--precision {precision} needs the fast execution: --execution plain is the textbook loop, "
                f"kept in fp32")
    if execution == "graph":
        return (f"--precision {precision} is not tested under CUDA graph capture; use --execution fast")
    if device.type == "cpu":
        said = cpu_bf16_reports()
        if not all(said.values()):
            facts = ", ".join(f"{k} is {v}" for k, v in said.items())
            return f"--precision {precision} needs a CPU with bf16 support; on this one {facts} (use --precision fp32)"
    elif device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return (f"--precision {precision}: torch.cuda.is_bf16_supported() is False on "
                f"{torch.cuda.get_device_name(device)} (use --precision fp32)")
    return None


class Autocast(nn.Module):
    """`net`'s training forward under bf16 autocast, its output back in fp32 (for an fp32 loss). It holds `net`
    as a child, so train()/eval() reach it; the optimizer and the checkpoint keep using `net` itself."""

    def __init__(self, net: nn.Module, device_type: str):
        super().__init__()
        self.net, self.device_type = net, device_type

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.device_type, dtype=torch.bfloat16):
            out = self.net(x)
        return out.float()


def training_forward(net: nn.Module, precision: str, device_type: str) -> nn.Module:
    """What the training loop calls for the forward pass: `net` itself in fp32 (nothing changes), else Autocast."""
    return net if precision == "fp32" else Autocast(net, device_type)
