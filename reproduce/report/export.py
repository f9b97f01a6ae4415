"""The report as text for other tools: markdown (to paste into a README), csv (one row per model summary) and
json (the whole summary and every run's checked figures, as data for scripts). The table format is view.py's."""
import csv
import io
import json
from dataclasses import asdict, fields

from reproduce.report.check import Verdict
from reproduce.report.choices import FORMATS  # noqa: F401  (defined there for the command line)
from reproduce.report.sequential import DEFAULT, Settings
from reproduce.report.splits import TEST, VALIDATION, named_for
from reproduce.report.summary import ModelSummary, decision, ranking, summarise
from reproduce.report.view import (
    RANKING_HEAD,
    RANKING_TITLE,
    REACHED,
    decision_rows,
    notes,
    on_split,
    pct,
    ranking_cells,
    ranking_legend,
    summary_rows,
)

# On the validation split, json and csv lead with "on": "validation" (test-set output keeps the bytes it had).
ON = "on"


def to_json(v: Verdict, settings: Settings = DEFAULT) -> str:
    models = []
    for m, s in zip(v.models, summarise(v)):
        models.append({"decision": decision(m, v.target, settings).to_dict(), "summary": named_for(s.to_dict(), v.on),
                       "rules": m.rules, "runs": [named_for(asdict(r), v.on) for r in m.runs]})
    out = {"target": v.target, "max_epochs": v.max_epochs, "ok": v.ok, "models": models}
    if v.on != TEST:
        out = {ON: v.on, **out, "ranking": [st.to_dict() for st in ranking(v)]}
    return json.dumps(out, indent=2) + "\n"


def to_csv(v: Verdict, settings: Settings = DEFAULT) -> str:
    """One row per model: target, max_epochs and the decision, then every ModelSummary field; empty cells are
    None."""
    lead = {ON: v.on} if v.on != TEST else {}
    names = [*lead, "target", "max_epochs", "decision", *named_for({f.name: None for f in fields(ModelSummary)}, v.on)]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
    w.writeheader()
    for m, s in zip(v.models, summarise(v)):
        w.writerow({**lead, "target": v.target, "max_epochs": v.max_epochs,
                    "decision": decision(m, v.target, settings).word, **named_for(s.to_dict(), v.on)})
    return buf.getvalue()


def _md_row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def to_markdown(v: Verdict, settings: Settings = DEFAULT) -> str:
    summaries = summarise(v)   # one per group, in the same order
    out = []
    for m, s in zip(v.models, summaries):
        out.append(f"### {m.title}: {m.params:,} parameters, target {v.target}% within {v.max_epochs} epochs"
                   f"{on_split(v.on)}\n")
        out.append("constraints: " + ", ".join(
            f"{name} {'?' if ok is None else '✓' if ok else '✗'}" for name, ok in m.rules.items()) + "\n")
        out += [f"{note}\n" for note in dict.fromkeys(n for r in m.runs for n in r.notes)]
        out += [_md_row(["figure", "value"]), _md_row(["---", "---"])]
        out += [_md_row(row) for row in decision_rows(decision(m, v.target, settings))
                + summary_rows(s, v.target, v.on)]
        out.append("")
        with_val = any(r.val_epoch is not None for r in m.runs)
        head = ["seed", "first≥", "peak@ep", "final", "min3"] + (["val@ep"] if with_val else []) + [REACHED]
        out += [_md_row(head), _md_row(["---:"] * (len(head) - 1) + [":---:"])]
        for r in m.runs:
            val = [f"{pct(r.test_at_val)}@{r.val_epoch}" if r.val_epoch else "—"] if with_val else []
            out.append(_md_row([r.seed, r.first_reaching or "—",
                                f"{pct(r.peak)}@{r.peak_epoch}" if r.peak is not None else "—",
                                pct(r.final), pct(r.low_last3), *val,
                                ("✓" if r.passed else "✗") + ("" if r.complete else f" {r.status}")]))
        out.append("")
    if v.on == VALIDATION and len(summaries) > 1:
        out += [f"### {RANKING_TITLE}\n", _md_row(RANKING_HEAD), _md_row(["---:"] * 6 + [":---"])]
        standings = ranking(v)
        out += [_md_row(ranking_cells(st)) for st in standings] + [""]
        out.append(ranking_legend(standings) + "\n")
    out.append(" ".join(notes(v, summaries)))
    return "\n".join(out) + "\n"


def render(v: Verdict, fmt: str, settings: Settings = DEFAULT) -> str:
    """The report in fmt; markdown and json lead each model with its decision at these settings."""
    return {"markdown": to_markdown, "csv": to_csv, "json": to_json}[fmt](v, settings)
