"""What a notebook claims, from what its code cells printed: the per-epoch test accuracy, in the shapes answers
print it, the parameter count torchsummary printed, and whether the outputs end in an error.

pytorch/examples' own line, read strictly (a `Test set:` line in another form is an error, so a half-recognised
log never imports as a shorter run than it was):

    Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)      (or rounded: 9708/10000 (97.1%), (97%))

and the shapes besides it:

    Test : Loss = 0.00014, Accuracy = 99.46%
    Test Accuracy: 99.46%
    test_loss=0.0210 test_acc=0.9946          (key=value; a fraction or a percentage)
    100%|████| 469/469 [00:09, test_acc=99.46]  (a tqdm postfix: each line's last state counts)

The first shape that matches some line is the log's shape; lines in other shapes are not mixed in. `--pattern
REGEX` reads anything else: a named group `acc` (percent, or a fraction) or the counts `correct` and `total`,
optional `loss` and `epoch`. A percentage printed beside its counts is checked at the precision it is printed
with, and the claim is the exact figure the counts give. Outputs holding several training runs give one
Claimed each (reproduce/notebook/printed.py).
"""
import json
import re
from dataclasses import dataclass, field

from reproduce.errors import BadInput
from reproduce.notebook import printed
from reproduce.notebook.printed import Line, final_states  # noqa: F401  (final_states: read from here too)

NUM = r"(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
TEST_LINE = re.compile(rf"Test set: Average loss: (?P<loss>{NUM[1:-1]}), "
                       r"Accuracy: (?P<correct>\d+)/(?P<total>\d+) \((?P<pct>\d+(?:\.\d+)?)%\)")
MARKER = "Test set:"
SHAPES = [
    ("Test : Loss = L, Accuracy = P%", re.compile(
        rf"Test\s*:\s*(?:Average\s+)?Loss\s*=\s*(?P<loss>{NUM[1:-1]})\s*,\s*Accuracy\s*=\s*(?P<acc>{NUM[1:-1]})\s*%",
        re.I)),
    ("Test Accuracy: P%", re.compile(rf"Test\s+Accuracy\s*[:=]\s*(?P<acc>{NUM[1:-1]})\s*%", re.I)),
    ("test_acc=A", re.compile(rf"(?:test_loss\s*[=:]\s*(?P<loss>{NUM[1:-1]})[\s,;]*)?"
                              rf"\btest_acc(?:uracy)?\s*[=:]\s*(?P<acc>{NUM[1:-1]})\s*(?P<pct>%?)", re.I)),
]
NO_LINES = ("no epoch lines like 'Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)' found (nor "
            "'Test : Loss = L, Accuracy = P%', 'Test Accuracy: P%', 'test_acc=A'; --pattern REGEX reads other "
            "shapes)")


class ClaimError(BadInput, ValueError):
    """Outputs that cannot be read as a claim, said in one line naming the file and the cell (or line)."""


@dataclass
class Claimed:
    """One training run's printed test accuracy per epoch."""
    accs: list[float]                           # percent, in order: from the counts where they were printed
    losses: list[float | None]
    shown: list[str]                            # each as printed, in percent: "99.5", "97.08" (from 9708/10000)
    shape: str
    first: str = ""                             # where its first test line was printed: "cell 7's output"
    n_test: int | None = None                # known from `K/N` only
    total_params: int | None = None          # the run's printed Total params: (printed.split_runs)


@dataclass
class Outputs:
    text: str                                   # what the code cells printed, in order
    error: str | None = None                 # "outputs end in an error in cell N (Name: message)"
    total_params: int | None = None          # torchsummary's `Total params:`, the last one printed
    cells: list[tuple[int, str]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def _text(out: dict) -> str:
    stream = out.get("output_type") == "stream"   # else execute_result, display_data: their plain-text form
    text = out.get("text", "") if stream else (out.get("data") or {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else str(text)


def outputs(raw: bytes, where: str) -> Outputs:
    """A notebook's printed outputs (never its source, which holds the format strings as templates)."""
    try:
        nb = json.loads(raw.decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        raise ClaimError(f"{where}: not a Jupyter notebook (no JSON object with a 'cells' list)") from None
    found = Outputs("")
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs") or []:
            if not isinstance(out, dict):
                continue
            if out.get("output_type") == "error":
                found.error = (f"outputs end in an error in cell {number} "
                               f"({out.get('ename', 'Error')}: {str(out.get('evalue', ''))[:80]})")
                continue
            found.cells.append((number, _text(out)))
    found.text = "\n".join(text for _, text in found.cells)
    found.lines = printed.of_cells(found.cells, where)
    return _counted(found)


def log_outputs(raw: bytes, where: str) -> Outputs:
    """A plain text log, as Outputs whose lines are placed by line number."""
    text = raw.decode("utf-8", errors="replace")
    return _counted(Outputs(text, lines=printed.of_log(text, where)))


def _counted(found: Outputs) -> Outputs:
    counts = printed.TOTAL_PARAMS.findall(found.text)
    found.total_params = int(counts[-1].replace(",", "")) if counts else None
    return found


def compile_pattern(pattern: str) -> re.Pattern:
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise ClaimError(f"--pattern {pattern!r}: not a regular expression ({e})") from None
    if "acc" not in rx.groupindex and not {"correct", "total"} <= set(rx.groupindex):
        raise ClaimError(f"--pattern {pattern!r}: needs a named group acc, e.g. (?P<acc>\\d+\\.\\d+), or the "
                         f"counts (?P<correct>\\d+)/(?P<total>\\d+)")
    return rx


def decimals(number: str) -> int:
    return len(number.partition(".")[2]) if "e" not in number.lower() else 6


def agrees(exact: float, number: str) -> bool:
    """Whether `number` (as printed) is `exact` rounded to the decimals it is printed with: 97.08 printed as
    "97.1" or "97" agrees, as "97.2" does not."""
    return abs(exact - float(number)) <= 0.5 * 10 ** -decimals(number) + 1e-9


def _number(value: str, group: str, where: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ClaimError(f"{where}: the {group} group caught {value!r:.40}, not a number") from None


def _percent(value: str, pct: bool, where: str = "") -> tuple[float, str]:
    """(percent, as shown): test_acc=0.9946 is a fraction, shown 99.46; 99.46 a percentage, shown as printed."""
    v = _number(value, "acc", where)
    if pct or v > 1.0:
        return v, value
    return 100.0 * v, f"{100.0 * v:.{max(0, decimals(value) - 2)}f}"


def _counts(correct: str, total: str, where: str) -> tuple[float, int]:
    k, n = int(_number(correct, "correct", where)), int(_number(total, "total", where))
    if n == 0 or k > n:
        raise ClaimError(f"{where}: accuracy {k}/{n} is impossible")
    return 100.0 * k / n, n


def _from_counts(groups: dict, where: str, acc: tuple[float, str] | None) -> tuple[float, str, int]:
    exact, n = _counts(groups["correct"], groups["total"], where)
    if acc is not None and not agrees(exact, acc[1]):
        raise ClaimError(f"{where}: {groups['correct']}/{n} is {exact:.2f}%, but the line says {acc[1]}%")
    return exact, f"{exact:.2f}", n


def read_runs(outs: Outputs, where: str, pattern: str | None = None) -> list[Claimed]:
    """Each training run's claim, in order; ClaimError if the outputs hold no test line of a known shape."""
    if pattern is None and MARKER in outs.text:   # pytorch/examples' shape, read strictly
        return [_strict(run) for run in printed.split_runs(outs.lines, lambda line: MARKER in line.text)]
    shapes = [("--pattern", compile_pattern(pattern))] if pattern else SHAPES
    for name, rx in shapes:
        if any(rx.search(line.text) for line in outs.lines):   # the first shape that matches is the log's
            return _by_shape(outs, name, rx, bool(pattern))
    if pattern:
        raise ClaimError(f"{where}: no printed line matches --pattern {pattern!r}")
    raise ClaimError(f"{where}: {NO_LINES}")


def _by_shape(outs: Outputs, name: str, rx: re.Pattern, numbered: bool) -> list[Claimed]:
    epoch_of = (lambda line: _epoch(rx.search(line.text))) if numbered else (lambda line: None)
    runs = printed.split_runs(outs.lines, lambda line: bool(rx.search(line.text)), epoch_of)
    return [_shaped(run, name, rx, numbered) for run in runs]


def _epoch(m) -> int | None:
    value = m.groupdict().get("epoch") if m else None
    return int(value) if value and value.isdigit() else None


def _strict(run: printed.Run) -> Claimed:
    got = Claimed([], [], [], "Test set: Average loss: L, Accuracy: K/N (P%)", total_params=run.total_params)
    for line in run.lines:
        if MARKER not in line.text:
            continue
        m = TEST_LINE.search(line.text)
        if not m:
            raise ClaimError(f"{line.where}: a '{MARKER}' line not in the form "
                             f"'Test set: Average loss: L, Accuracy: K/N (P%)': {line.text.strip()[:80]!r}")
        acc, shown, n = _from_counts(m.groupdict(), line.where, (float(m["pct"]), m["pct"]))
        if got.n_test is not None and n != got.n_test:
            raise ClaimError(f"{line.where}: evaluated on {n} images, earlier lines on {got.n_test}")
        got.first, got.n_test = got.first or line.place, n
        got.accs.append(acc)
        got.losses.append(float(m["loss"]))
        got.shown.append(shown)
    return got


def _one_unit(units: dict, value: str, where: str) -> None:
    """A log states its accuracies in one unit: fractions (0.9946) or percentages (99.46), never both."""
    unit = "a fraction" if float(value) <= 1.0 else "a percentage"
    units.setdefault(unit, value)
    if len(units) > 1:
        other = next(u for u in units if u != unit)
        raise ClaimError(f"{where}: {value} reads as {unit}, but an earlier line's {units[other]} as {other}: "
                         f"one log, one unit")


def _shaped(run: printed.Run, name: str, rx: re.Pattern, numbered: bool) -> Claimed:
    got = Claimed([], [], [], name, total_params=run.total_params)
    epochs: list[int | None] = []
    units: dict[str, str] = {}
    for line in run.lines:
        m = rx.search(line.text)
        if not m:
            continue
        groups = m.groupdict()
        marked = bool(groups.get("pct")) or name.endswith("%")
        acc = _percent(groups["acc"], marked, line.where) if groups.get("acc") else None
        if acc is not None and not marked:
            _one_unit(units, groups["acc"], line.where)
        if groups.get("correct") and groups.get("total"):
            value, shown, got.n_test = _from_counts(groups, line.where, acc)
        elif acc is None:
            continue   # an optional count group that did not match
        else:
            (value, shown), counted = acc, " (a count? name the groups correct and total)" if numbered else ""
            if not 0 <= value <= 100:
                raise ClaimError(f"{line.where}: accuracy {groups['acc']} is impossible{counted}")
        got.first = got.first or line.place
        got.accs.append(value)
        got.losses.append(_number(groups["loss"], "loss", line.where) if groups.get("loss") else None)
        got.shown.append(shown)
        epochs.append(int(_number(groups["epoch"], "epoch", line.where)) if groups.get("epoch") else None)
    numbers = [e for e in epochs if e is not None]
    if numbered and numbers and len(numbers) == len(epochs):   # keep each numbered epoch's last line
        last = {e: i for i, e in enumerate(numbers)}
        keep = [last[e] for e in sorted(last)]
        got.accs = [got.accs[i] for i in keep]
        got.losses = [got.losses[i] for i in keep]
        got.shown = [got.shown[i] for i in keep]
    return got
