"""The networks of the suite, by name. `build(name)` is the only way the rest of the suite makes a model."""
from typing import Callable, Dict

import torch.nn as nn

from model.seed import SeedFCNet, SeedNet

MODELS: Dict[str, Callable[[], nn.Module]] = {
    "seed": SeedNet,
    "seed-fc": SeedFCNet,
}


class UnknownModel(ValueError):
    pass


def build(name: str) -> nn.Module:
    try:
        return MODELS[name]()
    except KeyError:
        raise UnknownModel(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}") from None
