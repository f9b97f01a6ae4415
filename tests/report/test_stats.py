"""The statistics behind the summary, on inputs whose answers are known (textbook tables or by hand)."""
import math
import statistics

import pytest

from reproduce.report import stats


def test_wilson_interval_for_12_of_15():
    # by hand: p = 0.8, z = 1.959964, centre (p + z²/2n)/(1 + z²/n), half z·sqrt(p(1-p)/n + z²/4n²)/(1 + z²/n)
    low, high = stats.wilson(12, 15)
    assert low == pytest.approx(0.548146, abs=1e-6)
    assert high == pytest.approx(0.929525, abs=1e-6)


def test_wilson_at_the_edges_stays_in_0_1_and_is_not_degenerate():
    low, high = stats.wilson(15, 15)
    # 15/15 is not "certainly 100%"
    assert high == 1.0
    assert low == pytest.approx(15 / (15 + stats.Z95 ** 2))
    low, high = stats.wilson(0, 5)
    assert low == 0.0
    assert high == pytest.approx(0.434482, abs=1e-6)
    with pytest.raises(stats.StatsError, match="wilson: need 0 <= k <= n"):
        stats.wilson(3, 2)


def test_mean_sd_and_median():
    assert stats.mean_sd([99.30, 99.40, 99.50]) == (pytest.approx(99.40), pytest.approx(0.1))
    assert stats.mean_sd([99.4]) == (99.4, None)
    assert stats.mean_sd([]) == (None, None)
    assert stats.median([16, 9, 12, 14]) == 13
    assert stats.median([]) is None


@pytest.mark.parametrize(("q", "df", "expected"), [
    (0.975, 1, 12.706205), (0.975, 10, 2.228139), (0.995, 4, 4.604095), (0.95, 30, 1.697261),
    (0.975, 1e9, stats.Z95),
])
def test_student_t_quantiles_match_tables(q, df, expected):
    assert stats.t_quantile(q, df) == pytest.approx(expected, abs=1e-5)


def test_fractional_degrees_of_freedom_fall_between_their_neighbours():
    # Welch gives fractional df; the quantile must lie between the table's df 5 (2.5706) and df 6 (2.4469)
    assert 2.4469 < stats.t_quantile(0.975, 5.5) < 2.5706


def test_welch_interval_by_hand():
    a, b = [1, 2, 3, 4], [2, 4, 6, 8, 10]
    diff, low, high, df = stats.welch(a, b)
    va, vb = (5 / 3) / 4, 10 / 5    # sample variances over n
    assert diff == pytest.approx(3.5)
    assert df == pytest.approx((va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 4))
    half = stats.t_quantile(0.975, df) * math.sqrt(va + vb)
    assert (low, high) == (pytest.approx(3.5 - half), pytest.approx(3.5 + half))
    assert half == pytest.approx(3.885, abs=1e-3)
    with pytest.raises(stats.StatsError, match="welch: need at least two runs"):
        stats.welch([1], [1, 2])


def test_paired_interval():
    m, low, high = stats.paired([0.05, 0.10])
    half = 12.706205 * (0.05 / math.sqrt(2)) / math.sqrt(2)
    assert m == pytest.approx(0.075)
    assert low == pytest.approx(0.075 - half, abs=1e-5)
    assert high == pytest.approx(0.075 + half, abs=1e-5)
    assert stats.paired([0.1]) is None


def test_binomial_spread_of_one_accuracy():
    # at 99.4% on 10,000 images one run's accuracy spreads by about ±0.08 points
    assert stats.binomial_spread(99.4, 10_000) == pytest.approx(math.sqrt(0.994 * 0.006 / 10_000) * 100)
    assert round(stats.binomial_spread(99.4, 10_000), 2) == 0.08


def test_prediction_interval_and_upper_tail_by_hand():
    from reproduce.report.stats import prediction_interval, t_quantile, upper_tail
    values = [99.25, 99.31, 99.37, 99.28, 99.34]   # mean 99.31, sd 0.0474
    low, high = prediction_interval(values)
    half = t_quantile(0.975, 4) * statistics.stdev(values) * math.sqrt(1.2)
    assert (low, high) == pytest.approx((99.31 - half, 99.31 + half))
    assert prediction_interval([99.3]) is None
    assert upper_tail(1.959963984540054, 0, 1) == pytest.approx(0.025)
