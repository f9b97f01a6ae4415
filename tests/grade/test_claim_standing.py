"""The claim's standing among honest finals (reproduce/grade/standing.py), on figures known by hand."""
import pytest

from reproduce.grade.standing import rounded, sentence, standing_of
from reproduce.report import stats

# Eight honest finals of 99.31 +- 0.04 %, beside a claim of 99.46 %.
FINALS = [99.24, 99.27, 99.29, 99.31, 99.31, 99.33, 99.35, 99.38]


def test_a_claim_above_every_honest_run_is_ranked_first_with_its_rarity():
    s = standing_of(99.46, FINALS, 10_000)
    mean, sd = stats.mean_sd(FINALS)
    assert (s.rank, s.runs) == (1, 8)
    assert s.high < 99.46
    assert s.one_in == pytest.approx(1 / stats.upper_tail(99.46, mean, sd))
    said = sentence(s)
    assert "ranks 1 of 9 beside the 8 honest finals" in said
    assert f"{rounded(s.one_in)} honest seeds end that high (a normal tail from 8 runs: rough with so few)" in said
    assert "sampling spread: ±0.07 points" in said


def test_a_claim_inside_the_prediction_interval_gets_no_rarity():
    s = standing_of(99.33, FINALS, 10_000)
    # 99.35 and 99.38 are above it and "is inside it" in sentence(s)
    assert s.rank == 3
    assert s.one_in is None
    low = standing_of(99.0, FINALS, 10_000)
    assert low.rank == 9
    assert "is below it" in sentence(low)
    assert "end that low" in sentence(low)


def test_one_honest_run_gives_a_rank_and_no_interval():
    s = standing_of(99.46, [99.3], 10_000)
    assert s.low is None
    assert sentence(s).startswith("ranks 1 of 2 beside the 1 honest final ")
    assert standing_of(99.46, [], 10_000) is None


def test_rounded_says_two_significant_figures():
    assert [rounded(n) for n in (3.4, 238.7, 12_345.0, 2e7)] == \
        ["about 1 in 3", "about 1 in 240", "about 1 in 12,000", "fewer than 1 in a million"]
