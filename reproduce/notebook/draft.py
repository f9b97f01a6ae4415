"""The recipe drafted from a notebook's code (`python -m reproduce recipe NB.ipynb`, `run --recipe NB.ipynb`,
`check`): TOML in the suite's schema, each value followed by the cell and line it came from, and a value the
notebook does not give marked as the seed recipe's default.

What the suite cannot reproduce (a transform, optimizer or scheduler it does not know, a value that is not a
literal) stops the draft with one line naming it and its cell, unless `approximate`: then it is left out,
listed at the end of the draft, and recorded in each run's report.
"""
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reproduce.data.mnist import MEAN, STD
from reproduce.model.notebook import Notebook, NotebookError, read as read_notebook
from reproduce.notebook import training, transforms
from reproduce.notebook.evaluate import Values
from reproduce.notebook.recipe_text import DraftError, toml_value

if TYPE_CHECKING:
    from reproduce.notebook.trace.compose import Traced, Unread
from reproduce.notebook.transforms import Entry, Found
from reproduce.training import recipe
from reproduce.training.config import NO_AUGMENT, TrainConfig
from reproduce.training.recipe import RecipeError

DEFAULT = "not in the notebook: the seed recipe's default"
SEED = TrainConfig()
TOP_DEFAULTS = {"epochs": SEED.epochs, "batch_size": SEED.batch_size, "loss": SEED.loss,
                "label_smoothing": SEED.label_smoothing}
OPTIMIZER_DEFAULTS = {"name": SEED.optimizer, "lr": SEED.lr, "momentum": SEED.momentum, "nesterov": SEED.nesterov,
                      "weight_decay": SEED.weight_decay}


@dataclass
class Draft:
    text: str
    left_out: list[str] = field(default_factory=list)   # with approximate: what the draft does not hold
    trace: "Traced | None" = None                       # the dry run's, when the draft was made from one


def _line(key: str, value, why: str) -> str:
    return f"{key} = {toml_value(value)}  # {why}"


def _why(e: Entry) -> str:
    return f"{e.site}" + (f" ({e.note})" if e.note else "")


def _section(found: list[Entry], defaults: dict, skip=()) -> list[str]:
    given = {e.key: e for e in found}   # the last entry of a key is the notebook's final word
    out = []
    for key, default in defaults.items():
        if key in skip:
            continue
        out.append(_line(key, given[key].value, _why(given[key])) if key in given else _line(key, default, DEFAULT))
    out += [_line(k, e.value, _why(e)) for k, e in given.items() if k not in defaults]
    return out


def find(nb: Notebook) -> Found:
    values = Values(nb)
    found = transforms.read(nb, values)
    training.read(nb, values, found)
    return found


# What reading arbitrary code as text can trip on (a Normalize of three channels' means where one number is
# read, a string where a number is): the static reading stopped, the notebook itself not wrong.
TEXT_ERRORS = (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, RecursionError)


def read_text(nb: Notebook) -> "Found | Unread":
    """The static reading, or why it stopped on the notebook's text."""
    from reproduce.notebook.trace.compose import Unread
    try:
        return find(nb)
    except TEXT_ERRORS as e:
        return Unread(f"{type(e).__name__}: {e}"[:160])


def compose(nb: Notebook, found: Found, approximate: bool) -> Draft:
    if found.unknown and not approximate:
        raise DraftError(f"{nb.path.name}: {found.unknown[0]}; --approximate leaves it out (recorded in the report)")
    part = {s: [e for e in found.entries if e.section == s] for s in ("", "optimizer", "schedule", "augment")}
    lines = [f"# Recipe drafted from {nb.path.name}'s code: read it and edit it. Each value names the cell",
             "# (counting every cell from the top) and the line it came from."]
    if nb.skipped:
        lines.append(f"# Cells that do not parse, skipped: {', '.join(map(str, nb.skipped))}")
    top = [e for e in part[""] if e.key != "normalize"]
    lines += _section(top, TOP_DEFAULTS)
    for e in (e for e in part[""] if e.key == "normalize"):
        own = isinstance(e.value, list) and [round(x, 4) for x in e.value] == [MEAN, STD]   # normalize: [mean, std]
        if own:   # the suite's own: saying it changes nothing
            lines.append(f"# normalize = {toml_value(e.value)}: the suite's own, {_why(e)}")
        else:
            lines.append(_line("normalize", e.value, _why(e)))
    name = next((e.value for e in reversed(part["optimizer"]) if e.key == "name"), SEED.optimizer)
    lines += ["", "[optimizer]"] + _section(part["optimizer"], OPTIMIZER_DEFAULTS,
                                              skip=() if name == "sgd" else ("momentum", "nesterov"))
    sched = [e for e in part["schedule"]]
    last_name = max((i for i, e in enumerate(sched) if e.key == "name"), default=None)
    sched = sched[last_name:] if last_name is not None else []   # the last scheduler built
    lines += ["", "[schedule]"] + _section(sched, {"name": "none"})
    lines += ["", "[augment]"] + _section(part["augment"], dict(NO_AUGMENT))
    if found.unknown:
        lines += ["", "# Left out (--approximate): the suite cannot reproduce these"]
        lines += [f"# - {u}" for u in found.unknown]
    return Draft("\n".join(lines) + "\n", list(found.unknown))


TRACED: dict[tuple, Draft] = {}   # (notebook path, sha256, approximate) -> Draft: one dry run per notebook per process


def traced(nb: Notebook, approximate: bool) -> Draft:
    """The recipe from a dry run of the notebook's own code (reproduce/notebook/trace/), the static reading as
    its cross-check."""
    from reproduce.data.mnist import default_root, ensure_mnist
    from reproduce.notebook.trace import compose as traced_compose, runner
    key = (str(nb.path.resolve()), nb.sha256, approximate)
    if key not in TRACED:
        static = read_text(nb)   # the cross-check: where it cannot read the text, the draft says so
        root = ensure_mnist(default_root()).root
        dry = runner.run(nb.path, str(root))
        t = traced_compose.compose(nb, dry, static, approximate, traced_compose.printed_epochs(nb))
        TRACED[key] = Draft(t.text, t.left_out, t)
    return TRACED[key]


def draft(path, approximate: bool = False, static: bool = False) -> tuple[Notebook, Draft]:
    """The notebook's recipe: from a dry run of its code, or with `static` from reading its text."""
    try:
        nb = read_notebook(path)
    except NotebookError as e:
        raise DraftError(str(e)) from None
    if not static:
        return nb, traced(nb, approximate)
    found = read_text(nb)
    if not isinstance(found, Found):
        raise DraftError(f"{nb.path.name}: the static reading (--static) cannot read its code ({found.why}); "
                         f"without --static the suite runs the notebook's code instead")
    return nb, compose(nb, found, approximate)


def load(path, approximate: bool = False, static: bool = False) -> tuple[dict, Draft, Notebook]:
    """The TrainConfig fields of the notebook's drafted recipe (validated as any recipe is), the draft, the notebook."""
    nb, d = draft(path, approximate, static)
    fd, tmp = tempfile.mkstemp(suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(d.text)
        fields = recipe.load(Path(tmp))
    except RecipeError as e:
        raise DraftError(str(e).replace(tmp, f"{Path(path).name} (its drafted recipe)")) from None
    finally:
        os.unlink(tmp)
    return fields, d, nb
