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
network's own count. Outputs holding several training runs give one report per run.
"""
import hashlib
from dataclasses import dataclass
from pathlib import Path

import reproduce.model as models
from reproduce.errors import cannot_read
from reproduce.model.audit import audit
from reproduce.model.notebook import is_notebook
from reproduce.model.spec import check, run_name
from reproduce.notebook import claim
from reproduce.notebook.claim import Claimed, ClaimError, Outputs
from reproduce.record.schema import EpochRecord, ReportError, RunReport, run_filename


class LogError(ReportError):
    """A log that cannot be imported, said in one line naming the file (and cell, or line)."""


@dataclass
class Log:
    runs: list[Claimed]      # each training run the outputs hold, in order (at least one)
    outs: Outputs
    raw: bytes

    def epochs(self, run: Claimed) -> list[EpochRecord]:
        return [EpochRecord(epoch=i, train_loss=None, train_acc=None, test_loss=loss, test_acc=acc, lr=None,
                            seconds=None) for i, (acc, loss) in enumerate(zip(run.accs, run.losses), 1)]


def read_log(log: Path, pattern=None) -> Log:
    """The runs of a log or of a notebook's outputs; LogError if unusable."""
    log = Path(log)
    try:
        raw = log.read_bytes()
    except OSError as e:
        raise LogError(cannot_read(log, e)) from None
    try:
        outs = claim.outputs(raw, str(log)) if is_notebook(log) else claim.log_outputs(raw, str(log))
        return Log(claim.read_runs(outs, str(log), pattern), outs, raw)
    except ClaimError as e:
        raise LogError(str(e)) from None


def pick_run(log: Log, path: Path, k: int | None) -> tuple[int, Claimed]:
    """(K, the claimed run): the last one printed, or the K-th (1-based) where asked."""
    n = len(log.runs)
    k = n if k is None else k
    if not 1 <= k <= n:
        raise LogError(f"--claim-run {k}: {path} holds {n} training run{'s' if n != 1 else ''}")
    return k, log.runs[k - 1]


def buildable(spec: str) -> bool:
    """Whether the suite can build the network a --model spec names (registered, FILE.py:NAME,
    package.module:NAME or a notebook), rather than take it as a name only."""
    return spec in models.MODELS or ":" in spec or is_notebook(spec)


def model_audit(spec: str, params) -> tuple:
    """(name, audit): the suite's own audit and parameter count when the spec names a model the suite can build
    (registered, FILE.py:NAME or package.module:NAME), and a claimed --params must match it; otherwise the
    claimed parameter count alone, and the report shows the other constraints as unknown."""
    if params is not None and params < 1:
        raise LogError(f"--params must be at least 1, got {params}")
    if not buildable(spec):
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


def check_printed_params(log: Path, total_params: int | None, audited: dict, spec: str) -> None:
    if total_params is not None and total_params != audited["params"]:
        raise LogError(f"{log}: it prints Total params: {total_params:,}, but the network {spec} has "
                       f"{audited['params']:,} parameters")


def import_log(log: Path, spec: str, params, seed: int, out: Path, pattern=None) -> list[Path]:
    """One report per training run in the log (`<model>-seed<k>.json`; with several runs `<model>.run<K>-...`),
    all checked before any is written."""
    log = Path(log)
    read = read_log(log, pattern)
    printed = [run.total_params for run in read.runs if run.total_params is not None]
    if params is None and not buildable(spec):
        params = printed[-1] if printed else None   # the count the notebook printed stands in for --params
    name, audited = model_audit(spec, params)
    for count in printed:
        check_printed_params(log, count, audited, spec)
    several = len(read.runs) > 1
    names = [f"{name}.run{k}" if several else name for k in range(1, len(read.runs) + 1)]
    paths = [Path(out) / run_filename(n, seed) for n in names]
    for path in paths:
        if path.exists():   # never replace a report (perhaps a real run) by an import
            raise LogError(f"{path}: already exists; import into another --out or with another --seed")
    for k, (run, model_name, path) in enumerate(zip(read.runs, names, paths), 1):
        epochs = read.epochs(run)
        report = RunReport(
            model=model_name, params=audited["params"], audit=audited, seed=seed,
            config={"model": spec, "epochs": len(epochs)}, device="unknown", environment={},
            data={"test_images": run.n_test} if run.n_test else {}, epochs=epochs, weights_sha256=None,
            train_seconds=None, status="complete", origin="imported",
            source={"file": log.name, "sha256": hashlib.sha256(read.raw).hexdigest(),
                    **({"error": read.outs.error} if read.outs.error and k == len(read.runs) else {}),
                    **({"run": k, "runs": len(read.runs)} if several else {})},
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        report.save(path)
    return paths
