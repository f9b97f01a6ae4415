"""report --on validation: every summary figure from the validation split's accuracies, said as such in every
format; runs without a validation split refused in one line; several networks ranked by their worst seed."""
import csv
import io
import json
import statistics

import pytest

from conftest import record, write_report, write_sweep
from reproduce.cli import main
from reproduce.report.stats import wilson

# One network, three seeds, target 99.4: (test accuracies, validation accuracies) per epoch. The two splits
# disagree on purpose, so a figure taken from the wrong one shows.
RUNS = {
    0: ([99.0, 99.41, 99.45], [98.9, 99.20, 99.30]),   # validation: never reaches 99.4
    1: ([99.2, 99.30, 99.36], [99.1, 99.45, 99.52]),   # validation: first at epoch 2, final 99.52
    2: ([99.1, 99.44, 99.47], [99.4, 99.46, 99.48]),   # validation: first at epoch 1, stays above
}
VAL_FINALS = [99.30, 99.52, 99.48]


def val_record(seed, test_accs, val_accs, model="net", status="complete"):
    """A run report as `run --val-split 10000` writes it; a running one of a 2-epoch sweep."""
    rec = record(seed, test_accs, status=status, model=model, epochs=2 if status == "running" else None)
    rec["config"]["val_split"] = 10_000
    rec["data"]["val_images"] = 10_000
    for e, v in zip(rec["epochs"], val_accs):
        e["val_acc"], e["val_loss"] = v, 0.02
    return rec


def write_val_sweep(folder, runs, model="net"):
    for seed, (test_accs, val_accs) in runs.items():
        write_report(folder, val_record(seed, test_accs, val_accs, model=model))
    return folder


@pytest.fixture
def sweep(tmp_path):
    return write_val_sweep(tmp_path / "net", RUNS)


def report(capsys, *args):
    code = main(["report", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def summary_json(capsys, *args):
    _, out, _ = report(capsys, *args, "--format", "json")
    data = json.loads(out)
    (m,) = data["models"]
    return data, m


def test_every_summary_figure_comes_from_the_validation_accuracies(capsys, sweep):
    data, m = summary_json(capsys, sweep, "--on", "validation")
    s = m["summary"]
    assert data["on"] == "validation"
    assert (s["passing"], s["final_passing"], s["never_reaching"]) == (2, 2, 1)
    assert (s["final_pass_low"], s["final_pass_high"]) == pytest.approx(wilson(2, 3))
    assert (s["first_median"], s["first_worst"]) == (1.5, 2)
    assert s["final_mean"] == pytest.approx(statistics.mean(VAL_FINALS))
    assert s["final_sd"] == pytest.approx(statistics.stdev(VAL_FINALS))
    assert s["final_min"] == 99.30
    assert s["peak_mean"] == pytest.approx(statistics.mean([99.30, 99.52, 99.48]))
    assert s["stay_last3"] == 1
    assert s["val_images"] == 10_000
    assert [r["val_accs"] for r in m["runs"]] == [v for _, v in RUNS.values()]
    assert [r["final"] for r in m["runs"]] == VAL_FINALS
    # the decision reads the validation finals too: seeds 1 and 2 end at or above the target
    assert m["decision"]["pass_rate"]["seeds"] == 3


def test_the_test_set_is_not_read_on_validation(capsys, sweep):
    _, m = summary_json(capsys, sweep, "--on", "validation")
    names = set(m["summary"]) | {k for r in m["runs"] for k in r}
    assert not names & {"test_accs", "test_images", "test_at_val", "val_pick_mean", "val_epoch"}


def test_without_the_flag_the_figures_are_the_test_sets(capsys, sweep):
    data, m = summary_json(capsys, sweep)
    assert "on" not in data
    assert "ranking" not in data
    assert m["summary"]["final_min"] == 99.36
    assert m["summary"]["final_passing"] == 2
    assert [r["test_accs"] for r in m["runs"]] == [t for t, _ in RUNS.values()]


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_on_test_is_the_default_byte_for_byte(capsys, sweep, fmt):
    assert report(capsys, sweep, "--format", fmt) == report(capsys, sweep, "--format", fmt, "--on", "test")


def test_the_table_says_its_figures_are_on_the_validation_split(capsys, sweep):
    code, out, _ = report(capsys, sweep, "--on", "validation")
    assert code == 1   # seed 0 never reaches the target on the validation split
    flat = " ".join(out.split())
    assert "net: 19,750 parameters — target 99.4% within 19 epochs — on the validation split" in flat
    assert "net: summary over 3 run(s) — on the validation split" in flat
    assert "val acc per epoch" in flat
    assert "Every figure here is on the validation split" in flat
    assert "peak on validation" in flat
    assert "n = 10,000 validation images" in flat
    assert "final: mean ± sd, min 99.43 ± 0.12, min 99.30" in flat
    assert "test" not in flat.replace("the test set is not read", "")


def test_markdown_says_its_figures_are_on_the_validation_split(capsys, sweep):
    _, out, _ = report(capsys, sweep, "--on", "validation", "--format", "markdown")
    lines = out.splitlines()
    assert lines[0] == "### net: 19,750 parameters, target 99.4% within 19 epochs — on the validation split"
    assert "| final epoch ≥ 99.4 | 2/3  (Wilson 95%: 21–94%) |" in lines
    assert "| 1 | 2 | 99.52@3 | 99.52 | 99.10 | ✓ |" in lines
    assert "Every figure here is on the validation split" in lines[-1]
    assert not any("test at val-picked epoch" in line for line in lines)


def test_csv_leads_with_the_split(capsys, sweep):
    _, out, _ = report(capsys, sweep, "--on", "validation", "--format", "csv")
    reader = csv.DictReader(io.StringIO(out))
    (row,) = list(reader)
    assert reader.fieldnames[0] == "on"
    assert row["on"] == "validation"
    assert row["final_min"] == "99.3"
    assert row["val_images"] == "10000"
    assert not {"test_images", "val_pick_mean", "val_runs"} & set(reader.fieldnames)


def test_the_exit_code_is_the_validation_verdict(capsys, tmp_path):
    folder = write_val_sweep(tmp_path / "ok", {0: ([99.0, 99.1], [99.2, 99.5])})
    assert report(capsys, folder)[0] == 1                      # the test set never reaches 99.4
    assert report(capsys, folder, "--on", "validation")[0] == 0


def test_runs_without_a_validation_split_are_refused_in_one_line(capsys, tmp_path):
    folder = write_sweep(tmp_path / "plain", {0: [99.5], 1: [99.5]})
    code, out, err = report(capsys, folder, "--on", "validation")
    assert code == 2
    assert out == ""
    assert err == f"error: {folder}: 2 runs have no validation split (--val-split); --on validation needs it\n"


def test_one_run_without_validation_among_others_is_named_by_its_folder(capsys, tmp_path):
    good = write_val_sweep(tmp_path / "good", RUNS)
    bad = tmp_path / "bad"
    write_report(bad, record(0, [99.5], model="other"))
    code, out, err = report(capsys, good, bad, "--on", "validation")
    assert (code, out) == (2, "")
    assert err == f"error: {bad}: 1 run has no validation split (--val-split); --on validation needs it\n"


# Three candidates: "steady" has the best worst seed, "lucky" the best mean but one bad seed.
CANDIDATES = {
    "steady": {0: ([99.0] * 2, [99.3, 99.42]), 1: ([99.0] * 2, [99.3, 99.44]), 2: ([99.0] * 2, [99.3, 99.43])},
    "lucky": {0: ([99.0] * 2, [99.3, 99.60]), 1: ([99.0] * 2, [99.3, 99.62]), 2: ([99.0] * 2, [99.3, 99.20])},
    "weak": {0: ([99.0] * 2, [99.3, 99.30]), 1: ([99.0] * 2, [99.3, 99.31]), 2: ([99.0] * 2, [99.3, 99.32])},
}


@pytest.fixture
def screen(tmp_path):
    for name, runs in CANDIDATES.items():
        write_val_sweep(tmp_path / name, runs, model=name)
    return tmp_path


def test_candidates_are_ranked_by_their_worst_seed(capsys, screen):
    data = json.loads(report(capsys, screen, "--on", "validation", "--format", "json")[1])
    ranking = data["ranking"]
    assert [(r["rank"], r["group"], r["final_min"]) for r in ranking] == [
        (1, "steady", 99.42), (2, "weak", 99.30), (3, "lucky", 99.20)]
    _, out, _ = report(capsys, screen, "--on", "validation")
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["1"], ["2"], ["3"])]
    assert [row[-1] for row in rows[-3:]] == ["steady", "weak", "lucky"]
    assert "ranked by the worst seed's final validation accuracy" in out


def test_the_markdown_ranking_lists_every_candidate_in_order(capsys, screen):
    _, out, _ = report(capsys, screen, "--on", "validation", "--format", "markdown")
    lines = out.splitlines()
    start = lines.index("### ranked by the worst seed's final validation accuracy")
    assert lines[start + 2] == "| rank | worst | mean ± sd | final≥ | done | params | network |"
    assert lines[start + 4].startswith("| 1 | 99.42 |")
    assert lines[start + 4].endswith("| steady |")
    assert lines[start + 6].endswith("| lucky |")


def test_a_candidate_still_training_is_not_ranked_yet(capsys, screen):
    write_report(screen / "steady", val_record(3, [99.0], [99.9], model="steady", status="running"))
    data = json.loads(report(capsys, screen, "--on", "validation", "--format", "json")[1])
    assert [(r["rank"], r["group"]) for r in data["ranking"]] == [(1, "weak"), (2, "lucky"), (None, "steady")]
    _, out, _ = report(capsys, screen, "--on", "validation")
    assert "not ranked until every run of the network has finished" in " ".join(out.split())


def test_on_the_test_set_nothing_is_ranked(capsys, screen):
    _, out, _ = report(capsys, screen)
    assert "ranked by" not in out


def test_the_plot_names_the_validation_split(sweep):
    pytest.importorskip("matplotlib", reason="matplotlib (the plot extra, part of dev) is not installed")
    from reproduce.record.schema import find_reports, load
    from reproduce.report.check import check
    from reproduce.report.plot import draw
    fig = draw(check([(p, load(p)) for p in find_reports([sweep])], on="validation"))
    curves, hist = fig.axes
    assert curves.get_ylabel() == "validation accuracy (%)"
    assert hist.get_xlabel() == "final validation accuracy (%)"
    assert [list(line.get_ydata()) for line in curves.get_lines()[:3]] == [v for _, v in RUNS.values()]


def test_a_report_without_the_split_size_still_gives_every_accuracy_figure(capsys, tmp_path):
    # write_sweep's val figures: no config.val_split nor data.val_images, so no binomial spread can be given
    folder = write_sweep(tmp_path / "old", {0: [99.5, 99.6]}, val=True)
    code, out, _ = report(capsys, folder, "--on", "validation", "--format", "markdown")
    assert code == 1   # 99.0 on validation
    assert "| one run's sampling spread | — |" in out.splitlines()
    assert "| final: mean ± sd, min | 99.00 (one run), min 99.00 |" in out.splitlines()
