"""`import-log`: read a plain training log in the common notebook format into a run report marked as imported.

The format is the one pytorch/examples' mnist prints after every epoch, kept by most notebook answers:

    Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)

one line per epoch, in order, with anything in between (progress bars, prose, other prints). Such a log says
nothing else, so the record says nothing else: train loss/accuracy, learning rate and timings are None, the
environment is empty and there is no weights hash. What it does give, the report tool can check.
"""
import hashlib
import re
from pathlib import Path
from typing import List, Tuple

import model as models
from model.audit import audit
from reproduce.record.schema import EpochRecord, ReportError, RunReport, run_filename

TEST_LINE = re.compile(r"Test set: Average loss: (?P<loss>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?), "
                       r"Accuracy: (?P<correct>\d+)/(?P<total>\d+) \((?P<pct>\d+(?:\.\d+)?)%\)")
MARKER = "Test set:"


class LogError(ReportError):
    """A log that cannot be imported, said in one line naming the file (and line)."""


def parse(text: str, where: str) -> Tuple[List[EpochRecord], int]:
    """(epochs, test images): one EpochRecord per test line, numbered in order; a 'Test set:' line in another shape is an error,
    so a half-recognised log never imports as a shorter run than it was."""
    epochs, total = [], None
    for lineno, line in enumerate(text.splitlines(), 1):
        if MARKER not in line:
            continue
        m = TEST_LINE.search(line)
        if not m:
            raise LogError(f"{where}:{lineno}: a '{MARKER}' line not in the form "
                           f"'Test set: Average loss: L, Accuracy: K/N (P%)': {line.strip()[:80]!r}")
        correct, n = int(m["correct"]), int(m["total"])
        if n == 0 or correct > n:
            raise LogError(f"{where}:{lineno}: accuracy {correct}/{n} is impossible")
        if total is not None and n != total:
            raise LogError(f"{where}:{lineno}: evaluated on {n} images, earlier lines on {total}")
        total = n
        acc = 100.0 * correct / n
        if abs(acc - float(m["pct"])) > 0.006:   # the log prints the percentage rounded to 2 decimals
            raise LogError(f"{where}:{lineno}: {correct}/{n} is {acc:.2f}%, but the line says {m['pct']}%")
        epochs.append(EpochRecord(epoch=len(epochs) + 1, train_loss=None, train_acc=None,
                                  test_loss=float(m["loss"]), test_acc=acc, lr=None, seconds=None))
    if not epochs:
        raise LogError(f"{where}: no epoch lines like 'Test set: Average loss: 0.0400, "
                       f"Accuracy: 9877/10000 (98.77%)' found")
    return epochs, total


def model_audit(name: str, params: int) -> dict:
    """The suite's own audit when it can build the named model (and the claimed size must match it);
    otherwise only the claimed parameter count, and the report shows the other constraints as unknown."""
    if params < 1:
        raise LogError(f"--params must be at least 1, got {params}")
    if name not in models.MODELS:
        return {"params": params}
    audited = audit(models.build(name)).to_dict()
    if audited["params"] != params:
        raise LogError(f"--params {params}: model {name!r} of this suite has {audited['params']} parameters")
    return audited


def import_log(log: Path, name: str, params: int, seed: int, out: Path) -> Path:
    log = Path(log)
    try:
        raw = log.read_bytes()
    except OSError as e:
        raise LogError(f"{log}: cannot read ({e.strerror or e})") from None
    epochs, n_test = parse(raw.decode("utf-8", errors="replace"), str(log))
    audited = model_audit(name, params)
    path = Path(out) / run_filename(name, seed)
    if path.exists():   # never replace a report (perhaps a real run) by an import
        raise LogError(f"{path}: already exists; import into another --out or with another --seed")
    report = RunReport(
        model=name, params=params, audit=audited, seed=seed, config={"model": name, "epochs": len(epochs)},
        device="unknown", environment={}, data={"test_images": n_test}, epochs=epochs, weights_sha256=None,
        train_seconds=None, status="complete", origin="imported",
        source={"file": log.name, "sha256": hashlib.sha256(raw).hexdigest()},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    report.save(path)
    return path
