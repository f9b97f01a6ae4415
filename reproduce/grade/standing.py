"""How unusual a notebook's claimed final accuracy is among honest runs of its network and recipe: its rank, a
95 % prediction interval for one more honest run, and, outside it, about how often an honest seed ends that
high or low (a normal tail, rough when the honest runs are few)."""
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from reproduce.report import stats

FEW = 10   # below this many honest runs the normal tail is a rough figure, and said so


@dataclass
class Standing:
    claimed: float
    rank: int                       # 1 + the honest finals strictly above the claim: 1 is the highest
    runs: int                       # honest finals
    low: float | None            # 95 % prediction interval for one more honest run (two runs or more)
    high: float | None
    one_in: float | None         # outside the interval: 1 / P(an honest final at least as far out)
    spread: float                   # the claim's own binomial sampling spread, in points

    def to_dict(self) -> dict:
        return asdict(self)


def standing_of(claimed: float, finals: Sequence[float], test_images: int) -> Standing | None:
    """None without honest finals."""
    finals = list(finals)
    if not finals:
        return None
    s = Standing(claimed, 1 + sum(f > claimed for f in finals), len(finals), None, None, None,
                 stats.binomial_spread(claimed, test_images))
    interval = stats.prediction_interval(finals)
    if interval is not None:
        s.low, s.high = low, high = interval
        mean, sd = stats.mean_sd(finals)
        if mean is not None and sd is not None and sd > 0 and not low <= claimed <= high:
            tail = stats.upper_tail(claimed, mean, sd) if claimed > mean else 1 - stats.upper_tail(claimed, mean, sd)
            s.one_in = 1 / tail if tail > 0 else math.inf
    return s


def rounded(n: float) -> str:
    """1 in N, N to two significant figures ('about 1 in 240')."""
    if n >= 1e6:
        return "fewer than 1 in a million"
    digits = max(0, int(math.floor(math.log10(n))) - 1)
    return f"about 1 in {int(round(n, -digits)):,}"


def sentence(s: Standing) -> str:
    said = f"ranks {s.rank} of {s.runs + 1} beside the {s.runs} honest final{'s' if s.runs != 1 else ''}"
    low, high = s.low, s.high
    if low is None or high is None:
        return said + f" (one run's sampling spread ±{s.spread:.2f} points)"
    said += f"; 95% prediction interval for one more honest run {low:.2f}–{high:.2f} %"
    if low <= s.claimed <= high:
        said += f": the claimed {s.claimed:.2f} % is inside it"
    elif s.one_in is None:
        said += f": the claimed {s.claimed:.2f} % is outside it, and the honest runs do not vary"
    else:
        side = "above" if s.claimed > high else "below"
        rough = ": rough with so few" if s.runs < FEW else ""
        said += (f": the claimed {s.claimed:.2f} % is {side} it; {rounded(s.one_in)} honest seeds end that "
                 f"{'high' if side == 'above' else 'low'} (a normal tail from {s.runs} runs{rough})")
    return said + f". One run's sampling spread: ±{s.spread:.2f} points"
