"""The Makefile passes its variables on: `make reproduce` to `python -m reproduce run`, `make report` to
`python -m reproduce report` (make -n: nothing runs)."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = [pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
              pytest.mark.integration]   # runs make


def dry_run(*variables: str, target: str = "reproduce") -> str:
    done = subprocess.run(["make", "-n", target, f"PYTHON={sys.executable}", *variables], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_readmes_frontier_line_becomes_the_sweeps_command():
    out = dry_run("MODEL=frontier", "SEEDS=0-19", "THREADS=1")
    assert "-m reproduce run --model frontier --seeds 0-19 " in out
    assert "--threads 1" in out
    assert "--report" in out


def test_recipe_epochs_and_out_pass_through_and_are_left_out_unless_given():
    given = dry_run("RECIPE=model/frontier-plain.toml", "EPOCHS=3", "OUT=reports/x")
    assert "--recipe model/frontier-plain.toml" in given
    assert "--epochs 3" in given
    assert "--out reports/x" in given
    plain = dry_run()
    assert not any(flag in plain for flag in ("--recipe", "--epochs", "--out", "--threads"))


def test_make_report_passes_the_format():
    assert "--format markdown" in dry_run("FORMAT=markdown", target="report")
    assert "--format table" in dry_run(target="report")


def test_make_check_passes_the_notebook_seeds_and_the_run_flags():
    out = dry_run("NOTEBOOK=their.ipynb", "SEEDS=0-9", "THREADS=1", "EPOCHS=3", "MODEL_FILE=repo/models.py:Net",
                  "CHECK_ARGS=--train-limit 256", target="check")
    assert "-m reproduce check their.ipynb --seeds 0-9 " in out
    assert all(flag in out for flag in ("--threads 1", "--epochs 3", "--model repo/models.py:Net", "--train-limit 256"))
    plain = dry_run("NOTEBOOK=their.ipynb", target="check")
    assert not any(flag in plain for flag in ("--model", "--epochs", "--out", "--threads"))


def test_make_check_without_a_notebook_says_so():
    done = subprocess.run(["make", "check", f"PYTHON={sys.executable}"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0
    assert "make check needs NOTEBOOK=their.ipynb" in done.stderr


def test_make_check_until_settled_takes_the_place_of_seeds():
    out = dry_run("NOTEBOOK=their.ipynb", "UNTIL_SETTLED=1", "CHECK_ARGS=--max-seeds 12", target="check")
    assert "-m reproduce check their.ipynb --until-settled " in out
    assert "--seeds" not in out
    assert "--max-seeds 12" in out


def test_make_keeps_mnist_in_the_checkouts_data_folder_unless_told_otherwise():
    """make's commands run with MNIST_DATA_DIR set: the checkout's data/, or the caller's own."""
    def seen(env):
        # PYTHON as a command that prints what `python -m reproduce data` would be given (the rest is a comment)
        done = subprocess.run(["make", "-s", "data", "PYTHON=printenv MNIST_DATA_DIR #"], cwd=REPO, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()
    env = {k: v for k, v in os.environ.items() if k != "MNIST_DATA_DIR"}
    assert seen(env) == str(REPO / "data")
    assert seen({**env, "MNIST_DATA_DIR": "/elsewhere/mnist"}) == "/elsewhere/mnist"
