"""Loaded by the dry run's first cell, inside the notebook's kernel: what the notebook needs around it to run
here, in seconds, without writing anywhere but its scratch folder.

- CUDA: `torch.cuda.is_available()` answers True (the claim was trained on a GPU, so the CUDA branch is the
  notebook's recipe) and everything sent to "cuda" stays on the CPU;
- modules a notebook imports for display only (torchsummary, torchinfo, pandas) and google.colab, when they
  are not installed, and seaborn, torchviz and wandb always: stand-ins whose functions do nothing (and say so
  where they would print);
- plotting: matplotlib on its headless Agg backend, `show` a no-op;
- then loaders.py (the verified MNIST, loaders cut to a few batches) and watch.py (the record).
"""
import functools
import importlib.machinery
import importlib.util
import os
import sys
import types
from pathlib import Path

from reproduce.notebook.trace.state import State

FACTORIES = ("tensor", "as_tensor", "zeros", "ones", "empty", "full", "rand", "randn", "randint", "randperm",
             "arange", "linspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
             "randn_like", "randint_like")
DISPLAY_ONLY = ("torchsummary", "torchinfo", "pandas")   # stand-ins when not installed
PLOTS_ONLY = ("seaborn", "torchviz", "wandb")             # stand-ins always: a countplot of 60,000 labels is minutes


def on_cpu(device):
    """`cuda`, `cuda:0`, torch.device("cuda"), 0 (a CUDA ordinal) -> "cpu"; anything else as it is."""
    import torch
    if isinstance(device, torch.device) and device.type == "cuda":
        return torch.device("cpu")
    if isinstance(device, str) and device.startswith("cuda"):
        return "cpu"
    return device


def _map_args(args, kwargs):
    args = tuple(on_cpu(a) if isinstance(a, str) or type(a).__name__ == "device" else a for a in args)
    if "device" in kwargs:
        kwargs["device"] = on_cpu(kwargs["device"])
    return args, kwargs


def _on_cpu_call(fn):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        args, kwargs = _map_args(args, kwargs)
        return fn(*args, **kwargs)
    return call


class StandIn(types.ModuleType):
    """A module that is not installed: any public name is a function that does nothing; anything else (such as
    `__file__`, which IPython's error display asks for) is an AttributeError, as for a real module."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return StandInFunction(f"{self.__name__}.{name}")


class StandInFunction:
    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        if self.name.endswith("summary"):
            print(f"[dry run: {self.name} is not installed here; nothing shown]")
        return StandInFunction(self.name + "()")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return StandInFunction(f"{self.name}.{name}")


def _stand_in(name: str):
    module = StandIn(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    sys.modules[name] = module
    return module


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def stand_ins():
    for name in DISPLAY_ONLY:
        if not _importable(name):
            _stand_in(name)
    for name in PLOTS_ONLY:
        _stand_in(name)
    try:
        importlib.import_module("google.colab")
    except ImportError:
        if not _importable("google"):
            google = _stand_in("google")
            google.__path__ = []
        colab = _stand_in("google.colab")
        sys.modules["google"].colab = colab


def text_progress_bars():
    """tqdm.notebook (and tqdm.auto, which picks it in a kernel) needs ipywidgets to draw: the text bar instead."""
    if not _importable("tqdm"):
        return
    import tqdm.auto
    import tqdm.notebook
    import tqdm.std
    for module in (tqdm.notebook, tqdm.auto):
        module.tqdm, module.trange = tqdm.std.tqdm, tqdm.std.trange


def summary_on_cpu():
    """torchsummary's summary builds its probe on "cuda" unless told otherwise."""
    if not _importable("torchsummary") or isinstance(sys.modules.get("torchsummary"), StandIn):
        return
    import torchsummary
    summary = torchsummary.summary

    @functools.wraps(summary)
    def on_cpu(*args, **kwargs):
        kwargs["device"] = "cpu"
        return summary(*args, **kwargs)
    torchsummary.summary = on_cpu


def headless_plots():
    os.environ["MPLBACKEND"] = "Agg"
    if not _importable("matplotlib"):
        _stand_in("matplotlib")
        _stand_in("matplotlib.pyplot")
        return
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.show = lambda *a, **k: None
    plt.ion()


def cuda_on_cpu(state: State):
    import torch

    def is_available():
        state.note_cuda()
        return True

    torch.cuda.is_available = is_available
    torch.cuda.device_count = lambda: 1
    torch.cuda.current_device = lambda: 0
    torch.cuda.get_device_name = lambda *a, **k: "CPU (dry run)"
    torch.cuda.is_current_stream_capturing = lambda: False
    for check in ("_accelerator_graph_capture_health_check", "_cuda_graph_capture_health_check"):
        if hasattr(torch.optim.Optimizer, check):   # asked by Adam's and AdamW's step: no graph is captured here
            setattr(torch.optim.Optimizer, check, lambda self: None)
    for name in ("manual_seed", "manual_seed_all", "synchronize", "empty_cache", "set_device",
                 "reset_peak_memory_stats"):
        setattr(torch.cuda, name, lambda *a, **k: None)
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self
    torch.Tensor.pin_memory = lambda self, *a, **k: self
    torch.Tensor.to = _on_cpu_call(torch.Tensor.to)
    torch.nn.Module.to = _on_cpu_call(torch.nn.Module.to)
    for name in FACTORIES:
        setattr(torch, name, _on_cpu_call(getattr(torch, name)))
    torch.load = _on_cpu_load(torch.load)
    for scaler in (torch.amp.GradScaler,):
        scaler.__init__ = _disabled(scaler.__init__)
    torch.autocast.__init__ = _disabled(torch.autocast.__init__, device_type="cpu")


def _on_cpu_load(load):
    @functools.wraps(load)
    def call(*args, **kwargs):
        kwargs["map_location"] = "cpu"
        return load(*args, **kwargs)
    return call


def _disabled(init, **fixed):
    """GradScaler and autocast asked for CUDA: off, since the CPU has no CUDA kernels for them."""
    @functools.wraps(init)
    def call(self, *args, **kwargs):
        kwargs.update(enabled=False, **fixed)
        if fixed and args:
            args = args[1:]
        return init(self, *args, **kwargs)
    return call


def install(out: str, cells, data_root: str, batches: int):
    """Everything the dry run changes, before the notebook's first cell; returns the record being kept."""
    from IPython import get_ipython

    from reproduce.notebook.trace import loaders, watch
    state = State(Path(out), list(cells))
    stand_ins()
    text_progress_bars()
    summary_on_cpu()
    headless_plots()
    cuda_on_cpu(state)
    loaders.install(state, data_root, batches)
    watch.install(state)
    ip = get_ipython()
    ip.events.register("pre_run_cell", state.next_cell)
    ip.events.register("post_run_cell", state.dump)
    state.dump()
    return state
