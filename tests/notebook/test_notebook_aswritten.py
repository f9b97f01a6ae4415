"""A notebook checked as written (reproduce/notebook/aswritten/): its own code in full in a kernel, the seed
injected, the accuracy measured by the suite after each training pass. Made-up notebooks (tests/nbfactory.py)
with a tiny network on 512 training images, one or two epochs: a few seconds each, in a kernel."""
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from importlib.metadata import version

import nbformat
import numpy as np
import pytest
import torch

from conftest import record, run_cli, write_report
from reproduce.notebook.aswritten import measure, runner, seeding
from reproduce.record.schema import load
from tests import nbfactory as f


def as_written(path, mnist_root, seed=0, **kw):
    kw.setdefault("train_limit", 512)
    return runner.run(path, runner.Options(seed=seed, data_root=str(mnist_root), threads=1, **kw))


# --- fast: no kernel ------------------------------------------------------------------------------------------


def test_the_injected_seed_wins_over_every_seeding_call(monkeypatch):
    for module, name in ((torch, "manual_seed"), (torch.random, "manual_seed"), (torch.cuda, "manual_seed"),
                         (torch.cuda, "manual_seed_all"), (torch, "Generator"), (torch, "use_deterministic_algorithms"),
                         (random, "seed"), (np.random, "seed"), (np.random, "default_rng"),
                         (np.random, "RandomState")):
        monkeypatch.setattr(module, name, getattr(module, name))
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        seeding.inject(7)
        torch.manual_seed(1)
        random.seed(1)
        np.random.seed(1)
        drawn = (torch.rand(1).item(), random.random(), np.random.rand(),
                 np.random.default_rng(1).random(), np.random.RandomState(1).rand(),
                 torch.rand(1, generator=torch.Generator().manual_seed(1)).item())
        assert torch.are_deterministic_algorithms_enabled()
        # the libraries' own seeding keeps its seed: a shuffling loader's order is new each epoch
        sampler = torch.utils.data.RandomSampler(range(20))
        assert list(sampler) != list(sampler)
    finally:
        torch._C._set_deterministic_algorithms(was_deterministic)
    ref = torch.Generator().manual_seed(7)
    assert drawn == (torch.rand(1, generator=ref).item(), random.Random(7).random(),
                     np.random.RandomState(7).rand(), np.random.default_rng(7).random(),
                     np.random.RandomState(7).rand(), torch.rand(1, generator=ref.manual_seed(7)).item())


def test_measuring_restores_each_modules_mode_and_the_random_generators():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.5), torch.nn.Linear(4, 3))
    net.train()
    net[1].eval()

    class Images:
        images = torch.randn(5, 1, 2, 2)
        labels = torch.tensor([0, 1, 2, 0, 1])
    state = torch.get_rng_state()
    got = measure.measure(net, Images)
    assert (net.training, net[1].training, net[2].training) == (True, False, True)
    assert torch.equal(torch.get_rng_state(), state)
    with torch.no_grad():
        net.eval()
        assert got.correct == int((net(Images.images).argmax(1) == Images.labels).sum())
    assert got.total == 5


# --- slow: a kernel each --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_seed_injected_twice_the_same_and_the_measure_is_the_saved_weights(tmp_path, mnist_root):
    weights = tmp_path / "weights.pt"
    nb = f.seeded(tmp_path, epochs=2, save=weights)
    first = as_written(nb, mnist_root, seed=3)
    assert first.failure is None
    assert not first.stopped
    assert [e.epoch for e in first.epochs] == [1, 2]
    saved = torch.load(weights)   # the next runs save theirs in the same place
    again = as_written(nb, mnist_root, seed=3)
    other = as_written(nb, mnist_root, seed=4)
    assert [e.accuracy for e in again.epochs] == [e.accuracy for e in first.epochs]
    assert [e.accuracy for e in other.epochs] != [e.accuracy for e in first.epochs]
    # the notebook's own `torch.manual_seed(1)` drew nothing of its own: its first draws are the injected seed's
    ref = torch.Generator().manual_seed(3)
    assert f"first draw {torch.rand(1, generator=ref).item()} {np.random.RandomState(3).rand()} " \
           f"{random.Random(3).random()}" in first.executed
    # its printed figures kept beside the measured ones: here the same test, so the same numbers
    assert first.printed == [e.accuracy for e in first.epochs]
    # a plain evaluation of the weights the notebook saved
    namespace = {"nn": torch.nn, "F": torch.nn.functional}
    exec(f.TINY_NET, namespace)
    net = namespace["Net"]()
    net.load_state_dict(saved)
    net.eval()
    from torchvision import datasets, transforms
    test_set = datasets.MNIST(str(mnist_root), train=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]))
    with torch.no_grad():
        images = torch.stack([test_set[i][0] for i in range(len(test_set))])
        correct = int((net(images).argmax(1) == test_set.targets).sum())
    assert (first.epochs[-1].correct, first.epochs[-1].total) == (correct, 10_000)


@pytest.mark.slow
def test_epochs_stop_the_loop_after_its_passes_with_the_last_test_printed(tmp_path, mnist_root):
    nb = f.seeded(tmp_path, epochs=3)
    got = as_written(nb, mnist_root, epochs=1)
    assert got.stopped
    assert got.failure is None
    assert [e.epoch for e in got.epochs] == [1]
    assert len(got.printed) == 1


@pytest.mark.slow
def test_a_loop_that_errors_at_epoch_2_is_a_failure_with_its_cell(tmp_path, mnist_root):
    nb = f.seeded(tmp_path, epochs=3, fail_at=2)
    got = as_written(nb, mnist_root)
    assert got.failure is not None
    assert got.failure.cell == 6
    assert got.failure.what == "ValueError: loss is nan"
    assert [e.epoch for e in got.epochs] == [1, 2]   # the second pass trained before the error


# --- the report: schema 3 only where it holds `as_written` -----------------------------------------------------


def test_only_a_report_that_holds_as_written_is_schema_3():
    from reproduce.record.schema import ReportError, RunReport, from_dict

    def report(**kw):
        return RunReport(model="m", params=1, audit={}, seed=0, config={}, device="cpu", environment={}, data={},
                         **kw)
    plain = json.loads(report().to_json())
    assert plain["schema_version"] == 1
    assert "as_written" not in plain
    failed = json.loads(report(status="failed", reason="x").to_json())
    assert failed["schema_version"] == 2
    written = json.loads(report(as_written={"notebook": {"file": "a.ipynb"}}).to_json())
    assert written["schema_version"] == 3
    assert from_dict(written, "r.json").as_written == {"notebook": {"file": "a.ipynb"}}
    with pytest.raises(ReportError, match="'as_written' is schema 3"):
        from_dict({**written, "schema_version": 2, "record_sha256": None}, "r.json")


@pytest.mark.parametrize(("as_written", "faithful"), [((99.30, 99.38, 99.22, 99.34), True),
                                                     ((98.10, 98.20, 98.05, 98.15), False)])
def test_the_faithfulness_row_reads_both_ways_in_the_folder(tmp_path, as_written, faithful):
    from reproduce.grade import faithful as both
    for seed, acc in enumerate((99.32, 99.28, 99.36, 99.31)):
        write_report(tmp_path, record(seed, [98.0, acc], model="answer"))
    assert both.of_folder(tmp_path, 99.4, 19) is None   # the translated runs alone
    for seed, acc in enumerate(as_written):
        write_report(tmp_path, {**record(seed, [97.0, acc], model="answer.as-written"), "as_written": {}})
    found = both.of_folder(tmp_path, 99.4, 19)
    assert found.translated.finals == [99.32, 99.28, 99.36, 99.31]
    assert found.as_written.finals == list(as_written)
    diff = sum(as_written) / 4 - 99.3175
    assert f"as written minus translated {diff:+.2f} points (Welch 95%: " in found.line
    assert ("faithful to the notebook's own code within it" in found.line) is faithful
    assert found.translated.line == "final 99.32 ± 0.03 %, 0/4 at or above 99.4 %"


# --- check --as-written: a sweep over seeds, through the command line -------------------------------------------


def with_claim(path, accs=(97.5, 99.46)):
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[5].outputs = [f.stream(f.pytorch_lines(list(accs)))]
    return f.write(path, nb)


@pytest.mark.slow
def test_a_seed_whose_loop_errors_is_a_failed_run_and_the_sweep_goes_on(tmp_path, mnist_root):
    nb = with_claim(f.seeded(tmp_path, epochs=3, fail_at=2))
    out = tmp_path / "out"
    got = run_cli("check", nb, "--as-written", "--seeds", "0-1", "--train-limit", "512", "--threads", "1",
                  "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert got.returncode == 1, got.stderr
    assert "the claim holds at the final epoch on 0 of 0 seeds; 2 more not finished." in " ".join(got.stdout.split())
    for seed in (0, 1):
        report = load(out / "answer" / f"answer.as-written-seed{seed}.json")
        assert report.status == "failed"
        assert report.reason == "cell 6: ValueError: loss is nan"
        assert report.schema_version == 3
        assert report.as_written["notebook"]["sha256"] == hashlib.sha256(nb.read_bytes()).hexdigest()
        # the dry run stops at the same error: the report says so where the recipe would be
        assert "no recipe: answer.ipynb: the dry run stopped at cell 6" in report.as_written["recipe"]
        assert report.as_written["versions"]["torch"] == version("torch")
        assert len(report.epochs) == 2
    shown = run_cli("report", out / "answer")
    assert "answer.as-written" in shown.stdout


@pytest.mark.slow
def test_a_killed_run_is_run_again_from_its_start_and_nothing_half_written_remains(tmp_path, mnist_root):
    nb = f.seeded(tmp_path, epochs=1)
    nbk = nbformat.read(str(nb), as_version=4)
    nbk.cells.append(nbformat.v4.new_code_cell(
        "import os, time\n"   # the dry run, before the runs, sees all 60,000 images: it does not wait
        "if len(train_loader.dataset) < 60000:\n"
        "    time.sleep(float(os.environ.get('AS_WRITTEN_TEST_SLEEP', '0')))"))
    f.write(nb, nbk)
    with_claim(nb, [99.5])
    out = tmp_path / "out"
    report = out / "answer" / "answer.as-written-seed0.json"
    args = [sys.executable, "-m", "reproduce", "check", str(nb), "--as-written", "--seeds", "0", "--train-limit",
            "512", "--threads", "1", "--out", str(out)]
    scratch = tmp_path / "tmp"   # a SIGKILL leaves the run's scratch folder: here, not in the system's /tmp
    scratch.mkdir()
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root), AS_WRITTEN_TEST_SLEEP="300", TMPDIR=str(scratch))
    proc = subprocess.Popen(args, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not (report.exists() and load(report).status == "running"):
            assert time.monotonic() < deadline
            assert proc.poll() is None
            time.sleep(0.5)
        time.sleep(8)   # into the notebook's cells
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert load(report).status == "running"
    again = run_cli("check", nb, "--as-written", "--seeds", "0", "--train-limit", "512", "--threads", "1",
                    "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert "stopped in the middle of its run; run again from its start" in again.stdout, again.stderr
    assert load(report).status == "complete"
    assert sorted(p.name for p in report.parent.iterdir()) == [report.name]
    assert any(p.name.startswith("as-written-") for p in scratch.iterdir())   # the killed run's, where it was put
