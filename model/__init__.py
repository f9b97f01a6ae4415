"""The networks of the suite, by name, and the way the rest of the suite makes any model: `resolve(spec)` for
what a --model spec names (a registered name, FILE.py:NAME, package.module:NAME or NB.ipynb[:NAME]:
model/spec.py), `build(spec)` for a fresh instance.

The networks (and so torch) load on first use of MODELS, not on `import model`: a command line that only parses
its flags, or refuses a spec by its form, answers before torch is loaded. NAMES lists them for that."""
from pathlib import Path
from typing import Dict

from model.spec import ModelSource, Registered, SpecError, instantiate, resolve as _resolve

HERE = Path(__file__).resolve().parent
NAMES = ("frontier", "frontier-8k", "seed", "seed-fc")   # MODELS' keys (tests/test_model.py keeps the two the same)

UnknownModel = SpecError   # the name older callers catch


def _registry() -> Dict[str, Registered]:
    from model.frontier import FrontierNet
    from model.frontier8k import Frontier8kNet
    from model.seed import SeedFCNet, SeedNet
    return {
        "seed": Registered(SeedNet, HERE / "seed.toml", hash_source=False),
        "seed-fc": Registered(SeedFCNet, HERE / "seed.toml", hash_source=False),
        "frontier": Registered(FrontierNet, HERE / "frontier.toml"),   # the suite's own answer: RESULTS.md
        "frontier-8k": Registered(Frontier8kNet, HERE / "frontier-8k.toml"),   # under 8k: RESULTS.md
    }


def registry() -> Dict[str, Registered]:
    """MODELS, built on first use."""
    if "MODELS" not in globals():
        globals()["MODELS"] = _registry()
    return globals()["MODELS"]


def __getattr__(name: str):   # `model.MODELS`, `from model import MODELS`
    if name == "MODELS":
        return registry()
    raise AttributeError(f"module 'model' has no attribute {name!r}")


def resolve(spec: str) -> ModelSource:
    return _resolve(spec, registry())


def build(spec: str):
    return instantiate(resolve(spec))


def build_aside(spec: str):
    """A throwaway instance (for an audit or a check) that leaves every RNG as it found it."""
    import torch
    with torch.random.fork_rng(devices=[]):
        return build(spec)
