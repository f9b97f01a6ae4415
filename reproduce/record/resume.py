"""What a sweep finds where a run's report should go, and what it does about it.

- nothing there: a new run;
- a final report (complete, or diverged: the same run would diverge again) with the same fingerprint (config,
  seed, device kind): skipped;
- an unfinished or failed run with a checkpoint of the same fingerprint: resumed after its last completed epoch;
- an unfinished run without a checkpoint: started over (no epoch of it can be continued exactly);
- a report or checkpoint made with another config, or one that cannot be read: refused, with the differing
  fields, unless --force, which moves it aside to `<name>.replaced-<UTC time>.<ext>` (never deletes it).
"""
import os
import time
from dataclasses import dataclass
from pathlib import Path

from reproduce.files import atomic
from reproduce.record import checkpoint
from reproduce.record.schema import FINAL, ReportError, RunReport, load
from reproduce.record.seal import differing_fields, fingerprint
from reproduce.training.config import TrainConfig

FORCE_HINT = "use another --out, or --force to move it aside"


@dataclass
class Found:
    action: str                        # "new", "skip", "resume" or "refuse"
    why: str = ""                      # for "refuse": one line naming the file and the problem
    report: RunReport | None = None
    ckpt: dict | None = None


def run_identity(cfg: TrainConfig, seed: int, device: str) -> dict:
    return {**cfg.to_dict(), "seed": seed, "device": device}


def run_fingerprint(cfg: TrainConfig, seed: int, device: str) -> str:
    """The run's fingerprint, over TrainConfig.identity(): fields added with recipes count only where they leave
    the seed recipe, so runs made before them keep theirs."""
    return fingerprint(cfg.identity(), seed, device)


def inspect(path: Path, cfg: TrainConfig, seed: int, device: str) -> Found:
    want = run_fingerprint(cfg, seed, device)
    ck_path = checkpoint.checkpoint_path(path)
    report = None
    try:
        if path.exists():
            report = load(path)
        ck = checkpoint.read(ck_path) if ck_path.exists() else None
    except ReportError as e:
        return Found("refuse", f"{e}; {FORCE_HINT}")
    if report is not None:
        # Through TrainConfig, so a field added to it later (with a default) does not make old runs differ.
        old = TrainConfig.from_dict(report.config)
        if run_fingerprint(old, report.seed, report.device) != want:
            diff = differing_fields(run_identity(old, report.seed, report.device), run_identity(cfg, seed, device))
            return Found("refuse", f"{path} was made with another config ({', '.join(diff)}); {FORCE_HINT}")
        if report.status in FINAL:
            return Found("skip", report=report)
    if ck is not None:
        if ck.get("fingerprint") != want:
            return Found("refuse", f"{ck_path}: checkpoint of a run with another config; {FORCE_HINT}")
        return Found("resume", report=report, ckpt=ck)
    return Found("new", report=report)


def backup_path(path: Path) -> Path:
    """`seed-seed0.json` -> `seed-seed0.replaced-20260101T120000Z.json`: no longer a run file name, so folders
    given to `report` skip it, and a second backup in the same second gets a counter."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    stem, ext = path.name.rsplit(".", 1)
    candidate, n = path.with_name(f"{stem}.replaced-{stamp}.{ext}"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{stem}.replaced-{stamp}-{n}.{ext}")
    return candidate


def move_aside(path: Path) -> Path | None:
    if not path.exists():
        return None
    dest = backup_path(path)
    os.rename(path, dest)   # same folder: atomic, and the content is kept byte for byte
    return dest


def remove_stale_temporaries(path: Path) -> None:
    """Temporary files a killed writer left behind (atomic.temporaries). Only the holder of the run's lock
    writes these files, so under the lock any that exist are dead."""
    for target in (path, checkpoint.checkpoint_path(path)):
        for tmp in atomic.temporaries(target):
            tmp.unlink(missing_ok=True)
