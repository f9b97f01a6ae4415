"""bench.recipe_check, the GPU machine's check of schedules, augmentation and determinism refusals, runs on the
CPU too: there the resume must be exact and AdaptiveAvgPool2d(2) (deterministic on the CPU) must train."""
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow   # trains and resumes the recipe check's runs: left out by make test-fast


def test_recipe_check_passes_on_the_cpu(tmp_path, mnist_root):
    done = subprocess.run([sys.executable, "-m", "bench.recipe_check", "--out", str(tmp_path), "--device", "cpu",
                           "--epochs", "2", "--train-limit", "1024", "--threads", "1"], cwd=REPO,
                          env=dict(os.environ, MNIST_DATA_DIR=str(mnist_root)), capture_output=True, text=True,
                          timeout=600)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert result["ok"], done.stdout + done.stderr
    assert result["resume"]["resumed_after_epoch"] == 1
    assert result["nondeterministic"]["exit"] == 0
