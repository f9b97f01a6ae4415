"""Fold eval-mode BatchNorm2d into a neighbouring conv, exactly, working from the traced graph of any model.

In eval mode a BatchNorm2d is a per-channel affine map y = s*x + t (s = gamma/sqrt(var+eps),
t = beta - mean*s). Where it can go, it goes:

- into the conv that *feeds* it (conv -> BN, the textbook fold): W' = W*s[out], b' = s*b + t;
- otherwise into the conv it *feeds* (BN -> [Dropout] -> [MaxPool] -> conv; the seed network's order is
  conv -> ReLU -> BN -> Dropout, so BN follows a ReLU and only this direction is exact):
  W' = W*s[in]. The shift t becomes a bias. Without padding that bias is a constant per output channel,
  sum(W*t). With zero padding it is not: the padded border sees 0, not t, so the bias is a per-position map,
  conv(t broadcast over the input, W, same padding), computed once for the traced input size.
  Dropout is the identity in eval mode. MaxPool commutes with the affine map only where every s >= 0
  (max(s*x+t) = s*max(x)+t); a BN with a negative scale in front of a pool stays where it is.

Everything is found from module types and the graph's edges, never from names. Shapes come from one
propagation of the example input, so the folded model is for that spatial size (MNIST: 28x28); a different
size is refused with a clear error rather than computed wrongly.
"""
import copy
from dataclasses import dataclass, field

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp

from reproduce.errors import BadInput

IDENTITY_IN_EVAL = (nn.modules.dropout._DropoutNd, nn.Dropout, nn.Identity)


class InferenceError(BadInput):
    """The inference path asked for what it cannot do (an unknown variant, a CUDA graph without CUDA, an input of
    another shape than the one it was folded or captured for), said in one line."""


class FoldedConv2d(nn.Module):
    """A conv whose bias is a per-position map (C_out x H x W): the exact fold of a BN through zero padding."""

    def __init__(self, conv: nn.Conv2d, weight: torch.Tensor, bias_map: torch.Tensor):
        super().__init__()
        self.stride, self.padding, self.dilation = conv.stride, conv.padding, conv.dilation
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.register_buffer("bias_map", bias_map.unsqueeze(0))  # 1 x C_out x H_out x W_out

    def forward(self, x):
        out = F.conv2d(x, self.weight, None, self.stride, self.padding, self.dilation)
        if out.shape[-2:] != self.bias_map.shape[-2:]:
            raise InferenceError(f"folded conv was built for output {tuple(self.bias_map.shape[-2:])}, "
                             f"got {tuple(out.shape[-2:])}: fold again for this input size")
        return out + self.bias_map


@dataclass
class FoldReport:
    folded: list[str] = field(default_factory=list)   # "bn -> conv (how)"
    kept: list[str] = field(default_factory=list)     # "bn: why it stays"
    removed: list[str] = field(default_factory=list)  # identity-in-eval modules taken out of the graph


def _affine(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(s, t) in float64, so the folded weights round once, at the end; None without running statistics."""
    if not bn.track_running_stats or bn.running_mean is None or bn.running_var is None:
        return None
    var, mean = bn.running_var.double(), bn.running_mean.double()
    s = torch.rsqrt(var + bn.eps)
    gamma = bn.weight.double() if bn.weight is not None else torch.ones_like(s)
    beta = bn.bias.double() if bn.bias is not None else torch.zeros_like(s)
    s = gamma * s
    return s, beta - mean * s


def _target(node: fx.Node) -> str:
    """The dotted module path a call_module node names (torch.fx types a target as a callable or a string)."""
    return str(node.target)


def _input(node: fx.Node) -> fx.Node:
    """The node whose output a module call takes as its input."""
    arg = node.args[0]
    if not isinstance(arg, fx.Node):   # a module call in a traced graph always takes a node
        raise TypeError(f"{node.target} takes {arg!r} where a graph node was expected")
    return arg


def _module(gm: fx.GraphModule, node: fx.Node) -> nn.Module | None:
    return gm.get_submodule(_target(node)) if node.op == "call_module" else None


def _set_module(gm: fx.GraphModule, target: str, module: nn.Module) -> None:
    parent, _, name = target.rpartition(".")
    setattr(gm.get_submodule(parent) if parent else gm, name, module)


def _plain_conv(m: nn.Module | None, grouped: bool = False) -> bool:
    """A zero-padded Conv2d; grouped (depthwise) ones too where `grouped`: a BatchNorm after a conv scales and
    shifts each output channel, which any conv's weights can absorb, while folding one *before* a conv mixes
    input channels, which needs groups == 1."""
    return isinstance(m, nn.Conv2d) and (grouped or m.groups == 1) and m.padding_mode == "zeros" \
        and isinstance(m.padding, tuple)  # padding="same"/"valid" strings are resolved to tuples by torch


def _conv_at(gm: fx.GraphModule, node: fx.Node, grouped: bool = False) -> nn.Conv2d | None:
    """The module `node` calls, where it is a conv a BatchNorm can fold into (_plain_conv)."""
    m = _module(gm, node)
    return m if isinstance(m, nn.Conv2d) and _plain_conv(m, grouped) else None


def _only_user(node: fx.Node) -> fx.Node | None:
    users = list(node.users)
    return users[0] if len(users) == 1 else None


def _fold_into_producer(conv: nn.Conv2d, s, t) -> nn.Conv2d:
    out = copy.deepcopy(conv)
    w = conv.weight.detach().double() * s.view(-1, 1, 1, 1)
    b = (conv.bias.detach().double() if conv.bias is not None else torch.zeros_like(s)) * s + t
    out.weight = nn.Parameter(w.to(conv.weight.dtype), requires_grad=False)
    out.bias = nn.Parameter(b.to(conv.weight.dtype), requires_grad=False)
    return out


def _fold_into_consumer(conv: nn.Conv2d, s, t, in_shape) -> tuple[nn.Module, str]:
    dtype = conv.weight.dtype
    w = conv.weight.detach().double()
    b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
    w_folded = (w * s.view(1, -1, 1, 1)).to(dtype)
    if all(p == 0 for p in conv.padding):
        out = copy.deepcopy(conv)
        out.weight = nn.Parameter(w_folded, requires_grad=False)
        out.bias = nn.Parameter((b + (w * t.view(1, -1, 1, 1)).sum((1, 2, 3))).to(dtype), requires_grad=False)
        return out, "constant bias"
    shift = t.view(1, -1, 1, 1).expand(1, t.numel(), *in_shape[-2:])
    bias_map = F.conv2d(shift, w, b, conv.stride, conv.padding, conv.dilation)[0]
    return FoldedConv2d(conv, w_folded, bias_map.to(dtype)), f"bias map {tuple(bias_map.shape)}"


def _fold_forward(gm: fx.GraphModule, node: fx.Node, s: torch.Tensor, t: torch.Tensor) -> str | None:
    """Folds the BN at `node` into the conv that feeds it, where that conv feeds only it; how, or None."""
    producer = _input(node)
    conv = _conv_at(gm, producer, grouped=True)
    if conv is None or _only_user(producer) is not node:
        return None
    _set_module(gm, _target(producer), _fold_into_producer(conv, s, t))
    return f"{node.target} -> {producer.target} (into the conv before it)"


def _fold_backward(gm: fx.GraphModule, node: fx.Node, s: torch.Tensor, t: torch.Tensor,
                   report: FoldReport) -> str | None:
    """Folds the BN at `node` into the conv it feeds (through max pools where every scale is >= 0); how, or
    None with the reason in report.kept."""
    consumer, through_pool = _only_user(node), False
    while consumer is not None and isinstance(_module(gm, consumer), nn.MaxPool2d):
        through_pool = True
        consumer = _only_user(consumer)
    conv = _conv_at(gm, consumer) if consumer is not None else None
    if consumer is None or conv is None:
        report.kept.append(f"{node.target}: no conv next to it to fold into")
        return None
    if through_pool and bool((s < 0).any()):
        report.kept.append(f"{node.target}: negative scale in front of a max pool")
        return None
    folded, kind = _fold_into_consumer(conv, s, t, _input(consumer).meta["tensor_meta"].shape)
    _set_module(gm, _target(consumer), folded)
    return f"{node.target} -> {consumer.target} ({kind}{', through max pool' if through_pool else ''})"


def _fold_one(gm: fx.GraphModule, node: fx.Node, bn: nn.BatchNorm2d, report: FoldReport) -> None:
    """Folds one BatchNorm away (into the conv before it, else the conv after it), or says why it stays."""
    affine = _affine(bn)
    if affine is None:
        report.kept.append(f"{node.target}: no running statistics")
        return
    s, t = affine
    how = _fold_forward(gm, node, s, t) or _fold_backward(gm, node, s, t, report)
    if how is None:
        return
    node.replace_all_uses_with(_input(node))
    gm.graph.erase_node(node)
    report.folded.append(how)


def fold_batchnorm(model: nn.Module, example: torch.Tensor) -> tuple[fx.GraphModule, FoldReport]:
    """An eval-only copy of `model` with every foldable BatchNorm2d folded away; the model is untouched.

    Raises whatever torch.fx raises if the model cannot be traced; the caller decides what to fall back to.
    """
    gm = fx.symbolic_trace(copy.deepcopy(model).eval())
    ShapeProp(gm).propagate(example)
    report = FoldReport()

    for node in list(gm.graph.nodes):  # dropout and friends are the identity in eval mode
        if isinstance(_module(gm, node), IDENTITY_IN_EVAL):
            node.replace_all_uses_with(node.args[0])
            gm.graph.erase_node(node)
            report.removed.append(_target(node))

    for node in list(gm.graph.nodes):
        bn = _module(gm, node)
        if isinstance(bn, nn.BatchNorm2d):
            _fold_one(gm, node, bn, report)
    gm.graph.lint()
    gm.recompile()
    gm.delete_all_unused_submodules()
    return gm, report


def randomize_batchnorm(net: nn.Module, seed: int, negative_scales: bool = False,
                        example_shape=(64, 1, 28, 28)) -> nn.Module:
    """Give every BatchNorm statistics and affine parameters like a trained model's (in place; returns net).

    A freshly built BN is nearly the identity (mean 0, var 1, gamma 1, beta 0), so a fold that ignored one of
    the four would still look exact. Here the running statistics are measured on random input, as training
    would measure them on data (so activations stay at unit scale and the output depends on the input), then
    gamma and beta are drawn at random; negative_scales makes every third gamma negative.
    """
    g = torch.Generator().manual_seed(seed)
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    was_training, momenta = net.training, [m.momentum for m in bns]
    with torch.no_grad():
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
        net.train()
        for _ in range(2):
            net(torch.randn(*example_shape, generator=g))
        for m, momentum in zip(bns, momenta):
            m.momentum = momentum
            if m.affine:
                gamma = torch.rand(m.num_features, generator=g) + 0.5
                if negative_scales:
                    gamma[::3] *= -1
                m.weight.copy_(gamma)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.5)
    net.train(was_training)
    return net
