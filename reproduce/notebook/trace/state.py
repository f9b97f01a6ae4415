"""The kernel side's record of what torch was handed, kept while the notebook runs and written as JSON after
every cell (so a cell that is stopped leaves what came before it). Only the standard library: this is loaded
inside the notebook's kernel."""
import json
import os
from pathlib import Path
from typing import Any

VERSION = 1


def describe(value, depth: int = 0):
    """A JSON form of a constructor argument: literals as they are, anything else as {"repr", "type"}."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if depth < 4 and isinstance(value, (list, tuple)):
        return [describe(v, depth + 1) for v in value]
    if depth < 4 and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: describe(v, depth + 1) for k, v in value.items()}
    if type(value).__name__ == "Tensor" and getattr(value, "numel", lambda: 0)() == 1:
        return float(value.item())
    if type(value).__module__ == "numpy" and getattr(value, "size", 0) <= 16 and hasattr(value, "tolist"):
        return describe(value.tolist(), depth + 1)   # np.float32(0.5), np.array([0.1307]): their numbers
    return {"repr": repr(value)[:120], "type": type(value).__name__}


class State:
    def __init__(self, out: Path, cells: list[int]):
        self.out = Path(out)
        self.cells = cells            # the notebook's cell number of each execution, in order
        self.executed = 0
        self.record: dict[str, Any] = {   # written as JSON (dump), read back by record.py
            "version": VERSION, "cuda_asked": [], "adapted": [], "models": [], "optimizers": [], "schedulers": [],
            "loaders": [], "penalties": [], "events": []}

    @property
    def cell(self) -> int | None:
        return self.cells[self.executed - 1] if 0 < self.executed <= len(self.cells) else None

    def next_cell(self, *_):
        self.executed += 1

    def add(self, kind: str, item: dict) -> int:
        """Append an object's record (optimizers, schedulers, ...); its index is its id in the events."""
        items = self.record[kind]
        items.append({**item, "cell": self.cell})
        return len(items) - 1

    def event(self, *fields):
        self.record["events"].append([*fields, self.cell])

    def note_cuda(self):
        if self.cell not in self.record["cuda_asked"]:
            self.record["cuda_asked"].append(self.cell)

    def adapted(self, line: str):
        if line not in self.record["adapted"]:
            self.record["adapted"].append(line)

    def dump(self, *_):
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.record), encoding="utf-8")
        os.replace(tmp, self.out)
