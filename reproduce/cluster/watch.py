"""Waiting for a sweep's array: each seed's task as queued / running / done / failed (with SLURM's own state),
its epochs saved so far (read from the run reports, which are written after every epoch), and whether it was
requeued and resumed (from the task's log). On a terminal a live table; elsewhere one line per change. At the
end the same table, and for every failed task its state, its reason and the path of its log.

A seed is done only when its task COMPLETED *and* its report is complete, diverged when its task COMPLETED with a
diverged report (a final result: the loss became NaN or infinite); a task that ended any other way, or COMPLETED
without a final report, is failed. Never hidden: the exit code says it too (1).
"""
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich import box
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from reproduce.cluster import slurm
from reproduce.cluster.task import starts
from reproduce.record.schema import ReportError, load, run_filename

# One sacct call per poll for the whole array: every 2 s at first (short sweeps, tests), then every 10 s, which
# is plenty for epochs of minutes and gentler on the cluster's accounting daemon.
FAST_POLL_S, SLOW_POLL_S, FAST_FOR_S = 2.0, 10.0, 120.0
COLOURS = {"queued": "yellow", "running": "cyan", "done": "green", "diverged": "red", "failed": "bold red"}


@dataclass
class SeedView:
    task: slurm.Task
    report: Path
    epochs_total: int
    state: str = "PENDING"
    epochs: int = 0
    status: str = ""                 # its report's: running, complete, diverged, failed ("" before the first)
    starts: list[int] = field(default_factory=list)   # epochs saved at each start of the task
    reason: str | None = None                       # a failed task's exception, when it left one

    @property
    def phase(self) -> str:
        if self.state in slurm.FINAL:
            if self.state == "COMPLETED" and self.status in ("complete", "diverged"):
                return "done" if self.status == "complete" else "diverged"
            return "failed"
        return "running" if self.state in slurm.RUNNING else "queued"

    def note(self, with_log: bool = True) -> str:
        notes = []
        if len(self.starts) > 1:
            notes.append(f"requeued {len(self.starts) - 1}x, resumed after epoch {self.starts[-1]}")
        if self.phase == "failed":
            if self.state == "COMPLETED":
                notes.append("its report is not complete")
            if self.reason:
                notes.append(self.reason)
            if with_log:
                notes.append(f"log: {self.task.log}")
        return "; ".join(notes)

    def line(self) -> str:
        note = self.note()
        return (f"seed {self.task.seed}: {self.phase} ({self.state}), {self.epochs}/{self.epochs_total} epochs "
                f"saved" + (f"; {note}" if note else ""))


def views(array: slurm.Array, out: Path, run_name: str, epochs: int) -> list[SeedView]:
    return [SeedView(t, Path(out) / run_filename(run_name, t.seed), epochs) for t in array.tasks]


def refresh(array: slurm.Array, seeds: list[SeedView]) -> None:
    states = slurm.states(array)
    for v in seeds:
        v.state = states.get(v.task.job_id, v.state)
        try:
            report = load(v.report) if v.report.exists() else None
        except ReportError:     # replaced between exists() and the read, or mid-rename on a slow filesystem
            report = None
        if report is not None:
            v.epochs, v.status = len(report.epochs), report.status
        with contextlib.suppress(OSError):   # no log before the task first starts
            v.starts = starts(v.task.log.read_text(errors="replace"))
        if v.phase == "failed" and v.reason is None:
            v.reason = slurm.failure(array, v.task)


def table(array: slurm.Array, seeds: list[SeedView], console: Console) -> Table:
    """One line per seed: the notes column takes the width the other columns leave on the console, and a longer
    note is cut here; it is said whole in the lines after the final table (a failed task's state, reason, log)."""
    counts = {p: sum(v.phase == p for v in seeds) for p in COLOURS}
    title = f"SLURM job {array.array_id}: " + ", ".join(f"{n} {p}" for p, n in counts.items() if n)
    rows = [(str(v.task.seed), v.task.job_id, f"[{COLOURS[v.phase]}]{v.phase}[/] ({v.state})",
             f"{v.epochs}/{v.epochs_total}") for v in seeds]
    notes = [v.note(with_log=False) for v in seeds]   # logs: in the lines below the table

    def drawn(notes_shown) -> Table:
        t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for col in ("seed", "task", "state", "epochs", "notes"):   # epochs: saved / of the run
            t.add_column(col, no_wrap=True)
        for row, note in zip(rows, notes_shown):
            t.add_row(*row, escape(note))
        return t

    room = console.width - console.measure(drawn([""] * len(rows))).maximum + len("notes")
    return drawn([n if len(n) <= room else n[:max(room - 1, 0)] + "…" for n in notes])


def _finished(seeds: list[SeedView]) -> bool:
    return all(v.phase in ("done", "diverged", "failed") for v in seeds)


def _watch_live(array: slurm.Array, seeds: list[SeedView], console: Console, interval: Callable[[], float]) -> None:
    """On a terminal: the table, redrawn in place after every poll."""
    with Live(table(array, seeds, console), console=console, transient=True, auto_refresh=False) as live:
        while True:
            refresh(array, seeds)
            live.update(table(array, seeds, console), refresh=True)
            if _finished(seeds):
                return
            time.sleep(interval())


def _watch_lines(array: slurm.Array, seeds: list[SeedView], console: Console, quiet: bool,
                 interval: Callable[[], float]) -> None:
    """Off a terminal: a line when a seed's phase, state or epochs change (none when quiet)."""
    last: dict[int, object] = {}   # seed -> what was last shown for it
    while True:
        refresh(array, seeds)
        for v in seeds:
            key = (v.phase, v.state, v.epochs)
            if last.get(v.task.seed) != key and not quiet:
                last[v.task.seed] = key
                console.print(v.line(), highlight=False, soft_wrap=True)
        if _finished(seeds):
            return
        time.sleep(interval())


def wait(array: slurm.Array, seeds: list[SeedView], console: Console, quiet: bool = False,
         poll_s: float | None = None) -> None:
    """Until every task is done or failed, showing them unless quiet. KeyboardInterrupt passes through (the
    caller says what happens)."""
    start = time.monotonic()

    def interval() -> float:
        if poll_s is not None:
            return poll_s
        return FAST_POLL_S if time.monotonic() - start < FAST_FOR_S else SLOW_POLL_S

    if console.is_terminal and not quiet:
        _watch_live(array, seeds, console, interval)
    else:
        _watch_lines(array, seeds, console, quiet, interval)


def final(array: slurm.Array, seeds: list[SeedView], console: Console) -> int:
    """The last view: the table, then one line per diverged or failed seed. 0 when every seed is done, else 1."""
    console.print(table(array, seeds, console))
    failed = [v for v in seeds if v.phase != "done"]
    for v in failed:
        console.print(v.line(), highlight=False, soft_wrap=True)
    return 1 if failed else 0
