"""A run of a notebook's network or recipe keeps, beside its reports, what it trained from: `<stem>.model.py`
(the assembled network, whose sha256 is the config's model_sha256) and `<stem>.recipe.toml` (the drafted recipe),
and records the notebook itself (its sha256, what --approximate left out) in every report."""
from dataclasses import dataclass, field
from pathlib import Path

import reproduce.model as models
from reproduce.files.atomic import write_text
from reproduce.model.notebook import is_notebook
from reproduce.notebook import draft
from reproduce.training import recipe


def load_recipe(path, approximate: bool, static: bool = False) -> dict:
    """The TrainConfig fields of a recipe file, or of the recipe drafted from a notebook's code."""
    if is_notebook(path):
        return draft.load(path, approximate, static)[0]
    return recipe.load(path)


@dataclass
class Kept:
    files: dict[str, str] = field(default_factory=dict)   # file name -> text, written into the run's folder
    record: dict | None = None                          # the report's `notebook` field


def from_run(model_spec: str, recipe_path, approximate: bool, static: bool = False) -> Kept:
    kept = Kept()
    source = models.resolve(model_spec)
    if source.notebook and source.source_text is not None:   # an NB.ipynb spec: its assembled module
        kept.files[f"{Path(source.notebook['file']).stem}.model.py"] = source.source_text
        kept.record = {**source.notebook, "left_out": []}
    if is_notebook(recipe_path):
        _, d, nb = draft.load(recipe_path, approximate, static)
        kept.files[f"{nb.path.stem}.recipe.toml"] = d.text
        if d.trace is not None:   # the dry run's own output, for whoever wants to read it
            kept.files[f"{nb.path.stem}.dry-run.ipynb"] = d.trace.dry_run.executed
        if kept.record is None or kept.record["sha256"] != nb.sha256:
            kept.record = {**(kept.record or {}), "file": nb.path.name, "sha256": nb.sha256}
        kept.record["left_out"] = d.left_out
        if d.trace is not None and (d.trace.adapted or d.trace.steered):   # absent otherwise: reports keep their bytes
            kept.record.update(adapted=d.trace.adapted, steered=d.trace.steered)
    return kept


def keep(out: Path, kept: Kept, console=None) -> None:
    """Write the kept files; with a console, name the notebook's cells that do not parse (skipped)."""
    record = kept.record or {}
    skipped = record.get("skipped")
    if console is not None and skipped:
        console.print(f"{record['file']}: cells that do not parse, skipped: {', '.join(map(str, skipped))}",
                      highlight=False)
    if kept.files:
        Path(out).mkdir(parents=True, exist_ok=True)
    for name, text in kept.files.items():
        write_text(Path(out) / name, text)
