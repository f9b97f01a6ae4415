"""Fault injection: every way a run can go wrong ends in a truthful state.

Each case checks the exit code, the one line said, that nothing is written where a refusal is due, that nothing
that was there is lost, and that a sweep goes on past a diverged seed. Runs are tiny (256 images, 1-2 epochs).
"""
import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, record, run_cli, write_recipe, write_report
from reproduce.record.schema import SCHEMA_VERSION, load
from reproduce.record.seal import seal

TINY = ["--train-limit", "256", "--device", "cpu", "--threads", "1", "--quiet"]


def strict_json(path: Path) -> dict:
    """The file as JSON that every parser accepts: NaN or Infinity would be refused here."""
    def refuse(name):
        raise ValueError(f"{path}: {name} is not JSON")
    return json.loads(path.read_text(), parse_constant=refuse)


def one_line(done, says: str) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert says in done.stderr, done.stderr


def folder_state(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


# --- divergence is a result ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def diverged(tmp_path_factory, mnist_root):
    """Two seeds at --lr 1e30: both diverge in epoch 1; what the sweep said, and its folder."""
    out = tmp_path_factory.mktemp("diverged")
    done = run_cli("run", "--seeds", "0", "1", "--epochs", "2", "--lr", "1e30", *TINY, "--out", out)
    return done, out


@pytest.mark.slow
def test_a_diverged_run_is_final_and_the_sweep_goes_on(diverged):
    done, out = diverged
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    for seed in (0, 1):   # seed 1 trained after seed 0 diverged
        path = out / f"seed-seed{seed}.json"
        assert f"{path}: diverged: the training loss became nan at epoch 1" in done.stderr
        raw = strict_json(path)
        assert raw["status"] == "diverged"
        assert raw["schema_version"] == 2
        assert raw["epochs"][-1]["train_loss"] is None
        assert len(raw["epochs"]) == 1
        assert load(path).status == "diverged"
    assert not list(out.glob(".*.ckpt"))
    assert not list(out.glob(".*.lock"))


@pytest.mark.slow
def test_a_diverged_run_is_skipped_on_rerun_and_kept(diverged, tmp_path):
    _, out = diverged
    before = folder_state(out)
    again = run_cli("run", "--seeds", "0", "1", "--epochs", "2", "--lr", "1e30", *TINY, "--out", out)
    assert again.returncode == 1
    assert "Traceback" not in again.stderr
    assert "diverged at epoch 1" in again.stderr
    assert folder_state(out) == before


@pytest.mark.slow
def test_report_and_verify_show_a_diverged_run_as_final_and_not_passing(diverged):
    _, out = diverged
    shown = run_cli("report", out)
    assert shown.returncode == 1
    assert "diverged" in shown.stdout
    assert "2 diverged" in shown.stdout
    checked = run_cli("verify", out / "seed-seed0.json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "diverged at epoch 1" in checked.stdout
    assert "as the report says" in checked.stdout


@pytest.mark.slow
def test_compare_counts_a_diverged_run_as_not_passing(diverged, small_report):
    _, out = diverged
    done = run_cli("compare", small_report.parent, out, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["b"]["passing"] == 0


# --- a run that fails leaves no impostor ---------------------------------------------------------------------

FAILS_IN_EPOCH_2 = '''
import torch.nn as nn
import torch.nn.functional as F

CALLS = [0]


class Net(nn.Module):
    """Fine in the checks (batches of up to 8), raises at its third full training batch: epoch 2 of 2 batches each."""
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        if self.training and x.shape[0] > 8:
            CALLS[0] += 1
            if CALLS[0] == 3:
                raise RuntimeError("the model broke")
        return F.log_softmax(self.fc(x.flatten(1)), 1)
'''


@pytest.mark.slow
def test_an_exception_ends_the_sweep_with_a_failed_report_and_a_retry_finishes_it(tmp_path, mnist_root):
    net = tmp_path / "flaky.py"
    net.write_text(FAILS_IN_EPOCH_2)
    out = tmp_path / "out"
    def sweep(*seeds):
        return run_cli("run", "--model", f"{net}:Net", "--seeds", *seeds, "--epochs", "2", *TINY, "--out", out)
    done = sweep("0", "1")
    path = out / "flaky.Net-seed0.json"
    assert done.returncode == 1
    one_line(done, f"{path}: the run failed in epoch 2 (RuntimeError: the model broke)")
    report = load(path)
    assert report.status == "failed"
    assert report.reason == "RuntimeError: the model broke"
    assert len(report.epochs) == 1
    ckpt = __import__("reproduce.record.checkpoint", fromlist=["read"])
    assert len(ckpt.read(out / ".flaky.Net-seed0.ckpt")["epochs"]) == 1   # not ahead of the report
    assert not (out / "flaky.Net-seed1.json").exists()                    # the sweep ended there
    shown = run_cli("report", out)
    assert shown.returncode == 1
    assert "failed" in shown.stdout
    assert "running" not in shown.stdout
    # A new process counts its calls afresh: the retry resumes seed 0 after epoch 1 (epoch 2: two calls) and
    # finishes it, from the checkpoint the failed report agreed with.
    again = sweep("0")
    assert again.returncode == 0, again.stderr
    report = load(path)
    assert report.status == "complete"
    assert report.reason is None
    assert len(report.epochs) == 2


WRONG_IN_TRAIN_MODE = '''
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        out = F.log_softmax(self.fc(x.flatten(1)), 1)
        return out.repeat(1, 2) if self.training else out
'''

AN_INSTANCE = '''
import torch.nn as nn
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.LogSoftmax(1))
'''


@pytest.mark.parametrize(("source", "name", "says"), [
    (WRONG_IN_TRAIN_MODE, "Net", "forward in train mode on a batch of 8 gave shape (8, 20)"),
    (AN_INSTANCE, "net", "net is an nn.Module instance; give its class, or a function"),
])
@pytest.mark.integration   # starts a process
def test_a_model_that_cannot_train_is_refused_up_front(tmp_path, source, name, says):
    net = tmp_path / "bad.py"
    net.write_text(source)
    out = tmp_path / "out"
    done = run_cli("run", "--model", f"{net}:{name}", "--seeds", "0", "--epochs", "1", *TINY, "--out", out)
    assert done.returncode == 2
    one_line(done, says)
    assert not out.exists()


# --- refused before anything is written ----------------------------------------------------------------------

@pytest.mark.parametrize(("flags", "says"), [
    (lambda t: ["--recipe", write_recipe(t, "[schedule]\nname = \"step\"\nstep_size = 0\n", "recipe.toml")],
     "[schedule] step: step_size must be an integer of at least 1, got 0"),
    (lambda t: ["--recipe", write_recipe(t, "[schedule]\nname = \"cosine\"\nT_max = 0\n", "recipe.toml")],
     "[schedule] cosine: T_max must be an integer of at least 1, got 0"),
    (lambda t: ["--recipe", write_recipe(t, "[schedule]\nname = \"exponential\"\ngamma = 1e300\n", "recipe.toml")],
     "the learning rate becomes inf"),
    (lambda t: ["--seeds", "4294967296"], "--seeds: seeds must be in 0..4294967295"),
    (lambda t: ["--seeds", "0,,2"], "--seeds: '0,,2' has an empty item"),
    (lambda t: ["--seeds", "0,"], "has an empty item"),
    (lambda t: ["--train-limit", "100"], "--train-limit 100: trains on 100 images; training needs at least one "
                                         "batch (--batch-size 128)"),
    (lambda t: ["--batch-size", "300"], "--train-limit 256: trains on 256 images; training needs at least one "
                                        "batch (--batch-size 300)"),
    (lambda t: ["--val-split", "59900", "--train-limit", "60000"],
     "--val-split 59900: leaves 100 of 60000 training images; training needs at least one batch (--batch-size 128)"),
])
@pytest.mark.integration   # starts a process
def test_bad_input_is_refused_before_anything_is_written(tmp_path, flags, says):
    out = tmp_path / "out"
    done = run_cli("run", "--seeds", "0", "--epochs", "1", *TINY, *flags(tmp_path), "--out", out)
    assert done.returncode == 2
    one_line(done, says)
    assert not out.exists()   # no report, no lock, no checkpoint: not even the folder


@pytest.mark.integration   # starts a process
def test_out_naming_a_file_is_refused_and_the_file_kept(tmp_path):
    out = tmp_path / "results.json"
    out.write_text("mine")
    done = run_cli("run", "--seeds", "0", "--epochs", "1", *TINY, "--out", out)
    assert done.returncode == 2
    one_line(done, "is a file; a folder is needed")
    assert out.read_text() == "mine"


@pytest.mark.integration   # starts a process
def test_verify_on_a_folder_is_refused(tmp_path):
    done = run_cli("verify", tmp_path)
    assert done.returncode == 2
    one_line(done, "is a folder; verify takes one run report")


def test_plot_to_an_extension_matplotlib_cannot_write_is_refused_before_any_output(small_report, tmp_path):
    pytest.importorskip("matplotlib")
    done = run_cli("report", small_report, "--plot", tmp_path / "runs.xyz")
    assert done.returncode == 2
    assert done.stdout == ""
    one_line(done, "--plot")
    assert "extension .xyz" in done.stderr
    assert ".png" in done.stderr
    assert not (tmp_path / "runs.xyz").exists()


@pytest.mark.slow
def test_too_many_threads_and_an_empty_recipe_are_said_and_the_run_goes_on(tmp_path):
    empty = write_recipe(tmp_path, "# nothing here\n[optimizer]\n", "recipe.toml")
    out = tmp_path / "out"
    flags = [a for a in TINY if a not in ("--threads", "1")]
    threads = str((os.cpu_count() or 1) + 1)
    done = run_cli("run", "--seeds", "0", "--epochs", "1", *flags, "--threads", threads, "--recipe", empty,
                   "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"note: --threads {threads} is more than this machine's" in done.stderr
    assert f"note: {empty} sets nothing: the runs train the seed recipe" in done.stderr
    assert load(out / "seed-seed0.json").status == "complete"
    assert not list(out.glob(".*.lock"))   # a finished sweep leaves no lock file behind


# --- messages a user can act on ------------------------------------------------------------------------------

def test_a_report_from_a_newer_schema_says_so(small_report, tmp_path):
    raw = json.loads(small_report.read_text())
    raw["schema_version"] = SCHEMA_VERSION + 1
    path = tmp_path / "seed-seed0.json"
    path.write_text(json.dumps(seal({k: v for k, v in raw.items() if k != "record_sha256"})))
    done = run_cli("report", path)
    assert done.returncode == 2
    one_line(done, "written by a newer version of the suite")


@pytest.mark.integration   # starts a process
def test_run_report_says_when_another_process_holds_a_seed(tmp_path):
    from reproduce.record.locks import try_lock
    out = tmp_path / "out"
    out.mkdir()
    with try_lock(out / "seed-seed0.json"):
        done = run_cli("run", "--seeds", "0", "--epochs", "1", *TINY, "--out", out, "--report")
    assert done.returncode == 1
    one_line(done, f"not reporting: 1 run(s) of this sweep are held by another process (pid {os.getpid()})")


def test_the_resume_hint_names_the_interpreter_used():
    from reproduce.cli import resume_command
    line = resume_command(["run", "--seeds", "0-4"])
    assert line.endswith(" -m reproduce run --seeds 0-4")
    assert Path(line.split(" -m ")[0]).resolve() == Path(sys.executable).resolve()


def test_every_run_flag_has_help_text():
    from reproduce.cli import build_parser
    parser = build_parser()
    run = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "run")[1]
    bare = [a.option_strings[0] for a in run._actions if a.option_strings and not a.help]
    assert bare == []


DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)


def test_no_message_repeats_a_word():
    # the check itself works
    assert DOUBLED.search("a run of of seeds")
    assert not DOUBLED.search("seed 3 of 4 runs")
    found = []
    for path in sorted((REPO / "reproduce").rglob("*.py")) + sorted((REPO / "model").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [f"{path.name}: {m.group(0)!r}" for m in DOUBLED.finditer(node.value)
                          if not m.group(1).isdigit()]
    assert found == []


# --- answers at once -----------------------------------------------------------------------------------------

PROBE = """
import sys
from reproduce.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
print("heavy:", sorted(m for m in ("torch", "rich", "matplotlib") if m in sys.modules), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize(("argv", "code"), [
    (["--help"], 0), (["run", "--help"], 0), (["run", "--epochs", "x"], 2), (["run", "--seeds", "0,,2"], 2),
    (["report", "--no-such-flag"], 2), (["nonsense"], 2),
    (["run", "--model", "nosuch.py:Net"], 2), (["run", "--model", "nonsense"], 2),
    (["run", "--model", "tests/data/no-such.ipynb"], 2), (["check", "no-such.ipynb", "--model", "x.py:Net"], 2),
])
@pytest.mark.integration   # starts a process
def test_help_and_flag_errors_answer_before_torch_rich_or_matplotlib(argv, code):
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == code, done.stderr
    assert "heavy: []" in done.stderr, done.stderr


# --- reports group by configuration --------------------------------------------------------------------------

def hand_made(folder: Path, seed: int, accs, **config) -> Path:
    """A sealed report as the suite writes one, with the config fields given (the rest: the seed recipe's)."""
    rec = record(seed, accs)
    rec["schema_version"] = 1
    rec["config"].update(config)
    return write_report(folder, rec)


def report_of(capsys, *args):
    from reproduce.cli import main
    code = main(["report", *map(str, args), "--format", "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code != 2 else None), err


def test_a_short_try_and_a_full_run_are_two_groups_titled_apart(tmp_path, capsys):
    hand_made(tmp_path / "seed-1ep", 0, [98.0])
    for seed in (0, 1):
        hand_made(tmp_path / "seed-19ep", seed, [99.0] * 18 + [99.5])
    code, shown, _ = report_of(capsys, tmp_path)
    groups = [(m["summary"]["label"], m["summary"]["runs"]) for m in shown["models"]]
    assert groups == [(f"{tmp_path / 'seed-19ep'}: epochs 19", 2), (f"{tmp_path / 'seed-1ep'}: epochs 1", 1)]
    assert code == 1   # the 1-epoch run does not pass; the 19-epoch ones do, and are not pooled with it


def test_the_same_run_reached_twice_counts_once(tmp_path, capsys):
    path = hand_made(tmp_path / "sweep", 0, [99.5])
    hand_made(tmp_path / "sweep", 1, [99.5])
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / path.name).write_bytes(path.read_bytes())
    code, shown, _ = report_of(capsys, tmp_path / "sweep", tmp_path / "sweep", path, tmp_path / "copy")
    assert code == 0
    assert [m["summary"]["runs"] for m in shown["models"]] == [2]


def test_two_different_reports_of_one_run_are_an_error_naming_both(tmp_path, capsys):
    a = hand_made(tmp_path / "a", 0, [99.5])
    b = hand_made(tmp_path / "b", 0, [99.6])
    code, _, err = report_of(capsys, tmp_path)
    assert code == 2
    assert err.count("\n") == 1
    assert f"{a} and {b}: two different reports of one run" in err


def test_compare_refuses_a_side_that_holds_two_configurations(tmp_path, capsys):
    from reproduce.cli import main
    hand_made(tmp_path / "a" / "short", 0, [98.0])
    hand_made(tmp_path / "a" / "full", 0, [99.5, 99.5])
    hand_made(tmp_path / "b", 0, [99.5, 99.5])
    assert main(["compare", tmp_path / "a", tmp_path / "b"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "holds 2 sweeps of seed with different configs" in err
    assert "epochs 1" in err


def test_the_command_line_names_the_registered_models_as_the_registry_does():
    import reproduce.model as model
    assert list(model.NAMES) == sorted(model.MODELS)   # named there so that --help need not load torch
