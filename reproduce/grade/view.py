"""`check`'s verdict as a rich table (a row per notebook), markdown or json. One notebook also gets the usual
per-seed report (reproduce/report/view.py) above it."""
import json
from typing import List

from rich import box
from rich.console import Console
from rich.table import Table

from reproduce.grade.verdict import NotebookVerdict
from reproduce.report.view import mark, mean_sd, pct

COLUMNS = ["notebook", "params", "claimed best@ep", "claimed final", "constraints", "final ≥ target",
           "final mean ± sd", "min", "first ≥ target"]


def cells(v: NotebookVerdict, rich: bool = True) -> List[str]:
    s = v.summary

    def ok(value):
        return mark(value) if rich else ("?" if value is None else "✓" if value else "✗")
    first = "—" if s.first_median is None else f"median {s.first_median:g}" + (
        f" ({s.never_reaching} never)" if s.never_reaching else "")
    return [v.notebook, f"{s.params:,}", f"{v.claim.best:.2f}@{v.claim.best_epoch}",
            f"{v.claim.final:.2f}@{len(v.claim.accs)}",
            " ".join(f"{name} {ok(good)}" for name, good in v.model.rules.items()),
            f"{s.final_passing}/{s.runs} (Wilson 95%: {100 * s.final_pass_low:.0f}–{100 * s.final_pass_high:.0f}%)",
            mean_sd(s.final_mean, s.final_sd), pct(s.final_min), first]


def render(verdicts: List[NotebookVerdict], console: Console) -> None:
    target = verdicts[0].target
    t = Table(title=f"claims against honest runs: target {target}% at the final epoch", title_justify="left",
              box=box.SIMPLE_HEAD, pad_edge=False)
    for col in COLUMNS:
        t.add_column(col.replace("target", str(target)), overflow="fold")
    for v in verdicts:
        t.add_row(*cells(v))
    console.print(t)
    for v in verdicts:
        for note in v.notes:
            console.print(f"{v.notebook}: {note}", style="yellow", highlight=False, markup=False)
        style = "green" if v.ok else "red"
        console.print(f"{v.notebook}: {v.standing()}. {v.sentence()}", style=style, highlight=False, markup=False)


def to_markdown(verdicts: List[NotebookVerdict]) -> str:
    target = verdicts[0].target

    def row(items):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in items) + " |"
    out = [row(c.replace("target", str(target)) for c in COLUMNS), row(["---"] * len(COLUMNS))]
    out += [row(cells(v, rich=False)) for v in verdicts]
    out.append("")
    for v in verdicts:
        out += [f"- {v.notebook}: {note}" for note in v.notes]
        out.append(f"- {v.notebook}: {v.standing()}. {v.sentence()}")
    return "\n".join(out) + "\n"


def to_json(verdicts: List[NotebookVerdict]) -> str:
    return json.dumps({"ok": all(v.ok for v in verdicts), "notebooks": [v.to_dict() for v in verdicts]},
                      indent=2) + "\n"
