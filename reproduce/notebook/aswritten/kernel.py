"""Loaded by an as-written run's first cell, inside the notebook's kernel: the dry run's surroundings (CUDA on
the CPU, stand-ins for display-only modules and Colab, headless plots: reproduce/notebook/trace/kernel.py) with
the loaders whole, the seed injected (seeding.py) and the accuracy measured after every training pass
(measure.py), written as JSON after each one, so a run stopped in the middle leaves the passes before it.

- a pass over a loader during which an optimizer stepped is a training epoch; at its end the suite measures;
- `epochs`: at the first optimizer step after that many training passes, EpochsDone is raised (a
  BaseException, so a notebook's `except Exception` does not swallow it): the runner takes it as the end of
  the run, after the notebook's own test of the last epoch has run and printed;
- `train_limit`: a DataLoader over MNIST's training set sees its first `train_limit` images only;
- DataLoaders run without worker processes (the numbers are the kernel's own, the same each time)."""
import contextlib
import json
import os
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from reproduce.notebook.aswritten import measure, seeding
from reproduce.notebook.trace import kernel as dry_run, loaders
from reproduce.notebook.trace.loaders import LOADER_ARGS, WORKER_ONLY
from reproduce.notebook.trace.state import State

VERSIONED = ("torch", "torchvision", "numpy", "nbclient", "ipykernel")


class EpochsDone(BaseException):
    """The run was asked to stop after a number of training passes: a normal end."""


@dataclass
class Config:
    out: str                    # the JSON written after each measured pass
    cells: list                 # the notebook's cell number of each executed cell, in order
    data_root: str
    seed: int
    epochs: int | None = None
    train_limit: int | None = None
    threads: int | None = None


def _training_set(dataset) -> bool:
    import torchvision
    return isinstance(dataset, torchvision.datasets.MNIST) and bool(dataset.train)


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    found = {}
    for name in VERSIONED:
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


class Run:
    def __init__(self, config: Config, state: State):
        self.config, self.state = config, state
        self.steps = 0
        self.last_optimizer = None
        self.tests: list = []                       # weak references to the MNIST(train=False) the notebook built
        self.images: dict = {}                      # id(dataset) -> measure.TestImages
        self.started = time.monotonic()
        self.record: dict = {"seed": config.seed, "epochs": [], "notes": [], "versions": versions(),
                       "epochs_limit": config.epochs, "train_limit": config.train_limit}

    # --- optimizer steps --------------------------------------------------------------------------------
    def before_step(self, opt, args, kwargs):
        if self.config.epochs is not None and len(self.record["epochs"]) >= self.config.epochs:
            raise EpochsDone(f"stopped after {self.config.epochs} training passes, as asked")

    def after_step(self, opt, args, kwargs):
        self.steps += 1
        self.last_optimizer = weakref.ref(opt)

    # --- passes -----------------------------------------------------------------------------------------
    def pass_ended(self, steps_before: int):
        if self.steps == steps_before or self.last_optimizer is None:
            return
        opt = self.last_optimizer()
        epoch = {"epoch": len(self.record["epochs"]) + 1, "cell": self.state.cell,
                 "optimizer": type(opt).__name__ if opt is not None else None,
                 "seconds": round(time.monotonic() - self.started, 3), "correct": None, "total": None,
                 "accuracy": None}
        model = measure.model_of(opt) if opt is not None else None
        test = self.test_images()
        if model is None:
            self._note("no single model holds exactly the optimizer's parameters: the accuracy is not measured")
        elif test is None:
            self._note("the notebook built no MNIST test set (train=False): the accuracy is not measured")
        else:
            epoch["params"] = sum(p.numel() for p in model.parameters())
            try:
                got = measure.measure(model, test)
                epoch.update(correct=got.correct, total=got.total, accuracy=got.accuracy)
            except Exception as e:  # noqa: BLE001 - any error of the notebook's model: said in the report
                self._note(f"measuring the model failed: {type(e).__name__}: {str(e)[:120]}")
        self.record["epochs"].append(epoch)
        self.started = time.monotonic()
        self.dump()

    def test_images(self):
        live = [d for d in (ref() for ref in self.tests) if d is not None]
        if not live:
            return None
        dataset = live[-1]
        if id(dataset) not in self.images:
            import torch
            if not isinstance(dataset[0][0], torch.Tensor):
                self._note("the notebook's MNIST test set gives no tensors (its transform is applied elsewhere): "
                           "the accuracy is not measured")
                return None
            self.images = {id(dataset): measure.TestImages(dataset)}
        return self.images[id(dataset)]

    def _note(self, line: str):
        if line not in self.record["notes"]:
            self.record["notes"].append(line)

    def dump(self, *_):
        out = Path(self.config.out)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.record), encoding="utf-8")
        os.replace(tmp, out)


class Pass:
    """One pass over a loader: when it is exhausted, the run is told (and measures, if it trained)."""

    def __init__(self, run: Run, inner):
        self.run, self.inner, self.steps_before, self.done = run, inner, run.steps, False

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self.inner)
        except StopIteration:
            if not self.done:
                self.done = True
                self.run.pass_ended(self.steps_before)
            raise

    next = __next__

    def __len__(self):
        return len(self.inner)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def loader_class(run: Run):
    from torch.utils.data import DataLoader, Subset

    class AsWrittenLoader(DataLoader):
        def __init__(self, dataset, *args, **kwargs):
            bound = dict(zip(LOADER_ARGS, args))
            bound.update(kwargs)
            bound["num_workers"] = 0
            bound["pin_memory"] = False
            for name in WORKER_ONLY:
                bound.pop(name, None)
            limit = run.config.train_limit
            if limit and _training_set(dataset) and len(dataset) > limit:
                dataset = Subset(dataset, range(limit))
            super().__init__(dataset, **bound)

        def __iter__(self):
            return Pass(run, super().__iter__())

    return AsWrittenLoader


def install(config):   # unannotated: it sets classes of its own on torch
    """Everything an as-written run changes, before the notebook's first cell."""
    import torch
    import torch.utils.data
    import torch.utils.data.dataloader
    from IPython import get_ipython
    from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
    config = Config(**config)
    state = State(Path(config.out).with_suffix(".state.json"), list(config.cells))
    if config.threads:
        torch.set_num_threads(config.threads)
    dry_run.stand_ins()
    dry_run.text_progress_bars()
    dry_run.summary_on_cpu()
    dry_run.headless_plots()
    dry_run.cuda_on_cpu(state)
    seeding.inject(config.seed)
    run = Run(config, state)
    loader = loader_class(run)
    torch.utils.data.DataLoader = loader
    torch.utils.data.dataloader.DataLoader = loader
    loaders.serve_verified_mnist(run.config.data_root, lambda dataset: run.tests.append(weakref.ref(dataset)))
    register_optimizer_step_pre_hook(run.before_step)
    register_optimizer_step_post_hook(run.after_step)
    get_ipython().events.register("pre_run_cell", state.next_cell)
    run.dump()
    return run

