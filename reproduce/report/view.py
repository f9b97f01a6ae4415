"""The terminal view of a Verdict, drawn with rich. It computes nothing the checker decides."""
import math
from collections import Counter

from rich import box
from rich.console import Console
from rich.table import Table

from reproduce.report.check import ModelCheck, Verdict
from reproduce.report.groups import AS_WRITTEN, KINDS
from reproduce.report.sequential import HOLDS, UNDECIDED, Decision, Settings
from reproduce.report.splits import TEST, VALIDATION
from reproduce.report.summary import ModelSummary, Standing, decision, ranking, summarise, title

BLOCKS = "▁▂▃▄▅▆▇█"
NOTE = ('"validation" in the challenge is MNIST\'s 10,000-image test set; "peak" picks the best epoch on that '
        'same set, so it is an optimistic figure. "final" is the last epoch within the limit.')


# With `report --on validation` this takes NOTE's place: every figure is then on the held-out split.
ON_VALIDATION_NOTE = ("Every figure here is on the validation split: the training images that run --val-split N held "
                      "out and never trained on; the test set is not read. \"peak\" picks the best epoch on that "
                      "split; \"final\" is the last epoch within the limit.")
VAL_NOTE = ('val@ep / "test at val-picked epoch": the epoch with the best accuracy on the held-out validation '
            'images (run --val-split N), and the test accuracy at that epoch: no selection on the test set.')


# The two readings of "reaches the target", named apart wherever they are shown (report, check, compare): some
# epoch within the limit reaches it ("reached at some epoch"), or the final epoch, fixed in advance, does.
REACHED = "reached"   # the per-run column: ✓ when some epoch within the limit reaches the target
LEGEND = (f"first≥: first epoch reaching the target; peak@ep: best epoch; min3: lowest of the last three epochs; "
          f"{REACHED}: the target reached at some epoch, not necessarily the final one.")


def on_split(on: str) -> str:
    """What a title adds to say which split its figures are on: nothing for the test set, as always."""
    return " — on the validation split" if on == VALIDATION else ""


def per_epoch_column(on: str) -> str:
    return "val acc per epoch" if on == VALIDATION else "test acc per epoch"


def notes(v: Verdict, summaries: list[ModelSummary]) -> list[str]:
    """The notes under the report: the legend, then what its accuracies are measured on."""
    if v.on == VALIDATION:
        return [LEGEND, ON_VALIDATION_NOTE]
    return [LEGEND, NOTE] + ([VAL_NOTE] if any(s.val_runs for s in summaries) else [])


def some_epoch(target: float | str) -> str:
    return f"some epoch ≥ {target}"


def final_epoch(target: float | str) -> str:
    return f"final epoch ≥ {target}"


def sparkline(values: list[float], low: float, high: float) -> str:
    span = (high - low) or 1.0
    return "".join(BLOCKS[min(len(BLOCKS) - 1, int((v - low) / span * len(BLOCKS)))] for v in values)


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def shown_mean_sd(mean: float | None, sd: float | None) -> str:
    if mean is None:
        return "—"
    return f"{mean:.2f} ± {sd:.2f}" if sd is not None else f"{mean:.2f} (one run)"


def mark(ok: bool | None) -> str:
    if ok is None:   # not known (an imported log of a model the suite cannot audit)
        return "[yellow]?[/]"
    return "[green]✓[/]" if ok else "[red]✗[/]"


def model_table(m: ModelCheck, v: Verdict) -> Table:
    t = Table(title=f"{m.title}: {m.params:,} parameters — target {v.target}% within {v.max_epochs} epochs"
                    f"{on_split(v.on)}",
              title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    with_val = any(r.val_epoch is not None for r in m.runs)
    # With validation the val@ep column takes the place of params (already in the title), to fit 80 columns.
    cols = ["seed", "first≥", "peak@ep", "final", "min3", "val@ep"] if with_val else \
        ["seed", "params", "first≥", "peak@ep", "final", "min3"]
    per_epoch = per_epoch_column(v.on)
    for col in cols + [per_epoch, REACHED]:
        t.add_column(col, justify="left" if col in (per_epoch, REACHED) else "right", no_wrap=True)
    every = [a for r in m.runs for a in r.test_accs]
    low = min(every + [v.target]) if every else 0.0
    high = max(every + [v.target]) if every else 1.0
    for r in m.runs:
        params = [] if with_val else [f"{r.params:,}"]
        val = [f"{pct(r.test_at_val)}@{r.val_epoch}" if r.val_epoch else "—"] if with_val else []
        t.add_row(str(r.seed), *params, str(r.first_reaching or "—"),
                  f"{pct(r.peak)}@{r.peak_epoch}" if r.peak is not None else "—", pct(r.final), pct(r.low_last3),
                  *val, sparkline(r.test_accs, low, high), mark(r.passed) + ("" if r.complete else f" {r.status}"))
    return t


def spread_row(s: ModelSummary, on: str) -> tuple:
    if s.spread_at_mean is None:
        return "one run's sampling spread", "—"
    images = f"{s.test_images:,} validation images" if on == VALIDATION else f"{s.test_images:,}"
    return "one run's sampling spread", f"±{s.spread_at_mean:.2f} points  (binomial, n = {images})"


def peak_row(s: ModelSummary, on: str) -> tuple:
    if on == VALIDATION:
        return "peak on validation: mean ± sd", shown_mean_sd(s.peak_mean, s.peak_sd) + "  (picked on the split)"
    return "peak on test: mean ± sd", shown_mean_sd(s.peak_mean, s.peak_sd) + "  (picked on the test set)"


def summary_rows(s: ModelSummary, target: float, on: str = TEST) -> list[tuple]:
    """(label, value) pairs: the summary figures as the terminal and markdown show them. On the validation split
    the test accuracy at the validation-picked epoch is left out: the test set is not read."""
    first = "—" if s.first_median is None else f"median {s.first_median:g}, worst {s.first_worst}"
    if s.never_reaching:
        first += f" ({s.never_reaching} never)"
    rows = [
        (some_epoch(target), f"{s.passing}/{s.runs}  (Wilson 95%: {100 * s.pass_low:.0f}–{100 * s.pass_high:.0f}%)"),
        (final_epoch(target), f"{s.final_passing}/{s.runs}  (Wilson 95%: {100 * s.final_pass_low:.0f}–"
                              f"{100 * s.final_pass_high:.0f}%)"),
        (f"first epoch ≥ {target}", first),
        ("final: mean ± sd, min", f"{shown_mean_sd(s.final_mean, s.final_sd)}, min {pct(s.final_min)}"),
        peak_row(s, on),
        (f"last 3 epochs all ≥ {target}", f"{s.stay_last3}/{s.runs} runs"),
        spread_row(s, on),
    ]
    if on == TEST:
        rows.append(("test at val-picked epoch", "—  (no run has --val-split)" if not s.val_runs else
                     f"{shown_mean_sd(s.val_pick_mean, s.val_pick_sd)}, min {pct(s.val_pick_min)}  "
                     f"({s.val_runs} runs)"))
    if s.diverged:
        rows.append(("diverged", f"{s.diverged} diverged (loss not finite): counted as not passing"))
    if s.unfinished:
        failed = f", {s.failed} stopped by an error (see the report's reason)" if s.failed else ""
        rows.append(("not counted", f"{s.unfinished} run(s) not finished{failed}: no final epoch yet; the same "
                                    f"command resumes them"))
    if s.imported:
        rows.append(("imported from logs", f"{s.imported}/{s.runs} runs (no environment, no weights hash)"))
    if s.kind == AS_WRITTEN:   # beside its translation, the one way to tell the two summaries apart at a glance
        rows.insert(0, ("kind", KINDS[s.kind] + ", measured by the suite after each training pass"))
    return rows


def unfinished(s: ModelSummary) -> str:
    return f" finished ({s.unfinished} more not finished)" if s.unfinished else ""


def summary_table(s: ModelSummary, v: Verdict, decided: Decision | None = None) -> Table:
    """The summary figures; with a decision, its rows lead them."""
    t = Table(title=f"{title(s)}: summary over {s.runs} run(s){unfinished(s)}{on_split(v.on)}", title_justify="left",
              box=box.SIMPLE_HEAD,
              pad_edge=False, show_header=False)
    t.add_column("figure", style="bold", no_wrap=True)
    t.add_column("value")
    for label, value in (decision_rows(decided) if decided else []) + summary_rows(s, v.target, v.on):
        t.add_row(label, value)
    return t


def render(v: Verdict, console: Console, settings: Settings | None = None) -> None:
    """With settings, each model's summary is led by its anytime-valid decision (report/sequential.py)."""
    summaries = summarise(v)   # one per group, in the same order
    for m, s in zip(v.models, summaries):
        console.print(model_table(m, v))
        console.print("constraints: " + "  ".join(f"{name} {mark(ok)}" for name, ok in m.rules.items()))
        ways = Counter(r.trained_as for r in m.runs if r.trained_as)
        if ways:
            console.print("trained: " + "; ".join(f"{w} ({n}/{len(m.runs)} runs)" for w, n in ways.items()),
                          highlight=False)
        loose = sum(r.nondeterministic for r in m.runs)
        if loose:
            console.print(f"not bit-reproducible: {loose}/{len(m.runs)} runs trained with --allow-nondeterministic "
                          f"(an op without a deterministic kernel ran)", style="yellow", highlight=False)
        for note in dict.fromkeys(n for r in m.runs for n in r.notes):   # once each, in order
            console.print(note, style="yellow", highlight=False, markup=False)
        decided = decision(m, v.target, settings) if settings else None
        console.print(summary_table(s, v, decided), highlight=False)
        console.print()
    if v.on == VALIDATION and len(summaries) > 1:
        standings = ranking(v)
        console.print(ranking_table(standings), highlight=False)
        console.print(ranking_legend(standings), style="dim", highlight=False)
        console.print()
    for note in notes(v, summaries):
        console.print(note, style="dim")


RANKING_TITLE = "ranked by the worst seed's final validation accuracy"
RANKING_HEAD = ("rank", "worst", "mean ± sd", "final≥", "done", "params", "network")
RANKING_LEGEND = ("worst: the worst seed's final accuracy; mean ± sd: of the finals; final≥: runs whose final epoch "
                  "reaches the target; done: runs complete.")
UNRANKED = "—: not ranked until every run of the network has finished."


def ranking_cells(st: Standing) -> list[str]:
    """One row of the ranking, as the terminal and markdown show it; the network last, where it may wrap."""
    s = st.summary
    return [str(st.rank) if st.rank is not None else "—", pct(s.final_min), shown_mean_sd(s.final_mean, s.final_sd),
            f"{s.final_passing}/{s.runs}", f"{st.complete}/{s.runs}", f"{s.params:,}", st.title]


def ranking_legend(standings: list[Standing]) -> str:
    return RANKING_LEGEND + (" " + UNRANKED if any(st.rank is None for st in standings) else "")


def ranking_table(standings: list[Standing]) -> Table:
    t = Table(title=RANKING_TITLE, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in RANKING_HEAD:
        wraps = col == "network"
        t.add_column(col, justify="left" if wraps else "right", no_wrap=not wraps, overflow="fold",
                     min_width=16 if wraps else None)
    for st in standings:
        t.add_row(*ranking_cells(st))
    return t


def share(level: float) -> str:
    return "half" if level == 0.5 else f"{100 * level:g} %"


def decision_sentence(d: Decision) -> str:
    """The decision in one sentence, its word first."""
    s, lead = d.settings, d.leading
    conf = f"{100 * s.confidence:g}% confidence"
    normal = ", assuming normal finals" if s.assume_normal else ""
    if s.assume_normal:
        what = f"the mean final accuracy is {'above' if lead.word == HOLDS else 'below'} {d.target} %"
        question = f"whether the mean final accuracy reaches {d.target} %"
    else:
        what = (f"{'at least' if lead.word == HOLDS else 'fewer than'} {share(s.at_least)} of fresh seeds end at or "
                f"above {d.target} % at the final epoch")
        question = f"whether {share(s.at_least)} of fresh seeds end at or above {d.target} % at the final epoch"
    if lead.word == UNDECIDED:
        return f"undecided: {lead.n} seed{'s' if lead.n != 1 else ''} do not yet settle {question} ({conf}{normal})"
    return f"{lead.word}: {what} ({conf}{normal}, settled after {lead.settled_after} seeds)"


def decision_rows(d: Decision) -> list[tuple]:
    """(label, value) pairs: the decision, then each sequence it was read from."""
    conf = f"{100 * d.settings.confidence:g}%"
    r = d.rate
    rows = [("decision", decision_sentence(d)),
            ("pass rate (anytime)", f"{conf}: {100 * r.low:.0f}–{100 * r.high:.0f}% after {r.n} seeds: "
                                           f"{r.word} at P = {d.settings.at_least:g}"
                                           + (f" after {r.settled_after}" if r.settled_after else "")
                                           + "  (valid however the seeds are watched; Wilson's is for a number "
                                             "of seeds fixed in advance)")]
    if d.mean is not None:
        m = d.mean
        span = "—" if not math.isfinite(m.low) else f"{m.low:.2f}–{m.high:.2f}%"
        rows.append(("mean final (anytime)", f"{conf}: {span} after {m.n} seeds: {m.word}"
                     + (f" after {m.settled_after}" if m.settled_after else "")
                     + "  (sequential Bayes-factor t-test: assumes the finals are independent normal draws)"))
        rows.append(("normal check", "—  (fewer than 3 finals, or no spread)" if d.residual is None else
                     f"largest standardised residual {d.residual[1]:.2f} at seed {d.residual[0]}, Grubbs' 5% "
                     f"bound for {m.n} finals {d.residual[2]:.2f}: "
                     + ("within it" if d.residual[1] <= d.residual[2] else "beyond it, the normal reading is "
                                                                             "doubtful")))
    return rows
