"""What a sweep ends with, run by run: kept free of torch, so the command line can name these without loading it."""
from dataclasses import dataclass, field

from reproduce.errors import SuiteError


class RunFailed(SuiteError):
    """An exception stopped a run. Its report says "failed" with the reason; the sweep ends here (whatever broke
    this run would most likely break the next one too). Rerunning the command retries the run."""


@dataclass
class SweepOutcome:
    done: list = field(default_factory=list)       # report paths now final here: complete or diverged
    diverged: list = field(default_factory=list)   # (path, why) of the diverged ones among them
    held: list = field(default_factory=list)       # report paths whose lock another process held: not trained
