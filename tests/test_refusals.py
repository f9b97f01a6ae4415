"""Bad input refused everywhere: one line on stderr, exit 2, no traceback, and the output folder exactly as it
was, byte for byte. Starts from a folder that already holds a complete run (the case where there is most to lose)."""
import json
import os
import shutil

import pytest

from conftest import SMALL_RUN
from reproduce.record import load


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def sweep(small_report, tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    shutil.copy(small_report, out / small_report.name)
    return out


def tamper(report):
    d = json.loads(report.read_text())
    d["epochs"][0]["test_acc"] = 99.9  # a number changed by hand; the seal was not recomputed
    report.write_text(json.dumps(d, indent=2))


def truncate(report):
    data = report.read_bytes()
    report.write_bytes(data[: len(data) // 2])


def wrong_data_dir(tmp_path, mnist_root):
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in os.listdir(mnist_root / "MNIST" / "raw"):
        (raw / name).symlink_to(mnist_root / "MNIST" / "raw" / name)
    (raw / "t10k-labels-idx1-ubyte").unlink()
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"\0" * 10008)
    return tmp_path / "data"


@pytest.mark.parametrize("damage, extra, says", [
    (tamper, [], "does not match its record_sha256"),
    (truncate, [], "not valid JSON"),
    (None, ["--epochs", "3"], "was made with another config (epochs 2 -> 3); use another --out, or --force"),
    (None, ["--lr", "0.02", "--batch-size", "64"], "(batch_size 128 -> 64, lr 0.01 -> 0.02)"),
    (None, ["--epochs", "0"], "--epochs must be at least 1"),
    (None, ["--batch-size", "-1"], "--batch-size must be at least 1"),
    (None, ["--seeds", "5-2"], "range '5-2' is empty"),
    ("data", [], "does not verify"),
])
def test_bad_input_leaves_the_folder_as_it_was(cli, sweep, mnist_root, tmp_path, damage, extra, says):
    report = sweep / "seed-seed0.json"
    data_dir = mnist_root
    if damage == "data":
        data_dir = wrong_data_dir(tmp_path, mnist_root)
    elif damage:
        damage(report)
    before = snapshot(sweep)
    done = cli("run", *SMALL_RUN, *extra, "--out", sweep, env_extra={"MNIST_DATA_DIR": str(data_dir)})
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(sweep) == before


def test_the_report_tool_refuses_a_tampered_report(cli, sweep):
    tamper(sweep / "seed-seed0.json")
    done = cli("report", sweep)
    assert done.returncode == 2 and "does not match its record_sha256" in done.stderr


def test_an_output_that_cannot_be_a_folder_is_refused(cli, mnist_root, tmp_path):
    out = tmp_path / "taken"
    out.write_text("a file where the output folder should be")
    done = cli("run", *SMALL_RUN, "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 2 and str(out) in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert out.read_text() == "a file where the output folder should be"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused(cli, sweep, mnist_root):
    before = snapshot(sweep)
    sweep.chmod(0o555)
    try:
        done = cli("run", *SMALL_RUN, "--epochs", "1", "--seeds", "1", "--out", sweep,
                   env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    finally:
        sweep.chmod(0o755)
    assert done.returncode == 2 and "Permission denied" in done.stderr and done.stderr.count("\n") == 1
    assert snapshot(sweep) == before


def test_force_moves_the_old_report_aside_and_never_deletes_it(cli, sweep, mnist_root):
    old = (sweep / "seed-seed0.json").read_bytes()
    done = cli("run", *SMALL_RUN, "--epochs", "1", "--force", "--out", sweep,
               env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    backups = list(sweep.glob("seed-seed0.replaced-*.json"))
    assert len(backups) == 1 and backups[0].read_bytes() == old
    assert f"moved {sweep / 'seed-seed0.json'} aside to {backups[0]}" in done.stdout
    assert load(sweep / "seed-seed0.json").config["epochs"] == 1
    shown = cli("report", sweep)  # a folder counts run files only: the backup is not a second run
    assert "seed: 19,750 parameters" in shown.stdout and shown.stdout.count("complete") <= 1
