"""What a notebook claims, from what its code cells printed: the per-epoch test accuracy, in the shapes answers
print it, the parameter count torchsummary printed, and whether the outputs end in an error.

Shapes besides pytorch/examples' `Test set: Average loss: L, Accuracy: K/N (P%)` (reproduce/report/importlog.py
reads that one, strictly):

    Test : Loss = 0.00014, Accuracy = 99.46%
    Test Accuracy: 99.46%
    test_loss=0.0210 test_acc=0.9946          (key=value; a fraction or a percentage)
    100%|████| 469/469 [00:09, test_acc=99.46]  (a tqdm postfix: each line's last state counts)

The first shape that matches some line is the log's shape; lines in other shapes are not mixed in. `--pattern
REGEX` reads anything else: a named group `acc` (percent, or a fraction), optional `loss` and `epoch`.
"""
import json
import re
from dataclasses import dataclass, field

from reproduce.errors import BadInput

NUM = r"(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
SHAPES = [
    ("Test : Loss = L, Accuracy = P%", re.compile(
        rf"Test\s*:\s*(?:Average\s+)?Loss\s*=\s*(?P<loss>{NUM[1:-1]})\s*,\s*Accuracy\s*=\s*(?P<acc>{NUM[1:-1]})\s*%",
        re.I)),
    ("Test Accuracy: P%", re.compile(rf"Test\s+Accuracy\s*[:=]\s*(?P<acc>{NUM[1:-1]})\s*%", re.I)),
    ("test_acc=A", re.compile(rf"(?:test_loss\s*[=:]\s*(?P<loss>{NUM[1:-1]})[\s,;]*)?"
                              rf"\btest_acc(?:uracy)?\s*[=:]\s*(?P<acc>{NUM[1:-1]})\s*(?P<pct>%?)", re.I)),
]
TOTAL_PARAMS = re.compile(r"Total params:\s*([\d,]+)")


class ClaimError(BadInput, ValueError):
    """Outputs that cannot be read as a claim, said in one line naming the file."""


@dataclass
class Claimed:
    accs: list[float]                           # test accuracy per epoch, percent, in order
    losses: list[float | None]
    shape: str
    n_test: int | None = None                # known from `K/N` only


@dataclass
class Outputs:
    text: str                                   # what the code cells printed, in order
    error: str | None = None                 # "outputs end in an error in cell N (Name: message)"
    total_params: int | None = None          # torchsummary's `Total params:`, the last one printed
    cells: list[tuple[int, str]] = field(default_factory=list)


def _text(out: dict) -> str:
    if out.get("output_type") == "stream":
        text = out.get("text", "")
    else:   # execute_result, display_data: their plain-text form
        text = (out.get("data") or {}).get("text/plain", "")
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
    counts = TOTAL_PARAMS.findall(found.text)
    found.total_params = int(counts[-1].replace(",", "")) if counts else None
    return found


def final_states(text: str) -> list[str]:
    """Each printed line as it was left on screen: a progress bar's `\\r` updates keep only their last state."""
    return [line.rsplit("\r", 1)[-1] for line in text.replace("\r\n", "\n").split("\n")]


def compile_pattern(pattern: str) -> re.Pattern:
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise ClaimError(f"--pattern {pattern!r}: not a regular expression ({e})") from None
    if "acc" not in rx.groupindex:
        raise ClaimError(f"--pattern {pattern!r}: needs a named group acc, e.g. (?P<acc>\\d+\\.\\d+)")
    return rx


def _percent(value: str, pct: bool) -> float:
    v = float(value)
    return v if pct or v > 1.0 else 100.0 * v   # test_acc=0.9946 is a fraction; 99.46 a percentage


def read(text: str, where: str, pattern: str | None = None) -> Claimed:
    """The per-epoch test accuracies in the first shape that matches (or in --pattern's); ClaimError if none."""
    shapes = [("--pattern", compile_pattern(pattern))] if pattern else SHAPES
    lines = final_states(text)
    for name, rx in shapes:
        hits = [(m, i) for i, line in enumerate(lines, 1) for m in [rx.search(line)] if m]
        if not hits:
            continue
        accs, losses, epochs = [], [], []
        for m, lineno in hits:
            groups = m.groupdict()
            acc = _percent(groups["acc"], bool(groups.get("pct")) or name.endswith("%"))
            if not 0 <= acc <= 100:
                raise ClaimError(f"{where}: printed line {lineno}: accuracy {groups['acc']} is impossible")
            accs.append(acc)
            losses.append(float(groups["loss"]) if groups.get("loss") else None)
            epochs.append(groups.get("epoch"))
        if pattern and all(e is not None for e in epochs):   # the pattern numbers its epochs: keep each one's last
            last = {}
            for e, acc, loss in zip(epochs, accs, losses):
                last[int(e)] = (acc, loss)
            accs, losses = [last[e][0] for e in sorted(last)], [last[e][1] for e in sorted(last)]
        return Claimed(accs, losses, name)
    if pattern:
        raise ClaimError(f"{where}: no printed line matches --pattern {pattern!r}")
    raise ClaimError(f"{where}: no epoch lines like 'Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)' "
                     f"found (nor 'Test : Loss = L, Accuracy = P%', 'Test Accuracy: P%', 'test_acc=A'; "
                     f"--pattern REGEX reads other shapes)")
