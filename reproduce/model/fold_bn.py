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

IDENTITY_IN_EVAL = (nn.modules.dropout._DropoutNd, nn.Dropout, nn.Identity)


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
            raise ValueError(f"folded conv was built for output {tuple(self.bias_map.shape[-2:])}, "
                             f"got {tuple(out.shape[-2:])}: fold again for this input size")
        return out + self.bias_map


@dataclass
class FoldReport:
    folded: list[str] = field(default_factory=list)   # "bn -> conv (how)"
    kept: list[str] = field(default_factory=list)     # "bn: why it stays"
    removed: list[str] = field(default_factory=list)  # identity-in-eval modules taken out of the graph


def _affine(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """(s, t) in float64, so the folded weights round once, at the end."""
    var, mean = bn.running_var.double(), bn.running_mean.double()
    s = torch.rsqrt(var + bn.eps)
    gamma = bn.weight.double() if bn.weight is not None else torch.ones_like(s)
    beta = bn.bias.double() if bn.bias is not None else torch.zeros_like(s)
    s = gamma * s
    return s, beta - mean * s


def _module(gm: fx.GraphModule, node: fx.Node) -> nn.Module | None:
    return gm.get_submodule(node.target) if node.op == "call_module" else None


def _set_module(gm: fx.GraphModule, target: str, module: nn.Module) -> None:
    parent, _, name = target.rpartition(".")
    setattr(gm.get_submodule(parent) if parent else gm, name, module)


def _plain_conv(m: nn.Module | None, grouped: bool = False) -> bool:
    """A zero-padded Conv2d; grouped (depthwise) ones too where `grouped`: a BatchNorm after a conv scales and
    shifts each output channel, which any conv's weights can absorb, while folding one *before* a conv mixes
    input channels, which needs groups == 1."""
    return isinstance(m, nn.Conv2d) and (grouped or m.groups == 1) and m.padding_mode == "zeros" \
        and isinstance(m.padding, tuple)  # padding="same"/"valid" strings are resolved to tuples by torch


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
            report.removed.append(node.target)

    for node in list(gm.graph.nodes):
        bn = _module(gm, node)
        if not isinstance(bn, nn.BatchNorm2d):
            continue
        if not bn.track_running_stats or bn.running_mean is None:
            report.kept.append(f"{node.target}: no running statistics")
            continue
        s, t = _affine(bn)
        producer = node.args[0]
        if _plain_conv(_module(gm, producer), grouped=True) and _only_user(producer) is node:
            _set_module(gm, producer.target, _fold_into_producer(_module(gm, producer), s, t))
            how = f"{node.target} -> {producer.target} (into the conv before it)"
        else:
            consumer, through_pool = _only_user(node), False
            while consumer is not None and isinstance(_module(gm, consumer), nn.MaxPool2d):
                through_pool = True
                consumer = _only_user(consumer)
            if consumer is None or not _plain_conv(_module(gm, consumer)):
                report.kept.append(f"{node.target}: no conv next to it to fold into")
                continue
            if through_pool and bool((s < 0).any()):
                report.kept.append(f"{node.target}: negative scale in front of a max pool")
                continue
            folded, kind = _fold_into_consumer(_module(gm, consumer), s, t, consumer.args[0].meta["tensor_meta"].shape)
            _set_module(gm, consumer.target, folded)
            how = f"{node.target} -> {consumer.target} ({kind}{', through max pool' if through_pool else ''})"
        node.replace_all_uses_with(node.args[0])
        gm.graph.erase_node(node)
        report.folded.append(how)

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
