"""The few statistics the reports need, in plain Python (no scipy): each one small enough to check by hand.

- Wilson score interval for a pass rate k/n (better than p ± z·se when p is near 0 or 1 and n is small).
- mean and sample standard deviation (n - 1).
- Welch's t interval for a difference of two means with unequal variances (the Student t quantile is
  computed here from the regularised incomplete beta function).
- the binomial sampling spread of one accuracy measured on n test images: sqrt(p (1 - p) / n).
"""
import math
import statistics
from collections.abc import Sequence

from reproduce.errors import SuiteError

Z95 = statistics.NormalDist().inv_cdf(0.975)   # 1.959963984540054


class StatsError(SuiteError):
    """A statistic asked of values it is not defined for (no runs, one run where two are needed), said in one
    line. The suite's own callers ask only where it is defined: this says which one did not."""


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for the proportion k/n, as fractions in [0, 1]."""
    if n < 1 or not 0 <= k <= n:
        raise StatsError(f"wilson: need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 or k = n one end is exactly 0 or 1; say so rather than leave a rounding residue.
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def mean_sd(values: Sequence[float]) -> tuple[float | None, float | None]:
    """(mean, sample sd); sd is None for fewer than two values, both None for none."""
    values = list(values)
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def median(values: Sequence[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def binomial_spread(percent: float, n: int) -> float:
    """Standard error, in percentage points, of an accuracy of `percent` measured on n independent images."""
    p = percent / 100.0
    return 100.0 * math.sqrt(p * (1 - p) / n)


# --- Student t quantile --------------------------------------------------------------------------------------

def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(q: float, df: float) -> float:
    """The q-quantile of Student's t with df degrees of freedom (0.5 < q < 1), by bisection on the cdf."""
    if not 0.5 < q < 1 or df <= 0:
        raise StatsError(f"t_quantile: need 0.5 < q < 1 and df > 0, got q={q}, df={df}")
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < q:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def welch(a: Sequence[float], b: Sequence[float], conf: float = 0.95):
    """Welch's interval for mean(b) - mean(a): (difference, low, high, degrees of freedom).

    Needs at least two values on each side; if both sides have zero variance the interval is the point."""
    a, b = list(a), list(b)
    if len(a) < 2 or len(b) < 2:
        raise StatsError("welch: need at least two runs on each side")
    ma, sa = statistics.fmean(a), statistics.stdev(a)   # mean_sd's, with two or more values each
    mb, sb = statistics.fmean(b), statistics.stdev(b)
    va, vb = sa * sa / len(a), sb * sb / len(b)
    diff = mb - ma
    se = math.sqrt(va + vb)
    if se == 0.0:
        return diff, diff, diff, float("inf")
    df = (va + vb) ** 2 / ((va * va / (len(a) - 1) if va else 0.0) + (vb * vb / (len(b) - 1) if vb else 0.0))
    half = t_quantile(0.5 + conf / 2.0, df) * se
    return diff, diff - half, diff + half, df


def paired(diffs: list[float], conf: float = 0.95):
    """t interval for the mean of paired differences: (mean, low, high); None for fewer than two pairs."""
    if len(diffs) < 2:
        return None
    m, sd = statistics.fmean(diffs), statistics.stdev(diffs)
    half = t_quantile(0.5 + conf / 2.0, len(diffs) - 1) * sd / math.sqrt(len(diffs))
    return m, m - half, m + half


def prediction_interval(values: Sequence[float], conf: float = 0.95) -> tuple[float, float] | None:
    """Where one more draw falls, from n >= 2 normal draws: mean +- t(n - 1) sd sqrt(1 + 1/n)."""
    values = list(values)
    if len(values) < 2:
        return None
    m, sd = statistics.fmean(values), statistics.stdev(values)
    half = t_quantile(0.5 + conf / 2.0, len(values) - 1) * sd * math.sqrt(1 + 1 / len(values))
    return m - half, m + half


def upper_tail(x: float, mean: float, sd: float) -> float:
    """P(X >= x) for X normal(mean, sd), sd > 0."""
    return 1.0 - statistics.NormalDist(mean, sd).cdf(x)
