"""Kernel side: every torchvision MNIST served from the suite's verified copy (whatever root the notebook names,
nothing downloaded or written), and every DataLoader cut to a few batches per pass with no worker processes,
so that a notebook's whole loop, every epoch, runs in seconds. Each pass over a loader is an event of the
record: the epochs are counted from them (runs.py)."""
import functools

from reproduce.notebook.trace.state import State, describe
from reproduce.notebook.trace.transforms_seen import describe_transform

LOADER_ARGS = ("batch_size", "shuffle", "sampler", "batch_sampler", "num_workers", "collate_fn", "pin_memory",
               "drop_last", "timeout", "worker_init_fn", "multiprocessing_context", "generator")
WORKER_ONLY = ("prefetch_factor", "persistent_workers", "multiprocessing_context", "pin_memory_device")


class CutIterator:
    """A loader's iterator that ends after `left` batches; `.next` (an old idiom) and every other attribute of
    the real iterator still answer. `seen(batch)`, if given, is called with each batch handed out."""

    def __init__(self, inner, left: int, seen=None):
        self.inner, self.left, self.seen = inner, left, seen

    def __iter__(self):
        return self

    def __next__(self):
        if self.left <= 0:
            raise StopIteration
        self.left -= 1
        batch = next(self.inner)
        if self.seen is not None:
            self.seen(batch)
        return batch

    next = __next__

    def __len__(self):
        return min(self.left, len(self.inner))

    def __getattr__(self, name):
        return getattr(self.inner, name)


TRANSFORM_LIBRARIES = ("torchvision.transforms", "albumentations")


def _is_transform(value) -> bool:
    """A torchvision or Albumentations transform, or a class of the notebook's built on one."""
    return any(k.__module__.startswith(TRANSFORM_LIBRARIES) for k in type(value).__mro__)


def _own_transform(dataset):
    """The transform a dataset holds itself: under `transform` or `transforms`, else under any other name (a
    wrapper's `self.tf`, `self.aug`) where exactly one attribute holds a transform; a target transform never."""
    for name in ("transform", "transforms"):
        t = getattr(dataset, name, None)
        if t is not None and not isinstance(t, (list, tuple)):
            return t
    try:
        fields = vars(dataset)
    except TypeError:   # no __dict__
        return None
    held = [v for k, v in fields.items() if "target" not in k.lower() and _is_transform(v)]
    return held[0] if len(held) == 1 else None


def _inner(dataset):
    """The dataset a wrapper reads from: `.dataset` (Subset, ConcatDataset's kin), else the one attribute
    holding a Dataset (a notebook's class keeping MNIST as `self.mnist`, `self.ds`)."""
    inner = getattr(dataset, "dataset", None)
    if inner is not None:
        return inner
    from torch.utils.data import Dataset
    try:
        held = [v for v in vars(dataset).values() if isinstance(v, Dataset)]
    except TypeError:
        return None
    return held[0] if len(held) == 1 else None


def _chain(dataset) -> list:
    """The dataset and the ones it wraps, outermost first (five deep at most)."""
    out: list = []
    while dataset is not None and len(out) < 5:
        out.append(dataset)
        dataset = _inner(dataset)
    return out


def _transform_of(dataset):
    """The transform the images go through, through wrappers. Where a wrapper applies its own transform to what
    the dataset it wraps returns, both are found and described as one Compose, the inner one first."""
    found = [t for t in (_own_transform(d) for d in _chain(dataset)) if t is not None]
    if len(found) < 2:
        return found[0] if found else None
    from torchvision.transforms import Compose
    return Compose(found[::-1])


def pixel_range(loader: dict, batch) -> None:
    """Widen the loader's record of its images' values, [min, max] over every batch handed out, where a batch
    is (images, labels, ...) with images a tensor: what a transform made of the pixels, seen, not assumed."""
    if not (isinstance(batch, (list, tuple)) and batch and type(batch[0]).__name__ == "Tensor"):
        return
    images = batch[0]
    if not images.numel():
        return
    low, high = float(images.min()), float(images.max())
    if not (low == low and high == high):   # NaN: nothing to say about a scale
        return
    old = loader.get("pixels")
    loader["pixels"] = [low, high] if old is None else [min(old[0], low), max(old[1], high)]


def _dataset_name(dataset) -> str:
    return "/".join(type(d).__name__ for d in _chain(dataset))


def make_loader_class(state: State, batches: int):
    from torch.utils.data import DataLoader, RandomSampler

    class DryRunLoader(DataLoader):
        def __init__(self, dataset, *args, **kwargs):
            bound = dict(zip(LOADER_ARGS, args))
            bound.update(kwargs)
            bound["num_workers"] = 0
            bound["pin_memory"] = False
            for name in WORKER_ONLY:
                bound.pop(name, None)
            super().__init__(dataset, **bound)
            shuffle = isinstance(self.sampler, RandomSampler) or bool(bound.get("shuffle"))
            train = getattr(dataset, "train", None)
            self._trace_id = state.add("loaders", {
                "batch_size": describe(self.batch_size), "shuffle": shuffle, "drop_last": self.drop_last,
                "dataset": _dataset_name(dataset), "train": train if isinstance(train, bool) else None,
                "size": _size(dataset), "transform": describe_transform(_transform_of(dataset))})

        def __iter__(self):
            state.event("pass", self._trace_id)
            record = state.record["loaders"][self._trace_id]
            return CutIterator(super().__iter__(), batches, lambda batch: pixel_range(record, batch))

    return DryRunLoader


def _size(dataset):
    try:
        return len(dataset)
    except TypeError:   # a dataset without a length: an iterable one
        return None


def serve_verified_mnist(data_root: str, on_test_set=None):
    """Every torchvision MNIST, whatever its root, read from the verified copy at data_root, never downloaded;
    `on_test_set(dataset)` is called for each test set built (an as-written run measures on it)."""
    import torchvision

    init = torchvision.datasets.MNIST.__init__

    @functools.wraps(init)
    def mnist(self, root=None, *args, **kwargs):
        kwargs["download"] = False
        if len(args) >= 3:   # (train, transform, target_transform, download)
            args = args[:3]
        init(self, data_root, *args, **kwargs)
        if on_test_set is not None and not self.train:
            on_test_set(self)

    torchvision.datasets.MNIST.__init__ = mnist


def install(state: State, data_root: str, batches: int):
    import torch.utils.data
    import torch.utils.data.dataloader
    loader = make_loader_class(state, batches)
    # Inside the dry run's kernel only: every DataLoader the notebook builds is the one that counts its passes.
    torch.utils.data.DataLoader = loader  # type: ignore[misc]
    torch.utils.data.dataloader.DataLoader = loader  # type: ignore[misc]
    serve_verified_mnist(data_root)
