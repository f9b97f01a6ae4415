"""The run report: one JSON file per (model, seed), typed here, versioned by SCHEMA_VERSION.

Everything downstream (checker, view) reads reports only through `load`, which refuses anything that does not
match the schema with one line naming the file and the field.
"""
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from reproduce.errors import BadInput, cannot_read
from reproduce.files.atomic import write_text
from reproduce.record.seal import seal, seal_problem
from reproduce.training.epoch import EpochRecord  # the trainer's per-epoch figures, stored as they are

SCHEMA_VERSION = 3                     # the newest this suite reads and writes
# Schema 2 adds two final statuses, "diverged" (the training loss became NaN or infinite: the run's last epoch
# holds null where a figure was not finite) and "failed" (an exception stopped the run: `reason` says which).
# A report is written with the lowest version that can hold it, so a running or complete report is still
# schema 1, byte for byte as before, and readers of schema 1 keep reading it.
# Schema 3 adds the optional field "as_written": a run of a notebook's own code, as written (check --as-written).
# Only a report that holds it is schema 3; every other report keeps the version (and bytes) it had.
STATUSES_OF = {1: ("running", "complete"), 2: ("running", "complete", "diverged", "failed"),
               3: ("running", "complete", "diverged", "failed")}
AS_WRITTEN_SINCE = 3
STATUSES = STATUSES_OF[SCHEMA_VERSION]
FINAL = ("complete", "diverged")       # a rerun of the same command skips these; a failed run is retried


def version_for(status: str, as_written: bool = False) -> int:
    lowest = min(v for v, statuses in STATUSES_OF.items() if status in statuses)
    return max(lowest, AS_WRITTEN_SINCE) if as_written else lowest


class ReportError(BadInput):
    """A report that cannot be read or does not match the schema."""


@dataclass
class RunReport:
    model: str
    params: int
    audit: dict
    seed: int
    config: dict
    device: str
    environment: dict
    data: dict
    epochs: list[EpochRecord] = field(default_factory=list)
    weights_sha256: str | None = None   # set when the run is complete
    train_seconds: float | None = 0.0   # None: an imported log that does not say
    status: str = "running"
    schema_version: int = 1                # set on every save: version_for(status)
    origin: str = "trained"                # "imported": read from someone's log by `import-log`
    source: dict | None = None          # imported only: {"file": name, "sha256": hex} of the log
    fingerprint: str | None = None      # sha256 of (config, seed, device kind): see seal.py
    execution: dict | None = None       # how it ran: layout, kernels, threads (reproduce/execution.py)
    record_sha256: str | None = None    # seal over every other field, recomputed on every save
    # Runs of a notebook's network or recipe: {"file", "sha256"} of the notebook, the network taken from it,
    # and "left_out": what --approximate left out of its recipe; from a dry run, where there are any, "adapted"
    # (arguments today's torch refuses, dropped) and "steered" (the claim steered by the test set). None for
    # every other run.
    notebook: dict | None = None
    reason: str | None = None           # "failed" only: the exception that stopped the run, in one line
    # A notebook's own code run as written (check --as-written): {"notebook": {"file", "sha256", "path": where verify
    # finds it}, "versions": the kernel's packages, "recipe": the dry run's drafted recipe (TOML text),
    # "epochs_limit", "train_limit", "printed": the notebook's own printed test accuracies, "cell": where it
    # failed}. None for every other run.
    as_written: dict | None = None

    def to_json(self) -> str:
        self.schema_version = version_for(self.status, self.as_written is not None)
        d = asdict(self)
        # absent, not null: reports of other runs keep the bytes they had before these fields existed
        for optional in ("notebook", "reason", "as_written"):
            if d[optional] is None:
                del d[optional]
        d = seal(d)
        self.record_sha256 = d["record_sha256"]
        return json.dumps(d, indent=2, sort_keys=False) + "\n"

    def save(self, path: Path) -> None:
        write_text(Path(path), self.to_json())

    @property
    def test_accs(self) -> list[float]:
        """Test accuracy per epoch; a diverged run's last epoch is left out where it has none."""
        return [e.test_acc for e in self.epochs if e.test_acc is not None]


RUN_FILE = re.compile(r"[A-Za-z0-9_.-]+-seed\d+\.json")


def run_filename(model: str, seed: int) -> str:
    return f"{model}-seed{seed}.json"


# --- reading, with validation -------------------------------------------------------------------------------

def _type_ok(value, kind) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


EPOCH_TYPES = {"epoch": int, "train_loss": float, "train_acc": float, "test_loss": float,
               "test_acc": float, "lr": float, "seconds": float, "val_loss": float, "val_acc": float}
# Epoch fields that may be absent or null: validation (runs without --val-split) and what an imported log lacks
# (test_loss too: some notebooks print the test accuracy alone).
EPOCH_OPTIONAL = {"train_loss", "train_acc", "lr", "seconds", "val_loss", "val_acc", "test_loss"}
DIVERGED_NULLS = set(EPOCH_TYPES) - {"epoch"}
REPORT_TYPES = {"schema_version": int, "model": str, "params": int, "audit": dict, "seed": int,
                "config": dict, "device": str, "environment": dict, "data": dict, "epochs": list,
                "train_seconds": float, "status": str}
REPORT_OPTIONAL = {"train_seconds"}   # null in imported logs
ORIGINS = ("trained", "imported")


def _version(d: dict, where: str) -> int:
    """The schema version the report says it follows, where this suite reads it."""
    version = d.get("schema_version")
    if isinstance(version, int) and _type_ok(version, int) and version > SCHEMA_VERSION:
        raise ReportError(f"{where}: written by a newer version of the suite (schema_version {version}; this "
                          f"one reads up to {SCHEMA_VERSION}): upgrade to read it")
    if version not in STATUSES_OF:
        raise ReportError(f"{where}: schema_version {version!r} is not one of "
                          f"{', '.join(map(str, STATUSES_OF))}")
    return version


def _check_required(d: dict, where: str) -> None:
    """Every field of REPORT_TYPES is there with its type (null where REPORT_OPTIONAL allows it)."""
    for name, kind in REPORT_TYPES.items():
        if name not in d:
            raise ReportError(f"{where}: missing field {name!r}")
        if d[name] is None and name in REPORT_OPTIONAL:
            continue
        if not _type_ok(d[name], kind):
            raise ReportError(f"{where}: field {name!r} should be {kind.__name__}, got {d[name]!r:.60}")


def _check_optional(d: dict, where: str, version: int) -> None:
    """The status the version allows, and the fields that may be absent: their types where present."""
    if d["status"] not in STATUSES_OF[version]:
        raise ReportError(f"{where}: status {d['status']!r} is not one of {', '.join(STATUSES_OF[version])} "
                          f"(schema_version {version})")
    if d.get("reason") is not None and not isinstance(d["reason"], str):
        raise ReportError(f"{where}: field 'reason' should be a string or null")
    weights = d.get("weights_sha256")
    if weights is not None and not isinstance(weights, str):
        raise ReportError(f"{where}: field 'weights_sha256' should be a string or null")
    if d.get("origin", "trained") not in ORIGINS:
        raise ReportError(f"{where}: origin {d.get('origin')!r} is not one of {', '.join(ORIGINS)}")
    for name in ("source", "notebook", "as_written"):
        if d.get(name) is not None and not isinstance(d[name], dict):
            raise ReportError(f"{where}: field {name!r} should be an object or null")
    if d.get("as_written") is not None and version < AS_WRITTEN_SINCE:
        raise ReportError(f"{where}: field 'as_written' is schema {AS_WRITTEN_SINCE}, but the report says "
                          f"schema_version {version}")


def _epoch(e, i: int, optional: set[str], where: str) -> EpochRecord:
    """epochs[i], checked: each figure of EPOCH_TYPES typed (null where `optional`), numbered i + 1."""
    if not isinstance(e, dict):
        raise ReportError(f"{where}: epochs[{i}] is not an object")
    for name, kind in EPOCH_TYPES.items():
        if e.get(name) is None and name in optional:
            continue
        if not _type_ok(e.get(name), kind):
            raise ReportError(f"{where}: epochs[{i}].{name} should be {kind.__name__}, got {e.get(name)!r:.60}")
    if e["epoch"] != i + 1:
        raise ReportError(f"{where}: epochs[{i}].epoch is {e['epoch']}, expected {i + 1}")
    figures: dict[str, Any] = {k: e.get(k) for k in EPOCH_TYPES}
    return EpochRecord(**figures)


def _epochs(d: dict, where: str) -> list[EpochRecord]:
    last = len(d["epochs"]) - 1
    # A diverged run's last epoch holds null for each figure that was not finite.
    return [_epoch(e, i, EPOCH_OPTIONAL | (DIVERGED_NULLS if d["status"] == "diverged" and i == last else set()),
                   where)
            for i, e in enumerate(d["epochs"])]


def from_dict(d, where: str) -> RunReport:
    if not isinstance(d, dict):
        raise ReportError(f"{where}: not a run report (top level is not an object)")
    version = _version(d, where)
    _check_required(d, where)
    _check_optional(d, where, version)
    epochs = _epochs(d, where)
    problem = content_problem(d, epochs)
    if problem:
        raise ReportError(f"{where}: {problem}")
    # Last, so that a malformed report is named by its first wrong field, not by its (then also wrong) seal.
    problem = seal_problem(d)
    if problem:
        raise ReportError(f"{where}: {problem}")
    known = {f.name for f in fields(RunReport)}
    rest = {k: v for k, v in d.items() if k in known and k != "epochs"}
    return RunReport(epochs=epochs, **rest)


ACCURACIES = ("train_acc", "test_acc", "val_acc")
MAX_SEED = 2 ** 32 - 1


def content_problem(d: dict, epochs: list[EpochRecord]) -> str:
    """What a well-typed report cannot hold, seal or no seal: an accuracy outside 0-100 %, a complete run with no
    epoch, a seed or parameter count out of range. '' when it can be. (A loss may be negative: NLL of a network
    whose outputs are not log-probabilities.)"""
    if not 0 <= d["seed"] <= MAX_SEED:
        return f"seed {d['seed']} is outside 0..{MAX_SEED}"
    if d["params"] < 0:
        return f"params {d['params']} is negative"
    if d["status"] == "complete" and not epochs:
        return "status complete, but no epoch is recorded"
    for e in epochs:
        for name in ACCURACIES:
            value = getattr(e, name)
            if value is not None and not 0 <= value <= 100:
                return f"epochs[{e.epoch - 1}].{name} is {value}, not a percentage in 0..100"
    return ""


def load(path: Path) -> RunReport:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ReportError(cannot_read(path, e)) from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a text file (a run report is UTF-8 JSON)") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    report = from_dict(d, str(path))
    if RUN_FILE.fullmatch(path.name) and path.name != run_filename(report.model, report.seed):
        raise ReportError(f"{path}: holds {report.model} seed {report.seed}, whose file would be "
                          f"{run_filename(report.model, report.seed)}")
    return report


def find_reports(paths) -> list[Path]:
    """Report files named directly, and every <model>-seed<k>.json under folders (recursively), in a stable order."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            # In folders only run reports count: reports/ also holds benchmark JSON.
            found.extend(sorted(q for q in p.rglob("*-seed*.json") if RUN_FILE.fullmatch(q.name)))
            if not os.access(p, os.R_OK | os.X_OK):
                raise ReportError(f"{p}: cannot read this folder (permission denied)")
        elif p.is_file():
            found.append(p)
        else:
            raise ReportError(f"{p}: no such file or folder")
    return found
