"""`verify` re-runs a report here: exit 0 when bit-identical, 1 naming the first differing epoch and the
environment fields that differ, 2 for a report that cannot be trusted or a flag that cannot apply."""
import json
import math

import pytest

from reproduce.record.seal import seal

pytestmark = pytest.mark.slow   # every test re-trains a run: left out by make test-fast


def forged(small_report, tmp_path, change):
    """A copy of the report with `change` applied and the seal recomputed: what another machine (or a careful
    forger) would produce. load() accepts it; only re-running tells."""
    d = json.loads(small_report.read_text())
    change(d)
    path = tmp_path / small_report.name
    path.write_text(json.dumps(seal(d), indent=2))
    return path


def test_a_fresh_report_verifies_bit_for_bit_with_its_weights(cli, small_report):
    done = cli("verify", small_report)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "match: weights sha256 and metrics of epochs 1..2 identical bit for bit" in done.stdout


def test_a_prefix_verifies_without_the_weights(cli, small_report):
    done = cli("verify", small_report, "--epochs", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "epochs 1..1 identical" in done.stdout
    assert "weights not compared" in done.stdout


def test_a_mismatch_names_the_first_epoch_the_weights_and_the_environment(cli, small_report, tmp_path):
    def change(d):  # a one-epoch run of the same recipe, one bit off, with other weights, made with another torch
        d["config"]["epochs"] = 1
        d["epochs"] = d["epochs"][:1]
        d["epochs"][0]["test_loss"] = math.nextafter(d["epochs"][0]["test_loss"], 1.0)
        d["weights_sha256"] = "0" * 64
        d["environment"]["torch"] = "1.0.0"
    done = cli("verify", forged(small_report, tmp_path, change))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MISMATCH: first differing epoch 1: test_loss" in done.stdout
    assert "MISMATCH: weights sha256 " + "0" * 64 + " (report)" in done.stdout
    assert "environment differs from the report's: torch '1.0.0' -> '" in done.stdout


def test_a_tampered_report_is_refused_before_running(cli, small_report, tmp_path):
    d = json.loads(small_report.read_text())
    d["epochs"][1]["test_acc"] = 99.9  # edited by hand, seal left as it was
    path = tmp_path / small_report.name
    path.write_text(json.dumps(d))
    done = cli("verify", path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert str(path) in done.stderr
    assert "does not match its record_sha256" in done.stderr


def test_epochs_beyond_the_report_is_a_usage_error(cli, small_report):
    done = cli("verify", small_report, "--epochs", "3")
    assert done.returncode == 2
    assert "--epochs must be between 1 and 2" in done.stderr
    assert "Traceback" not in done.stderr
