"""What a sweep shows while it runs: on a terminal, rich bars for the sweep (runs done of n, its ETA), the run's
epochs and the epoch's batches; always one line per epoch, and one line per finished run with the sweep's
progress and ETA. The ETA is the mean seconds per epoch trained by this process times the epochs left, shared out
among the processes seen working on the same folder (another process's lock on a run says it is there)."""
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from reproduce.files.shown import tail
from reproduce.training.epoch import EpochRecord

# On a terminal the sweep's bar is titled by its folder, in the room its other columns leave (counts, times and
# a bar of at least 10); a longer folder keeps its end (…/gm-claim), which names it.
OTHER_COLUMNS = 35


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class SweepProgress:
    """Runs done of n in a sweep (skipped, locked by another process, or trained here), and its ETA."""

    def __init__(self, runs: int, epochs_per_run: int, clock=time.perf_counter, folder: Path | None = None):
        self.runs, self.epochs_per_run, self.clock, self.folder = runs, epochs_per_run, clock, folder
        self.done = 0
        self.epochs_here, self.seconds_here = 0, 0.0
        self._epoch_started = clock()
        self.others: set[str] = set()  # pids of the other processes seen holding a run's lock in this sweep

    def shared_with(self, pid: str) -> None:
        """Another process holds one of this sweep's runs: the runs left are shared with it."""
        self.others.add(pid or "?")

    def epoch_started(self) -> None:
        self._epoch_started = self.clock()

    def epoch_trained(self) -> None:
        now = self.clock()
        self.epochs_here += 1
        self.seconds_here += now - self._epoch_started
        self._epoch_started = now

    def run_done(self) -> None:
        self.done += 1

    def eta(self, epochs_left_in_run: int = 0) -> float | None:
        """Seconds left: None until this process has trained an epoch (skipped runs say nothing of speed). The
        runs not yet started are shared among this process and the others seen; the current run is this one's."""
        if not self.epochs_here:
            return None
        left = max(self.runs - self.done - (1 if epochs_left_in_run else 0), 0) * self.epochs_per_run
        return (left / (1 + len(self.others)) + epochs_left_in_run) * self.seconds_here / self.epochs_here

    def line(self, epochs_left_in_run: int = 0) -> str:
        eta = self.eta(epochs_left_in_run)
        left = "" if self.done == self.runs else (
            ", ETA —" if eta is None else f", ETA {duration(eta)}")
        shared = f" (with {len(self.others) + 1} processes)" if self.others and left else ""
        return f"sweep: {self.done}/{self.runs} runs done{left}{shared}"

    def title(self, width: int, epochs_left_in_run: int = 0) -> str:
        """The sweep bar's description in `width` characters (rich markup): line(), naming the sweep's folder
        where it is known and there is room for the folder's last part."""
        line = self.line(epochs_left_in_run)
        rest = line.removeprefix("sweep: ")
        room = width - len(rest) - 2
        if self.folder is None or room < len(Path(self.folder).name) + 2:
            return escape(line)
        return f"{escape(tail(self.folder, room))}: {escape(rest)}"


class RunProgress:
    """Progress of one run. Off a terminal (CI, pipes, log files) the bars are not drawn; the epoch lines are."""

    def __init__(self, console: Console, label: str, epochs: int, batches_per_epoch: int, quiet: bool = False,
                 sweep: SweepProgress | None = None):
        self.console, self.label, self.quiet, self.sweep, self.epochs = console, label, quiet, sweep, epochs
        self.bar = None
        self.title_width = console.width - OTHER_COLUMNS
        if console.is_terminal and not quiet:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True)
            if sweep is not None:
                self.sweep_task = self.bar.add_task(sweep.title(self.title_width, epochs), total=sweep.runs,
                                                    completed=sweep.done)
            self.epoch_task = self.bar.add_task(f"{label} epochs", total=epochs)
            self.batch_task = self.bar.add_task("  batches", total=batches_per_epoch)

    def __enter__(self):
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()

    def batch(self) -> None:
        if self.bar:
            self.bar.advance(self.batch_task)

    def epoch(self, e: EpochRecord) -> None:
        if self.sweep is not None:
            self.sweep.epoch_trained()
        if self.bar:
            self.bar.advance(self.epoch_task)
            self.bar.reset(self.batch_task)
            if self.sweep is not None:
                self.bar.update(self.sweep_task, description=self.sweep.title(self.title_width, self.epochs - e.epoch))
        if not self.quiet:
            self.console.print(f"{self.label} epoch {e.epoch:2d}  train loss {e.train_loss:.4f} "
                               f"acc {e.train_acc:6.2f}%  test loss {e.test_loss:.4f} acc {e.test_acc:6.2f}%  "
                               f"{e.seconds:6.1f}s", highlight=False, soft_wrap=True)
