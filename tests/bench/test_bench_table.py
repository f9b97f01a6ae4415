"""bench/table.py reads pytest-benchmark JSON and shows speed-ups computed within one run."""
import json

import pytest

from bench import table
from conftest import bench_forward as forward, bench_train as train


@pytest.fixture
def run_file(tmp_path):
    data = {"datetime": "now", "benchmarks": [
        forward("seed", "cpu", 128, "eager", 0.100), forward("seed", "cpu", 128, "compiled", 0.040),
        forward("seed", "cpu", 1, "eager", 0.002), forward("seed-fc", "cpu", 128, "folded", 0.050),
        train(0.5, reference_per_step=0.5)]}
    path = tmp_path / "Linux-CPython-3.11-64bit" / "0001_run.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    return path


def test_speedup_is_against_eager_of_the_same_model_device_and_batch(run_file):
    rows = {(r["model"], r["batch"], r["variant"]): r for r in table.forward_rows(table.load(run_file)["benchmarks"])}
    assert rows[("seed", 128, "compiled")]["speedup"] == pytest.approx(2.5)
    assert rows[("seed", 128, "compiled")]["images_per_s"] == pytest.approx(128 / 0.040)
    assert rows[("seed", 1, "eager")]["speedup"] == pytest.approx(1.0)
    assert rows[("seed-fc", 128, "folded")]["speedup"] is None  # no eager baseline for seed-fc in this run


def test_training_ratio_is_reference_over_trainer_per_step(run_file):
    rows = {r["loop"]: r for r in table.train_rows(table.load(run_file)["benchmarks"])}
    assert rows["trainer"]["seconds_per_step"] == pytest.approx(0.125)
    assert rows["trainer"]["seconds_per_epoch_derived"] == pytest.approx(0.125 * 469)
    assert rows["trainer"]["speedup"] == pytest.approx(4.0)
    assert rows["reference"]["speedup"] == pytest.approx(1.0)


def test_renders_both_tables_from_the_newest_run_in_a_folder(run_file, capsys):
    assert table.main([str(run_file.parent.parent)]) == 0
    out = capsys.readouterr().out
    assert "2.50x" in out
    assert "4.00x" in out
    assert "0001_run.json" in out


def test_no_run_or_a_wrong_file_is_one_line_and_exit_2(tmp_path, capsys):
    assert table.main([str(tmp_path / "empty")]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"benchmarks": [{"stats": {}}]}))
    assert table.main([str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert "make bench" in err[0]
    assert "not a pytest-benchmark JSON" in err[1]


def test_has_previous_looks_where_benchmark_compare_looks(run_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("pytest_benchmark.utils.get_machine_id", lambda: "Linux-CPython-3.11-64bit")
    assert table.main(["--has-previous", str(run_file.parent.parent)]) == 0
    assert table.main(["--has-previous", str(tmp_path / "nothing")]) == 2
    assert "no previous run" in capsys.readouterr().err


def test_several_runs_show_as_one_with_the_later_result_winning(run_file, tmp_path):
    first = table.load(run_file)
    second = json.loads(json.dumps(first))
    second["benchmarks"] = [b for b in second["benchmarks"] if b["extra_info"].get("variant") == "compiled"]
    second["benchmarks"][0]["stats"]["median"] = 0.020
    merged = table.merge([first, second])
    rows = {(r["model"], r["batch"], r["variant"]): r for r in table.forward_rows(merged["benchmarks"])}
    assert len(merged["benchmarks"]) == len(first["benchmarks"])
    assert rows[("seed", 128, "compiled")]["speedup"] == pytest.approx(5.0)


def test_the_convolutions_only_row_shows_the_ceiling_and_older_runs_have_none(run_file, tmp_path, capsys):
    data = table.load(run_file)
    rows = [r["loop"] for r in table.train_rows(data["benchmarks"])]
    assert rows == ["reference", "trainer"]  # a run from before the floor was measured
    data["benchmarks"][-1]["extra_info"]["convolutions_seconds_per_step"] = 0.05
    rows = {r["loop"]: r for r in table.train_rows(data["benchmarks"])}
    assert list(rows) == ["reference", "trainer", "convolutions only"]
    assert rows["convolutions only"]["speedup"] == pytest.approx(0.5 / 0.05)
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data))
    assert table.main([str(newer)]) == 0
    out = capsys.readouterr().out
    assert "convolutions only" in out
    assert "10.00x" in out


def test_the_augment_rows_show_their_share_of_a_step(run_file):
    data = table.load(run_file)
    data["benchmarks"][-1]["extra_info"].update(augment_seconds_per_batch=0.01, augment_share_of_step=0.08,
                                                augment_all_seconds_per_batch=0.02, augment_all_share_of_step=0.11)
    rows = {r["loop"]: r for r in table.train_rows(data["benchmarks"])}
    assert list(rows) == ["reference", "trainer", "augment (8%)", "all augments (11%)"]
    assert rows["all augments (11%)"]["seconds_per_step"] == 0.02


def test_the_bf16_trainer_row_is_against_the_same_models_reference(run_file):
    data = table.load(run_file)
    older = dict(data["benchmarks"][-1], extra_info=dict(data["benchmarks"][-1]["extra_info"]))
    data["benchmarks"][-1]["extra_info"].update(model="frontier", bf16_seconds_per_step=0.2)
    data["benchmarks"].append(older)   # a seed run without the bf16 row
    rows = {(r["model"], r["loop"]): r for r in table.train_rows(data["benchmarks"])}
    assert rows[("frontier", "trainer, bf16")]["speedup"] == pytest.approx(0.5 / 0.2)
    assert ("seed", "trainer, bf16") not in rows
    assert ("seed", "trainer") in rows
