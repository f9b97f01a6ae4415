import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


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


def write_recipe(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(text)
    return path


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
