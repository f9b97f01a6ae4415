"""The networks of the suite, by name, and the way the rest of the suite makes any model: `resolve(spec)` for
what a --model spec names (a registered name, FILE.py:NAME, package.module:NAME or NB.ipynb[:NAME]:
reproduce/model/spec.py), `build(spec)` for a fresh instance.

The suite's own networks are plain files, `model/*.py` in a checkout of the suite (installed as
`reproduce/networks/`), loaded exactly as a user's `--model FILE.py:NAME` is: read, hashed and executed as a
module of their own. Nothing of the suite is imported under the name `model`, so a user's `model.py` in the
current folder never shadows it.

The networks (and so torch) load on first use of MODELS, not on import: a command line that only parses its
flags, or refuses a spec by its form, answers before torch is loaded. NAMES lists them for that."""
from pathlib import Path

from reproduce.model.spec import ModelSource, Registered, SpecError, instantiate, load_file, resolve as _resolve

# MODELS' keys (tests/model/test_model.py keeps them equal)
NAMES = ("frontier", "frontier-4k", "frontier-8k", "seed", "seed-fc")

UnknownModel = SpecError   # the name older callers catch


def networks_dir() -> Path:
    """Where the suite's network files and recipes are: `reproduce/networks/` of an installed package, else the
    `model/` folder of the checkout this package sits in."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "networks"
    return installed if installed.is_dir() else package.parent / "model"


def _network(file: str, name: str):
    """A network class from one of the suite's files, loaded as a user's file is (each file once)."""
    path = networks_dir() / file
    if path not in _loaded:
        _loaded[path] = load_file(path, f"{path}:{name}")[0]
    return getattr(_loaded[path], name)


_loaded: dict[Path, object] = {}


def _registry() -> dict[str, Registered]:
    here = networks_dir()
    return {
        "seed": Registered(_network("seed.py", "SeedNet"), here / "seed.toml", hash_source=False),
        "seed-fc": Registered(_network("seed.py", "SeedFCNet"), here / "seed.toml", hash_source=False),
        # the suite's own answer: RESULTS.md
        "frontier": Registered(_network("frontier.py", "FrontierNet"), here / "frontier.toml"),
        # under 8k: RESULTS.md
        "frontier-8k": Registered(_network("frontier8k.py", "Frontier8kNet"), here / "frontier-8k.toml"),
        # under 4k, the screen's winner: RESULTS.md
        "frontier-4k": Registered(_network("frontier4k.py", "Frontier4kNet"), here / "frontier-4k.toml"),
    }


def registry() -> dict[str, Registered]:
    """MODELS, built on first use."""
    if "MODELS" not in globals():
        globals()["MODELS"] = _registry()
    return globals()["MODELS"]


def __getattr__(name: str):   # `reproduce.model.MODELS`, `from reproduce.model import MODELS`
    if name == "MODELS":
        return registry()
    raise AttributeError(f"module 'reproduce.model' has no attribute {name!r}")


def resolve(spec: str) -> ModelSource:
    return _resolve(spec, registry())


def build(spec: str):
    return instantiate(resolve(spec))


def build_aside(spec: str):
    """A throwaway instance (for an audit or a check) that leaves every RNG as it found it."""
    import torch
    with torch.random.fork_rng(devices=[]):
        return build(spec)
