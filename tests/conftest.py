"""What every test folder shares: the tiers, the real MNIST, the command line as a user runs it, and made-up
reports, network files and benchmark results. pytest puts this folder on the import path, so a test in any folder
says `from conftest import ...` (and `from nbfactory import ...` for made-up notebooks)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# --- the tiers --------------------------------------------------------------------------------------------------
# slow: trains for more than a few seconds, brings up SLURM, or runs whole commands end to end; every test under
# tests/e2e/ is slow. integration: starts a process (the command line, make, pip, a script) or reads the real
# MNIST; a test is one as soon as it asks for a fixture below that does so, or carries the mark itself. unit: every
# other test: in-process, on made-up data, the tier `make test-unit` runs while editing.
E2E = Path(__file__).resolve().parent / "e2e"
INTEGRATION_FIXTURES = {"mnist_root", "mnist_cpu", "cli", "small_report"}


@pytest.hookimpl(tryfirst=True)     # before -m selects by these marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.slow)
        if INTEGRATION_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.integration)
        if item.get_closest_marker("slow") is None and item.get_closest_marker("integration") is None:
            item.add_marker(pytest.mark.unit)


def refuse_processes(nodeid: str, monkeypatch) -> None:
    """From here on, starting a process fails the test `nodeid`, naming the mark it needs."""
    def refuse(popen, command, *args, **kwargs):
        shown = command if isinstance(command, (str, bytes)) else " ".join(map(str, command[:3]))
        pytest.fail(f"{nodeid} starts a process ({shown} ...), which a unit test does not: mark it "
                    "@pytest.mark.integration", pytrace=False)
    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)


@pytest.fixture(autouse=True)
def unit_tests_start_no_process(request, monkeypatch):
    """Holds the unit tier to its word where it is selected (-m unit): a unit test that starts a process fails."""
    selected = "unit" in (request.config.getoption("markexpr") or "")
    if selected and request.node.get_closest_marker("unit") is not None:
        refuse_processes(request.node.nodeid, monkeypatch)


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """The real, verified MNIST (fetched once into ./data or $MNIST_DATA_DIR if it is not there yet)."""
    from reproduce.data.mnist import ensure_mnist
    root = Path(os.environ.get("MNIST_DATA_DIR", REPO / "data"))
    ensure_mnist(root)
    return root


@pytest.fixture(scope="session")
def mnist_cpu(mnist_root):
    from reproduce.data.mnist import load_tensors
    return load_tensors(mnist_root, "cpu")


def run_cli(*args, cwd=REPO, env_extra=None, timeout=600):
    """Run `python -m reproduce ARGS` as a user would; returns the CompletedProcess."""
    env = dict(os.environ, **(env_extra or {}))
    env.setdefault("MNIST_DATA_DIR", str(REPO / "data"))
    return subprocess.run([sys.executable, "-m", "reproduce", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


# One small complete run, made once by the CLI and shared (read-only: copy it before changing anything).
SMALL_RUN = ["--model", "seed", "--seeds", "0", "--epochs", "2", "--train-limit", "512", "--device", "cpu",
             "--threads", "1", "--quiet"]


@pytest.fixture(scope="session")
def small_report(tmp_path_factory, mnist_root) -> Path:
    """seed-seed0.json of `run SMALL_RUN`: 2 epochs on 512 images, complete."""
    out = tmp_path_factory.mktemp("small")
    done = run_cli("run", *SMALL_RUN, "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    return out / "seed-seed0.json"


def kill_after_epoch_1(args, out: Path, mnist_root: Path) -> None:
    """Start `python -m reproduce run ARGS --out OUT` and SIGKILL it as soon as epoch 1 is reported (so during
    epoch 2): a kill with no chance to clean up, as a lost node or the OOM killer would."""
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "reproduce", "run", *map(str, args), "--out", str(out)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if "epoch  1 " in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


def write_file(folder: Path, text: str, name: str) -> Path:
    """`text` as the file folder/name (a network file, a recipe); its path."""
    path = folder / name
    path.write_text(text)
    return path


def write_recipe(folder: Path, text: str, name: str = "r.toml") -> Path:
    return write_file(folder, text, name)


def assert_recipe_refused(tmp_path: Path, capsys, text: str, said: str) -> None:
    """`run --recipe` with a recipe holding `text`: one line naming the file and saying `said`, exit 2, nothing
    written."""
    from reproduce.cli import main
    path = write_recipe(tmp_path, text)
    out = tmp_path / "out"
    code = main(["run", "--recipe", str(path), "--seeds", "0", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{path}: " in err, err
    assert said in err, err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert not out.exists()


# --- what a run reproduces ------------------------------------------------------------------------------------

def numbers(report_path) -> tuple:
    """Everything a run must reproduce, from its report: per-epoch metrics (wall time aside) and the final weights
    hash."""
    r = json.loads(Path(report_path).read_text())
    return [{k: v for k, v in e.items() if k != "seconds"} for e in r["epochs"]], r["weights_sha256"]


# --- made-up reports (nothing trained) ------------------------------------------------------------------------

# Many arguments: one keyword per field a test varies, each defaulting to the common value.
def record(seed, accs, status="complete", model="seed", params=19_750, fc=False, epochs=None) -> dict:  # noqa: PLR0913
    """A run report's fields as the suite writes them, with the test accuracies `accs`, one per epoch."""
    from reproduce.record.schema import SCHEMA_VERSION
    return {
        "schema_version": SCHEMA_VERSION, "model": model, "params": params,
        "audit": {"params": params, "batchnorm": True, "dropout": True, "fully_connected": fc,
                  "global_avg_pool": True},
        "seed": seed, "config": {"model": model, "epochs": epochs or len(accs)}, "device": "cpu",
        "environment": {}, "data": {},
        "epochs": [{"epoch": i + 1, "train_loss": 0.1, "train_acc": 98.0, "test_loss": 0.02, "test_acc": a,
                    "lr": 0.01, "seconds": 1.0} for i, a in enumerate(accs)],
        "weights_sha256": "ab" * 32 if status == "complete" else None, "train_seconds": 1.0, "status": status,
    }


def write_report(folder: Path, rec: dict) -> Path:
    """`rec` as folder/MODEL-seedN.json, sealed like a report the suite wrote (load() checks the seal)."""
    from reproduce.record.seal import seal
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rec['model']}-seed{rec['seed']}.json"
    path.write_text(json.dumps(seal(rec)))
    return path


def write_sweep(folder: Path, accs_by_seed: dict, model: str = "seed", val: bool = False) -> Path:
    """A made-up sweep: a report per seed with its test accuracies; with `val`, a validation accuracy of 99.0 (and
    loss 0.02) at every epoch."""
    for seed, accs in accs_by_seed.items():
        rec = record(seed, accs, model=model)
        if val:
            for e in rec["epochs"]:
                e["val_acc"], e["val_loss"] = 99.0, 0.02
        write_report(folder, rec)
    return folder


# --- a network file of a user's ---------------------------------------------------------------------------------

# Small enough to train in a second: conv 1->4 (stride 2), BN, ReLU, dropout, average pool, linear 4->10; `Net`
# and a factory `make`.
TINY_NET = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.1),
                                  nn.AvgPool2d(13))
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        return self.fc(self.body(x).flatten(1)).log_softmax(1)

def make():
    return Net()
"""


def tiny_net(first_in_forward: str) -> str:
    """TINY_NET's source with `first_in_forward` (Python lines) run first in forward: a network failing on
    purpose."""
    head, tail = TINY_NET.split("        return ", 1)
    return head + textwrap.indent(textwrap.dedent(first_in_forward).strip("\n") + "\n", " " * 8) + "        return " + tail


# --- made-up pytest-benchmark results (bench/table.py reads them) -----------------------------------------------

def bench_result(median, **info) -> dict:
    name = "-".join(str(v) for k, v in sorted(info.items()) if k in ("model", "device", "batch", "variant", "loop"))
    return {"name": name, "fullname": f"bench/x.py::{name}", "group": "g", "params": {}, "stats": {"median": median}, "extra_info": info}


def bench_forward(model, device, batch, variant, median) -> dict:
    """A forward-pass benchmark's result."""
    return bench_result(median, model=model, device=device, batch=batch, variant=variant, device_name="cpu0",
                        torch="2.x", threads=2, inference={"compiled": variant == "compiled",
                                                          "compile_fallback": None if variant != "compiled" else None})


def bench_train(median, reference_per_step, steps=4) -> dict:
    """The trainer's throughput benchmark's result."""
    return bench_result(median, loop="trainer", device="cpu", batch=128, steps_per_round=steps, device_name="cpu0",
                        reference_seconds_per_step=reference_per_step)
