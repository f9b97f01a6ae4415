"""What a sweep shows while it runs: a rich progress bar per run on a terminal, one line per epoch always."""
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
    TimeRemainingColumn

from reproduce.training.epoch import EpochRecord


class RunProgress:
    """Progress of one run. Off a terminal (CI, pipes, log files) the bar is not drawn; the epoch lines are."""

    def __init__(self, console: Console, label: str, epochs: int, batches_per_epoch: int, quiet: bool = False):
        self.console, self.label, self.quiet = console, label, quiet
        self.bar = None
        if console.is_terminal and not quiet:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True)
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
        if self.bar:
            self.bar.advance(self.epoch_task)
            self.bar.reset(self.batch_task)
        if not self.quiet:
            self.console.print(f"{self.label} epoch {e.epoch:2d}  train loss {e.train_loss:.4f} "
                               f"acc {e.train_acc:6.2f}%  test loss {e.test_loss:.4f} acc {e.test_acc:6.2f}%  "
                               f"{e.seconds:6.1f}s", highlight=False, soft_wrap=True)
