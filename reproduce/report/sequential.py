"""Decisions about a notebook's claim that stay valid however the seeds are watched: anytime-valid confidence
sequences, in plain math (no scipy), each small enough to check by hand.

A confidence sequence (CS) at level 1 - a is a sequence of intervals, one after each seed, that holds the true
value at every step at once with probability at least 1 - a. So it may be read after every seed, and the sweep
stopped as soon as it decides, with the error rate still at most a. A Wilson interval recomputed after each seed
has no such guarantee: it is exact for a number of seeds fixed in advance only.

- **Assumption-free, on pass/fail** (`rate_sequence`): p, the chance that a fresh seed ends at or above the
  target. Robbins' beta-binomial mixture martingale (Robbins 1970; Howard, Ramdas, McAuliffe, Sekhon,
  "Time-uniform, nonparametric, nonasymptotic confidence sequences", Ann. Stat. 2021, section on conjugate
  mixtures): for a candidate rate p, M_n(p) = B(a + S, b + F) / B(a, b) / (p^S (1 - p)^F) after S passes and F
  fails is a nonnegative martingale with M_0 = 1 when p is the truth, so by Ville's inequality it ever reaches
  1/a with probability at most a. The CS is {p : M_n(p) < 1/a}, two-sided, with the Jeffreys prior
  a = b = 1/2. Any stopping rule, any p.
- **Assuming normal finals** (`mean_sequence`): the mean final accuracy, by the sequential Bayes-factor t-test
  with a normal prior on the standardised effect (Rouder, Speckman, Sun, Morey, Iverson 2009, eq. 1 with g
  fixed; as an e-process: Perez-Ortiz, Lardy, de Heide, Grunwald, "E-statistics, group invariance and anytime-
  valid testing", Ann. Stat. 2024). For a candidate mean m, with t the one-sample t statistic of the finals
  against m, BF_n(m) = (1 + n g)^(-1/2) ((1 + t^2/v) / (1 + t^2/(v (1 + n g))))^(n/2), v = n - 1, is a test
  martingale under "mean = m, any sd" (the sd is integrated out by its scale-invariant prior 1/sd), so the CS
  {m : BF_n(m) < 1/a} = mean +- c_n sd / sqrt(n) is anytime-valid when the finals are independent normal draws.
  The prior's variance g = 2 (effects of one or two standard deviations, the size of the gaps between a recipe's
  mean and a target it nearly reaches).

Both sequences are intersected over the steps (still valid), so once a level is outside it stays outside, and
the decision at a level P is: **holds** when the sequence's lower end is above P, **fails** when its upper end is
below P, **undecided** otherwise. Either wrong decision has probability at most a, whatever the truth.
"""
import math
from collections.abc import Sequence
from dataclasses import dataclass

from reproduce.report.stats import t_quantile

PRIOR_A = PRIOR_B = 0.5   # Jeffreys' Beta(1/2, 1/2) mixing prior over the pass rate
G = 2.0                   # the normal prior's variance for the standardised effect (mean - m) / sd
HOLDS, FAILS, UNDECIDED = "holds", "fails", "undecided"


@dataclass(frozen=True)
class Settings:
    """What is decided: at_least, the level P the pass rate is tested against (0.5: a typical seed reaches the
    target); confidence, 1 - the error rate allowed; assume_normal, decide on the mean final instead."""
    at_least: float = 0.5
    confidence: float = 0.95
    assume_normal: bool = False


DEFAULT = Settings()


def settings_of(args) -> Settings:
    """The decision's settings from --at-least, --confidence and --assume-normal (UsageError when they clash)."""
    from reproduce.errors import UsageError
    if args.assume_normal and args.at_least != 0.5:
        raise UsageError(f"--assume-normal decides on the mean final accuracy, which answers --at-least 0.5 only "
                         f"(got --at-least {args.at_least:g}); leave one of them out")
    return Settings(args.at_least, args.confidence, args.assume_normal)


@dataclass
class Decided:
    """A sequence over the seeds in order, read at its last step."""
    word: str                       # holds, fails or undecided
    settled_after: int | None    # the seeds it took to decide; None while undecided
    low: float                      # the running intersection of the intervals, after the last seed
    high: float
    n: int                          # seeds seen


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def log_rate_martingale(passes: int, fails: int, p: float) -> float:
    """log M_n(p): the beta-binomial mixture against the rate p, after `passes` and `fails` (0 < p < 1)."""
    mix = _log_beta(PRIOR_A + passes, PRIOR_B + fails) - _log_beta(PRIOR_A, PRIOR_B)
    return mix - passes * math.log(p) - fails * math.log1p(-p)


def _edge(inside, outside, is_in) -> float:
    """Bisection between a point inside an interval and one outside it: the interval's end."""
    for _ in range(80):
        mid = (inside + outside) / 2.0
        inside, outside = (mid, outside) if is_in(mid) else (inside, mid)
    return (inside + outside) / 2.0


def rate_bounds(passes: int, fails: int, confidence: float) -> tuple[float, float]:
    """The CS for the pass rate after these counts: {p : M_n(p) < 1/(1 - confidence)}, as (low, high).

    log M_n is convex in p with its minimum (at most 0) at passes / n, so the set is an interval around it."""
    n = passes + fails
    if n == 0:
        return 0.0, 1.0
    bar = -math.log1p(-confidence)

    def inside(p):
        return 0.0 < p < 1.0 and log_rate_martingale(passes, fails, p) < bar
    centre = min(max(passes / n, 1e-12), 1 - 1e-12)
    low = 0.0 if passes == 0 else _edge(centre, 0.0, inside)
    high = 1.0 if fails == 0 else _edge(centre, 1.0, inside)
    return low, high


def _decide(bounds: list[tuple[float, float]], level: float) -> Decided:
    low, high, word, settled = -math.inf, math.inf, UNDECIDED, None
    for i, (lo, hi) in enumerate(bounds, start=1):
        low, high = max(low, lo), min(high, hi)
        if settled is None and (low > level or high < level):
            word, settled = (HOLDS if low > level else FAILS), i
    return Decided(word, settled, low, high, len(bounds))


def rate_sequence(outcomes: Sequence[bool], at_least: float, confidence: float) -> Decided:
    """The assumption-free decision: outcomes are the seeds' pass/fail in seed order."""
    bounds, passes = [], 0
    for i, ok in enumerate(outcomes, start=1):
        passes += bool(ok)
        bounds.append(rate_bounds(passes, i - passes, confidence))
    d = _decide(bounds, at_least)
    if not bounds:
        d.low, d.high = 0.0, 1.0
    return d


def log_t_bayes_factor(t: float, n: int, g: float = G) -> float:
    """log BF_n for a one-sample t statistic t from n >= 2 values (t may be infinite: every value equal)."""
    if n < 2:
        return 0.0
    v, ng = n - 1, n * g
    if math.isinf(t):
        return (n - 1) / 2.0 * math.log1p(ng)
    return -0.5 * math.log1p(ng) + n / 2.0 * (math.log1p(t * t / v) - math.log1p(t * t / (v * (1 + ng))))


def t_radius(n: int, confidence: float) -> float:
    """c_n: the |t| at which BF_n reaches 1/(1 - confidence); infinite when no t reaches it at this n."""
    bar = -math.log1p(-confidence)
    if n < 2 or log_t_bayes_factor(math.inf, n) <= bar:
        return math.inf
    hi = 1.0
    while log_t_bayes_factor(hi, n) < bar:
        hi *= 2.0
    return _edge(0.0, hi, lambda t: log_t_bayes_factor(t, n) < bar)


def mean_bounds(values: Sequence[float], confidence: float) -> tuple[float, float]:
    """The CS for the mean after these values: mean +- c_n sd / sqrt(n)."""
    n = len(values)
    c = t_radius(n, confidence)
    if math.isinf(c):
        return -math.inf, math.inf
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in values) / (n - 1))
    return mean - c * sd / math.sqrt(n), mean + c * sd / math.sqrt(n)


def mean_sequence(finals: Sequence[float], target: float, confidence: float) -> Decided:
    """The normal decision: finals in seed order, their mean against the target (P = 0.5 under normality)."""
    bounds = [mean_bounds(finals[:i], confidence) for i in range(1, len(finals) + 1)]
    return _decide(bounds, target)


def largest_residual(values: Sequence[float]) -> tuple[int, float, float] | None:
    """The normality check shown beside the normal test: (index, largest |x - mean| / sd, Grubbs' two-sided
    bound for it at 5 % under normality); None for fewer than three values or no spread."""
    n = len(values)
    if n < 3:
        return None
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in values) / (n - 1))
    if sd == 0.0:
        return None
    i = max(range(n), key=lambda k: abs(values[k] - mean))
    t = t_quantile(1 - 0.05 / (2 * n), n - 2)
    return i, abs(values[i] - mean) / sd, (n - 1) / math.sqrt(n) * math.sqrt(t * t / (n - 2 + t * t))


def seeds_to_settle(at_least: float, confidence: float, passing: bool, most: int = 1000) -> int | None:
    """How many unanimous seeds (all passing, or all failing) the assumption-free sequence needs to decide."""
    for n in range(1, most + 1):
        low, high = rate_bounds(n if passing else 0, 0 if passing else n, confidence)
        if (low > at_least) if passing else (high < at_least):
            return n
    return None


def seeds_table(levels=(0.5, 0.9), confidence: float = 0.95) -> list[tuple[float, int | None, int | None]]:
    """(P, unanimous passing seeds to hold, unanimous failing seeds to fail) for each level."""
    return [(p, seeds_to_settle(p, confidence, True), seeds_to_settle(p, confidence, False)) for p in levels]


@dataclass
class Decision:
    """The decision on one model's seeds, in seed order: the pass/fail sequence always, the normal one with
    assume_normal (P = 0.5 only: then P(final >= target) >= 0.5 is the mean final >= target)."""
    settings: Settings
    target: float
    seeds: list[int]                 # the seeds whose runs are final, in order
    rate: Decided
    mean: Decided | None = None
    residual: tuple[int, float, float] | None = None   # (seed, |z|, Grubbs' bound) of the finals

    @property
    def leading(self) -> Decided:
        if not self.settings.assume_normal:
            return self.rate
        assert self.mean is not None   # a decision made with assume_normal always holds the normal one
        return self.mean

    @property
    def word(self) -> str:
        return self.leading.word

    def to_dict(self) -> dict:
        def seq(d: Decided | None):
            return None if d is None else {"decision": d.word, "settled_after": d.settled_after, "seeds": d.n,
                                           "low": _finite(d.low), "high": _finite(d.high)}
        residual = None if self.residual is None else dict(zip(("seed", "z", "grubbs_bound"), self.residual))
        return {"decision": self.word, "at_least": self.settings.at_least,
                "confidence": self.settings.confidence, "assume_normal": self.settings.assume_normal,
                "settled_after": self.leading.settled_after, "pass_rate": seq(self.rate),
                "mean_final": seq(self.mean), "largest_residual": residual}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None   # json has no infinity


def decide(seeds: Sequence[int], outcomes: Sequence[bool], finals: Sequence[float | None], target: float,
           settings: Settings) -> Decision:
    """seeds, outcomes (final epoch >= target) and finals of the final runs, in seed order."""
    d = Decision(settings, target, list(seeds), rate_sequence(outcomes, settings.at_least, settings.confidence))
    if settings.assume_normal:
        pairs = [(s, f) for s, f in zip(seeds, finals) if f is not None and math.isfinite(f)]
        d.mean = mean_sequence([f for _, f in pairs], target, settings.confidence)
        found = largest_residual([f for _, f in pairs])
        if found is not None:
            d.residual = (pairs[found[0]][0], found[1], found[2])
    return d
