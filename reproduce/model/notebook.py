"""A Jupyter notebook's code, read statically: never a cell run. Cells are numbered as the notebook shows them,
counting every cell (markdown too) from 1, so "cell 9" is the ninth cell from the top.

Lines starting with `!` or `%` (shell commands, IPython magics) become blank lines before parsing, so line
numbers stay the notebook's; a cell that still does not parse is skipped and named in `skipped`.
"""
import ast
import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

from reproduce.errors import BadInput, cannot_read


class NotebookError(BadInput, ValueError):
    """A notebook that cannot be read or used, said in one line."""


def is_notebook(path) -> bool:
    """Whether a path names a Jupyter notebook (by its .ipynb suffix): the one test of it, so a recipe, a model
    spec's file and a check's argument are told apart alike. False for None (no path given)."""
    return path is not None and Path(path).suffix == ".ipynb"


@dataclass
class Cell:
    number: int                     # 1-based position among all cells
    lines: list[str]                # the cell's source lines, as written (magics included)
    tree: ast.Module | None      # None: the cell does not parse

    def line(self, lineno: int) -> str:
        return self.lines[lineno - 1].strip() if 0 < lineno <= len(self.lines) else ""


@dataclass
class Notebook:
    path: Path
    sha256: str
    cells: list[Cell]               # code cells only, numbered among all cells

    @property
    def skipped(self) -> list[int]:
        return [c.number for c in self.cells if c.tree is None]

    def parsed(self):
        return [c for c in self.cells if c.tree is not None]


def _code(lines: list[str]) -> str:
    """The cell as Python: shell and magic lines blanked (keeping the line count), as Jupyter strips them."""
    return "\n".join("" if ln.lstrip().startswith(("!", "%")) else ln for ln in lines)


def _cells_as_written(raw: bytes, path: Path) -> list:
    """The cells of a notebook nbformat refuses (a cell without metadata, written by a script): its JSON."""
    try:
        cells = json.loads(raw.decode("utf-8"))["cells"]
        if isinstance(cells, list):
            return cells
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        pass
    raise NotebookError(f"{path}: not a Jupyter notebook (no JSON object with a 'cells' list)")


def read(path) -> Notebook:
    import nbformat
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise NotebookError(cannot_read(path, e)) from None
    try:
        with warnings.catch_warnings():   # e.g. cells without ids: nbformat warns, the cells read fine
            warnings.simplefilter("ignore")
            cells = list(nbformat.reads(raw.decode("utf-8"), as_version=4).cells)
    except Exception:  # noqa: BLE001 - nbformat raises many kinds (JSON, schema, version); a notebook written by hand may still be one
        cells = _cells_as_written(raw, path)
    out = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else str(source)).splitlines()
        try:
            tree = ast.parse(_code(lines))
        except (SyntaxError, ValueError):
            tree = None
        out.append(Cell(number, lines, tree))
    return Notebook(path, hashlib.sha256(raw).hexdigest(), out)
