"""The terminal view of a Verdict, drawn with rich. It computes nothing the checker decides."""
from typing import List, Optional

from rich import box
from rich.console import Console
from rich.table import Table

from reproduce.check import ModelCheck, Verdict

BLOCKS = "▁▂▃▄▅▆▇█"
NOTE = ('"validation" in the challenge is MNIST\'s 10,000-image test set; "peak" picks the best epoch on that '
        'same set, so it is an optimistic figure. "final" is the last epoch within the limit.')


def sparkline(values: List[float], low: float, high: float) -> str:
    span = (high - low) or 1.0
    return "".join(BLOCKS[min(len(BLOCKS) - 1, int((v - low) / span * len(BLOCKS)))] for v in values)


def pct(v: Optional[float]) -> str:
    return "—" if v is None else f"{v:.2f}"


def mean_sd(mean: Optional[float], sd: Optional[float]) -> str:
    if mean is None:
        return "—"
    return f"{mean:.2f} ± {sd:.2f}" if sd is not None else f"{mean:.2f} (one run)"


def mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"


def model_table(m: ModelCheck, v: Verdict) -> Table:
    t = Table(title=f"{m.model}: {m.params:,} parameters — target {v.target}% within {v.max_epochs} epochs",
              title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("seed", "params", "first≥", "peak@ep", "final", "min3", "test acc per epoch", "pass"):
        t.add_column(col, justify="left" if col in ("test acc per epoch", "pass") else "right", no_wrap=True)
    every = [a for r in m.runs for a in r.test_accs]
    low = min(every + [v.target]) if every else 0.0
    high = max(every + [v.target]) if every else 1.0
    for r in m.runs:
        t.add_row(str(r.seed), f"{r.params:,}", str(r.first_reaching or "—"),
                  f"{pct(r.peak)}@{r.peak_epoch}" if r.peak is not None else "—", pct(r.final), pct(r.low_last3),
                  sparkline(r.test_accs, low, high), mark(r.passed) + ("" if r.complete else f" {r.status}"))
    return t


def render(v: Verdict, console: Console) -> None:
    for m in v.models:
        console.print(model_table(m, v))
        console.print("constraints: " + "  ".join(f"{name} {mark(ok)}" for name, ok in m.rules.items()))
        console.print(f"runs passing {m.passing}/{len(m.runs)}   final {mean_sd(m.final_mean, m.final_sd)}   "
                      f"peak {mean_sd(m.peak_mean, m.peak_sd)}", highlight=False)
        console.print()
    console.print("first≥: first epoch reaching the target; peak@ep: best epoch; min3: lowest of the last three "
                  "epochs.", style="dim")
    console.print(NOTE, style="dim")
