"""A Jupyter notebook's code, read statically: never a cell run. Cells are numbered as the notebook shows them,
counting every cell (markdown too) from 1, so "cell 9" is the ninth cell from the top.

Lines starting with `!` or `%` (shell commands, IPython magics) become blank lines before parsing, so line
numbers stay the notebook's; a cell that still does not parse is skipped and named in `skipped`.
"""
import ast
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional


class NotebookError(ValueError):
    """A notebook that cannot be read or used, said in one line."""


@dataclass
class Cell:
    number: int                     # 1-based position among all cells
    lines: List[str]                # the cell's source lines, as written (magics included)
    tree: Optional[ast.Module]      # None: the cell does not parse
    outputs: list = field(default_factory=list)

    def line(self, lineno: int) -> str:
        return self.lines[lineno - 1].strip() if 0 < lineno <= len(self.lines) else ""


@dataclass
class Notebook:
    path: Path
    sha256: str
    cells: List[Cell]               # code cells only, numbered among all cells

    @property
    def skipped(self) -> List[int]:
        return [c.number for c in self.cells if c.tree is None]

    def parsed(self):
        return [c for c in self.cells if c.tree is not None]


def _code(lines: List[str]) -> str:
    """The cell as Python: shell and magic lines blanked (keeping the line count), as Jupyter strips them."""
    return "\n".join("" if ln.lstrip().startswith(("!", "%")) else ln for ln in lines)


def read(path) -> Notebook:
    import nbformat
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise NotebookError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        cells = list(nb.cells)
    except Exception:   # nbformat raises several kinds for a file that is not a notebook
        raise NotebookError(f"{path}: not a Jupyter notebook (nbformat cannot read it)") from None
    out = []
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        lines = str(cell.get("source", "")).splitlines()
        try:
            tree = ast.parse(_code(lines))
        except (SyntaxError, ValueError):
            tree = None
        out.append(Cell(number, lines, tree, list(cell.get("outputs") or [])))
    return Notebook(path, hashlib.sha256(raw).hexdigest(), out)
