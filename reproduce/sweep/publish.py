"""`publish SWEEP DEST`: a sweep's finished run reports copied into a folder kept as evidence (the repository's
reports/published/<sweep>/), so that a sweep longer than one working stretch can be published as it grows.

Only sealed run reports travel, and only finished ones (complete, or diverged: a result that counts as failing);
never a checkpoint, a lock or a run still training. Every report is loaded first (its seal checked), and nothing is
copied unless everything can be: a published report is never replaced by another run of the same seed, and a
folder never takes in a run of another sweep (model, config, device or kind of run). Each copy is atomic."""
from dataclasses import dataclass, field
from pathlib import Path

from reproduce.errors import UsageError
from reproduce.files.atomic import write_bytes
from reproduce.record.identity import identity
from reproduce.record.schema import FINAL, ReportError, RunReport, find_reports, load
from reproduce.record.seal import differing_fields


@dataclass
class Published:
    dest: Path
    model: str = ""
    copied: list[Path] = field(default_factory=list)       # the new files in dest
    already: int = 0                                        # finished runs dest held already, byte for byte
    left_out: list[RunReport] = field(default_factory=list)  # runs not finished: still training, or failed
    reports: list[tuple[Path, RunReport]] = field(default_factory=list)   # everything dest holds now, loaded


def _same_sweep(runs: list[tuple[Path, RunReport]]) -> None:
    """ReportError naming the first run that is not of the first run's sweep."""
    first_path, first = runs[0]
    want = {"model": first.model, **identity(first)}
    for path, r in runs[1:]:
        got = {"model": r.model, **identity(r)}
        if got != want:
            differ = [line.split(" ", 1)[0] for line in differing_fields(want, got)]
            raise ReportError(f"{path} is a run of another sweep than {first_path} (its {', '.join(differ)} "
                              f"differ{'s' if len(differ) == 1 else ''}): a published folder holds one sweep")


def _folders(source: Path, dest: Path) -> None:
    if not source.is_dir():
        raise UsageError(f"publish {source}: not a folder (publish takes a sweep's folder of run reports)")
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"publish {dest}: not a folder")
    s, d = source.resolve(), dest.resolve()
    if s == d or s in d.parents or d in s.parents:
        raise UsageError(f"publish {source} {dest}: one folder holds the other; publish into a folder of its own")


def publish(source: Path, dest: Path) -> Published:
    _folders(source, dest)
    runs = [(p, load(p)) for p in find_reports([source])]
    if not runs:
        raise ReportError(f"{source}: no run reports (<model>-seed<k>.json) in this folder")
    held = [(p, load(p)) for p in find_reports([dest])] if dest.is_dir() else []
    finished = [(p, r) for p, r in runs if r.status in FINAL]
    _same_sweep(held + finished)
    unfinished = sorted((r for _, r in runs if r.status not in FINAL), key=lambda r: r.seed)
    out = Published(dest, model=runs[0][1].model, left_out=unfinished, reports=list(held))
    to_copy: dict[Path, Path] = {}
    for path, r in finished:
        target = dest / path.name
        if target in to_copy:
            raise ReportError(f"{to_copy[target]} and {path}: two reports of {r.model} seed {r.seed} in one sweep")
        if target.exists():
            if target.read_bytes() != path.read_bytes():
                raise ReportError(f"{target} already holds another run of {r.model} seed {r.seed} than {path}; "
                                  f"it is not replaced (remove it first if {path} is the one to keep)")
            out.already += 1
            continue
        to_copy[target] = path
    dest.mkdir(parents=True, exist_ok=True)
    loaded = dict(finished)
    for target, path in sorted(to_copy.items()):
        write_bytes(target, path.read_bytes())
        out.copied.append(target)
        out.reports.append((target, loaded[path]))
    return out
