"""Kernel side: the injected seed wins over the notebook's own. Every seeding function the notebook can reach
(Python's `random.seed`, NumPy's `np.random.seed` / `default_rng(s)` / `RandomState(s)`, `torch.manual_seed`,
`torch.cuda.manual_seed[_all]`, a `torch.Generator().manual_seed(s)`) seeds with the injected seed whatever it
is passed, and every generator is seeded with it before the first cell, so a notebook that seeds nothing is
seeded too. torch's deterministic mode is on and stays on: the same seed gives the same numbers twice.

The libraries' own calls keep the seed they pass: a shuffling DataLoader seeds a fresh torch.Generator each
epoch with a number drawn from the global generator, and that must stay a new order each epoch."""
import random
import sys
from types import FrameType

LIBRARIES = ("torch", "torchvision", "numpy", "random")
WRAPPERS = ("torch._dynamo", "torch._compile")   # torch wraps a function set on it: not the caller


def _from_a_library() -> bool:
    """Whether the seeding function was called by a library's own code rather than the notebook's."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(WRAPPERS):
        frame = frame.f_back
    caller = frame.f_globals.get("__name__", "") if frame is not None else ""
    return caller.split(".")[0] in LIBRARIES


def inject(seed):   # unannotated: it sets classes of its own on numpy and torch
    import numpy as np
    import torch
    real_torch_seed = torch.manual_seed
    real_random_seed = random.seed
    real_np_seed = np.random.seed
    real_default_rng = np.random.default_rng
    real_random_state = np.random.RandomState

    def torch_seed(*args, **kwargs):
        return real_torch_seed(*args, **kwargs) if _from_a_library() else real_torch_seed(seed)

    def random_seed(*args, **kwargs):
        return real_random_seed(*args, **kwargs) if _from_a_library() else real_random_seed(seed)

    def np_seed(*args, **kwargs):
        return real_np_seed(*args, **kwargs) if _from_a_library() else real_np_seed(seed)

    def default_rng(*args, **kwargs):
        if _from_a_library() or not (args or kwargs):
            return real_default_rng(*args, **kwargs)
        return real_default_rng(seed)

    class RandomState(real_random_state):
        def __init__(self, *args, **kwargs):
            if _from_a_library() or not (args or kwargs):
                super().__init__(*args, **kwargs)
            else:
                super().__init__(seed)

    class Generator(torch.Generator):
        def manual_seed(self, *args, **kwargs):
            if _from_a_library():
                return super().manual_seed(*args, **kwargs)
            return super().manual_seed(seed)

    torch.manual_seed = torch.random.manual_seed = torch_seed
    # CUDA is served on the CPU: no CUDA generator draws anything here (torch.manual_seed itself calls these)
    torch.cuda.manual_seed = torch.cuda.manual_seed_all = lambda *a, **k: None
    torch.Generator = Generator
    random.seed = random_seed
    np.random.seed = np_seed
    np.random.default_rng = default_rng
    np.random.RandomState = RandomState
    real_torch_seed(seed)
    real_random_seed(seed)
    real_np_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.use_deterministic_algorithms = lambda *a, **k: None   # a notebook's own call changes nothing
