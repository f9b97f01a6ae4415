"""The as-written sweep: a notebook's own code run in full once per seed (reproduce/notebook/aswritten/), each
seed written as a run report like every other, marked by its `as_written` field (schema 3).

Each report is written whole or not at all (atomic writes): "running" before the notebook starts, final after.
A report found "running" with no process holding its lock was stopped in the middle: it is run again from its
start, and said so, since there is no checkpoint inside a notebook's own loop. A final report made from the same
notebook (its sha256), seed, --epochs and --train-limit is kept; a notebook's error is its result, kept too."""
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from reproduce.notebook.aswritten import runner
from reproduce.record.locks import holder, try_lock
from reproduce.record.schema import RunReport, load, run_filename
from reproduce.training.epoch import EpochRecord

KEPT = ("complete", "diverged", "failed")
SUFFIX = ".as-written"


@dataclass(frozen=True)
class AsWrittenSweep:
    notebook: Path
    seeds: list[int]
    out: Path                          # the notebook's folder under --out
    audit: dict                        # the suite's audit of the network the dry run saw trained ({} if none)
    recipe: str                        # the dry run's drafted recipe, as TOML text
    data: dict                         # {"source", "sha256", "root"} of the verified MNIST
    epochs: int | None = None
    train_limit: int | None = None
    threads: int | None = None


def run_name(notebook: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", notebook.stem) + SUFFIX


def report_paths(sweep: AsWrittenSweep) -> list[Path]:
    return [sweep.out / run_filename(run_name(sweep.notebook), s) for s in sweep.seeds]


def _key(sweep: AsWrittenSweep, sha: str) -> dict:
    return {"sha256": sha, "epochs_limit": sweep.epochs, "train_limit": sweep.train_limit}


def _base(sweep: AsWrittenSweep, seed: int, sha: str, environment: dict) -> RunReport:
    return RunReport(
        model=run_name(sweep.notebook), params=int(sweep.audit.get("params", 0)), audit=sweep.audit, seed=seed,
        config={"model": sweep.notebook.name, "as_written": True, "epochs": 0,
                "train_limit": sweep.train_limit, "threads": sweep.threads},
        device="cpu", environment=environment,
        data={"source": sweep.data["source"], "sha256": sweep.data["sha256"],
              "train_images": sweep.train_limit or 60_000, "test_images": 10_000},
        notebook={"file": sweep.notebook.name, "sha256": sha},
        # the notebook's path: `verify` runs it again from there
        as_written={"notebook": {"file": sweep.notebook.name, "sha256": sha, "path": str(sweep.notebook)},
                    "recipe": sweep.recipe,
                    "epochs_limit": sweep.epochs, "train_limit": sweep.train_limit, "versions": {}})


def finished(report: RunReport, got: runner.AsWritten) -> RunReport:
    """The report of a finished run: its measured epochs, and failed where the notebook failed or the suite could
    not measure."""
    report.epochs = [EpochRecord(e.epoch, None, None, None, e.accuracy, None, e.seconds) for e in got.epochs
                     if e.accuracy is not None]
    report.train_seconds = round(got.seconds, 3)
    if not report.audit and got.epochs and got.epochs[-1].params is not None:   # a network the suite cannot build
        report.params = got.epochs[-1].params
    report.config["epochs"] = len(report.epochs)
    written = dict(report.as_written or {}, versions=got.versions, printed=got.printed,
                   stopped_by_epochs=got.stopped, notes=got.notes)
    report.as_written = written
    unmeasured = len(report.epochs) < len(got.epochs)
    if got.failure is not None:
        report.status, report.reason = "failed", f"cell {got.failure.cell}: {got.failure.what}"
        written["cell"] = got.failure.cell
    elif unmeasured or not got.epochs:
        report.status = "failed"
        report.reason = "; ".join(got.notes) or "no pass over a loader with an optimizer stepping was seen"
    else:
        report.status = "complete"
    return report


def _kept(path: Path, key: dict, say) -> bool:
    """Whether the report at `path` is a final one of the same run; says what it finds."""
    if not path.exists():
        return False
    old = load(path)
    same = old.as_written is not None and {"sha256": (old.notebook or {}).get("sha256"),
                                           "epochs_limit": old.as_written.get("epochs_limit"),
                                           "train_limit": old.as_written.get("train_limit")} == key
    if old.status in KEPT and same:
        say(f"{path}: {old.status} with the same notebook and flags, skipped")
        return True
    if old.status == "running":
        say(f"{path}: stopped in the middle of its run; run again from its start (a notebook's own loop has no "
            f"checkpoint to resume from)")
    return False


def run_seeds(sweep: AsWrittenSweep, say=print) -> list[Path]:
    """Each seed's report, run where it is not already there; the paths of the reports now final."""
    import torch

    from reproduce.training import environment
    sha = hashlib.sha256(sweep.notebook.read_bytes()).hexdigest()
    key = _key(sweep, sha)
    sweep.out.mkdir(parents=True, exist_ok=True)
    done = []
    env = environment.capture(torch.device("cpu"))
    for seed, path in zip(sweep.seeds, report_paths(sweep)):
        lock = try_lock(path)
        if lock is None:
            say(f"{path}: being run by another process (pid {holder(path) or '?'}), skipped")
            continue
        with lock:
            if _kept(path, key, say):
                done.append(path)
                continue
            report = _base(sweep, seed, sha, env)
            report.save(path)   # "running": a stop from here on leaves this, never half a file
            say(f"{sweep.notebook.name}: seed {seed}, as written ...")
            got = runner.run(sweep.notebook, runner.Options(seed, sweep.data["root"], sweep.epochs,
                                                            sweep.train_limit, sweep.threads))
            finished(report, got).save(path)
            final = report.test_accs[-1] if report.test_accs else None
            say(f"{path}: {report.status}" + (f", final {final:.2f}%" if final is not None else "")
                + (f" ({report.reason})" if report.reason else ""))
            done.append(path)
    return done
