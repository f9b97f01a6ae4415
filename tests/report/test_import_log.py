"""import-log: a notebook's printed log becomes a report marked as imported, which the report tool checks."""
import hashlib
import json

import pytest

from conftest import REPO
from reproduce.cli import main
from reproduce.record.schema import load

SEED_DOC = REPO.parent / "shared" / "seed" / "000_0192b7319f0b9c22.txt"
needs_seed_doc = pytest.mark.skipif(not SEED_DOC.is_file(),
                                    reason=f"the seed document is not beside this checkout ({SEED_DOC})")

LOG = """\
Epoch 1
HBox(children=(FloatProgress(value=0.0, max=469.0), HTML(value='')))
loss=0.2 batch_id=468: 100%|##########| 469/469 [00:20<00:00, 22.6it/s]

Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)

HBox(children=(FloatProgress(value=0.0, max=469.0), HTML(value='')))
Test set: Average loss: 0.0205, Accuracy: 9941/10000 (99.41%)
some other print
Test set: Average loss: 0.0210, Accuracy: 9938/10000 (99.38%)
"""


@needs_seed_doc
def test_the_seed_document_imports_as_19_epochs_best_99_44_at_16_final_99_40(cli, tmp_path):
    done = cli("import-log", SEED_DOC, "--model", "seed", "--params", "19750", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    r = load(tmp_path / "seed-seed0.json")
    accs = r.test_accs
    assert len(accs) == 19
    assert max(accs) == 99.44
    assert accs.index(max(accs)) + 1 == 16
    assert accs[-1] == 99.40
    assert r.epochs[0].test_loss == 0.0749
    assert r.origin == "imported"
    assert r.status == "complete"
    assert r.weights_sha256 is None
    assert r.environment == {}
    assert r.train_seconds is None
    assert r.config["epochs"] == 19
    assert r.source == {"file": SEED_DOC.name, "sha256": hashlib.sha256(SEED_DOC.read_bytes()).hexdigest()}
    # the suite audits its own model
    assert r.audit["params"] == 19_750
    assert r.audit["batchnorm"] is True

    shown = cli("report", tmp_path, env_extra={"COLUMNS": "100"})
    assert shown.returncode == 0, shown.stderr
    row = next(l for l in shown.stdout.splitlines() if l.strip().startswith("0 "))
    assert row.split()[:6] == ["0", "19,750", "16", "99.44@16", "99.40", "99.29"]
    assert "imported from logs" in shown.stdout
    assert "1/1 runs" in shown.stdout


def test_noise_between_lines_is_ignored_and_missing_fields_stay_empty(cli, tmp_path):
    log = tmp_path / "log.txt"
    log.write_text(LOG)
    done = cli("import-log", log, "--model", "someones-net", "--params", "15000", "--seed", "3",
               "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    raw = json.loads((tmp_path / "out" / "someones-net-seed3.json").read_text())
    assert [e["test_acc"] for e in raw["epochs"]] == [98.77, 99.41, 99.38]
    for e in raw["epochs"]:   # a printed log says nothing of these: nothing is invented
        assert e["train_loss"] is None
        assert e["train_acc"] is None
        assert e["lr"] is None
        assert e["seconds"] is None
    assert raw["audit"] == {"params": 15000}
    assert raw["data"] == {"test_images": 10000}
    shown = cli("report", tmp_path / "out", "--format", "markdown")
    assert shown.returncode == 0   # reached 99.41 at epoch 2 (and ended below: the summary says so)
    # unknown, not assumed either way
    assert "BN ?" in shown.stdout
    assert "FC ?" in shown.stdout


@pytest.mark.parametrize(("text", "says"), [
    ("", "no epoch lines like 'Test set: Average loss"),
    ("Epoch 1\nloss=0.3 100%|####| 469/469\n", "no epoch lines"),
    ("Test set: Average loss: 0.04, Accuracy: 9877/10000 (98.70%)\n", "9877/10000 is 98.77%, but the line says 98.70%"),
    ("Test set: Average loss: 0.04, Accuracy: 98.77%\n", ":1: a 'Test set:' line not in the form"),
    ("Test set: Average loss: 0.04, Accuracy: 9877/10000 (98.77%)\n"
     "Test set: Average loss: 0.04, Accuracy: 4938/5000 (98.76%)\n", ":2: evaluated on 5000 images, earlier lines on 10000"),
    ("Test set: Average loss: 0.04, Accuracy: 10001/10000 (100.01%)\n", "10001/10000 is impossible"),
])
def test_malformed_logs_fail_in_one_line_and_write_nothing(capsys, tmp_path, text, says):
    # in-process (the CLI's own main): the same path as `python -m reproduce`, without a subprocess per case
    log = tmp_path / "log.txt"
    log.write_text(text)
    assert main(["import-log", str(log), "--model", "x", "--params", "100", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert str(log) in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def import_args(log, model, params, out):
    return ["import-log", str(log), "--model", model, "--params", str(params), "--out", str(out)]


def test_other_bad_input(capsys, tmp_path):
    log = tmp_path / "log.txt"
    log.write_text(LOG)
    assert main(import_args(tmp_path / "nope.txt", "x", 100, tmp_path)) == 2
    assert "nope.txt: cannot read" in capsys.readouterr().err
    assert main(import_args(log, "seed", 19000, tmp_path / "o")) == 2
    assert "model seed has 19750 parameters" in capsys.readouterr().err
    assert main(import_args(log, "x", 0, tmp_path / "o")) == 2
    assert "--params must be at least 1" in capsys.readouterr().err
    assert main(import_args(log, "x", 100, tmp_path / "o")) == 0
    before = (tmp_path / "o" / "x-seed0.json").read_bytes()
    assert main(import_args(log, "x", 100, tmp_path / "o")) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "o" / "x-seed0.json").read_bytes() == before   # nothing lost
