"""Which runs belong together in a summary: those whose numbers are decided by the same things (the model, the
config's identity without the seed, the device kind, the kind of run: as written, the suite's loop or imported),
so a pass rate or a mean ± sd never mixes two sweeps.

The same run reached twice (a folder given twice, a folder and a file in it, a copy elsewhere: same fingerprint,
seed and content) counts once; two different reports for one configuration and seed are an error naming both.
"""
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from reproduce.record.identity import AS_WRITTEN, IMPORTED, SUITE, identity, kind
from reproduce.record.schema import ReportError, RunReport

__all__ = ["AS_WRITTEN", "IMPORTED", "KINDS", "SUITE", "Group", "group", "identity", "kind"]

KINDS = {AS_WRITTEN: "as written (the notebook's own code)",
         SUITE: "the suite's loop (for a notebook, its translation)",
         IMPORTED: "imported (read from a training log)"}


@dataclass
class Group:
    model: str
    identity: dict   # holds the runs' kind (kind())
    runs: list[tuple[Path, RunReport]] = field(default_factory=list)
    label: str = ""           # what tells it apart from the other groups of its model; "" when it is alone

    @property
    def folder(self) -> str:
        return os.path.commonpath([str(Path(p).parent) for p, _ in self.runs])


def group(reports: list[tuple[Path, RunReport]]) -> list[Group]:
    """The reports as groups of one configuration each, every run once, sorted by model then label."""
    groups: dict[str, Group] = {}
    seen: dict[tuple, tuple[Path, RunReport]] = {}
    for path, r in reports:
        ident = identity(r)
        key = json.dumps({"model": r.model, **ident}, sort_keys=True)
        earlier = seen.get((key, r.seed))
        if earlier is not None:
            if earlier[1].record_sha256 == r.record_sha256:
                continue   # the same run reached twice
            raise ReportError(f"{earlier[0]} and {path}: two different reports of one run (model {r.model}, seed "
                              f"{r.seed}, same config and device); keep one of them")
        seen[(key, r.seed)] = (path, r)
        groups.setdefault(key, Group(r.model, ident)).runs.append((path, r))
    out = sorted(groups.values(), key=lambda g: g.model)
    for model in {g.model for g in out}:
        label_apart([g for g in out if g.model == model])
    return sorted(out, key=lambda g: (g.model, g.label))


def label_apart(groups: list[Group]) -> None:
    """Label each of one model's groups by its folder and the config fields whose values differ among them."""
    if len(groups) < 2:
        return
    keys = sorted({k for g in groups for k in g.identity})
    differing = [k for k in keys if len({json.dumps(g.identity.get(k), sort_keys=True) for g in groups}) > 1]
    for g in groups:
        fields = ", ".join(f"{k.replace('_', ' ')} {shown(g.identity.get(k))}" for k in differing)
        g.label = f"{g.folder}: {fields}"


def shown(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} {shown(v)}" for k, v in value.items()) + "}"
    return "default" if value is None else str(value)
