"""Which split's accuracies a report is computed from: the test set (the default) or the validation split that
`run --val-split N` holds out of the training images. Screening networks on the validation split leaves the test
set unread until the one final sweep, so no choice is made on it.
"""
from collections import Counter
from pathlib import Path

from reproduce.record.schema import ReportError, RunReport
from reproduce.report.choices import ON_CHOICES

TEST, VALIDATION = ON_CHOICES


def has_validation(r: RunReport) -> bool:
    """A run trained with --val-split: its config says so, or (a report without the field) its epochs hold
    validation figures."""
    return bool(r.config.get("val_split")) or any(e.val_acc is not None for e in r.epochs)


def accuracies(r: RunReport, on: str) -> list[float]:
    """The run's accuracy per epoch on the split; an epoch without a figure (a diverged run's last) is left out."""
    if on == TEST:
        return r.test_accs
    return [e.val_acc for e in r.epochs if e.val_acc is not None]


def images(r: RunReport, on: str) -> int:
    """How many images each accuracy is measured on; 0 where a validation split's size is not recorded."""
    if on == TEST:
        # written by import-log from the log's "k/N"; MNIST's test set otherwise
        return counted(r.data.get("test_images")) or 10_000
    return counted(r.data.get("val_images")) or counted(r.config.get("val_split"))


def counted(n) -> int:
    """n when it is a count of images (a positive int), else 0."""
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 0


def require_validation(reports: list[tuple[Path, RunReport]]) -> None:
    """ReportError naming each folder (and how many of its runs) without validation figures."""
    lacking = Counter(str(Path(p).parent) for p, r in reports if not has_validation(r))
    if not lacking:
        return
    n = sum(lacking.values())
    where = ", ".join(lacking) if len(lacking) == 1 else ", ".join(f"{f} ({k})" for f, k in lacking.items())
    runs = "1 run has" if n == 1 else f"{n} runs have"
    raise ReportError(f"{where}: {runs} no validation split (--val-split); --on validation needs it")


# In data for scripts (json, csv), the figures' names say which split they are on. The test-set names stay as
# they always were; on the validation split, the names that say "test" are renamed and the test set's figure at
# the validation-picked epoch is left out (the test set is not read).
RENAMED = {"test_accs": "val_accs", "test_images": "val_images"}
LEFT_OUT = ("val_epoch", "val_best", "test_at_val", "val_runs", "val_pick_mean", "val_pick_sd", "val_pick_min")


def named_for(d: dict, on: str) -> dict:
    if on == TEST:
        return d
    return {RENAMED.get(k, k): v for k, v in d.items() if k not in LEFT_OUT}
