"""What a hostile new user tries that the suite must refuse in one line (exit 2), with nothing written: flags out
of range, options that would be ignored, reports that cannot be, however well sealed."""
import json
import os

import pytest

from reproduce.cli import main
from reproduce.record.schema import ReportError, load
from reproduce.record.seal import seal


def refused(argv, capsys, says):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert says in err, err
    assert err.count("\n") == 1, err
    return err


def test_a_huge_seed_range_is_refused_before_any_list_is_built(tmp_path, capsys):
    refused(["run", "--seeds", "0-99999999", "--out", tmp_path / "o"], capsys, "100,000,000 seeds; at most 10,000")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [["run"], ["check", "nb.ipynb"], ["import-log", "log.txt", "--model", "x"]])
def test_an_empty_out_is_refused_not_taken_as_the_current_folder(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused([*command, "--out", ""], capsys, "--out: is empty")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["run"], ["check", "nb.ipynb"]])
def test_an_empty_model_is_refused_not_taken_as_the_default(command, tmp_path, capsys):
    refused([*command, "--model", "", "--out", tmp_path / "o"], capsys, "--model: is empty")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("spec", ["reproduce.cli:main", "reproduce:main", "reproduce.model.spec:check"])
def test_the_suites_own_code_is_refused_as_a_network(spec, tmp_path, capsys):
    refused(["run", "--model", spec, "--out", tmp_path / "o"], capsys, "is the suite's own code, not a network")
    assert not (tmp_path / "o").exists()


def test_a_missing_report_is_said_in_the_suites_one_wording(tmp_path, capsys):
    err = refused(["verify", tmp_path / "gone-seed0.json"], capsys, "gone-seed0.json: cannot read (No such file")
    assert "Errno" not in err


def test_a_data_dir_that_is_a_file_is_refused_before_any_download(tmp_path, capsys):
    file = tmp_path / "mnist.bin"
    file.write_text("")
    refused(["data", "--data-dir", file], capsys, "is a file; a folder is needed")
    refused(["run", "--data-dir", file, "--out", tmp_path / "o"], capsys, "is a file; a folder is needed")


def test_approximate_with_a_toml_recipe_is_refused_not_ignored(tmp_path, capsys):
    refused(["run", "--approximate", "--recipe", "model/seed.toml", "--out", tmp_path / "o"], capsys,
            "--approximate leaves out of a notebook's drafted recipe")


@pytest.mark.parametrize(("flag", "value", "says"), [("--seed", "-1", "must be at least 0"),
                                               ("--seed", "4294967296", "must be at most 4294967295"),
                                               ("--model", "", "--model: is empty")])
def test_import_log_refuses_a_seed_or_name_no_file_could_carry(flag, value, says, tmp_path, capsys):
    log = tmp_path / "log.txt"
    log.write_text("Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)\n")
    argv = ["import-log", log, "--model", "x", "--params", "100", "--out", tmp_path / "o", flag, value]
    refused(argv, capsys, says)
    assert not (tmp_path / "o").exists()


def test_verify_of_an_imported_run_says_it_cannot_be_rerun(tmp_path, capsys):
    log = tmp_path / "log.txt"
    log.write_text("Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)\n")
    assert main(["import-log", log, "--model", "theirs", "--params", "100", "--out", tmp_path]) == 0
    capsys.readouterr()
    refused(["verify", tmp_path / "theirs-seed0.json"], capsys, "an imported run (read from a log by import-log)")


def test_a_folder_that_cannot_be_read_is_said_so(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    # As the user would see it (root reads every folder, so the answer is made the user's here)
    monkeypatch.setattr(os, "access", lambda path, mode: str(path) != str(folder))
    refused(["report", folder], capsys, "cannot read this folder")


def resealed(small_report, tmp_path, change, name=None):
    d = json.loads(small_report.read_text())
    change(d)
    path = tmp_path / (name or small_report.name)
    path.write_text(json.dumps(seal(d), indent=2))
    return path


IMPOSSIBLE = {
    "accuracy above 100": (lambda d: d["epochs"][0].update(test_acc=100.5), "not a percentage in 0..100"),
    "negative accuracy": (lambda d: d["epochs"][0].update(test_acc=-3.0), "not a percentage in 0..100"),
    "complete with no epochs": (lambda d: d.update(epochs=[]), "status complete, but no epoch is recorded"),
    "seed out of range": (lambda d: d.update(seed=-1), "seed -1 is outside"),
}


@pytest.mark.parametrize("case", sorted(IMPOSSIBLE))
def test_a_resealed_report_with_impossible_content_is_refused(case, small_report, tmp_path, capsys):
    change, says = IMPOSSIBLE[case]
    path = resealed(small_report, tmp_path, change)
    with pytest.raises(ReportError, match=says):
        load(path)
    refused(["report", path], capsys, says)


def test_a_report_whose_file_names_another_seed_is_refused(small_report, tmp_path):
    path = resealed(small_report, tmp_path, lambda d: d.update(seed=5))
    assert path.name == "seed-seed0.json"
    with pytest.raises(ReportError, match="holds seed seed 5, whose file would be seed-seed5.json"):
        load(path)


@pytest.mark.parametrize(("lines", "pattern", "says"), [
    ("epoch 1 test_acc=0.99\nepoch 2 test_acc=1.5\n", None, "1.5 reads as a percentage, but an earlier line's 0.99 as a fraction"),
    ("Test accuracy: good\n", r"Test accuracy: (?P<acc>\w+)", "the acc group caught 'good', not a number"),
    ("Epoch one: 99.1\n", r"Epoch (?P<epoch>\w+): (?P<acc>[\d.]+)", "the epoch group caught 'one', not a number"),
])
def test_import_log_refuses_two_units_or_a_group_that_caught_a_word(lines, pattern, says, tmp_path, capsys):
    log = tmp_path / "log.txt"
    log.write_text(lines)
    extra = ["--pattern", pattern] if pattern else []
    refused(["import-log", log, "--model", "x", "--params", "100", "--out", tmp_path / "o", *extra], capsys, says)
    assert not (tmp_path / "o").exists()
