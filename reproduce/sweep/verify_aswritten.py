"""`python -m reproduce verify REPORT.json` of a run of a notebook as written (check --as-written): the notebook's
own code run again in a kernel with the report's seed, --epochs and --train-limit, and the accuracies the suite
measured after each training pass compared with the report's, bit for bit.

The notebook is the one the report names (its path), and it must be the same file (its sha256): a notebook
moved or edited since is refused in one line, before anything runs. For a full re-run the run's end is compared
too: its status, the cell and error it failed at, and the notebook's own printed accuracies.
"""
import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path

from reproduce.errors import UsageError
from reproduce.record.schema import ReportError, RunReport
from reproduce.sweep.aswritten import finished
from reproduce.sweep.differences import environment_differences, epoch_differences


@dataclass(frozen=True)
class Asked:
    """What verify was asked beside the report: --epochs, --data-dir, --threads."""
    epochs: int | None = None
    data_dir: Path | None = None
    threads: int | None = None


def notebook_of(path: Path, report: RunReport) -> Path:
    """The notebook the report ran, as it was then; ReportError where it is gone or changed."""
    said = (report.as_written or {}).get("notebook") or {}
    name = said.get("file", "its notebook")
    if not said.get("path"):
        raise ReportError(f"{path}: does not say where {name} is (written before as-written reports held the "
                          f"notebook's path); run check --as-written again to verify it")
    notebook = Path(said["path"])
    if not notebook.is_file():
        raise ReportError(f"{path}: the notebook it ran, {notebook}, is not there any more")
    sha = hashlib.sha256(notebook.read_bytes()).hexdigest()
    if sha != said.get("sha256"):
        raise ReportError(f"{path}: {notebook} has changed since this run (sha256 {said.get('sha256')} in the "
                          f"report, {sha} here); verify re-runs the notebook as it was")
    return notebook


def epochs_to_rerun(path: Path, report: RunReport, epochs: int | None) -> int | None:
    """The training passes to run again: --epochs (within those the report measured), else the report's own
    --epochs (None: the notebook's whole loop)."""
    recorded = len(report.epochs)
    if epochs is None:
        return (report.as_written or {}).get("epochs_limit")
    if not 1 <= epochs <= recorded:
        raise UsageError(f"--epochs must be between 1 and {recorded} (the epochs {path} records), got {epochs}")
    return epochs


def end_differences(recorded: RunReport, rerun: RunReport) -> list[str]:
    """How the two runs ended, where they differ: status, reason (the cell and error), the printed figures."""
    said, here = recorded.as_written or {}, rerun.as_written or {}
    pairs = [("status", recorded.status, rerun.status), ("reason", recorded.reason, rerun.reason),
             ("the notebook's printed accuracies", said.get("printed"), here.get("printed"))]
    return [f"{name} {a!r} (report) vs {b!r} (here)" for name, a, b in pairs if a != b]


def first_difference(recorded: RunReport, rerun: RunReport, k: int, say) -> tuple[int, list] | None:
    """Epochs 1..k compared, each said; (the first differing epoch, its differences) or None."""
    first = None
    for n in range(1, k + 1):
        here = rerun.epochs[n - 1] if n <= len(rerun.epochs) else None
        diff = (epoch_differences(recorded.epochs[n - 1], here) if here is not None
                else [f"measured in the report, not reached here ({rerun.reason or rerun.status})"])
        say(f"  epoch {n:2d} {'identical' if not diff else 'DIFFERS'}")
        if diff and first is None:
            first = (n, diff)
    return first


def rerun_of(report: RunReport, notebook: Path, stop_after: int | None, asked: Asked, data_root: str) -> RunReport:
    """The report the notebook's run gives here, made as the as-written sweep makes it."""
    from reproduce.notebook.aswritten import runner
    said = report.as_written or {}
    threads = asked.threads or report.config.get("threads") or report.environment.get("torch_threads")
    got = runner.run(notebook, runner.Options(report.seed, data_root, stop_after, said.get("train_limit"), threads))
    return finished(copy.deepcopy(report), got)


def verify_as_written(path: Path, report: RunReport, asked: Asked, say) -> int:
    """0 when the re-run measures the same accuracies bit for bit (and, run in full, ends the same way), 1 when
    not. ReportError for a notebook that is gone or changed; UsageError for an --epochs out of range."""
    import torch

    from reproduce.data.mnist import default_root, ensure_mnist
    from reproduce.training import environment
    notebook = notebook_of(path, report)
    stop_after = epochs_to_rerun(path, report, asked.epochs)
    if not report.epochs and report.status != "failed":
        raise ReportError(f"{path}: records no epoch, nothing to verify")
    info = ensure_mnist(Path(asked.data_dir) if asked.data_dir else default_root(), log=say)
    k = len(report.epochs) if asked.epochs is None else asked.epochs
    full = asked.epochs is None   # --epochs K: a prefix, whose run ends where it was cut
    measured = f"epochs 1..{k} measured by the suite" if k else "no epoch measured (the run failed before one)"
    say(f"verifying {path}: {notebook.name} as written (its own code), seed {report.seed}, {measured}, in a kernel "
        f"on the cpu")
    rerun = rerun_of(report, notebook, stop_after, asked, str(info.root))
    first = first_difference(report, rerun, k, say)
    ends = end_differences(report, rerun) if full else []
    if first is None and not ends:
        same = f"the accuracies of epochs 1..{k} identical bit for bit" if k else "no epoch measured, as in the report"
        say(f"match: {same}" + (f", and the run ends as the report says ({report.status})" if full else " (a prefix)"))
        return 0
    if first is not None:
        say(f"MISMATCH: first differing epoch {first[0]}: {'; '.join(first[1])}")
    if ends:
        say(f"MISMATCH: the run ends otherwise: {'; '.join(ends)}")
    differing = (environment_differences(report.environment, environment.capture(torch.device("cpu")))
                 + environment_differences((report.as_written or {}).get("versions") or {},
                                           (rerun.as_written or {}).get("versions") or {})
                 + ([] if report.data.get("sha256") == info.sha256 else ["data sha256"]))
    say("environment differs from the report's: " + ("; ".join(differing) if differing else
                                                       "nothing recorded differs"))
    return 1
