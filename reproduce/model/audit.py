"""Audit a model against the challenge's constraints, from the model itself.

Found from module types and the shapes seen by forward hooks on one 1x28x28 input, never from names, so a
model cannot pass by being called "fc" or "gap".
"""
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

MAX_PARAMS = 20_000


@dataclass(frozen=True)
class Audit:
    params: int
    batchnorm: bool
    dropout: bool
    fully_connected: bool
    global_avg_pool: bool

    @property
    def params_ok(self) -> bool:
        return self.params < MAX_PARAMS

    def to_dict(self) -> dict:
        return asdict(self)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _is_global_avg_pool(module: nn.Module, output: torch.Tensor) -> bool:
    # Adaptive or fixed-size average pooling counts as global when what comes out is 1x1 spatially.
    averaging = isinstance(module, (nn.AdaptiveAvgPool2d, nn.AvgPool2d))
    return averaging and output.dim() == 4 and tuple(output.shape[-2:]) == (1, 1)


def audit(model: nn.Module) -> Audit:
    seen = {"bn": False, "dropout": False, "fc": False, "gap": False}

    def hook(module, _inputs, output):
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            seen["bn"] = True
        if isinstance(module, nn.modules.dropout._DropoutNd):
            seen["dropout"] = True
        if isinstance(module, nn.Linear):
            seen["fc"] = True
        if isinstance(output, torch.Tensor) and _is_global_avg_pool(module, output):
            seen["gap"] = True

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    was_training = model.training
    device = next(model.parameters()).device
    try:
        model.eval()  # only layers that actually run count; eval keeps BN statistics untouched
        with torch.no_grad():
            model(torch.zeros(1, 1, 28, 28, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return Audit(count_params(model), seen["bn"], seen["dropout"], seen["fc"], seen["gap"])
