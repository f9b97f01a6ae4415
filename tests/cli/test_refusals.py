"""Bad input refused everywhere: one line on stderr, exit 2, no traceback, and the output folder exactly as it
was, byte for byte. Starts from a folder that already holds a complete run (the case where there is most to lose)."""
import json
import os
import shutil

import pytest
import torch

from conftest import SMALL_RUN
from reproduce.cli import main
from reproduce.record.schema import find_reports, load


def run_here(argv, capsys):
    """`python -m reproduce ARGV` in this process (the refusals come before any training: no need to pay for a
    fresh interpreter each time); returns (exit code, stderr)."""
    threads = torch.get_num_threads()
    try:
        code = main([str(a) for a in argv])
    finally:
        torch.set_num_threads(threads)
    return code, capsys.readouterr().err


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


@pytest.mark.parametrize(("damage", "extra", "says"), [
    (tamper, [], "does not match its record_sha256"),
    (truncate, [], "not valid JSON"),
    (None, ["--epochs", "3"], "was made with another config (epochs 2 -> 3); use another --out, or --force"),
    (None, ["--lr", "0.02", "--batch-size", "64"], "(batch_size 128 -> 64, lr 0.01 -> 0.02)"),
    (None, ["--epochs", "0"], "--epochs must be at least 1"),
    (None, ["--batch-size", "-1"], "--batch-size must be at least 1"),
    (None, ["--seeds", "5-2"], "range '5-2' is empty"),
    ("data", ["--seeds", "0", "1"], "does not verify"),   # seed 1 is to train: the data is read (seed 0 alone is
])                                                      # complete, and a sweep with nothing to train reads none)
# Many arguments: pytest hands a test its fixtures and its parameters as arguments, so the list is as long as they are
def test_bad_input_leaves_the_folder_as_it_was(sweep, mnist_root, tmp_path, monkeypatch, capsys, damage, extra,  # noqa: PLR0913
                                               says):
    report = sweep / "seed-seed0.json"
    data_dir = mnist_root
    if damage == "data":
        data_dir = wrong_data_dir(tmp_path, mnist_root)
    elif damage:
        damage(report)
    before = snapshot(sweep)
    monkeypatch.setenv("MNIST_DATA_DIR", str(data_dir))
    code, err = run_here(["run", *SMALL_RUN, *extra, "--out", sweep], capsys)
    assert code == 2, err
    assert says in err, err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert snapshot(sweep) == before


def test_the_report_tool_refuses_a_tampered_report(sweep, capsys):
    tamper(sweep / "seed-seed0.json")
    code, err = run_here(["report", sweep], capsys)
    assert code == 2
    assert "does not match its record_sha256" in err
    assert str(sweep / "seed-seed0.json") in err


def test_an_output_that_cannot_be_a_folder_is_refused(mnist_root, tmp_path, monkeypatch, capsys):
    out = tmp_path / "taken"
    out.write_text("a file where the output folder should be")
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_root))
    code, err = run_here(["run", *SMALL_RUN, "--out", out], capsys)
    assert code == 2, err
    assert str(out) in err, err
    assert err.count("\n") == 1, err
    assert out.read_text() == "a file where the output folder should be"


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused(cli, sweep, mnist_root):
    before = snapshot(sweep)
    sweep.chmod(0o555)
    try:
        done = cli("run", *SMALL_RUN, "--epochs", "1", "--seeds", "1", "--out", sweep,
                   env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    finally:
        sweep.chmod(0o755)
    assert done.returncode == 2
    assert "Permission denied" in done.stderr
    assert done.stderr.count("\n") == 1
    assert snapshot(sweep) == before


@pytest.mark.slow
def test_force_moves_the_old_report_aside_and_never_deletes_it(cli, sweep, mnist_root):
    old = (sweep / "seed-seed0.json").read_bytes()
    done = cli("run", *SMALL_RUN, "--epochs", "1", "--force", "--out", sweep,
               env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    backups = list(sweep.glob("seed-seed0.replaced-*.json"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == old
    assert f"moved {sweep / 'seed-seed0.json'} aside to {backups[0]}" in done.stdout
    assert load(sweep / "seed-seed0.json").config["epochs"] == 1
    assert find_reports([sweep]) == [sweep / "seed-seed0.json"]  # a backup is not a second run of the folder
