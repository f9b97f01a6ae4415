"""Per-model summary figures, computed from the checker's per-run results (the checker decides, this counts).

Every figure here is a plain number or None, so the terminal view, the exports and the plot share one source.
"""
import math
from dataclasses import asdict, dataclass

from reproduce.report import stats
from reproduce.report.check import ModelCheck, Verdict
from reproduce.report.sequential import Decision, Settings, decide

FINAL_STATUSES = ("complete", "diverged")   # a diverged run is a result: it counts as failing


@dataclass
class ModelSummary:
    model: str
    params: int
    runs: int
    passing: int                         # complete runs reaching the target within max_epochs
    pass_rate: float                     # passing / runs, as a fraction
    pass_low: float                      # Wilson 95% interval for the pass rate, as fractions
    pass_high: float
    final_passing: int                   # complete runs whose LAST epoch (within max_epochs) reaches the target
    final_pass_low: float                # its Wilson 95% interval, as fractions
    final_pass_high: float
    first_median: float | None        # first epoch reaching the target, over the runs that reach it
    first_worst: int | None
    never_reaching: int                  # runs that never reach the target within max_epochs
    final_mean: float | None          # test accuracy at the last epoch within max_epochs (percent)
    final_sd: float | None
    final_min: float | None
    peak_mean: float | None           # best test accuracy within max_epochs: picked on the test set
    peak_sd: float | None
    stay_last3: int                      # runs whose last three epochs are all >= target
    spread_at_mean: float | None      # sqrt(p(1-p)/n) in points at p = final_mean, n = test images
    test_images: int                     # on the validation split (--on validation): its images; 0 if unknown
    val_runs: int                        # runs with a held-out validation split
    val_pick_mean: float | None       # test accuracy at the epoch chosen by validation accuracy
    val_pick_sd: float | None
    val_pick_min: float | None
    imported: int                        # runs read from someone's log (import-log)
    diverged: int = 0                    # runs whose loss became NaN or infinite (final, not passing)
    failed: int = 0                      # runs an exception stopped (retried by rerunning the sweep)
    label: str = ""                      # what tells this group from other runs of the model (report/groups.py)
    kind: str = "suite"                  # as-written, suite or imported (report/groups.kind)
    unfinished: int = 0                  # runs still training, or stopped by an error: not in any figure above

    def to_dict(self) -> dict:
        return asdict(self)


def finished(m: ModelCheck) -> list:
    """The model's runs that have a result: complete, or diverged (which counts as not passing)."""
    return [r for r in m.runs if r.status in FINAL_STATUSES]


def _wilson(k: int, n: int) -> tuple[float, float]:
    return stats.wilson(k, n) if n else (0.0, 1.0)   # no finished run yet: nothing is known


def summarise_model(m: ModelCheck) -> ModelSummary:
    """The figures over the model's finished runs (complete or diverged). A run still training has no final
    epoch yet, and one stopped by an error runs again when the sweep is resumed: counting their latest epochs as
    final would report figures no run has; they are counted apart (`unfinished`)."""
    runs = finished(m)
    n = len(runs)
    passing = sum(r.passed for r in runs)
    low, high = _wilson(passing, n)
    final_passing = sum(r.final_passed for r in runs)
    final_low, final_high = _wilson(final_passing, n)
    firsts = [r.first_reaching for r in runs if r.first_reaching is not None]
    finals = [r.final for r in runs if r.final is not None]
    peaks = [r.peak for r in runs if r.peak is not None]
    picks = [r.test_at_val for r in runs if r.test_at_val is not None]
    final_mean, final_sd = stats.mean_sd(finals)
    peak_mean, peak_sd = stats.mean_sd(peaks)
    pick_mean, pick_sd = stats.mean_sd(picks)
    n_test = min(r.test_images for r in runs or m.runs)
    return ModelSummary(
        model=m.model, params=m.params, runs=n, passing=passing, pass_rate=passing / n if n else 0.0,
        pass_low=low, pass_high=high,
        final_passing=final_passing, final_pass_low=final_low, final_pass_high=final_high,
        first_median=stats.median(firsts), first_worst=max(firsts) if firsts else None,
        never_reaching=n - len(firsts),
        final_mean=final_mean, final_sd=final_sd, final_min=min(finals) if finals else None,
        peak_mean=peak_mean, peak_sd=peak_sd,
        stay_last3=sum(bool(r.stays_last3) for r in runs),
        spread_at_mean=stats.binomial_spread(final_mean, n_test) if final_mean is not None and n_test else None,
        test_images=n_test,
        val_runs=len(picks), val_pick_mean=pick_mean, val_pick_sd=pick_sd,
        val_pick_min=min(picks) if picks else None,
        imported=sum(r.origin == "imported" for r in runs),
        diverged=sum(r.status == "diverged" for r in runs), failed=sum(r.status == "failed" for r in m.runs),
        label=m.label, kind=m.kind, unfinished=len(m.runs) - n,
    )


def summarise(v: Verdict) -> list[ModelSummary]:
    return [summarise_model(m) for m in v.models]  # check() makes a model only from its runs: never empty


def title(s: ModelSummary) -> str:
    return f"{s.model} ({s.label})" if s.label else s.model




def decision(m: ModelCheck, target: float, settings: Settings) -> Decision:
    """The anytime-valid decision on the model's final runs, in seed order (reproduce/report/sequential.py);
    runs still training, or stopped by an error, are not yet observations."""
    done = finished(m)
    return decide([r.seed for r in done], [r.final_passed for r in done], [r.final for r in done], target,
                  settings)


# --- several networks side by side --------------------------------------------------------------------------
# Ranked by their worst seed's final accuracy: a network is chosen for the run it gives on a bad seed, not for its
# mean. `report --on validation` ranks them; on the test set nothing is ranked, since a choice made there would be
# a choice made on the test set.


@dataclass
class Standing:
    rank: int | None          # 1 is best; None while some of the group's runs are not finished
    summary: ModelSummary
    complete: int             # runs complete (the others diverged, failed or are still training)
    unfinished: int           # runs still training or stopped by an error: not yet a result

    @property
    def title(self) -> str:
        return title(self.summary)

    def to_dict(self) -> dict:
        s = self.summary
        return {"rank": self.rank, "group": self.title, "params": s.params, "runs": s.runs,
                "complete": self.complete, "final_passing": s.final_passing, "final_min": s.final_min,
                "final_mean": s.final_mean, "final_sd": s.final_sd}


def worst_first_key(st: Standing) -> tuple:
    """A diverged run is the worst a seed can do: such a group ranks below every group without one."""
    s = st.summary
    return s.diverged > 0, -(s.final_min if s.final_min is not None else -math.inf)


def ranking(v: Verdict) -> list[Standing]:
    """Every group, best worst-seed final first; groups with unfinished runs follow, unranked, in their order."""
    standings = []
    for m, s in zip(v.models, summarise(v)):
        standings.append(Standing(None, s, sum(r.complete for r in m.runs), s.unfinished))
    done = sorted((st for st in standings if not st.unfinished), key=worst_first_key)
    for i, st in enumerate(done):
        st.rank = i + 1
    return done + [st for st in standings if st.unfinished]


def quotable(s: ModelSummary, target: float) -> str:
    """The sweep's figures in the words the docs quote them (and tests/project/test_published.py checks them)."""
    if s.final_mean is None:
        return "no run finished yet"
    spread = f" ± {s.final_sd:.2f}" if s.final_sd is not None else ""
    line = (f"final epoch ≥ {target:g} % on {s.final_passing}/{s.runs} (Wilson 95 %: {100 * s.final_pass_low:.0f}–"
            f"{100 * s.final_pass_high:.0f} %), final accuracy {s.final_mean:.2f}{spread} %, min {s.final_min:.2f} %")
    if s.first_median is not None:
        line += f"; first epoch ≥ {target:g} %: median {s.first_median:g}, worst {s.first_worst}"
    return line
