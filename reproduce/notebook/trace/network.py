"""The network the notebook trained, from the dry run's model (the outermost module holding exactly the
optimizer's parameters), as a --model spec, found without --model:

- a class of the notebook's own cells: NB.ipynb:NAME (model/nbnet.py assembles it, with its literal arguments);
- a class in a file beside the notebook (model.py, a package's module): FILE.py:NAME when it was built without
  arguments; with arguments (`Net(batch_normalization_type="GBN")`), a small module that imports that file and
  builds the class with the same arguments, kept beside the reports (it names the file's sha256, so editing the
  file changes the run's fingerprint)."""
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from reproduce.errors import BadInput

BUILDER = "build_network"


class NetworkError(BadInput, ValueError):
    """A traced network that cannot be named as a --model spec, said in one line."""


@dataclass(frozen=True)
class Network:
    spec: str
    says: str                        # one line for the user: where the network was found
    builder: str | None = None    # the source of the builder module, when one is needed
    builder_name: str | None = None


def _literal(v) -> bool:
    if isinstance(v, dict):
        return "repr" not in v and all(_literal(x) for x in v.values())
    if isinstance(v, list):
        return all(_literal(x) for x in v)
    return True


def _shown(p: Path) -> str:
    try:
        return os.path.relpath(p)
    except ValueError:   # another drive
        return str(p)


def find(nb_path: Path, model: dict, scratch: str) -> Network:
    """`model` is the dry run's record of it; `scratch` the copy of the notebook's folder the dry run ran in."""
    name, call = model["cls"], _call(model)
    if model["module"] == "__main__" or not model["file"]:
        return Network(f"{nb_path}:{name}", f"the network {call}, defined in the notebook's cells")
    file = Path(model["file"])
    try:
        original = Path(nb_path).resolve().parent / file.relative_to(scratch)
    except ValueError:
        raise NetworkError(f"{nb_path.name}: its network {name} is defined in {file}, outside the notebook's folder; "
                           f"--model FILE.py:{name} names it") from None
    if model["qualname"] != name:
        raise NetworkError(f"{nb_path.name}: its network {model['qualname']} is not a top-level class of "
                           f"{_shown(original)}; --model names it")
    if not model["args"] and not model["kwargs"]:
        return Network(f"{_shown(original)}:{name}", f"the network {call}, from {_shown(original)} beside the notebook")
    if not (_literal(model["args"]) and _literal(model["kwargs"])):
        raise NetworkError(f"{nb_path.name}: its network was built as {call}, with arguments that are not literals; "
                           f"--model FILE.py:NAME names a function that builds it")
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    source = (f'"""The network {call}, as {nb_path.name} built it, from {original.name} beside it\n'
              f'({original}, sha256 {digest})."""\nimport importlib.util\nimport sys\n\n'
              f'FILE = {str(original)!r}\nsys.path.insert(0, {str(original.parent)!r})\n'
              f'_spec = importlib.util.spec_from_file_location("notebook_network_{digest[:12]}", FILE)\n'
              f'_module = importlib.util.module_from_spec(_spec)\n_spec.loader.exec_module(_module)\n\n\n'
              f'def {BUILDER}():\n    return _module.{name}(*{model["args"]!r}, **{model["kwargs"]!r})\n')
    return Network("", f"the network {call}, from {_shown(original)} beside the notebook", source,
                   f"{Path(nb_path).stem}.network.py")


def _call(model: dict) -> str:
    shown = [repr(a) for a in model["args"]] + [f"{k}={v!r}" for k, v in model["kwargs"].items()]
    return f"{model['cls']}({', '.join(shown)})"
