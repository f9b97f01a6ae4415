"""The recipe drafted from a dry run (the default of `recipe`, `check` and `run --recipe NB.ipynb`): the
claimed run's values, each with where it was observed, the notes the draft must say (the CUDA branch, an
argument dropped, a schedule never stepped, a plateau on the test loss, an early stop on test accuracy), and
the static reading's values where they disagree. A notebook that fails before its training is seen, or a
value neither reading gives, is one line naming it and its cell: DraftError (exit 2)."""
import ast
import math
from dataclasses import dataclass, field
from pathlib import Path

from reproduce.model.notebook import Notebook
from reproduce.notebook.recipe_text import DraftError, toml_value
from reproduce.notebook.sites import Observed
from reproduce.notebook.trace import network as networks, runner, runs, to_recipe
from reproduce.notebook.transforms import Entry, Found
from reproduce.training.config import NO_AUGMENT

NEEDED = {"": ("epochs", "batch_size", "loss", "normalize", "l1"), "optimizer": ("name", "lr", "weight_decay"),
          "schedule": ("name",)}
ORDER = ("", "optimizer", "schedule", "augment")


@dataclass
class Unread:
    """The static reading stopped on the notebook's text (it reads arbitrary code): why, in a few words."""
    why: str


@dataclass
class Traced:
    text: str
    left_out: list[str]
    dry_run: runner.DryRun
    notes: list[str] = field(default_factory=list)
    adapted: list[str] = field(default_factory=list)   # arguments today's torch refuses, dropped: in every report
    steered: list[str] = field(default_factory=list)   # the claim steered by the test set: in every report
    network: networks.Network | None = None   # the claimed run's network as a --model spec
    network_error: str = ""                     # why it cannot be named as one (said by `check`, not `recipe`)


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def early_stops(nb: Notebook) -> list[str]:
    """`if ...: break` inside a loop of the notebook's cells: on an accuracy, a run stopped on the test set; on
    anything else (patience, a loss), a stop that the dry run's cut data may have moved."""
    found = []
    for cell in nb.parsed():
        for loop in (n for n in ast.walk(cell.tree) if isinstance(n, (ast.For, ast.While))):
            for node in ast.walk(loop):
                if not (isinstance(node, ast.If) and any(isinstance(b, ast.Break) for b in node.body)):
                    continue
                where = f"cell {cell.number}, line {node.lineno}: {cell.line(node.lineno)}"
                if "acc" in ast.unparse(node.test).lower():
                    found.append(f"the loop stops early on accuracy ({where}): the dry run saw its configured "
                                 f"epochs; a claim stopped on the test accuracy was selected on the test set")
                else:
                    found.append(f"a loop can stop early ({where}): if it is the epoch loop, its stop under the "
                                 f"dry run's two batches a pass may differ from the claimed run's; check the epochs")
    return list(dict.fromkeys(found))


def disagreements(traced: Found, static: Found) -> list[str]:
    seen: dict[tuple[str, str], Entry] = {(e.section, e.key): e for e in traced.entries}
    out = []
    for (section, key), e in {(e.section, e.key): e for e in static.entries}.items():
        mine = seen.get((section, key))
        if mine is not None and not _same(mine.value, e.value):
            where = f"{section}.{key}" if section else key
            out.append(f"{where}: the run used {to_toml(mine.value)}; the code's text reads {to_toml(e.value)} "
                       f"({e.site})")
    return out


def to_toml(v) -> str:
    return toml_value(v)


def _failure_line(nb: Notebook, failure: runner.Failure) -> str:
    hint = ""
    if failure.what.startswith(("ModuleNotFoundError", "ImportError")):
        hint = ": the notebook's own dependencies must be importable by the Python that runs the suite"
    return f"{nb.path.name}: the dry run stopped at cell {failure.cell}: {failure.what}{hint}"


def compose(nb: Notebook, dry: runner.DryRun, static: Found | Unread, approximate: bool,
            printed_epochs: int | None) -> Traced:
    run, why = _claimed_run(nb, dry, printed_epochs)
    seen = to_recipe.read(dry.record, run)
    found = seen.found
    stops = early_stops(nb)
    notes = [f"the run read: {why} ({_cells(run)})"] + seen.notes + stops + _run_notes(run, dry, printed_epochs)
    steered = seen.steered + [s for s in stops if s.startswith("the loop stops early on accuracy")]
    _name_missing(found, run)
    if found.unknown and not approximate:
        raise DraftError(f"{nb.path.name}: {found.unknown[0]}; --approximate leaves it out (recorded in the report)")
    net, net_error = _network(nb, dry, run)
    if net is not None:
        notes.append(net.says)
    text = "\n".join(_header(nb, notes) + _values(found) + _beside(found, static)) + "\n"
    return Traced(text, list(found.unknown), dry, notes, list(dry.record.adapted), steered, net, net_error)


def _claimed_run(nb: Notebook, dry: runner.DryRun, printed_epochs: int | None) -> tuple[runs.Run, str]:
    """The run the claim was read from, and why it is that one; DraftError where the dry run failed before it or
    saw no training."""
    run, why = runs.claimed(runs.runs(dry.record), printed_epochs)
    failure = dry.failure
    if failure is not None and (run is None or failure.cell <= max(run.cells)):
        raise DraftError(_failure_line(nb, failure) + "; nothing written")
    if run is None:
        steps = [e.cell for e in dry.record.events if e.kind == "step"]
        if steps:
            raise DraftError(f"{nb.path.name}: its optimizer stepped outside any pass over a DataLoader (cell "
                             f"{steps[0]}), so its epochs cannot be counted; nothing written")
        raise DraftError(f"{nb.path.name}: no optimizer stepped while its cells ran, so its training was not seen "
                         f"(the dry run ran every cell); nothing written")
    return run, why


def _cells(run: runs.Run) -> str:
    return f"cell{'s' if len(run.cells) > 1 else ''} {', '.join(map(str, run.cells))}"


def _run_notes(run: runs.Run, dry: runner.DryRun, printed_epochs: int | None) -> list[str]:
    """What the reader of the draft should know about the run read: printed epochs that differ from it, a cell
    that failed after it."""
    notes = []
    if printed_epochs and printed_epochs != run.epochs:
        notes.append(f"the notebook printed {printed_epochs} test lines; the run read has {run.epochs} epochs (were "
                     f"its outputs made by other code than its cells hold now?)")
    if dry.failure is not None:
        notes.append(f"cell {dry.failure.cell} failed after the training was seen ({dry.failure.what}); the run "
                     f"before it is the one read")
    return notes


def _name_missing(found: Found, run: runs.Run) -> None:
    """A value the recipe needs that neither reading gives: one line in `found.unknown`, never a default."""
    keys = {(e.section, e.key) for e in found.entries}
    for section, needed in NEEDED.items():
        for key in needed:
            if (section, key) not in keys and not any(key in u for u in found.unknown):
                found.unknown.append(f"the recipe's {section + '.' if section else ''}{key}: neither the dry run nor "
                                     f"the code's text gives it (cells {', '.join(map(str, run.cells))})")


def _header(nb: Notebook, notes: list[str]) -> list[str]:
    lines = [f"# Recipe drafted from a dry run of {nb.path.name}: its code cells ran (CUDA served on the CPU, every",
             f"# DataLoader cut to {runner.Limits().batches} batches a pass, the suite's verified MNIST), and each "
             f"value is what torch was handed.", "# Read it and edit it."]
    return lines + [f"# - {n}" for n in notes]


def _values(found: Found) -> list[str]:
    """The recipe's tables in ORDER, each key's last value with where it was observed; augmentations the training
    transform does not hold are written as off."""
    last = {(e.section, e.key): e for e in found.entries}
    lines: list[str] = []
    for section in ORDER:
        if section:
            lines += ["", f"[{section}]"]
        for (s, key), e in last.items():
            if s == section:
                lines.append(f"{key} = {toml_value(e.value)}  # {e.site}" + (f" ({e.note})" if e.note else ""))
        if section == "augment":
            for key, rest in NO_AUGMENT.items():
                if ("augment", key) not in last:
                    lines.append(f"{key} = {toml_value(rest)}  # observed: not in the training transform")
    return lines


def _beside(found: Found, static: Found | Unread) -> list[str]:
    """Below the values: where the static reading disagrees (or that it could not read the text), and what was
    left out (--approximate)."""
    lines: list[str] = []
    if isinstance(static, Unread):
        lines += ["", f"# The code's text could not be cross-checked: the static reading (--static) stopped on it "
                      f"({static.why})"]
    differ = [] if isinstance(static, Unread) else disagreements(found, static)
    if differ:
        lines += ["", "# Where the code's text (the static reading, --static) reads otherwise:"]
        lines += [f"# - {d}" for d in differ]
    if found.unknown:
        lines += ["", "# Left out (--approximate): the suite cannot reproduce these"]
        lines += [f"# - {u}" for u in found.unknown]
    return lines


def _network(nb: Notebook, dry: runner.DryRun, run: runs.Run) -> tuple[networks.Network | None, str]:
    index = dry.record.optimizers[run.optimizer].model
    if index is None:
        return None, (f"{nb.path.name}: no one module holds exactly the parameters its optimizer trained "
                      f"(cell {dry.record.optimizers[run.optimizer].cell}); --model names the network")
    try:
        return networks.find(nb.path, dict(vars(dry.record.models[index])), dry.folder), ""
    except networks.NetworkError as e:
        return None, str(e)


def printed_epochs(nb: Notebook) -> int | None:
    """How many test lines the notebook printed (in pytorch/examples' shape or claim.py's), or None."""
    from reproduce.notebook import claim
    try:
        outs = claim.outputs(Path(nb.path).read_bytes(), nb.path.name)
    except (claim.ClaimError, OSError):
        return None
    try:
        runs = claim.read_runs(outs, nb.path.name)   # the claimed run is the last one printed
    except claim.ClaimError:
        return None
    return len(runs[-1].accs) or None if runs else None


__all__ = ["Traced", "Unread", "compose", "printed_epochs", "Observed"]
