"""Kernel side: the injected seed wins over the notebook's own. Every seeding function the notebook can reach
(Python's `random.seed`, NumPy's `np.random.seed` / `default_rng(s)` / `RandomState(s)`, `torch.manual_seed`,
`torch.cuda.manual_seed[_all]`, a `torch.Generator().manual_seed(s)`) seeds with the injected seed whatever it
is passed, and every generator is seeded with it before the first cell, so a notebook that seeds nothing is
seeded too. torch's deterministic mode is on and stays on: the same seed gives the same numbers twice."""
import random


def inject(seed: int):
    import numpy as np
    import torch
    real_torch_seed = torch.manual_seed
    real_random_seed = random.seed
    real_np_seed = np.random.seed
    real_default_rng = np.random.default_rng
    real_random_state = np.random.RandomState

    def torch_seed(*_args, **_kwargs):
        return real_torch_seed(seed)

    def random_seed(*_args, **_kwargs):
        return real_random_seed(seed)

    def np_seed(*_args, **_kwargs):
        return real_np_seed(seed)

    def default_rng(*args, **kwargs):
        return real_default_rng(seed) if args or kwargs else real_default_rng()

    class RandomState(real_random_state):
        def __init__(self, *args, **kwargs):
            super().__init__(seed if args or kwargs else None)

    real_generator = torch.Generator

    class Generator(real_generator):
        def manual_seed(self, *_args, **_kwargs):
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
