"""What a log or a notebook printed, as lines that know where they were printed, cut into training runs.

A line of a notebook's outputs is placed by its cell ("cell 7's output"), where a reader looks for it; a line of
a plain log by its line number. One notebook may train several times (variants of a network, a run repeated):
a run starts again where the epoch numbering goes back (`EPOCH: 0` after `EPOCH: 24`, `Epoch 1` after
`Epoch 15`) or where a new model summary is printed after test lines.
"""
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# `EPOCH: 0`, `Epoch 3/15`, `epoch=2`, pytorch/examples' `Train Epoch: 1 [0/60000 (0%)]`, at a line's start
EPOCH_MARK = re.compile(r"^\s*(?:train(?:ing)?\s+)?epoch\s*[:=#]?\s*(\d+)", re.I)
TOTAL_PARAMS = re.compile(r"Total params:\s*([\d,]+)")
SUMMARY_START = re.compile(r"Layer \(type\)")   # torchsummary's table header, printed before its Total params


@dataclass(frozen=True)
class Line:
    text: str       # as left on screen: a progress bar's `\r` updates keep only their last state
    file: str
    place: str      # "cell 7's output" (a notebook's) or "12" (a log's line number)

    @property
    def where(self) -> str:
        """What an error names: "NB.ipynb, cell 7's output" or "log.txt:12"."""
        return f"{self.file}:{self.place}" if self.place.isdigit() else f"{self.file}, {self.place}"


@dataclass
class Run:
    lines: list[Line]
    total_params: int | None   # the Total params: printed in the run, else the last one printed before it


def final_states(text: str) -> list[str]:
    """Each printed line as it was left on screen: a progress bar's `\\r` updates keep only their last state."""
    return [line.rsplit("\r", 1)[-1] for line in text.replace("\r\n", "\n").split("\n")]


def of_log(text: str, where: str) -> list[Line]:
    return [Line(t, where, str(n)) for n, t in enumerate(final_states(text), 1)]


def of_cells(cells: Sequence[tuple[int, str]], where: str) -> list[Line]:
    """The lines of a notebook's outputs, each placed by the number of the cell that printed it."""
    return [Line(t, where, f"cell {number}'s output") for number, text in cells for t in final_states(text)]


def epoch_mark(text: str) -> int | None:
    """The epoch number a line starts with; not a scheduler's `Epoch 00005: reducing learning rate ...`."""
    m = EPOCH_MARK.match(text)
    return int(m[1]) if m and "learning rate" not in text else None


def split_runs(lines: list[Line], is_claim: Callable[[Line], bool],
               epoch_of: Callable[[Line], int | None] = lambda line: None) -> list[Run]:
    """The lines cut into training runs, each holding at least one claim line, in order. After a claim line, a
    run starts again at an epoch number lower than the last one seen (an epoch line's, or epoch_of's for claim
    lines that number their epochs) or at a model summary. One run's Total params: is the last one printed."""
    runs: list[Run] = []
    current: list[Line] = []
    claims, last_epoch = 0, None
    printed: list[int | None] = [None, None]   # (Total params: of the current run, the last one printed before it)
    for line in lines:
        epoch = epoch_mark(line.text)
        if epoch is None and is_claim(line):
            epoch = epoch_of(line)
        summary = SUMMARY_START.search(line.text) or TOTAL_PARAMS.search(line.text)
        if claims and ((epoch is not None and last_epoch is not None and epoch < last_epoch) or summary):
            runs.append(Run(current, printed[0] if printed[0] is not None else printed[1]))
            current, claims, last_epoch, printed = [], 0, None, [None, printed[0] or printed[1]]
        count = TOTAL_PARAMS.search(line.text)
        if count:
            printed[0] = int(count[1].replace(",", ""))
        last_epoch = epoch if epoch is not None else last_epoch
        current.append(line)
        claims += is_claim(line)
    runs.append(Run(current, printed[0] if printed[0] is not None else printed[1]))
    runs = [r for r in runs if any(is_claim(line) for line in r.lines)]
    if len(runs) == 1:   # one run: its network's count, wherever the summary was printed
        runs[0].total_params = printed[0] if printed[0] is not None else printed[1]
    return runs
