"""One family of errors (reproduce/errors.py): every error the suite says in one line is a SuiteError carrying its
exit code, bad input of any kind a BadInput (exit 2); anything else is a bug of the suite's own, shown with its
traceback and a line asking to report it, never passed off as the user's mistake."""
import ast
import re
from pathlib import Path

import pytest

from conftest import REPO
from reproduce import cli
from reproduce.cluster.options import ClusterError
from reproduce.data.mnist import DataError
from reproduce.data.split import SplitError
from reproduce.errors import BadInput, SuiteError
from reproduce.model.notebook import NotebookError
from reproduce.model.spec import SpecError
from reproduce.notebook.claim import ClaimError
from reproduce.notebook.draft import DraftError
from reproduce.record.schema import ReportError
from reproduce.report.compare import CompareError
from reproduce.report.importlog import LogError
from reproduce.sweep.outcome import RunFailed
from reproduce.training.recipe import RecipeError

BAD_INPUT = [cli.UsageError, RecipeError, DraftError, ReportError, CompareError, LogError, SplitError, DataError,
             ClusterError, ClaimError, SpecError, NotebookError]


@pytest.mark.parametrize("cls", BAD_INPUT, ids=lambda c: c.__name__)
def test_every_bad_input_error_is_one_family_with_exit_2(cls):
    assert issubclass(cls, BadInput)
    assert cls("x").exit_code == 2


def test_a_failed_run_is_a_suite_error_with_exit_1():
    assert issubclass(RunFailed, SuiteError)
    assert not issubclass(RunFailed, BadInput)
    assert RunFailed("x").exit_code == 1


def raising(error):
    def command(args, console):
        raise error
    return command


@pytest.mark.parametrize(("error", "code"), [(DataError("data/MNIST: train-images does not verify"), 2),
                                         (SpecError("--model net.py:Net: no such file"), 2),
                                         (RunFailed("reports/x.json: the run failed in epoch 2"), 1)])
def test_the_command_line_says_a_suite_error_in_one_line_with_its_code(monkeypatch, capsys, error, code):
    monkeypatch.setitem(cli.COMMANDS, "data", raising(error))
    assert cli.main(["data"]) == code
    err = capsys.readouterr().err
    assert err == f"error: {error}\n"


def test_a_bug_of_the_suite_shows_its_traceback_and_asks_for_a_report(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "data", raising(KeyError("momentum_buffer")))
    assert cli.main(["data"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "KeyError: 'momentum_buffer'" in err
    assert err.rstrip().splitlines()[-1].startswith("error: this is a bug in the suite")


# --- what the source raises and catches, read with ast ----------------------------------------------------------

BARE = {"ValueError", "RuntimeError"}        # what a stage raises instead: a subclass of reproduce/errors.py's
BLIND = {"Exception", "BaseException"}
NOQA_WITH_REASON = re.compile(r"#\s*noqa:\s*BLE001\s+-\s+\S")


def _names(node) -> set:
    """The exception class names an `except` clause or a `raise` names (ValueError(...), (A, b.B), ...)."""
    if node is None:
        return set()
    if isinstance(node, ast.Call):
        return _names(node.func)
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(e) for e in node.elts))
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return {node.id} if isinstance(node, ast.Name) else set()


def _reraises(handler: ast.ExceptHandler) -> bool:
    """Whether the handler passes the exception on: a bare `raise` in its body (functions defined there aside)."""
    todo = list(handler.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Raise) and node.exc is None:
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def error_rule_breaks(root: Path) -> list:
    """'FILE:LINE what' for each `raise ValueError/RuntimeError(...)` and each blind `except` (bare, Exception,
    BaseException) that neither re-raises nor says why on its line (`# noqa: BLE001 - reason`)."""
    found = []
    for path in sorted((root / "reproduce").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text, rel)):
            if isinstance(node, ast.Raise) and _names(node.exc) & BARE:
                found.append(f"{rel}:{node.lineno} raises {sorted(_names(node.exc) & BARE)[0]}")
            if isinstance(node, ast.ExceptHandler):
                blind = node.type is None or _names(node.type) & BLIND
                said = NOQA_WITH_REASON.search(lines[node.lineno - 1])
                if blind and not said and not _reraises(node):
                    found.append(f"{rel}:{node.lineno} catches {'everything' if node.type is None else 'blindly'}")
    return found


def test_no_stage_raises_a_bare_value_or_runtime_error_nor_catches_blindly():
    """Every error the suite raises is of its family, so the command line says it in one line with its exit code;
    every catch names what it expects, or says on its line why it cannot (someone else's code runs inside)."""
    assert error_rule_breaks(REPO) == []


MUTANTS = {
    "raise ValueError('x')\n": ["reproduce/stage/bad.py:1 raises ValueError"],
    "raise RuntimeError\n": ["reproduce/stage/bad.py:1 raises RuntimeError"],
    "try:\n    pass\nexcept:\n    pass\n": ["reproduce/stage/bad.py:3 catches everything"],
    "try:\n    pass\nexcept Exception:\n    pass\n": ["reproduce/stage/bad.py:3 catches blindly"],
    "try:\n    pass\nexcept (OSError, BaseException):\n    pass\n": ["reproduce/stage/bad.py:3 catches blindly"],
    "try:\n    pass\nexcept Exception:  # noqa: BLE001\n    pass\n": ["reproduce/stage/bad.py:3 catches blindly"],
    # what passes: a reason on the line, a re-raise, a named exception, a subclass of the family
    "try:\n    pass\nexcept Exception:  # noqa: BLE001 - user code runs here\n    pass\n": [],
    "try:\n    pass\nexcept BaseException:\n    if True:\n        raise\n": [],
    "try:\n    pass\nexcept ValueError:\n    raise SpecError('x') from None\n": [],
}


@pytest.mark.parametrize(("source", "said"), list(MUTANTS.items()), ids=range(len(MUTANTS)))
def test_the_scan_catches_each_kind_of_break(tmp_path, source, said):
    (tmp_path / "reproduce" / "stage").mkdir(parents=True)
    (tmp_path / "reproduce" / "stage" / "bad.py").write_text(source)
    assert error_rule_breaks(tmp_path) == said
