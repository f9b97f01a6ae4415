"""The checker: decides, run by run, whether a report reaches the target within the allowed epochs.

Everything the terminal view shows as a verdict is decided here; the view only draws it.
"""
from dataclasses import dataclass, field
from pathlib import Path

from reproduce.model.audit import MAX_PARAMS
from reproduce.record.schema import RunReport
from reproduce.report.choices import MAX_EPOCHS, TARGET  # noqa: F401  (their home is choices.py)
from reproduce.report.groups import SUITE, group
from reproduce.report.splits import TEST, accuracies, images

MAX_EPOCHS_RULE = 20


@dataclass
class RunCheck:
    """The run's figures on one split (Verdict.on): the test set's, or with `report --on validation` the
    validation split's, in the same fields (test_accs then holds the validation accuracies)."""
    path: str
    seed: int
    params: int
    status: str
    test_accs: list[float]
    first_reaching: int | None   # first epoch <= max_epochs with test_acc >= target
    peak: float | None           # best test accuracy within max_epochs (picked on the test set)
    peak_epoch: int | None
    final: float | None          # last epoch within max_epochs
    low_last3: float | None      # lowest of the last three epochs within max_epochs
    complete: bool
    passed: bool                    # complete and reached the target
    stays_last3: bool | None = None   # each of the last three epochs within max_epochs >= target
    # Epoch selection without the test set (runs with --val-split): the epoch of best validation accuracy
    # (earliest on ties) and the test accuracy at that epoch. None when the run has no validation figures, and on
    # the validation split (there the peak is that epoch, and the test set is not read).
    val_epoch: int | None = None
    val_best: float | None = None
    test_at_val: float | None = None
    origin: str = "trained"
    test_images: int = 10_000       # for the binomial spread of one accuracy
    final_passed: bool = False      # complete and the last epoch within max_epochs reaches the target
    # trained with --allow-nondeterministic: an op without a deterministic kernel ran, the bytes may not repeat
    nondeterministic: bool = False
    # what the report says the run lacks: an imported notebook's error, what --approximate left out
    notes: list[str] = field(default_factory=list)
    trained_as: str = ""            # "execution fast, precision bf16"; empty for imported logs


@dataclass
class ModelCheck:
    model: str
    params: int
    rules: dict[str, bool | None]  # the challenge's constraints, from the audit and the runs' epochs
    runs: list[RunCheck] = field(default_factory=list)
    passing: int = 0
    label: str = ""    # what tells these runs apart from other runs of the model shown beside them (groups.py)
    kind: str = SUITE   # as-written, suite or imported (groups.kind)

    @property
    def title(self) -> str:
        return f"{self.model} ({self.label})" if self.label else self.model


@dataclass
class Verdict:
    target: float
    max_epochs: int
    models: list[ModelCheck]
    on: str = TEST   # the split every figure is computed from (report/splits.py)

    @property
    def ok(self) -> bool:
        return all(r.passed for m in self.models for r in m.runs)


def check_run(path: str, r: RunReport, target: float, max_epochs: int, on: str = TEST) -> RunCheck:
    accs = accuracies(r, on)[:max_epochs]
    first = next((i + 1 for i, a in enumerate(accs) if a >= target), None)
    peak = max(accs, default=None)
    complete = r.status == "complete"
    vals = [e.val_acc for e in r.epochs[:max_epochs]] if on == TEST else []
    known = [v for v in vals if v is not None]
    val_epoch = None
    if vals and len(known) == len(vals):
        val_epoch = known.index(max(known)) + 1
    low_last3 = min(accs[-3:]) if accs else None
    return RunCheck(
        path=path, seed=r.seed, params=r.params, status=r.status, test_accs=accs, first_reaching=first,
        peak=peak, peak_epoch=accs.index(peak) + 1 if peak is not None else None,
        final=accs[-1] if accs else None, low_last3=low_last3,
        complete=complete, passed=complete and first is not None,
        stays_last3=low_last3 >= target if low_last3 is not None else None,   # None: no epoch
        val_epoch=val_epoch, val_best=vals[val_epoch - 1] if val_epoch else None,
        test_at_val=accs[val_epoch - 1] if val_epoch else None,
        origin=r.origin, test_images=images(r, on),
        final_passed=complete and bool(accs) and accs[-1] >= target,
        nondeterministic=bool(r.config.get("allow_nondeterministic", False)), notes=notes(r),
        trained_as=trained_as(r),
    )


def trained_as(r: RunReport) -> str:
    if r.origin != "trained":
        return ""
    if r.as_written is not None:   # check --as-written: the notebook's own loop, in its own kernel
        return "as written, the notebook's own code"
    # reports from before `execution` (or `precision`) existed were trained by the plain loop (in fp32)
    way = f"execution {r.config.get('execution', 'plain')}, precision {r.config.get('precision', 'fp32')}"
    decay = r.config.get("ema_decay")   # reports from before [ema] existed have no such key: evaluated as trained
    return way if decay is None else f"{way}, EMA decay {decay}"


def notes(r: RunReport) -> list[str]:
    source = r.source or {}
    out = [f"{source['file']}: {source['error']}"] if source.get("error") else []
    nb = r.notebook or {}
    out += [f"{nb['file']}: left out by --approximate: {item}" for item in nb.get("left_out") or []]
    out += [f"{nb['file']}: run as written with one adaptation: {item}" for item in nb.get("adapted") or []]
    return out + [f"{nb['file']}: {item}" for item in nb.get("steered") or []]


def rules(r: RunReport, epochs_trained: int) -> dict[str, bool | None]:
    """The constraints; None where the audit does not say (an imported log of a model the suite cannot build)."""
    a = r.audit

    def said(key):
        return bool(a[key]) if key in a else None
    return {
        f"params < {MAX_PARAMS // 1000}k": r.params < MAX_PARAMS,
        "BN": said("batchnorm"),
        "Dropout": said("dropout"),
        "FC": said("fully_connected"),
        "GAP": said("global_avg_pool"),
        f"epochs < {MAX_EPOCHS_RULE}": epochs_trained < MAX_EPOCHS_RULE,
    }


def check(reports: list[tuple[Path, RunReport]], target: float = TARGET, max_epochs: int = MAX_EPOCHS,
          on: str = TEST) -> Verdict:
    """One ModelCheck per configuration (groups.py): runs that differ only by their seed, their figures on the
    split `on`. ReportError for two different reports of one run."""
    models = []
    for g in group(reports):
        pairs = sorted(g.runs, key=lambda pr: (pr[1].seed, str(pr[0])))
        epochs_trained = max(int(r.config.get("epochs", len(r.epochs))) for _, r in pairs)
        runs = [check_run(str(p), r, target, max_epochs, on) for p, r in pairs]
        m = ModelCheck(g.model, pairs[0][1].params, rules(pairs[0][1], epochs_trained), runs,
                       passing=sum(run.passed for run in runs), label=g.label, kind=g.identity["kind"])
        models.append(m)  # means and spreads: summary.py, from these runs
    return Verdict(target, max_epochs, models, on)
