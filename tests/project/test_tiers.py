"""The tiers tests/conftest.py gives (slow, integration, unit), the unit tier's guard against processes, and the
Makefile's test targets selecting them."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import E2E, REPO, pytest_collection_modifyitems, refuse_processes


class Item:
    """What the tiering reads of a collected test: its file, the fixtures it asks for, its marks."""
    def __init__(self, path: Path, fixturenames=(), marks=()):
        self.path, self.fixturenames, self.marks = path, list(fixturenames), set(marks)

    def add_marker(self, mark):
        self.marks.add(mark.name)

    def get_closest_marker(self, name):
        return name if name in self.marks else None


def tiers(*items) -> list:
    pytest_collection_modifyitems(None, list(items))
    return [sorted(item.marks) for item in items]


def test_e2e_is_slow_a_process_or_the_real_mnist_is_integration_the_rest_unit():
    here = REPO / "tests" / "report" / "test_x.py"
    assert tiers(Item(E2E / "test_x.py"), Item(here, ["tmp_path", "small_report"]), Item(here, ["mnist_cpu"]),
                 Item(here, marks=["integration"]), Item(here, marks=["slow"]), Item(here, ["tmp_path", "capsys"])) == [
        ["slow"], ["integration"], ["integration"], ["integration"], ["slow"], ["unit"]]


def test_a_unit_test_that_starts_a_process_fails_naming_the_mark(monkeypatch):
    refuse_processes("tests/x/test_y.py::test_z", monkeypatch)
    with pytest.raises(pytest.fail.Exception, match=r"test_z starts a process \(\S*python\S* -c pass \.\.\.\), "
                                                    r"which a unit test does not: mark it @pytest.mark.integration"):
        subprocess.run([sys.executable, "-c", "pass"])


@pytest.mark.integration   # runs make
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("target", "runs"), [("test", "-m pytest -q tests"), ("test-fast", '-m pytest -q -m "not slow" tests'),
                                          ("test-unit", "-m pytest -q -m unit tests")],
                         ids=["test", "test-fast", "test-unit"])
def test_the_make_targets_select_their_tier(target, runs):
    done = subprocess.run(["make", "-n", target, f"PYTHON={sys.executable}"], cwd=REPO, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert f"{sys.executable} {runs}\n" in done.stdout
