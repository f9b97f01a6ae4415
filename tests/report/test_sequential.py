"""The anytime-valid decisions (reproduce/report/sequential.py): their bounds by hand, and by simulation the
rate of a wrong decision when every stream is watched after each step and stopped at its first decision."""
import math

import numpy as np
import pytest

from reproduce.report import sequential as sq
from reproduce.report.stats import wilson

STEPS = 300
ALPHA = 0.05


def test_the_rate_interval_ends_where_the_martingale_reaches_one_over_alpha():
    for passes, fails in [(3, 2), (7, 0), (0, 5), (40, 13)]:
        low, high = sq.rate_bounds(passes, fails, 0.95)
        bar = math.log(1 / ALPHA)
        for end, edge in [(low, passes == 0), (high, fails == 0)]:
            if not edge:
                assert sq.log_rate_martingale(passes, fails, end) == pytest.approx(bar, abs=1e-6)
        assert low <= passes / (passes + fails) <= high
        assert low < high


def test_the_sequence_is_wider_than_wilson_which_is_for_a_fixed_number_of_seeds():
    low, high = sq.rate_bounds(5, 0, 0.95)
    w_low, _ = wilson(5, 5)
    assert low < w_low
    assert high == 1.0


def test_the_seeds_table_unanimous_runs_need():
    """The table docs/verdict.md shows, and the boundary it sits on: one seed fewer does not decide."""
    table = {p: (up, down) for p, up, down in sq.seeds_table((0.5, 0.9), 0.95)}
    assert table == {0.5: (7, 7), 0.9: (53, 2)}
    assert sq.rate_bounds(7, 0, 0.95)[0] > 0.5 > sq.rate_bounds(6, 0, 0.95)[0]
    assert sq.rate_bounds(0, 2, 0.95)[1] < 0.9 < sq.rate_bounds(0, 1, 0.95)[1]


def test_a_decision_sticks_and_says_after_how_many_seeds():
    d = sq.rate_sequence([False] * 7 + [True] * 3, 0.5, 0.95)
    assert (d.word, d.settled_after, d.n) == ("fails", 7, 10)
    assert sq.rate_sequence([True, False] * 10, 0.5, 0.95).word == "undecided"
    empty = sq.rate_sequence([], 0.5, 0.95)
    assert (empty.word, empty.low, empty.high) == ("undecided", 0.0, 1.0)


def _rate_decisions(p, level, streams, rng):
    """Each stream's first decision (+1 holds, -1 fails, 0 none in STEPS), read from the martingale at the level:
    the running intersection leaves out the level exactly when M_n(level) has reached 1/alpha."""
    x = rng.random((streams, STEPS)) < p
    passes = np.cumsum(x, axis=1)
    n = np.arange(1, STEPS + 1)
    log_m = np.vectorize(lambda s, k: sq.log_rate_martingale(int(s), int(k - s), level))(passes, n)
    hit = log_m >= math.log(1 / ALPHA)
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    side = np.where(passes[np.arange(streams), first] > level * (first + 1), 1, -1)
    return np.where(first >= 0, side, 0), x


def test_the_martingale_reading_agrees_with_the_sequence_of_intervals():
    rng = np.random.default_rng(7)
    got, x = _rate_decisions(0.5, 0.5, 40, rng)
    for stream, decided in zip(x, got):
        d = sq.rate_sequence(list(stream[:60]), 0.5, 0.95)
        if d.settled_after is not None:
            assert {"holds": 1, "fails": -1}[d.word] == decided


@pytest.mark.parametrize("level", [0.5, 0.9])
def test_wrong_decisions_on_pass_fail_stay_under_alpha_at_and_beside_the_level(level):
    rng = np.random.default_rng(2026)
    at, _ = _rate_decisions(level, level, 2000, rng)
    assert np.mean(at != 0) < ALPHA                      # at p = P both words are wrong
    below, _ = _rate_decisions(level - 0.05, level, 2000, rng)
    assert np.mean(below == 1) < ALPHA                   # p just below P: "holds" is wrong
    above, _ = _rate_decisions(min(level + 0.05, 0.99), level, 2000, rng)
    assert np.mean(above == -1) < ALPHA


def test_it_decides_the_clear_cases_it_is_built_for():
    rng = np.random.default_rng(3)
    good, _ = _rate_decisions(0.9, 0.5, 500, rng)
    assert np.mean(good == 1) > 0.95


def _normal_decisions(mean, streams, rng, sd=0.06, target=99.4):
    """First decision of the mean's sequence per stream (+1, -1, 0): |t_n| against c_n at the target."""
    x = rng.normal(mean, sd, (streams, STEPS))
    n = np.arange(1, STEPS + 1)
    s1, s2 = np.cumsum(x - target, axis=1), np.cumsum((x - target) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (s2 - s1 ** 2 / n) / (n - 1)
        t = s1 / n / np.sqrt(var / n)
    c = np.array([sq.t_radius(k, 0.95) for k in n])
    hit = np.abs(t) >= c
    hit[:, 0] = False
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    side = np.sign(t[np.arange(streams), first])
    return np.where(first >= 0, side, 0), x, first


def test_the_t_reading_agrees_with_mean_sequence():
    rng = np.random.default_rng(11)
    got, x, first = _normal_decisions(99.33, 30, rng)
    for stream, decided, at in zip(x, got, first):
        d = sq.mean_sequence(list(stream[:40]), 99.4, 0.95)
        assert d.settled_after == (at + 1 if 0 <= at < 40 else None)
        if d.settled_after is not None:
            assert {"holds": 1, "fails": -1}[d.word] == decided


def test_wrong_decisions_on_normal_finals_stay_under_alpha_with_the_mean_at_the_target():
    rng = np.random.default_rng(2027)
    at, _, _ = _normal_decisions(99.4, 2000, rng)
    assert np.mean(at != 0) < ALPHA
    below, _, _ = _normal_decisions(99.39, 2000, rng)
    assert np.mean(below == 1) < ALPHA


def test_the_normal_test_settles_a_clear_case_sooner_than_pass_fail():
    """Finals 99.22 +- 0.06 against 99.4 (3 sd below): pass/fail needs 7 failing seeds at P = 0.5 (the table),
    the normal test about 5. At 1.5 sd below (99.31 +- 0.06) the two need about the same (docs/verdict.md)."""
    rng = np.random.default_rng(5)
    decided, _, first = _normal_decisions(99.22, 1000, rng)
    assert np.all(decided == -1)
    assert np.median(first + 1) <= 5 < sq.seeds_to_settle(0.5, 0.95, passing=False)


def test_largest_residual_names_the_outlier_and_grubbs_bound():
    values = [99.30, 99.32, 99.28, 99.31, 99.29, 97.0]
    i, z, bound = sq.largest_residual(values)
    assert i == 5
    assert z > bound
    assert bound == pytest.approx(1.887, abs=0.01)      # Grubbs' 5 % critical value for n = 6
    assert sq.largest_residual([99.3, 99.3]) is None
