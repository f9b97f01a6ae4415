"""The dry run: a notebook's code cells, in order, in a Jupyter kernel of this Python (nbclient, ipykernel),
in a scratch copy of the notebook's folder (so nothing is written in the author's), with that folder first on
the import path and PYTHONPATH passed through. The first cell, ours, loads kernel.py; shell lines and magics
become no-ops at the same indentation (`%time stmt` keeps its statement). Each cell has a time limit and the
whole run another; at either, the kernel is shut down (killed when it does not stop).

Returns the record the kernel wrote (record.py), the executed notebook (kept beside the reports) and, where a
cell failed, which one and why."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reproduce.errors import BadInput, SuiteError
from reproduce.notebook.trace.record import Record

MAGIC = re.compile(r"^(\s*)(?:%%?|!)(.*)$")
CLONE = re.compile(r"^\s*!\s*git\s+clone\s+(?:-\S+\s+)*(\S+?)(?:\.git)?/?(?:\s+(\S+))?\s*$", re.M)
KEEPS_STATEMENT = re.compile(r"^%%?(?:time|timeit|prun)(?:\s+-\S+)*\s+(.*)$")
NOT_COPIED = shutil.ignore_patterns(".git", "__pycache__", ".ipynb_checkpoints", "*.pt", "*.pth", "*.ckpt")
BIGGEST_COPIED = 50 << 20


class NoKernel(BadInput, RuntimeError):
    """The dry run's packages are not installed: said in one line, with what to do."""


class KernelFailed(SuiteError):
    """The suite's own first cell failed in the notebook's kernel (it loads the suite's stand-ins and watch, or
    measure, before any cell of the notebook): no cell of the notebook ran. Said in one line, exit 1."""


@dataclass(frozen=True)
class Limits:
    cell_s: float = 300.0      # one cell
    total_s: float = 900.0     # the whole notebook
    batches: int = 2           # per pass over a loader


@dataclass
class Failure:
    cell: int
    what: str                  # "ZeroDivisionError: division by zero", "did not finish within 30 s"
    timed_out: bool = False


@dataclass
class DryRun:
    record: Record
    executed: str              # the notebook as run, with its outputs (nbformat JSON)
    seconds: float
    failure: Failure | None = None
    folder: str = ""           # the scratch copy it ran in (gone now): the defining files' paths start with it


def as_python(source: str) -> str:
    """Shell lines and magics as `pass` at their indentation; `%time stmt` as `stmt`."""
    out = []
    for line in source.splitlines():
        m = MAGIC.match(line)
        if m is None:
            out.append(line)
            continue
        keep = KEEPS_STATEMENT.match(line.strip())
        out.append(m.group(1) + (keep.group(1) if keep and keep.group(1) else "pass"))
    return "\n".join(out)


def code_cells(nb) -> list[tuple[int, str]]:
    """(cell number counting every cell from 1, its source as Python) of the code cells that hold code."""
    cells = []
    for number, cell in enumerate(nb.cells, 1):
        if cell.get("cell_type") == "code":
            source = as_python("".join(cell.get("source", "")))
            if source.strip():
                cells.append((number, source))
    return cells


def clone_roots(sources: list[str], folder: Path) -> list[str]:
    """Where a `!git clone URL` cell's repository already is: the notebook's folder or one above it with the
    clone's name (the notebook sits in its own checkout). That folder and its parent go on the import path, so
    `from theirrepo import models` and `from models import Net` (after `%cd theirrepo`) find its modules."""
    names = {(m.group(2) or m.group(1).rsplit("/", 1)[-1]) for src in sources for m in CLONE.finditer(src)}
    roots = []
    for above in [folder, *folder.parents]:
        if above.name and above.name in names:
            roots += [str(above), str(above.parent)]
    return roots


def _small_files(folder: str, names: list[str]) -> list[str]:
    skip = set(NOT_COPIED(folder, names))
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.path.getsize(path) > BIGGEST_COPIED:
            skip.add(name)
    return sorted(skip)


def scratch_copy(folder: Path, into: Path) -> Path:
    """The notebook's folder, copied without version control, caches, checkpoints and files over 50 MB."""
    target = into / folder.name
    shutil.copytree(folder, target, ignore=_small_files, symlinks=True)
    return target


KERNEL = "dry-run-python"


def _kernel_manager_class(scratch: Path):
    """A kernel of the Python running the suite, whatever kernels Jupyter has installed elsewhere: its spec
    written into the scratch folder, the only place this manager looks."""
    import json

    from ipykernel.kernelspec import get_kernel_dict  # ipykernel's own spec: its protocol version matters
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from traitlets import default
    spec = scratch / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({**get_kernel_dict(), "display_name": "dry run",
                                                  "argv": [sys.executable, "-m", "ipykernel_launcher", "-f",
                                                           "{connection_file}"]}))

    class ThisPython(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _only_ours(self):
            return KernelSpecManager(kernel_dirs=[str(scratch / "kernels")], ensure_native_kernel=False)
    return ThisPython


def first_cell(folder: Path, record: Path, numbers: list[int], data_root: str, batches: int) -> str:
    return (f"import sys; sys.path.insert(0, {str(folder)!r})\n"
            f"from reproduce.notebook.trace import kernel as _dry_run; "
            f"_dry_run.install({str(record)!r}, {numbers!r}, {data_root!r}, {batches}); del _dry_run\n")


def _error_of(cell) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', 'Error')}: {str(out.get('evalue', ''))[:160]}"
    return "the cell failed"


def run(path: Path, data_root: str, limits: Limits = Limits()) -> DryRun:
    import nbformat
    try:
        import ipykernel  # noqa: F401  (the kernel the cells run in)
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    except ImportError as e:
        raise NoKernel(f"the dry run of a notebook needs {e.name}: pip install '.[notebook]' (nbclient, ipykernel, "
                       f"tqdm); --static reads the notebook's code as text instead, running nothing") from None
    from nbformat.v4 import new_code_cell, new_notebook
    path = Path(path).resolve()
    source = nbformat.read(str(path), as_version=4)
    cells = code_cells(source)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dry-run-") as scratch:
        folder = scratch_copy(path.parent, Path(scratch))
        record_path = Path(scratch) / "record.json"
        nb = new_notebook(metadata=source.metadata)
        nb.cells.append(new_code_cell(first_cell(folder, record_path, [n for n, _ in cells], data_root,
                                                 limits.batches)))
        nb.cells += [new_code_cell(src, metadata={"cell": n}) for n, src in cells]
        raw = ["".join(c.get("source", "")) for c in source.cells if c.get("cell_type") == "code"]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (str(folder), *clone_roots(raw, path.parent), os.environ.get("PYTHONPATH", "")) if p),
            MPLBACKEND="Agg")
        client = NotebookClient(nb, timeout=limits.cell_s, kernel_name=KERNEL, shutdown_kernel="immediate",
                                kernel_manager_class=_kernel_manager_class(Path(scratch)),
                                resources={"metadata": {"path": str(folder)}})   # at a limit: CellTimeoutError
        failure = None
        with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):   # the kernel's own log; cells' is kept
            for index, cell in enumerate(nb.cells):
                left = limits.total_s - (time.monotonic() - started)
                number = cell.metadata.get("cell", 0)
                if left <= 0:
                    failure = Failure(number, f"not reached within the dry run's {limits.total_s:g} s", True)
                    break
                # our own first cell (importing torch) has what is left of the whole run's time
                client.timeout = max(1, int(left if index == 0 else min(limits.cell_s, left)))
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    failure = Failure(number, f"did not finish within {client.timeout} s (stopped)", True)
                    break
                except CellExecutionError:
                    failure = Failure(number, _error_of(cell))
                    break
                except DeadKernelError:
                    failure = Failure(number, "the kernel died (out of memory, or the process was killed)")
                    break
        record = Record.read(record_path) if record_path.exists() else Record.empty()
        if failure is not None and failure.cell == 0:
            raise KernelFailed(f"the dry run's first cell failed: {failure.what}")
    return DryRun(record, nbformat.writes(nb), time.monotonic() - started, failure, str(folder))
