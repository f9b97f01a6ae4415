"""One family of errors (reproduce/errors.py): every error the suite says in one line is a SuiteError carrying its
exit code, bad input of any kind a BadInput (exit 2); anything else is a bug of the suite's own, shown with its
traceback and a line asking to report it, never passed off as the user's mistake."""
import pytest

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
