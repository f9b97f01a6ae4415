"""argparse `type=` functions for the flags that only the command line has (--threads, --max-epochs, --target,
the cluster's counts): argparse answers a bad value in one line, before anything is loaded. A value that the
recipe can set as well is checked by TrainConfig.problems() instead, and worded as a flag or a key by whoever
read it (reproduce/cli.py, reproduce/training/recipe.py). Imports nothing of the suite, so every layer's flags
can use it."""
import argparse
from typing import Callable


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
