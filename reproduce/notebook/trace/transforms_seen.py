"""Kernel side: a dataset's transform object described as data, so the suite can map it onto recipe keys
(transforms.py) without the object: {"type", "module", "args"}, with nested transforms (Compose, RandomApply,
RandomChoice, RandomOrder, Albumentations' Compose) described the same way under "transforms".

An Albumentations transform is described by its constructor's arguments as the library itself reports them
(get_base_init_args, get_transform_init_args: what its serialisation writes), over its public attributes:
an attribute can hold a converted form (ShiftScaleRotate keeps scale_limit as 1 + limit) while the arguments
keep the constructor's meaning across the library's versions."""
from typing import Any

from reproduce.notebook.trace.state import describe

NESTED = ("transforms",)


def _public(obj) -> dict:
    fields = {}
    for name, value in vars(obj).items():
        if name.startswith("_") or name in NESTED or name == "training" or callable(value):
            continue
        fields[name] = value.value if type(value).__name__ == "InterpolationMode" else value
    return fields


def _albumentations_args(t) -> dict:
    """The constructor's arguments an Albumentations transform reports; {} where it reports none."""
    args: dict = {}
    for getter in ("get_base_init_args", "get_transform_init_args"):
        report = getattr(t, getter, None)
        if callable(report):
            try:
                args.update(report())
            except (NotImplementedError, AttributeError, TypeError):   # a transform that does not implement it
                continue
    return args


def _args(t) -> dict:
    fields = _public(t)
    if type(t).__module__.startswith("albumentations"):
        fields.update(_albumentations_args(t))
    return fields


def describe_transform(t, depth: int = 0):
    if t is None:
        return None
    kind = type(t)
    out: dict[str, object] = {"type": kind.__name__, "module": kind.__module__}
    try:
        out["args"] = {k: describe(v) for k, v in _args(t).items()}
    except TypeError:   # no __dict__: a function or a builtin
        out["args"] = {}
    inner: Any = getattr(t, "transforms", None)   # a list, a torch container, or anything else a class names so
    if depth < 6 and isinstance(inner, (list, tuple)) or type(inner).__name__ in ("ModuleList", "Sequential"):
        out["transforms"] = [describe_transform(x, depth + 1) for x in inner]
    return out
