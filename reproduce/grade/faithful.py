"""The two ways of checking a notebook side by side, where both sweeps are in its folder: the suite's translation
(its network and recipe under the suite's loop) and the notebook as written (its own code, check --as-written).
Each way's final test accuracy, mean ± sd, and how many runs end at or above the target; then the faithfulness
row: the difference of the final means (as written minus translated) with its Welch 95 % interval, and whether
the translation is faithful within it (the interval holds 0)."""
from dataclasses import dataclass
from pathlib import Path

from reproduce.record.schema import find_reports, load
from reproduce.report.groups import AS_WRITTEN, IMPORTED, SUITE, kind
from reproduce.report.stats import mean_sd, welch


@dataclass
class Way:
    name: str
    finals: list[float]
    target: float

    @property
    def passing(self) -> int:
        return sum(a >= self.target for a in self.finals)

    def to_dict(self) -> dict:
        mean, sd = mean_sd(self.finals)
        return {"runs": len(self.finals), "finals": self.finals, "final_mean": mean, "final_sd": sd,
                "final_passing": self.passing, "target": self.target}

    @property
    def line(self) -> str:
        mean, sd = mean_sd(self.finals)
        passing = self.passing
        spread = f" ± {sd:.2f}" if sd is not None else ""
        return (f"final {mean:.2f}{spread} %, {passing}/{len(self.finals)} at or above {self.target:g} %"
                if mean is not None else "no complete run")


@dataclass
class Faithfulness:
    translated: Way
    as_written: Way

    @property
    def interval(self) -> tuple[float, float, float] | None:
        """(as written minus translated, the Welch 95 % interval's low and high); None under 2 runs a way."""
        a, b = self.translated.finals, self.as_written.finals
        if len(a) < 2 or len(b) < 2:
            return None
        diff, low, high, _ = welch(a, b)
        return diff, low, high

    @property
    def faithful(self) -> bool | None:
        """Whether the interval holds 0; None where there is no interval."""
        found = self.interval
        return None if found is None else found[1] <= 0 <= found[2]

    def to_dict(self) -> dict:
        found = self.interval
        return {"translated": self.translated.to_dict(), "as_written": self.as_written.to_dict(),
                "difference": found and found[0], "welch_95": found and [found[1], found[2]],
                "faithful": self.faithful, "sentence": self.line}

    @property
    def line(self) -> str:
        found = self.interval
        if found is None:
            return "needs at least 2 complete runs each way for its interval"
        diff, low, high = found
        said = (f"as written minus translated {diff:+.2f} points (Welch 95%: {low:+.2f} to {high:+.2f})")
        if self.faithful:
            return f"{said}: the suite's translation is faithful to the notebook's own code within it"
        return f"{said}: the two differ; the suite's translation is not faithful to the notebook's own code"


def of_folder(folder: Path, target: float, max_epochs: int) -> Faithfulness | None:
    """Both ways' complete runs in the folder; None unless each way has at least one."""
    ways: dict[str, list[float]] = {SUITE: [], AS_WRITTEN: [], IMPORTED: []}
    for path in find_reports([folder]) if folder.is_dir() else []:
        r = load(path)
        accs = r.test_accs[:max_epochs]
        if r.status == "complete" and accs:
            ways[kind(r)].append(accs[-1])
    if not ways[SUITE] or not ways[AS_WRITTEN]:   # a log imported beside them is neither way
        return None
    return Faithfulness(Way("translated", ways[SUITE], target), Way("as written", ways[AS_WRITTEN], target))


def of_notebooks(notebooks: list[Path], out: Path, target: float, max_epochs: int) -> dict[str, Faithfulness]:
    """By notebook name, the two ways side by side where its folder under `out` holds both."""
    found = {nb.name: of_folder(out / nb.stem, target, max_epochs) for nb in notebooks}
    return {name: f for name, f in found.items() if f is not None}


TITLE = "the suite's translation beside the notebook as written"


def rows(f: Faithfulness) -> list[tuple[str, str]]:
    """(label, value): each way's line, then the faithfulness row; the table and markdown show these."""
    return [(f"translated ({len(f.translated.finals)} runs)", f.translated.line),
            (f"as written ({len(f.as_written.finals)} runs)", f.as_written.line),
            ("faithfulness", f.line)]


def render(f: Faithfulness, notebook: str, console) -> None:
    from rich.table import Table
    table = Table(title=f"{notebook}: {TITLE}", show_header=False, box=None, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows(f):
        table.add_row(label, value)
    console.print(table)


def to_markdown(f: Faithfulness, notebook: str) -> list[str]:
    def md(items):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in items) + " |"
    return [md([notebook, TITLE]), md(["---", "---"]), *(md(r) for r in rows(f)), ""]
