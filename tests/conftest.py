import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """The real, verified MNIST (fetched once into ./data or $MNIST_DATA_DIR if it is not there yet)."""
    from reproduce.data import default_root, ensure_mnist
    root = Path(os.environ.get("MNIST_DATA_DIR", REPO / "data"))
    ensure_mnist(root)
    return root


@pytest.fixture(scope="session")
def mnist_cpu(mnist_root):
    from reproduce.data import load_tensors
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
