"""The suite's one family of errors. Each carries the exit code the command line ends with, and its message is the
one line the user sees: what is wrong and where (the file, the key, the flag).

    SuiteError (1)       something the user should know, said in one line: a run that failed (its report says why)
    └── BadInput (2)     flags, files, reports, recipes, model files, notebooks, data: refused before anything is
                         written

Every other exception is a bug of the suite's own: the command line shows its traceback and asks for a report
(reproduce/cli.py). This module imports nothing, so every stage (and model/) may raise these, and the command
line can catch them before torch is loaded.
"""


class SuiteError(Exception):
    """An error said in one line; the command line exits with `exit_code`."""
    exit_code = 1


class BadInput(SuiteError):
    """Bad input of any kind: one line naming what is wrong, exit 2, nothing written."""
    exit_code = 2


class UsageError(BadInput):
    """Bad flags or arguments, said in one line."""


def first_line(e: BaseException, width: int = 160) -> str:
    """An exception's message as one line for the user: its first line, cut at `width` characters (the exception's
    type name when it has no message)."""
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:width]


def cannot_read(path, e: OSError) -> str:
    """'PATH: cannot read (No such file or directory)': the one wording of a file the suite could not open."""
    return f"{path}: cannot read ({e.strerror or e})"
