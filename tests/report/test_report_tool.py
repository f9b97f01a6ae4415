"""The checker and its view on hand-made records with known answers."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import record, write_report as write


def test_passing_runs_exit_0_with_first_epoch_peak_final_and_summary(cli, tmp_path):
    write(tmp_path, record(0, [99.0, 99.41, 99.48, 99.45]))
    write(tmp_path, record(1, [99.1, 99.2, 99.40, 99.35]))
    done = cli("report", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    row0 = next(l for l in lines if l.strip().startswith("0 "))
    assert row0.split()[:6] == ["0", "19,750", "2", "99.48@3", "99.45", "99.41"]
    row1 = next(l for l in lines if l.strip().startswith("1 "))
    assert row1.split()[2] == "3"  # exactly 99.40 counts as reaching 99.4
    assert re.search(r"some epoch ≥ 99.4 +2/2", done.stdout)
    assert done.stdout.count("some epoch ≥ 99.4") == 1
    assert "99.40 ± 0.07, min 99.35" in done.stdout
    assert "99.44 ± 0.06  (picked on the test set)" in done.stdout
    assert "FC ✗" in done.stdout
    assert "epochs < 20 ✓" in done.stdout
    assert "test set" in done.stdout
    assert "peak" in done.stdout


def test_a_run_below_target_fails_with_exit_1(cli, tmp_path):
    write(tmp_path, record(0, [99.0, 99.45]))
    write(tmp_path, record(1, [99.0, 99.39]))
    done = cli("report", tmp_path)
    assert done.returncode == 1
    assert re.search(r"some epoch ≥ 99.4 +1/2", done.stdout)


def test_the_target_must_be_reached_within_max_epochs(cli, tmp_path):
    write(tmp_path, record(0, [99.0] * 19 + [99.5], epochs=20))
    done = cli("report", tmp_path)
    assert done.returncode == 1
    assert "epochs < 20 ✗" in done.stdout
    assert cli("report", tmp_path, "--max-epochs", "20").returncode == 0


def test_an_incomplete_run_is_not_a_pass(cli, tmp_path):
    write(tmp_path, record(0, [99.5], status="running"))
    done = cli("report", tmp_path)
    assert done.returncode == 1
    assert "running" in done.stdout


def test_models_are_checked_separately_with_their_audit(cli, tmp_path):
    write(tmp_path / "a", record(0, [99.5]))
    write(tmp_path / "b", record(0, [99.5], model="seed-fc", params=19_860, fc=True))
    done = cli("report", tmp_path)
    assert done.returncode == 0
    assert "seed-fc: 19,860 parameters" in done.stdout
    assert "FC ✓" in done.stdout
    assert "FC ✗" in done.stdout


@pytest.mark.parametrize(("content", "says"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a run report"),
    (json.dumps({**record(0, [99.5]), "schema_version": 99}), "schema_version 99"),
    (json.dumps({k: v for k, v in record(0, [99.5]).items() if k != "seed"}), "missing field 'seed'"),
    (json.dumps({**record(0, [99.5]), "params": "many"}), "field 'params' should be int"),
    (json.dumps({**record(0, [99.5]), "status": "done"}), "status 'done'"),
])
def test_malformed_reports_name_the_file_and_exit_2(cli, tmp_path, content, says):
    path = tmp_path / "seed-seed0.json"
    path.write_text(content)
    done = cli("report", tmp_path)
    assert done.returncode == 2
    assert says in done.stderr
    assert str(path) in done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_a_malformed_epoch_is_named(cli, tmp_path):
    rec = record(0, [99.5, 99.6])
    rec["epochs"][1]["test_acc"] = "high"
    path = write(tmp_path, rec)
    done = cli("report", path)
    assert done.returncode == 2
    assert "epochs[1].test_acc" in done.stderr


def test_a_folder_without_reports_is_bad_input(cli, tmp_path):
    (tmp_path / "bench.json").write_text("{}")  # not a run report: folders only yield <model>-seed<k>.json
    done = cli("report", tmp_path)
    assert done.returncode == 2
    assert "no run reports" in done.stderr


@pytest.mark.parametrize(("accs", "verdict"), [([99.0, 99.45, 99.5], 0), ([99.0, 99.1, 99.2], 1)])
@pytest.mark.integration   # starts a process
def test_a_reader_that_stops_early_leaves_the_verdict_and_no_error(tmp_path, accs, verdict):
    # `report | head`: 400 runs make far more output than a pipe holds, so the pipe does break
    from conftest import REPO
    for seed in range(400):
        write(tmp_path, record(seed, accs))
    proc = subprocess.Popen([sys.executable, "-m", "reproduce", "report", str(tmp_path)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=120) == verdict
    assert proc.stderr.read() == ""
