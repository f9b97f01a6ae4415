"""An as-written run: a notebook's code cells, in full and in order, in a Jupyter kernel of this Python, in a
scratch copy of its folder (as the dry run: reproduce/notebook/trace/runner.py), for one seed. The first cell,
ours, loads kernel.py. A cell that fails ends the run, said with its cell and error; EpochsDone (`epochs`
reached) is the run's normal end. Returns the accuracy the suite measured after each training pass, the
notebook's own printed figures beside them, and the executed notebook."""
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from reproduce.notebook import claim
from reproduce.notebook.trace import runner as dry_run
from reproduce.notebook.trace.runner import Failure, KernelFailed

STOPPED = "EpochsDone"


@dataclass(frozen=True)
class Options:
    seed: int
    data_root: str
    epochs: int | None = None          # stop after this many training passes
    train_limit: int | None = None     # the training set's first images only
    threads: int | None = None
    cell_s: float | None = None        # no limit unless given: the notebook's loop takes what it takes


@dataclass
class Epoch:
    epoch: int
    cell: int | None
    accuracy: float | None             # percent, measured by the suite; None where it could not be
    correct: int | None
    total: int | None
    seconds: float                     # since the previous measured pass (the first: since the kernel started)
    params: int | None = None          # the measured model's parameters


@dataclass
class AsWritten:
    seed: int
    epochs: list[Epoch]
    printed: list[float]               # the notebook's own printed test accuracies, its last training run's
    executed: str                      # the notebook as run, with its outputs (nbformat JSON)
    seconds: float
    versions: dict
    failure: Failure | None = None
    stopped: bool = False              # ended by `epochs`, as asked
    notes: list[str] = field(default_factory=list)


def first_cell(folder: Path, config: dict) -> str:
    return (f"import sys; sys.path.insert(0, {str(folder)!r})\n"
            f"from reproduce.notebook.aswritten import kernel as _as_written; "
            f"_as_written.install({config!r}); del _as_written\n")


def _printed(executed: str, where: str) -> list[float]:
    try:
        runs = claim.read_runs(claim.outputs(executed.encode("utf-8"), where), where)
    except claim.ClaimError:
        return []
    return list(runs[-1].accs) if runs else []


def _ename(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename")
    return None


def run(path: Path, options: Options) -> AsWritten:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbformat.v4 import new_code_cell, new_notebook
    path = Path(path).resolve()
    source = nbformat.read(str(path), as_version=4)
    cells = dry_run.code_cells(source)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="as-written-") as scratch:
        folder = dry_run.scratch_copy(path.parent, Path(scratch))
        out = Path(scratch) / "measured.json"
        config = {"out": str(out), "cells": [n for n, _ in cells], "data_root": options.data_root,
                  "seed": options.seed, "epochs": options.epochs, "train_limit": options.train_limit,
                  "threads": options.threads}
        nb = new_notebook(metadata=source.metadata)
        nb.cells.append(new_code_cell(first_cell(folder, config)))
        nb.cells += [new_code_cell(src, metadata={"cell": n}) for n, src in cells]
        raw = ["".join(c.get("source", "")) for c in source.cells if c.get("cell_type") == "code"]
        threads = {"OMP_NUM_THREADS": str(options.threads)} if options.threads else {}
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (str(folder), *dry_run.clone_roots(raw, path.parent), os.environ.get("PYTHONPATH", ""))
            if p), MPLBACKEND="Agg", **threads)
        client = NotebookClient(nb, timeout=options.cell_s, kernel_name=dry_run.KERNEL, shutdown_kernel="immediate",
                                kernel_manager_class=dry_run._kernel_manager_class(Path(scratch)),
                                resources={"metadata": {"path": str(folder)}})
        failure, stopped = None, False
        with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
            for index, cell in enumerate(nb.cells):
                number = cell.metadata.get("cell", 0)
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    failure = Failure(number, f"did not finish within {options.cell_s:g} s (stopped)", True)
                    break
                except CellExecutionError:
                    if _ename(cell) == STOPPED:
                        stopped = True
                    else:
                        failure = Failure(number, dry_run._error_of(cell))
                    break
                except DeadKernelError:
                    failure = Failure(number, "the kernel died (out of memory, or the process was killed)")
                    break
        if failure is not None and failure.cell == 0:
            raise KernelFailed(f"the as-written run's first cell failed: {failure.what}")
        measured = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    executed = nbformat.writes(nb)
    epochs = [Epoch(e["epoch"], e["cell"], e["accuracy"], e["correct"], e["total"], e["seconds"], e.get("params"))
              for e in measured.get("epochs", [])]
    return AsWritten(options.seed, epochs, _printed(executed, path.name), executed, time.monotonic() - started,
                     measured.get("versions", {}), failure, stopped, measured.get("notes", []))
