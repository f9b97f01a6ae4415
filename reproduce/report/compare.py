"""`compare A B`: two sweeps side by side (two models, CPU vs GPU, two recipes) on one metric.

Shows each side's pass rate and the metric's mean ± sd, the difference in means (B − A) with Welch's 95%
interval (unequal variances; no assumption that the sweeps share seeds), and, for seeds present in both, the
per-seed differences with a paired t interval.
"""
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from reproduce.files.shown import tail
from reproduce.record.schema import ReportError, RunReport, find_reports, load
from reproduce.report import stats
from reproduce.report.check import RunCheck, check
from reproduce.report.choices import METRICS  # noqa: F401  (defined there for the command line; used here too)
from reproduce.report.groups import KINDS, SUITE, kind
from reproduce.report.summary import summarise_model
from reproduce.report.view import some_epoch

METRIC_NAMES = {"final": "test accuracy at the final epoch", "peak": "peak test accuracy (picked on test)",
                "val-pick": "test accuracy at the epoch picked on validation"}


class CompareError(ReportError):
    """Two sweeps that cannot be compared, said in one line."""


def metric_of(r: RunCheck, metric: str) -> float | None:
    return {"final": r.final, "peak": r.peak, "val-pick": r.test_at_val}[metric]


@dataclass
class Side:
    path: str
    model: str
    runs: int
    passing: int
    pass_low: float
    pass_high: float
    values: list[tuple[int, float]]      # (seed, metric) for runs that have the metric
    mean: float | None
    sd: float | None
    min: float | None
    kind: str = SUITE                    # as-written, suite or imported (report/groups.kind)


@dataclass
class Comparison:
    metric: str
    target: float
    max_epochs: int
    a: Side
    b: Side
    diff: float                           # mean(B) - mean(A), points
    welch: tuple[float, float, float] | None   # (low, high, degrees of freedom), 95%
    per_seed: list[tuple[int, float, float, float]]   # (seed, A, B, B - A) for seeds in both
    paired: tuple[float, float, float] | None  # (mean difference, low, high), 95%


@dataclass(frozen=True)
class Pick:
    """Which runs of a folder make one side: --a-kind / --b-kind, where a folder holds runs of several kinds."""
    flag: str                            # "--a-kind" or "--b-kind", for the messages
    kind: str | None = None              # None: every run in the folder


def reports_of(path: Path, pick: Pick) -> list[tuple[Path, RunReport]]:
    """The folder's reports of the kind picked; CompareError for a folder holding none, or several kinds unpicked."""
    paths = find_reports([path])
    if not paths:
        raise CompareError(f"{path}: no run reports (<model>-seed<k>.json) found")
    reports = [(p, load(p)) for p in paths]
    kinds = sorted({kind(r) for _, r in reports})
    if pick.kind is not None:
        reports = [(p, r) for p, r in reports if kind(r) == pick.kind]
        if not reports:
            raise CompareError(f"{path}: holds no run of kind {pick.kind} ({pick.flag}); its runs are "
                               f"{', '.join(kinds)}")
    elif len(kinds) > 1:
        said = "; ".join(f"{k}: {KINDS[k]}" for k in kinds)
        raise CompareError(f"{path}: holds runs of {len(kinds)} kinds ({said}); pick one with "
                           f"{pick.flag} {' or '.join(kinds)}")
    return reports


def load_side(path: Path, metric: str, target: float, max_epochs: int, pick: Pick) -> Side:
    verdict = check(reports_of(path, pick), target, max_epochs)
    models = sorted({m.model for m in verdict.models})
    if len(models) > 1:
        raise CompareError(f"{path}: holds runs of {len(models)} models ({', '.join(models)}); a sweep is one model")
    if len(verdict.models) > 1:
        labels = "; ".join(m.label for m in verdict.models)
        raise CompareError(f"{path}: holds {len(verdict.models)} sweeps of {models[0]} with different configs "
                           f"({labels}); a sweep is one config: name its folder")
    m = verdict.models[0]
    seeds = [r.seed for r in m.runs]
    if len(set(seeds)) != len(seeds):
        raise CompareError(f"{path}: a seed appears twice; a sweep has one run per seed")
    s = summarise_model(m)
    values = [(r.seed, v) for r in m.runs if (v := metric_of(r, metric)) is not None]
    mean, sd = stats.mean_sd([v for _, v in values])
    return Side(str(path), m.model, s.runs, s.passing, s.pass_low, s.pass_high, values, mean, sd,
                min((v for _, v in values), default=None), m.kind)


def compare(a: Path, b: Path, metric: str = "final", target: float = 99.4, max_epochs: int = 19,
            kinds: tuple[str | None, str | None] = (None, None)) -> Comparison:
    """A against B; `kinds` picks the runs of one kind from a folder that holds several (--a-kind, --b-kind)."""
    sa, sb = (load_side(p, metric, target, max_epochs, Pick(flag, k))
              for p, flag, k in zip((a, b), ("--a-kind", "--b-kind"), kinds))
    for side in (sa, sb):
        if not side.values:
            why = " (no run has --val-split)" if metric == "val-pick" else " (no run has an epoch)"
            raise CompareError(f"no common metric: {side.path} has no {METRIC_NAMES[metric]}{why}")
    welch = None
    if len(sa.values) > 1 and len(sb.values) > 1:
        _, low, high, df = stats.welch([v for _, v in sa.values], [v for _, v in sb.values])
        welch = (low, high, df)
    in_b = dict(sb.values)
    per_seed = [(seed, va, in_b[seed], in_b[seed] - va) for seed, va in sa.values if seed in in_b]
    assert sa.mean is not None   # a side with values has their mean
    assert sb.mean is not None
    return Comparison(metric, target, max_epochs, sa, sb, sb.mean - sa.mean, welch, per_seed,
                      stats.paired([d for *_, d in per_seed]))


def compare_json(c: Comparison) -> str:
    return json.dumps(asdict(c), indent=2) + "\n"


def signed(x: float) -> str:
    return f"{x:+.3f}"


def shows_kinds(c: Comparison) -> bool:
    """Whether the kinds of run are worth a line under the table: where they differ, or a side is not the suite's
    loop (the table's sweep column may show one folder twice: check keeps both kinds in a notebook's folder)."""
    return c.a.kind != c.b.kind or c.a.kind != SUITE


def kinds_line(c: Comparison) -> str:
    """Which side is which kind, in words: a notebook as written against its translation, say."""
    if c.a.kind == c.b.kind:
        return f"A and B are both {KINDS[c.a.kind]}"
    return f"A is {KINDS[c.a.kind]}; B is {KINDS[c.b.kind]}"


def comparison_table(c: Comparison, sweep_width: int) -> Table:
    t = Table(title=f"{METRIC_NAMES[c.metric]}: A vs B", title_justify="left", box=box.SIMPLE_HEAD,
              pad_edge=False, collapse_padding=True,
              caption=f"{some_epoch(c.target)}: runs reaching the target at some epoch within the limit, not "
                      f"necessarily the final one (Wilson 95% interval)", caption_justify="left")
    for col in ("", "sweep", "model", some_epoch(c.target), "mean ± sd", "min", "runs"):
        t.add_column(col, no_wrap=True)
    for name, s in (("A", c.a), ("B", c.b)):
        sd = f"{s.sd:.3f}" if s.sd is not None else "—"
        t.add_row(name, tail(s.path, sweep_width), s.model,
                  f"{s.passing}/{s.runs} ({100 * s.pass_low:.0f}–{100 * s.pass_high:.0f}%)",
                  f"{s.mean:.3f} ± {sd}", f"{s.min:.2f}", str(len(s.values)))
    return t


def render_comparison(c: Comparison, console: Console) -> None:
    # The sweep column takes the width the other columns leave; a longer path keeps its end (…/gm-claim).
    narrow = len("sweep")
    room = console.width - console.measure(comparison_table(c, narrow)).maximum + narrow
    t = comparison_table(c, max(narrow, room))
    console.print(t, highlight=False)
    if shows_kinds(c):
        console.print(kinds_line(c), highlight=False, soft_wrap=True)
    line = f"difference B − A in mean: {signed(c.diff)} points"
    if c.welch:
        low, high, df = c.welch
        line += f"; Welch 95% interval [{signed(low)}, {signed(high)}] (df {df:.1f})"
    else:
        line += "; no interval (Welch needs at least two runs on each side)"
    console.print(line, highlight=False, soft_wrap=True)
    if c.per_seed:
        seeds = Table(title="seeds in both sweeps", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        for col in ("seed", "A", "B", "B − A"):
            seeds.add_column(col, justify="right")
        for seed, va, vb, d in c.per_seed:
            seeds.add_row(str(seed), f"{va:.2f}", f"{vb:.2f}", signed(d))
        console.print(seeds, highlight=False)
        if c.paired:
            m, low, high = c.paired
            console.print(f"paired over {len(c.per_seed)} common seeds: mean B − A {signed(m)} points, "
                          f"t 95% interval [{signed(low)}, {signed(high)}]", highlight=False, soft_wrap=True)
    else:
        console.print("no seed is in both sweeps: no per-seed differences", highlight=False, soft_wrap=True)
