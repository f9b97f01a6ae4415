"""compare A B on two hand-made sweeps with known answers, and sweeps that cannot be compared."""
import json
import math

import pytest

from conftest import write_sweep
from reproduce.cli import main
from reproduce.report.stats import t_quantile

A = {0: 99.30, 1: 99.40, 2: 99.50}               # final accuracies by seed
B = {1: 99.45, 2: 99.60, 3: 99.60, 4: 99.70}


def sweep(folder, finals, model="seed", val=False):
    return write_sweep(folder, {seed: [99.0, final] for seed, final in finals.items()}, model, val)


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_two_sweeps_known_answers(capsys, tmp_path):
    a, b = sweep(tmp_path / "a", A), sweep(tmp_path / "b", B, model="seed-fc")
    code, out, err = run(capsys, "compare", a, b, "--format", "json")
    assert code == 0, err
    c = json.loads(out)
    assert c["a"]["mean"] == pytest.approx(99.40)
    assert c["b"]["mean"] == pytest.approx(99.5875)
    assert c["diff"] == pytest.approx(0.1875)
    # Welch by hand: var(A)/3 = 0.01/3; var(B)/4 from B's deviations (-.1375, .0125, .0125, .1125)
    va, vb = 0.01 / 3, (0.1375 ** 2 + 2 * 0.0125 ** 2 + 0.1125 ** 2) / 3 / 4
    df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 3)
    low, high, got_df = c["welch"]
    half = t_quantile(0.975, df) * math.sqrt(va + vb)
    assert got_df == pytest.approx(df)
    assert low == pytest.approx(0.1875 - half)
    assert high == pytest.approx(0.1875 + half)
    # seeds 1 and 2 are in both: B - A = 0.05 and 0.10
    assert [(s, round(d, 6)) for s, _, _, d in c["per_seed"]] == [(1, 0.05), (2, 0.1)]
    m, plow, phigh = c["paired"]
    assert m == pytest.approx(0.075)
    assert phigh - m == pytest.approx(12.706205 * 0.05 / 2, abs=1e-5)

    code, out, _ = run(capsys, "compare", a, b)
    assert code == 0
    assert "Welch 95% interval" in out
    assert "+0.188 points" in out
    assert "paired over 2 common seeds" in out
    assert "2/3" in out
    assert "4/4" in out


def test_sweeps_without_a_common_metric_or_with_mixed_models_are_refused(capsys, tmp_path):
    a, b = sweep(tmp_path / "a", A), sweep(tmp_path / "b", B, val=True)
    code, _, err = run(capsys, "compare", a, b, "--metric", "val-pick")
    assert code == 2
    assert "no common metric" in err
    assert str(a) in err
    assert err.count("\n") == 1
    assert run(capsys, "compare", b, b, "--metric", "val-pick")[0] == 0   # both have validation: fine
    sweep(tmp_path / "a" / "other", {0: 99.5}, model="seed-fc")
    code, _, err = run(capsys, "compare", a, b)
    assert code == 2
    assert "holds runs of 2 models" in err
    code, _, err = run(capsys, "compare", tmp_path / "empty-nothing", b)
    assert code == 2
    assert "no such file or folder" in err


def test_one_run_a_side_gives_the_difference_without_an_interval(capsys, tmp_path):
    a, b = sweep(tmp_path / "a", {0: 99.3}), sweep(tmp_path / "b", {0: 99.5})
    code, out, _ = run(capsys, "compare", a, b)
    assert code == 0
    assert "+0.200 points" in out
    assert "Welch needs at least two runs" in out
