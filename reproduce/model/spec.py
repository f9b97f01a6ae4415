"""Which network a run trains, from its `--model` spec: a registry name, `FILE.py:NAME`, `package.module:NAME` or
`NB.ipynb[:NAME]` (the network from a notebook's code cells, reproduce/model/nbnet.py: its assembled source is
hashed as a file's is).

NAME is an nn.Module class or a zero-argument callable returning one. A file is read once per process, hashed
(sha256 of its bytes: editing it changes the run's fingerprint) and executed as a module of its own; the
checks that make a spec usable (the file exists and compiles, importing it works, NAME exists and builds an
nn.Module, a forward pass on a batch of 1x28x28 images gives (N, 10)) each fail with one line, SpecError. The
batch is the recipe's batch size capped at CHECK_BATCH, so a network that splits its batch into chunks (Ghost
BatchNorm) is checked on a batch it can take.

torch is imported only where a network is built or checked, so that `check_form` (the spec's form, a missing
file, a syntax error) answers before torch is loaded.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import re
import sys
import types
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reproduce.errors import BadInput, cannot_read, first_line
from reproduce.model.notebook import is_notebook

if TYPE_CHECKING:
    import torch.nn as nn


class SpecError(BadInput, ValueError):
    """A --model spec that cannot give a network, said in one line."""


class ForwardFailed(SpecError):
    """The network raised in a forward pass of the check (perhaps only at that batch size)."""


@dataclass(frozen=True)
class Registered:
    """A network of the suite: how to build it and the recipe it trains with unless told otherwise."""
    build: Callable[[], nn.Module]
    recipe: Path
    # Hash the defining file into the run's identity, as for a user's file. False only for the seed networks,
    # whose runs predate source hashing; they are pinned by tests/model/test_model.py instead.
    hash_source: bool = True


@dataclass(frozen=True)
class ModelSource:
    spec: str                       # as given: a registry name or FILE.py:NAME / package.module:NAME
    name: str                       # names its runs: report files <name>-seed<k>.json and the report's tables
    build: Callable[[], nn.Module]
    sha256: str | None           # of the source file that defines it; None for the seed networks
    recipe: Path | None          # its own default recipe (registered models only)
    notebook: dict | None = None  # NB.ipynb specs: {"file", "sha256", "cells", "skipped"} of the notebook
    source_text: str | None = None   # NB.ipynb specs: the assembled module, kept beside the reports


def run_name(spec: str) -> str:
    """The name a spec's runs are filed under: 'nets/tiny.py:Net' -> 'tiny.Net', 'pkg.mod:make' -> 'pkg.mod.make',
    a registry name as it is. Only [A-Za-z0-9_.-] survive, so the name is always a valid file name."""
    if is_notebook_spec(spec):
        left, sep, attr = spec.rpartition(":") if not is_notebook(spec) else (spec, "", "")
        return re.sub(r"[^A-Za-z0-9_.-]", "_", Path(left).stem + (f".{attr}" if attr else ""))
    left, sep, attr = spec.rpartition(":")
    if sep:
        stem = Path(left).stem if is_file_spec(spec) else left
        spec = f"{stem}.{attr}"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", spec)


def is_file_spec(spec: str) -> bool:
    left = spec.rpartition(":")[0]
    return left.endswith(".py") or "/" in left or "\\" in left


def is_notebook_spec(spec: str) -> bool:
    return is_notebook(spec) or is_notebook(spec.rpartition(":")[0])


def notebook_parts(spec: str):
    """(notebook path, NAME or None) of an NB.ipynb[:NAME] spec."""
    if is_notebook(spec):
        return Path(spec), None
    left, _, attr = spec.rpartition(":")
    return Path(left), attr


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_resolved: dict[tuple, ModelSource] = {}
_checked: dict[tuple, int] = {}
CHECK_BATCH = 8   # images per checking forward pass, at most: small and quick, yet divisible as batches are


def resolve(spec: str, registry: dict[str, Registered]) -> ModelSource:
    """The spec's ModelSource, loading its file once per process and content (a file edited since is loaded
    anew). Does not build the network."""
    key: tuple[str, str | None] = (spec, None)
    # A file that cannot be read keeps the key without a hash: _resolve says what is wrong with it.
    if spec not in registry and is_notebook_spec(spec):
        with contextlib.suppress(OSError):
            key = (spec, sha256_file(notebook_parts(spec)[0]))
    elif spec not in registry and is_file_spec(spec):
        with contextlib.suppress(OSError):
            key = (spec, sha256_file(Path(spec.rpartition(":")[0])))
    if key not in _resolved:
        _resolved[key] = _resolve(spec, registry)
    return _resolved[key]


def _resolve(spec: str, registry: dict[str, Registered]) -> ModelSource:
    if spec in registry:
        entry = registry[spec]
        file = sys.modules[entry.build.__module__].__file__
        digest = sha256_file(Path(file)) if entry.hash_source and file else None
        return ModelSource(spec, spec, entry.build, digest, entry.recipe)
    if is_notebook_spec(spec):
        return _from_notebook(spec)
    left, attr = _parts(spec, registry)
    if is_file_spec(spec):
        module, digest = load_file(Path(left), spec)
    else:
        module, digest = _import_module(left, spec)
    if not hasattr(module, attr):
        raise SpecError(f"--model {spec}: {left} defines no {attr!r}")
    import torch.nn as nn
    obj = getattr(module, attr)
    if isinstance(obj, type) and not issubclass(obj, nn.Module):
        raise SpecError(f"--model {spec}: {attr} is a class but not an nn.Module")
    if isinstance(obj, nn.Module):   # callable, but calling it runs its forward pass: not what builds a network
        raise SpecError(f"--model {spec}: {attr} is an nn.Module instance; give its class, or a function "
                        f"returning a fresh one (each run builds its own, from its seed)")
    if not callable(obj):
        raise SpecError(f"--model {spec}: {attr} is a {type(obj).__name__}, not an nn.Module class or a function "
                        f"returning one")
    return ModelSource(spec, run_name(spec), obj, digest, None)


def _parts(spec: str, names: Iterable[str]):
    """(module or file, NAME) of a FILE.py:NAME or package.module:NAME spec, or SpecError naming the forms."""
    left, sep, attr = spec.rpartition(":")
    if not sep or not left or not attr:
        raise SpecError(f"--model {spec}: not a registered model ({', '.join(sorted(names))}) nor "
                        f"FILE.py:NAME or package.module:NAME")
    return left, attr


def check_form(spec: str, names: Iterable[str]) -> None:
    """What is wrong with a spec that can be seen without torch: its form, a file that cannot be read, a syntax
    error (SpecError, the same line `resolve` would give). Importing the file and building the network come
    later, in `resolve` and `check`."""
    if spec in names:
        return
    if is_notebook_spec(spec):
        path = notebook_parts(spec)[0]
        try:
            path.read_bytes()
        except OSError as e:
            raise SpecError(f"--model {spec}: {cannot_read(path, e)}") from None
        return
    left, _ = _parts(spec, names)
    if is_file_spec(spec):
        _compile(_read_source(Path(left), spec), Path(left), spec)


def _from_notebook(spec: str) -> ModelSource:
    from reproduce.model import nbnet, notebook
    path, name = notebook_parts(spec)
    try:
        nb = notebook.read(path)
        built = nbnet.assemble(nb, name)
    except notebook.NotebookError as e:
        raise SpecError(f"--model {spec}: {e}") from None
    text = built.source.encode("utf-8")
    module, digest = _exec_source(text, path.with_suffix(".model.py"), spec)
    if not hasattr(module, built.entry):
        raise SpecError(f"--model {spec}: the assembled source defines no {built.entry!r}")
    record = {"file": path.name, "sha256": nb.sha256, "network": built.name, "cells": list(built.cells),
              "skipped": list(built.skipped)}
    return ModelSource(spec, run_name(spec), getattr(module, built.entry), digest, None, record, built.source)


def _read_source(path: Path, spec: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise SpecError(f"--model {spec}: cannot read {path} ({e.strerror or e})") from None


def _compile(source: bytes, path: Path, spec: str):
    try:
        return compile(source, str(path), "exec")
    except SyntaxError as e:
        raise SpecError(f"--model {spec}: syntax error in {path} at line {e.lineno}: {e.msg}") from None
    except ValueError as e:  # e.g. null bytes
        raise SpecError(f"--model {spec}: {path} is not Python source ({e})") from None


def load_file(path: Path, spec: str):
    """The module that running the file at `path` makes, and the file's sha256 (SpecError naming `spec`)."""
    return _exec_source(_read_source(path, spec), path, spec)


def _exec_source(source: bytes, path: Path, spec: str):
    """The module that running `source` (as if it were the file at `path`) makes, and the source's sha256."""
    code = _compile(source, path, spec)
    digest = hashlib.sha256(source).hexdigest()
    module = types.ModuleType(f"suite_user_model_{digest[:16]}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module           # dataclasses and pickling look their module up here
    sys.path.insert(0, str(path.resolve().parent))  # the file may import modules beside it
    try:
        exec(code, module.__dict__)
    except BaseException as e:  # SystemExit, KeyboardInterrupt from a user's file are its failure too
        del sys.modules[module.__name__]
        if isinstance(e, KeyboardInterrupt):
            raise
        raise SpecError(f"--model {spec}: importing {path} raised {type(e).__name__}: {first_line(e)}") from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module, digest


def _import_module(name: str, spec: str):
    if name.split(".")[0] == "reproduce":   # its functions are the suite's commands: `cli:main` would run it again
        raise SpecError(f"--model {spec}: {name} is the suite's own code, not a network; give a registered name, "
                        f"FILE.py:NAME or a module of your own")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        raise SpecError(f"--model {spec}: no module named {e.name!r}") from None
    except Exception as e:  # noqa: BLE001 - the user's module may raise anything on import: its failure, said in one line
        raise SpecError(f"--model {spec}: importing {name} raised {type(e).__name__}: {first_line(e)}") from None
    file = getattr(module, "__file__", None)
    return module, (sha256_file(file) if file and file.endswith(".py") else None)


def instantiate(source: ModelSource) -> nn.Module:
    """Build the network (the caller seeds the RNGs first); SpecError when NAME does not give an nn.Module."""
    import torch.nn as nn
    try:
        net = source.build()
    except Exception as e:  # noqa: BLE001 - the user's constructor may raise anything: its failure, said in one line
        raise SpecError(f"--model {source.spec}: building it raised {type(e).__name__}: {first_line(e)}") from None
    if not isinstance(net, nn.Module):
        raise SpecError(f"--model {source.spec}: it returned a {type(net).__name__}, not an nn.Module")
    return net


def check(source: ModelSource, batch_size: int = CHECK_BATCH) -> int:
    """SpecError unless the network builds and maps a batch of 1x28x28 images to (N, 10); the batch size it
    used. The batch is the recipe's `batch_size` capped at CHECK_BATCH, else, where that fails, the whole
    batch. Leaves every RNG as it found it, so checking a model never changes a run. An op without a
    deterministic kernel does not fail this check (torch only warns here): the trainer's determinism probe
    names it."""
    key = (source.spec, source.sha256, batch_size)
    if key not in _checked:
        n = min(batch_size, CHECK_BATCH)
        try:
            outputs = _quiet_forward(source, n)
        except ForwardFailed as small:
            if batch_size <= n:
                raise
            try:   # a network that takes whole batches only (chunks of 16, say): the recipe's own batch
                n, outputs = batch_size, _quiet_forward(source, batch_size)
            except ForwardFailed:
                raise SpecError(f"{small} (and on a batch of {batch_size})") from None
        _check_outputs(source, outputs, n)
        _checked[key] = n
    return _checked[key]


def _quiet_forward(source: ModelSource, n: int) -> dict:
    import torch
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        torch.use_deterministic_algorithms(deterministic, warn_only=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _forward(source, n)
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def _check_outputs(source: ModelSource, outputs: dict, n: int) -> None:
    import torch
    for mode, out in outputs.items():
        if not isinstance(out, torch.Tensor):
            raise SpecError(f"--model {source.spec}: forward in {mode} mode returned a {type(out).__name__}, "
                            f"not a tensor")
        if tuple(out.shape) != (n, 10):
            raise SpecError(f"--model {source.spec}: forward in {mode} mode on a batch of {n} gave shape "
                            f"{tuple(out.shape)}, not (N, 10) = ({n}, 10)")


def _forward(source: ModelSource, n: int) -> dict:
    """The network's outputs for a batch of n blank images on the CPU, in eval mode (as evaluated) and in train
    mode (as trained: dropout and batch statistics on), by mode."""
    import torch
    with torch.random.fork_rng(devices=[]):
        net = instantiate(source)
        if not any(True for _ in net.parameters()):
            raise SpecError(f"--model {source.spec}: the network has no parameters to train")
        outputs = {}
        for mode in ("eval", "train"):
            net.train(mode == "train")
            try:
                with torch.no_grad():
                    outputs[mode] = net(torch.zeros(n, 1, 28, 28))
            except Exception as e:  # noqa: BLE001 - the user's forward may raise anything: said in one line
                raise ForwardFailed(f"--model {source.spec}: a forward pass on a batch of {n} images (1x28x28) failed "
                                f"in {mode} mode: {type(e).__name__}: {first_line(e)}") from None
        return outputs
