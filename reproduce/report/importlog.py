"""`import-log`: read a plain training log in the common notebook format into a run report marked as imported.

The format is the one pytorch/examples' mnist prints after every epoch, kept by most notebook answers:

    Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)

one line per epoch, in order, with anything in between (progress bars, prose, other prints). Such a log says
nothing else, so the record says nothing else: train loss/accuracy, learning rate and timings are None, the
environment is empty and there is no weights hash. What it does give, the report tool can check.

A Jupyter notebook (.ipynb) is read as the text its code cells printed: stream outputs and the text/plain of
results, in cell order. Never its source: a cell that prints the test line holds the same format string
("Test set: Average loss: {:.4f}, ...") as a template, which is not a log line. A log without such lines is
read in the other shapes notebooks print (reproduce/notebook/claim.py), or with --pattern REGEX. Outputs that
end in an error are imported with that recorded in the report; a printed `Total params:` must match the
network's own count.
"""
import hashlib
import re
from pathlib import Path

import reproduce.model as models
from reproduce.errors import cannot_read
from reproduce.model.audit import audit
from reproduce.model.spec import check, run_name
from reproduce.notebook import claim
from reproduce.notebook.claim import ClaimError
from reproduce.record.schema import EpochRecord, ReportError, RunReport, run_filename

TEST_LINE = re.compile(r"Test set: Average loss: (?P<loss>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?), "
                       r"Accuracy: (?P<correct>\d+)/(?P<total>\d+) \((?P<pct>\d+(?:\.\d+)?)%\)")
MARKER = "Test set:"


class LogError(ReportError):
    """A log that cannot be imported, said in one line naming the file (and line)."""


def parse(text: str, where: str) -> tuple[list[EpochRecord], int]:
    """(epochs, test images): one EpochRecord per test line, numbered in order; a 'Test set:' line in another
    shape is an error, so a half-recognised log never imports as a shorter run than it was."""
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


def read_log(log: Path, pattern=None) -> tuple:
    """(epochs, test images or None, claim.Outputs, raw bytes) of a log or a notebook's outputs; LogError if
    unusable."""
    log = Path(log)
    try:
        raw = log.read_bytes()
    except OSError as e:
        raise LogError(cannot_read(log, e)) from None
    try:
        outs = claim.outputs(raw, str(log)) if log.suffix == ".ipynb" else \
            claim.Outputs(raw.decode("utf-8", errors="replace"))
        if pattern is None and MARKER in outs.text:   # pytorch/examples' shape, read strictly
            epochs, total = parse(outs.text, str(log))
        else:
            got = claim.read(outs.text, str(log), pattern)
            epochs = [EpochRecord(epoch=i, train_loss=None, train_acc=None, test_loss=loss, test_acc=acc, lr=None,
                                  seconds=None) for i, (acc, loss) in enumerate(zip(got.accs, got.losses), 1)]
            total = None
    except ClaimError as e:
        raise LogError(str(e)) from None
    return epochs, total, outs, raw


def model_audit(spec: str, params) -> tuple:
    """(name, audit): the suite's own audit and parameter count when the spec names a model the suite can build
    (registered, FILE.py:NAME or package.module:NAME), and a claimed --params must match it; otherwise the
    claimed parameter count alone, and the report shows the other constraints as unknown."""
    if params is not None and params < 1:
        raise LogError(f"--params must be at least 1, got {params}")
    if spec not in models.MODELS and ":" not in spec and not spec.endswith(".ipynb"):
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


def check_printed_params(log: Path, outs, audited: dict, spec: str) -> None:
    if outs.total_params is not None and outs.total_params != audited["params"]:
        raise LogError(f"{log}: it prints Total params: {outs.total_params:,}, but the network {spec} has "
                       f"{audited['params']:,} parameters")


def import_log(log: Path, spec: str, params, seed: int, out: Path, pattern=None) -> Path:
    log = Path(log)
    epochs, n_test, outs, raw = read_log(log, pattern)
    if params is None and spec not in models.MODELS and ":" not in spec and not spec.endswith(".ipynb"):
        params = outs.total_params   # the count the notebook printed stands in for --params
    name, audited = model_audit(spec, params)
    check_printed_params(log, outs, audited, spec)
    path = Path(out) / run_filename(name, seed)
    if path.exists():   # never replace a report (perhaps a real run) by an import
        raise LogError(f"{path}: already exists; import into another --out or with another --seed")
    report = RunReport(
        model=name, params=audited["params"], audit=audited, seed=seed, config={"model": spec, "epochs": len(epochs)},
        device="unknown", environment={}, data={"test_images": n_test} if n_test else {}, epochs=epochs,
        weights_sha256=None,
        train_seconds=None, status="complete", origin="imported",
        source={"file": log.name, "sha256": hashlib.sha256(raw).hexdigest(),
                **({"error": outs.error} if outs.error else {})},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    report.save(path)
    return path
