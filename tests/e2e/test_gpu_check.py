"""bench/gpu_check.sh within a device call's limits, checked on a machine without CUDA: every step there fails
fast, so what is checked is the frame around them: one deadline shared by the steps, at most eight files back
(the device returns no more), each of them one the header names, and table.txt written whatever happened."""
import os
import re
import subprocess
import sys
import time

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow   # trains, or runs a script that does

SCRIPT = REPO / "bench" / "gpu_check.sh"
MAX_FILES = 8   # what one device call brings back


def header_files() -> list:
    text = SCRIPT.read_text()
    m = re.search(r"Writes under \$OUT \((\d+) files\): (.*?)\.\n", text, re.S)
    names = re.findall(r"[\w.-]+\.(?:txt|json|log)", m.group(2).replace("#", " "))
    assert int(m.group(1)) == len(names)
    return names


def test_the_header_promises_at_most_eight_files():
    assert len(header_files()) <= MAX_FILES


def test_the_script_keeps_its_deadline_and_writes_only_the_named_files(tmp_path):
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')   # the script runs python3
    (shim / "python3").chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    budget = 100   # enough for every step but the compiled run to start
    env = dict(os.environ, OUT=str(out), TOTAL_BUDGET_S=str(budget), PATH=f"{shim}:{os.environ['PATH']}",
               CUDA_VISIBLE_DEVICES="")
    start = time.monotonic()
    done = subprocess.run(["bash", str(SCRIPT)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=budget + 120)
    took = time.monotonic() - start
    written = sorted(p.name for p in out.iterdir())
    assert took < budget + 15, f"took {took:.0f} s for a {budget} s budget"
    assert len(written) <= MAX_FILES, written
    assert set(written) <= set(header_files()), written
    assert "table.txt" in written, done.stdout + done.stderr
    assert "env.txt" in written, done.stdout + done.stderr
    assert "checks.log" in written, done.stdout + done.stderr
    log = (out / "checks.log").read_text()
    # every check had its turn within the budget: the sweep, the recipe check, the notebook checked end to end
    assert "sweep_check exit" in log, log[-2000:]
    assert "recipe_check exit" in log, log[-2000:]
    assert "notebook check exit" in log, log[-2000:]
