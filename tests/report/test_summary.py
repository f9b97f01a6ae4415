"""The per-model summary and the validation-picked view, on hand-made records with known answers."""
import json
from pathlib import Path

import pytest

from conftest import record, write_report as write
from reproduce.record.schema import from_dict
from reproduce.record.seal import seal
from reproduce.report.check import check
from reproduce.report.stats import wilson
from reproduce.report.summary import summarise

# Five runs, target 99.4. Seeds 0-2 stay above it; seed 3 touches it then ends below; seed 4 never reaches it.
ACCS = {
    0: [99.0, 99.41, 99.45, 99.44, 99.50],   # first 2, final 99.50, last three all >= 99.4
    1: [99.2, 99.30, 99.40, 99.42, 99.40],   # first 3, final 99.40
    2: [99.4, 99.45, 99.46, 99.47, 99.48],   # first 1, final 99.48
    3: [99.1, 99.44, 99.41, 99.35, 99.38],   # first 2, final 99.38: ends below
    4: [99.0, 99.10, 99.20, 99.30, 99.30],   # never
}


def verdict(recs):
    return check([(Path(f"r{i}.json"), from_dict(seal(r), "test")) for i, r in enumerate(recs)])


def test_summary_figures():
    (s,) = summarise(verdict([record(seed, accs) for seed, accs in ACCS.items()]))
    assert (s.runs, s.passing, s.never_reaching) == (5, 4, 1)
    assert (s.pass_low, s.pass_high) == wilson(4, 5)     # wilson itself is checked in test_stats
    assert s.first_median == 2
    assert s.first_worst == 3
    assert s.final_mean == pytest.approx(99.412)
    assert s.final_min == 99.30
    # deviations from 99.412: .088 -.012 .068 -.032 -.112 -> squares sum .02608 -> sd sqrt(.02608 / 4)
    assert s.final_sd == pytest.approx((0.02608 / 4) ** 0.5)
    assert s.peak_mean == pytest.approx((99.50 + 99.42 + 99.48 + 99.44 + 99.30) / 5)
    assert s.stay_last3 == 3                                       # seeds 0, 1 and 2
    # 0, 1, 2 end >= 99.4
    assert s.final_passing == 3
    assert (s.final_pass_low, s.final_pass_high) == wilson(3, 5)
    assert s.spread_at_mean == pytest.approx(100 * (0.99412 * 0.00588 / 10_000) ** 0.5)
    assert s.val_runs == 0
    assert s.val_pick_mean is None
    assert s.imported == 0


def with_val(rec, vals):
    for e, v in zip(rec["epochs"], vals):
        e["val_acc"], e["val_loss"] = v, 0.02
    return rec


def test_the_epoch_is_picked_on_validation_and_its_test_accuracy_shown():
    a = with_val(record(0, [99.0, 99.50, 99.30]), [98.9, 99.1, 99.3])    # val picks epoch 3 -> test 99.30
    b = with_val(record(1, [99.0, 99.45, 99.40]), [98.9, 99.4, 99.4])    # tie: the earliest, epoch 2 -> 99.45
    v = verdict([a, b])
    runs = v.models[0].runs
    assert [(r.val_epoch, r.test_at_val) for r in runs] == [(3, 99.30), (2, 99.45)]
    assert [r.peak for r in runs] == [99.50, 99.45]        # the test-picked view stays beside it
    (s,) = summarise(v)
    assert s.val_runs == 2
    assert s.val_pick_mean == pytest.approx(99.375)
    assert s.val_pick_min == 99.30


def test_the_report_shows_both_views_labelled(cli, tmp_path):
    write(tmp_path, with_val(record(0, [99.0, 99.50, 99.30]), [98.9, 99.1, 99.3]))
    write(tmp_path, record(1, [99.0, 99.45, 99.41]))
    done = cli("report", tmp_path, env_extra={"COLUMNS": "100"})
    assert done.returncode == 0, done.stderr
    # the val-picked epoch
    assert "99.30@3" in done.stdout
    assert "val@ep" in done.stdout
    assert "peak on test" in done.stdout
    assert "picked on the test set" in done.stdout
    assert "test at val-picked epoch" in done.stdout
    assert "(1 runs)" in done.stdout
    assert "Wilson 95%: 34–100%" in done.stdout
    assert "binomial, n = 10,000" in done.stdout


def test_a_bad_val_field_is_named(cli, tmp_path):
    rec = with_val(record(0, [99.5]), ["high"])
    write(tmp_path, rec)
    done = cli("report", tmp_path)
    assert done.returncode == 2
    assert "epochs[0].val_acc should be float" in done.stderr


def test_old_reports_without_val_or_origin_still_load(tmp_path):
    rec = record(0, [99.5])
    assert "origin" not in rec
    assert "val_acc" not in rec["epochs"][0]
    r = from_dict(json.loads(json.dumps(seal(rec))), "old")
    assert r.origin == "trained"
    assert r.epochs[0].val_acc is None


def test_the_table_with_validation_fits_80_columns_at_19_epochs(capsys, monkeypatch, tmp_path):
    from reproduce.cli import main
    monkeypatch.setenv("COLUMNS", "80")
    for seed in range(2):
        write(tmp_path, with_val(record(seed, [99.41 + 0.01 * i for i in range(19)]), [99.0 + 0.01 * i for i in range(19)]))
    assert main(["report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    assert "99.59@19" in out
    assert max(len(l.rstrip()) for l in out.splitlines()) <= 80


def test_a_run_not_finished_is_in_no_figure_but_counted_apart():
    """A growing sweep: a run still training (its latest epoch 98.0 or 99.5) has no final epoch;
    its figures would be ones no run has. The summary is over the finished runs, the rest counted apart."""
    recs = [record(0, ACCS[0]), record(1, [98.0, 98.0], status="running", epochs=5),
            record(2, [99.5], status="running", epochs=5)]
    (s,) = summarise(verdict(recs))
    assert (s.runs, s.final_passing, s.passing, s.unfinished) == (1, 1, 1, 2)
    assert (s.final_mean, s.final_min, s.stay_last3) == (99.50, 99.50, 1)
    (alone,) = summarise(verdict([record(1, [98.0], status="running")]))
    assert (alone.runs, alone.final_passing, alone.final_mean, alone.unfinished) == (0, 0, None, 1)
    assert (alone.final_pass_low, alone.final_pass_high) == (0.0, 1.0)   # nothing known yet


def test_the_terminal_names_the_runs_not_counted(cli, tmp_path):
    write(tmp_path, record(0, [99.5]))
    write(tmp_path, record(1, [98.0], status="running", epochs=1))
    done = cli("report", tmp_path)
    assert done.returncode == 1    # a sweep with a run not finished has not passed yet
    assert "summary over 1 run(s) finished (1 more not finished)" in done.stdout
    assert "final epoch ≥ 99.4          1/1" in done.stdout
    assert "not counted" in done.stdout
