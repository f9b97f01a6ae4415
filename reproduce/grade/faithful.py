"""The two ways of checking a notebook side by side, where both sweeps are in its folder: the suite's translation
(its network and recipe under the suite's loop) and the notebook as written (its own code, check --as-written).
Each way's final test accuracy, mean ± sd, and how many runs end at or above the target; then the faithfulness
row: the difference of the final means (as written minus translated) with its Welch 95 % interval, and whether
the translation is faithful within it (the interval holds 0)."""
from dataclasses import dataclass
from pathlib import Path

from reproduce.record.schema import find_reports, load
from reproduce.report.stats import mean_sd, welch


@dataclass
class Way:
    name: str
    finals: list[float]
    target: float

    @property
    def line(self) -> str:
        mean, sd = mean_sd(self.finals)
        passing = sum(a >= self.target for a in self.finals)
        spread = f" ± {sd:.2f}" if sd is not None else ""
        return (f"final {mean:.2f}{spread} %, {passing}/{len(self.finals)} at or above {self.target:g} %"
                if mean is not None else "no complete run")


@dataclass
class Faithfulness:
    translated: Way
    as_written: Way

    @property
    def line(self) -> str:
        a, b = self.translated.finals, self.as_written.finals
        if len(a) < 2 or len(b) < 2:
            return "needs at least 2 complete runs each way for its interval"
        diff, low, high, _ = welch(a, b)
        said = (f"as written minus translated {diff:+.2f} points (Welch 95%: {low:+.2f} to {high:+.2f})")
        if low <= 0 <= high:
            return f"{said}: the suite's translation is faithful to the notebook's own code within it"
        return f"{said}: the two differ; the suite's translation is not faithful to the notebook's own code"


def of_folder(folder: Path, target: float, max_epochs: int) -> Faithfulness | None:
    """Both ways' complete runs in the folder; None unless each way has at least one."""
    ways: dict[bool, list[float]] = {True: [], False: []}
    for path in find_reports([folder]) if folder.is_dir() else []:
        r = load(path)
        accs = r.test_accs[:max_epochs]
        if r.status == "complete" and accs:
            ways[r.as_written is not None].append(accs[-1])
    if not ways[True] or not ways[False]:
        return None
    return Faithfulness(Way("translated", ways[False], target), Way("as written", ways[True], target))


def render(f: Faithfulness, notebook: str, console) -> None:
    from rich.table import Table
    table = Table(title=f"{notebook}: the suite's translation beside the notebook as written", show_header=False,
                  box=None, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row(f"translated ({len(f.translated.finals)} runs)", f.translated.line)
    table.add_row(f"as written ({len(f.as_written.finals)} runs)", f.as_written.line)
    table.add_row("faithfulness", f.line)
    console.print(table)
