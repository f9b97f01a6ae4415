"""`check`'s verdict as a rich table (a row per notebook), markdown or json. One notebook also gets the usual
per-seed report (reproduce/report/view.py) above it. Where a notebook's folder holds its runs both ways (as
written and translated), each format carries them side by side with the faithfulness row (faithful.py)."""
import json

from rich import box
from rich.console import Console
from rich.table import Table

from reproduce.grade import faithful
from reproduce.grade.faithful import Faithfulness
from reproduce.grade.standing import sentence as standing_sentence
from reproduce.grade.verdict import NotebookVerdict
from reproduce.report.view import decision_rows, decision_sentence, final_epoch, mark, pct, shown_mean_sd

COLUMNS = ["notebook", "params", "claimed final", final_epoch("target"), "final mean ± sd, min", "constraints"]


def constraints(v: NotebookVerdict) -> str:
    broken = [name for name, ok in v.model.rules.items() if ok is False]
    unknown = [name for name, ok in v.model.rules.items() if ok is None]
    return ("broken: " + ", ".join(broken) if broken else "all met") + (
        f" ({', '.join(unknown)} unknown)" if unknown else "")


def row(v: NotebookVerdict) -> list[str]:
    s = v.summary
    return [v.notebook, f"{s.params:,}", v.claim.as_printed(len(v.claim.accs)), f"{s.final_passing}/{s.runs}",
            f"{shown_mean_sd(s.final_mean, s.final_sd)}, min {pct(s.final_min)}", constraints(v)]


STANDING = "the claim among them"


def figures(v: NotebookVerdict) -> list[tuple]:
    """(label, value) pairs for one notebook: the claim, then the honest runs."""
    s, c, target = v.summary, v.claim, v.target
    first = "—" if s.first_median is None else f"median {s.first_median:g}, worst {s.first_worst}"
    if s.never_reaching:
        first += f" ({s.never_reaching} never)"
    printed = [] if c.total_params is None else [("printed params", f"{c.total_params:,} (its Total params:)")]
    which = "one run" if c.runs == 1 else f"run {c.run} of {c.runs}"
    return [
        (f"claimed ({which})", f"best {c.as_printed(c.best_epoch)} % at epoch {c.best_epoch}, final "
                               f"{c.as_printed(len(c.accs))} % at epoch {len(c.accs)}"),
        *printed,
        ("constraints", " ".join(f"{name} {mark(ok)}" for name, ok in v.model.rules.items())),
        (final_epoch(target), f"{s.final_passing}/{s.runs}  (Wilson 95%: {100 * s.final_pass_low:.0f}–"
                              f"{100 * s.final_pass_high:.0f}%)"),
        ("final: mean ± sd, min", f"{shown_mean_sd(s.final_mean, s.final_sd)}, min {pct(s.final_min)}"),
        (f"first epoch ≥ {target}", first),
        (STANDING, v.standing()),
    ]


CLAIM_STANDING = "the claim's standing"


def decision_cell(v: NotebookVerdict) -> str:
    """The decision in a table cell: its word, and after how many seeds it settled."""
    lead = v.decision.leading
    return f"{lead.word} after {lead.settled_after}" if lead.settled_after else f"{lead.word} ({lead.n} seeds)"


# The several-notebooks table: the decision leads, after the notebook's name.
DECIDED_COLUMNS = [COLUMNS[0], "decision", *COLUMNS[1:]]


def decided_row(v: NotebookVerdict) -> list[str]:
    cells = row(v)
    return [cells[0], decision_cell(v), *cells[1:]]


def budget_rows(v: NotebookVerdict) -> list[tuple]:
    if v.budget is None:
        return []
    lead = v.decision.leading
    when = (f"settled after {lead.settled_after} of at most {v.budget.max_seeds} seeds" if lead.settled_after
            else f"not settled within {v.budget.max_seeds} seeds")
    runs = v.summary.runs
    return [("until settled", f"{when}; {runs} run{'s' if runs != 1 else ''}, {duration(v.budget.seconds)} of training "
                              f"(the runs' train_seconds, summed)")]


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def standing_line(v: NotebookVerdict) -> str:
    s = v.claim_standing
    return "no honest run finished an epoch" if s is None else standing_sentence(s)


def render(verdicts: list[NotebookVerdict], console: Console) -> None:
    target = verdicts[0].target
    if len(verdicts) == 1:
        v = verdicts[0]
        t = Table(title=f"{v.notebook}: its claim beside {v.summary.runs} honest run(s), target {target}%",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_header=False)
        t.add_column("figure", style="bold", no_wrap=True)
        t.add_column("value")
        for label, value in decision_rows(v.decision) + budget_rows(v) + figures(v):
            if label != STANDING:   # a sentence: printed under the table, where it may wrap
                t.add_row(label, value)
    else:
        t = Table(title=f"claims beside honest runs: target {target}% at the final epoch", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
        for col in DECIDED_COLUMNS:
            t.add_column(col.replace("target", str(target)))
        for v in verdicts:
            t.add_row(*decided_row(v))
    console.print(t, highlight=False)
    if len(verdicts) == 1:
        console.print(f"{STANDING}: {verdicts[0].standing()}", highlight=False, markup=False)
        console.print(f"{CLAIM_STANDING}: {standing_line(verdicts[0])}", highlight=False, markup=False)
    for v in verdicts:
        for note in v.notes:
            console.print(f"{v.notebook}: {note}", style="yellow", highlight=False, markup=False)
        if len(verdicts) > 1:   # one notebook's is printed under its table
            console.print(f"{v.notebook}: {CLAIM_STANDING}: {standing_line(v)}", highlight=False, markup=False)
        console.print(f"{v.notebook}: {decision_sentence(v.decision)}", highlight=False, markup=False, style=
                      {"holds": "green", "fails": "red"}.get(v.decision.word, "yellow"))
        console.print(f"{v.notebook}: {v.sentence()}", style="green" if v.ok else "red", highlight=False,
                      markup=False)


def to_markdown(verdicts: list[NotebookVerdict], both: dict[str, Faithfulness] | None = None) -> str:
    """The verdicts; with `both` (by notebook name), the two ways side by side under them."""
    target = verdicts[0].target

    def md(items):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in items) + " |"
    out = [md(c.replace("target", str(target)) for c in DECIDED_COLUMNS), md(["---"] * len(DECIDED_COLUMNS))]
    out += [md(decided_row(v)) for v in verdicts]
    out.append("")
    for v in verdicts:
        out += [f"- {v.notebook}: {note}" for note in v.notes]
        out.append(f"- {v.notebook}: {decision_sentence(v.decision)}")
        out += [f"- {v.notebook}: {label}: {value}" for label, value in decision_rows(v.decision)[1:] + budget_rows(v)]
        out.append(f"- {v.notebook}: {CLAIM_STANDING}: {standing_line(v)}")
        out.append(f"- {v.notebook}: {v.standing()}; {v.sentence()}")
    for name, found in (both or {}).items():
        out += ["", *faithful.to_markdown(found, name)]
    return "\n".join(out).rstrip("\n") + "\n"


def to_json(verdicts: list[NotebookVerdict], both: dict[str, Faithfulness] | None = None) -> str:
    """The verdicts; each notebook's "faithfulness" is the two ways side by side, null unless `both` holds it."""
    both = both or {}
    notebooks = [{**v.to_dict(), "faithfulness": both[v.notebook].to_dict() if v.notebook in both else None}
                 for v in verdicts]
    return json.dumps({"decisions": {v.notebook: v.decision.word for v in verdicts},
                       "ok": all(v.ok for v in verdicts), "notebooks": notebooks}, indent=2) + "\n"
