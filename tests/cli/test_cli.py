"""The command line as a user meets it: a short run end to end, and misuse refused in one line."""
import json
import re

import pytest

from reproduce.cli import UsageError, parse_seeds
from reproduce.record.schema import load


def test_seed_lists_and_ranges():
    assert parse_seeds(["0-4"]) == [0, 1, 2, 3, 4]
    assert parse_seeds(["0", "1", "2"]) == [0, 1, 2]
    assert parse_seeds(["3", "5-6"]) == [3, 5, 6]
    for bad in (["5-2"], ["x"], ["1", "1"], ["-3"]):
        with pytest.raises(UsageError):
            parse_seeds(bad)


@pytest.mark.slow
def test_run_writes_a_complete_report_and_the_report_tool_reads_it(cli, mnist_root, tmp_path):
    out = tmp_path / "sweep"
    done = cli("run", "--model", "seed", "--seeds", "0", "1", "--epochs", "1", "--train-limit", "512",
               "--device", "cpu", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "epoch  1" in done.stdout
    files = sorted(p.name for p in out.iterdir())
    # only the reports: checkpoints are removed once a run is complete, lock files when a run lets go of its lock
    assert files == ["seed-seed0.json", "seed-seed1.json"]
    r = load(out / "seed-seed0.json")
    assert r.status == "complete"
    assert r.seed == 0
    assert r.params == 19_750
    assert len(r.epochs) == 1
    assert r.config["train_limit"] == 512
    assert r.audit["fully_connected"] is False
    assert r.data["source"] == "local"
    assert len(r.data["sha256"]) == 4
    assert r.environment["torch"]
    assert r.environment["torch_threads"] >= 1
    assert len(r.weights_sha256) == 64
    raw = json.loads((out / "seed-seed0.json").read_text())
    assert raw["schema_version"] == 1

    shown = cli("report", out)
    assert shown.returncode == 1  # one epoch on 512 images does not reach 99.4%
    assert re.search(r"some epoch ≥ 99.4 +0/2", shown.stdout)
    assert shown.stdout.count("some epoch ≥ 99.4") == 1
    assert "FC ✗" in shown.stdout


@pytest.mark.parametrize(("args", "says"), [
    (["run", "--model", "resnet"], "not a registered model (frontier, frontier-4k, frontier-8k, seed, seed-fc)"),
    (["run", "--seeds", "5-2"], "range '5-2' is empty"),
    (["run", "--epochs", "-1"], "--epochs must be at least 1"),
    (["run", "--epochs", "0"], "--epochs must be at least 1"),
    (["run", "--batch-size", "-1"], "--batch-size must be at least 1"),
    (["run", "--epochs", "many"], "invalid int value"),
    (["run", "--device", "tpu"], "invalid choice"),
    (["report", "/nonexistent/folder"], "no such file or folder"),
    (["fly"], "invalid choice"),
])
def test_misuse_is_one_line_and_exit_2(cli, args, says, tmp_path):
    done = cli(*args, "--out", tmp_path / "o") if args[0] == "run" else cli(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()  # nothing written on refusal
