"""The networks of the suite, by name, and the way the rest of the suite makes any model: `resolve(spec)` for
what a --model spec names (a registered name, FILE.py:NAME or package.module:NAME: model/spec.py), `build(spec)`
for a fresh instance."""
from pathlib import Path
from typing import Dict

import torch
import torch.nn as nn

from model.frontier import FrontierNet
from model.seed import SeedFCNet, SeedNet
from model.spec import ModelSource, Registered, SpecError, instantiate, resolve as _resolve

HERE = Path(__file__).resolve().parent

MODELS: Dict[str, Registered] = {
    "seed": Registered(SeedNet, HERE / "seed.toml", hash_source=False),
    "seed-fc": Registered(SeedFCNet, HERE / "seed.toml", hash_source=False),
    "frontier": Registered(FrontierNet, HERE / "frontier.toml"),   # the suite's own answer: RESULTS.md
}

UnknownModel = SpecError   # the name older callers catch


def resolve(spec: str) -> ModelSource:
    return _resolve(spec, MODELS)


def build(spec: str) -> nn.Module:
    return instantiate(resolve(spec))


def build_aside(spec: str) -> nn.Module:
    """A throwaway instance (for an audit or a check) that leaves every RNG as it found it."""
    with torch.random.fork_rng(devices=[]):
        return build(spec)
