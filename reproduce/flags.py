"""argparse `type=` functions for the flags that only the command line has (--threads, --max-epochs, --target,
the cluster's counts): argparse answers a bad value in one line, before anything is loaded. A value that the
recipe can set as well is checked by TrainConfig.problems() instead, and worded as a flag or a key by whoever
read it (reproduce/cli.py, reproduce/training/recipe.py). Imports nothing of the suite, so every layer's flags
can use it."""
import argparse
from collections.abc import Callable


def at_least(least: int) -> Callable[[str], int]:
    """A whole number >= least."""
    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value
    return whole


at_least_one = at_least(1)


def percent(text: str) -> float:
    """A test accuracy in percent, in (0, 100]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (0 < value <= 100):
        raise argparse.ArgumentTypeError(f"is a test accuracy in percent, in (0, 100], got {value:g}")
    return value


def folder(text: str):
    """A folder to read or write: not empty (which would mean the current folder by accident) and not a file."""
    from pathlib import Path
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; name a folder ('.' for the current one)")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a file; a folder is needed")
    return path


def seed(text: str) -> int:
    """One seed: a whole number in 0..2**32-1 (numpy's seeds are 32-bit)."""
    value = at_least(0)(text)
    if value > 2 ** 32 - 1:
        raise argparse.ArgumentTypeError(f"must be at most {2 ** 32 - 1}, got {value}")
    return value


def name(text: str) -> str:
    """A name that files are called after: not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty")
    return text


def fraction(text: str) -> float:
    """A share strictly between 0 and 1 (0.5, 0.95)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (0 < value < 1):
        raise argparse.ArgumentTypeError(f"is a share strictly between 0 and 1 (0.9 for 90 %), got {value:g}")
    return value


def add_decision_flags(parser: argparse.ArgumentParser) -> None:
    """The anytime-valid decision's flags, one definition for `check` and `report` (docs/verdict.md)."""
    parser.add_argument("--at-least", type=fraction, default=0.5, metavar="P",
                        help="the decision's level: holds when at least this share of fresh seeds ends at or above "
                             "the target at its final epoch (default 0.5: a typical seed; 0.9: reliably)")
    parser.add_argument("--confidence", type=fraction, default=0.95,
                        help="1 - the chance of a wrong decision, however the seeds are watched (default 0.95)")
    parser.add_argument("--assume-normal", action="store_true",
                        help="decide on the mean final accuracy instead, assuming normal finals (needs --at-least "
                             "0.5); the pass/fail sequence is shown beside it")
