"""`verify` of a run of a notebook as written (reproduce/sweep/verify_aswritten.py): the notebook's own code run
again with the report's seed and flags, its measured accuracies compared bit for bit. Refusals first (no kernel),
then a made-up notebook run and verified (a kernel each: slow)."""
import hashlib
import io
import json

import pytest
from rich.console import Console

from conftest import record, run_cli, write_report
from reproduce.errors import UsageError
from reproduce.record.schema import ReportError, load
from reproduce.sweep.verify import verify
from tests import nbfactory as f


def as_written_report(folder, notebook, sha=None, accs=(97.0, 98.0)):
    """A made-up report of `notebook` run as written, naming it by path and sha256 (its own, unless given)."""
    said = {"file": notebook.name, "path": str(notebook),
            "sha256": sha or hashlib.sha256(notebook.read_bytes()).hexdigest()}
    return write_report(folder, {**record(0, list(accs), model="answer.as-written"),
                                 "as_written": {"notebook": said, "epochs_limit": None, "train_limit": 256}})


def quiet():
    return Console(file=io.StringIO(), width=200)


# --- refused in one line, before anything runs -------------------------------------------------------------------


@pytest.mark.integration
def test_a_notebook_edited_after_the_run_is_refused_in_one_line(tmp_path):
    nb = f.seeded(tmp_path)
    path = as_written_report(tmp_path / "out", nb)
    nb.write_text(nb.read_text().replace("lr=0.05", "lr=0.1"))
    got = run_cli("verify", path)
    assert got.returncode == 2
    lines = got.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{nb} has changed since this run" in lines[0]
    assert got.stdout == ""


def test_a_notebook_that_is_gone_is_refused(tmp_path):
    nb = f.seeded(tmp_path)
    path = as_written_report(tmp_path / "out", nb)
    nb.unlink()
    with pytest.raises(ReportError, match=f"the notebook it ran, {nb}, is not there any more"):
        verify(path, console=quiet())


def test_a_report_that_does_not_say_where_its_notebook_is_is_refused(tmp_path):
    path = write_report(tmp_path, {**record(0, [97.0], model="answer.as-written"),
                                   "as_written": {"notebook": {"file": "answer.ipynb", "sha256": "ab" * 32}}})
    with pytest.raises(ReportError, match="does not say where answer.ipynb is"):
        verify(path, console=quiet())


@pytest.mark.parametrize("epochs", [0, 3])
def test_epochs_beyond_those_measured_are_refused(tmp_path, epochs):
    nb = f.seeded(tmp_path)
    path = as_written_report(tmp_path / "out", nb)
    with pytest.raises(UsageError, match=f"--epochs must be between 1 and 2 .*, got {epochs}"):
        verify(path, epochs=epochs, console=quiet())


# --- run and run again ---------------------------------------------------------------------------------------------


def run_as_written(nb, out, mnist_root):
    from reproduce.data.mnist import ensure_mnist
    from reproduce.sweep.aswritten import AsWrittenSweep, run_seeds
    info = ensure_mnist(mnist_root)
    sweep = AsWrittenSweep(nb.resolve(), [0], out, {}, "# made up\n",
                           {"root": str(info.root), "source": info.source, "sha256": info.sha256},
                           train_limit=256, threads=1)
    [path] = run_seeds(sweep, say=lambda line: None)
    return path


def tampered(path, epoch, delta):
    """The report with one epoch's accuracy moved, saved (and sealed) as the suite saves it."""
    report = load(path)
    report.epochs[epoch - 1].test_acc += delta
    report.save(path)
    return path


@pytest.mark.slow
def test_a_run_as_written_verifies_bit_for_bit_and_a_changed_figure_is_found(tmp_path, mnist_root):
    path = run_as_written(f.seeded(tmp_path, epochs=2), tmp_path / "out", mnist_root)
    assert load(path).status == "complete"
    assert len(load(path).epochs) == 2
    got = run_cli("verify", path, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert got.returncode == 0, got.stdout + got.stderr
    assert "epoch  1 identical" in got.stdout
    assert "epoch  2 identical" in got.stdout
    assert "match: the accuracies of epochs 1..2 identical bit for bit, and the run ends as the report says " \
           "(complete)" in got.stdout
    tampered(path, 2, 0.01)
    shown = quiet()
    assert verify(path, data_dir=mnist_root, console=shown) == 1
    said = shown.file.getvalue()
    assert "epoch  1 identical" in said
    assert "MISMATCH: first differing epoch 2: test_acc" in said


@pytest.mark.slow
def test_a_run_that_failed_verifies_when_it_fails_again_the_same_way(tmp_path, mnist_root):
    path = run_as_written(f.seeded(tmp_path, epochs=3, fail_at=2), tmp_path / "out", mnist_root)
    report = load(path)
    assert (report.status, report.reason) == ("failed", "cell 6: ValueError: loss is nan")
    shown = quiet()
    assert verify(path, data_dir=mnist_root, console=shown) == 0
    assert "the run ends as the report says (failed)" in shown.file.getvalue()
    # a report that says the run ended otherwise is a mismatch, even with the same accuracies
    data = json.loads(path.read_text())
    data["status"], data["reason"] = "complete", None
    write_report(path.parent, {k: v for k, v in data.items() if k != "reason"})
    shown = quiet()
    assert verify(path, data_dir=mnist_root, console=shown) == 1
    assert "MISMATCH: the run ends otherwise: status 'complete' (report) vs 'failed' (here)" in shown.file.getvalue()
