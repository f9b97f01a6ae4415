"""The floor under any fp32 trainer that keeps torch's convolutions: one step's convolutions, and nothing else.

A training step of the seed network is ten convolutions (forward, then backward for the weights, the bias and,
but for the first, the input) plus the cheap work between them (ReLU, BatchNorm, dropout, max-pool, loss,
SGD). A trainer can fuse or drop the cheap work; it cannot make the convolutions cost less without changing the
arithmetic (precision, algorithm). So the time of the convolutions alone, measured with the trainer's layout
and shapes in the same run as the reference loop, bounds the trainer's possible speed-up:
reference / convolutions. bench/test_train_throughput.py reports it as the "convolutions only" row.
"""
import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ConvCall:
    """One convolution as a training step calls it."""
    conv: nn.Conv2d
    input_shape: torch.Size
    input_requires_grad: bool
    memory_format: torch.memory_format


def step_convolutions(net: nn.Module, images: torch.Tensor) -> list[ConvCall]:
    """The convolutions of one forward pass of net on images, in call order (forward hooks). It runs a copy
    in eval mode: the same shapes and layouts as training, and no dropout draw or BatchNorm update that would
    change net or the random stream."""
    net = copy.deepcopy(net).eval()
    calls: list[ConvCall] = []

    def record(conv, inputs, _output):
        x = inputs[0]
        layout = torch.channels_last if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) \
            and not x.is_contiguous() else torch.contiguous_format
        calls.append(ConvCall(conv, x.shape, x.requires_grad, layout))

    hooks = [m.register_forward_hook(record) for m in net.modules() if isinstance(m, nn.Conv2d)]
    try:
        net(images)
    finally:
        for h in hooks:
            h.remove()
    return calls


def convolutions_only(calls: list[ConvCall], seed: int = 0) -> Callable[[], None]:
    """A function doing exactly the convolution work of one step: each call's forward, then its backward, on
    random tensors of the recorded shapes and layouts, with copies of the recorded weights (net is not
    touched)."""
    g = torch.Generator().manual_seed(seed)
    work = []
    for c in calls:
        weight = c.conv.weight.detach().clone().requires_grad_()
        bias = None if c.conv.bias is None else c.conv.bias.detach().clone().requires_grad_()
        device = weight.device
        x = torch.randn(c.input_shape, generator=g).to(device).contiguous(memory_format=c.memory_format)
        x.requires_grad_(c.input_requires_grad)
        out = F.conv2d(x, weight, bias, c.conv.stride, c.conv.padding, c.conv.dilation, c.conv.groups)
        grad = torch.randn(out.shape, generator=g).to(device).contiguous(memory_format=c.memory_format)
        wrt = [t for t in (x, weight, bias) if t is not None and t.requires_grad]
        work.append((c.conv, x, weight, bias, grad, wrt))

    def step():
        for conv, x, weight, bias, grad, wrt in work:
            out = F.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups)
            torch.autograd.grad(out, wrt, grad)  # returned, not accumulated: no extra pass over .grad
    return step
