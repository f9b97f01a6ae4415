"""`import-log`: read a plain training log in the common notebook format into a run report marked as imported.

The format is the one pytorch/examples' mnist prints after every epoch, kept by most notebook answers:

    Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)

one line per epoch, in order, with anything in between (progress bars, prose, other prints). Such a log says
nothing else, so the record says nothing else: train loss/accuracy, learning rate and timings are None, the
environment is empty and there is no weights hash. What it does give, the report tool can check.

A Jupyter notebook (.ipynb) is read as the text its code cells printed: stream outputs and the text/plain of
results, in cell order. Never its source: a cell that prints the test line holds the same format string
("Test set: Average loss: {:.4f}, ...") as a template, which is not a log line.
"""
import hashlib
import json
import re
from pathlib import Path
from typing import List, Tuple

import model as models
from model.audit import audit
from model.spec import check, run_name
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


def notebook_text(raw: bytes, where: str) -> str:
    """What the code cells of a notebook printed, in order; LogError for a file that is not a notebook."""
    try:
        nb = json.loads(raw.decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        raise LogError(f"{where}: not a Jupyter notebook (no JSON object with a 'cells' list)") from None
    chunks = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs") or []:
            if not isinstance(out, dict):
                continue
            if out.get("output_type") == "stream":
                text = out.get("text", "")
            else:  # execute_result, display_data: their plain-text form
                text = (out.get("data") or {}).get("text/plain", "")
            chunks.append("".join(text) if isinstance(text, list) else str(text))
    return "\n".join(chunks)


def model_audit(spec: str, params) -> tuple:
    """(name, audit): the suite's own audit and parameter count when the spec names a model the suite can build
    (registered, FILE.py:NAME or package.module:NAME), and a claimed --params must match it; otherwise the
    claimed parameter count alone, and the report shows the other constraints as unknown."""
    if params is not None and params < 1:
        raise LogError(f"--params must be at least 1, got {params}")
    if spec not in models.MODELS and ":" not in spec:
        if params is None:
            raise LogError(f"--params is needed: {spec!r} is not a model the suite can build "
                           f"(a registered name, FILE.py:NAME or package.module:NAME)")
        return run_name(spec), {"params": params}
    source = models.resolve(spec)
    check(source)
    audited = audit(models.build_aside(spec)).to_dict()
    if params is not None and audited["params"] != params:
        raise LogError(f"--params {params}: model {spec} has {audited['params']} parameters")
    return source.name, audited


def import_log(log: Path, spec: str, params, seed: int, out: Path) -> Path:
    log = Path(log)
    try:
        raw = log.read_bytes()
    except OSError as e:
        raise LogError(f"{log}: cannot read ({e.strerror or e})") from None
    text = notebook_text(raw, str(log)) if log.suffix == ".ipynb" else raw.decode("utf-8", errors="replace")
    epochs, n_test = parse(text, str(log))
    name, audited = model_audit(spec, params)
    path = Path(out) / run_filename(name, seed)
    if path.exists():   # never replace a report (perhaps a real run) by an import
        raise LogError(f"{path}: already exists; import into another --out or with another --seed")
    report = RunReport(
        model=name, params=audited["params"], audit=audited, seed=seed, config={"model": spec, "epochs": len(epochs)},
        device="unknown", environment={}, data={"test_images": n_test}, epochs=epochs, weights_sha256=None,
        train_seconds=None, status="complete", origin="imported",
        source={"file": log.name, "sha256": hashlib.sha256(raw).hexdigest()},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    report.save(path)
    return path
