"""`make bench`'s files still run against the current model registry, inference path and trainer: a few
cases, once each, untimed (--benchmark-disable), as a subprocess the way make runs them."""
import os
import subprocess
import sys

import pytest

import reproduce.model as model
from conftest import REPO

pytestmark = pytest.mark.slow   # runs every benchmark case once: left out by make test-fast


def test_bench_cases_run_untimed(mnist_root):
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root), BENCH_TRAIN_BATCHES="1")
    cmd = [sys.executable, "-m", "pytest", "bench", "-q", "-p", "no:cacheprovider", "--benchmark-disable",
           "-k", "cpu-b1-eager or cpu-b1-folded or (train and cpu)"]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"{2 * len(model.MODELS) + 2} passed" in done.stdout   # eager and folded per model; seed, frontier training
