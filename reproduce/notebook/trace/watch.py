"""Kernel side: what torch is handed while the notebook runs, into the record (state.py).

- each optimizer: its class, each param group's hyperparameters, and the model: the outermost nn.Module whose
  parameters are exactly the optimizer's, with its class, defining file and constructor arguments;
- each optimizer step, as an event (after the pass events of loaders.py, they give the epochs), and each
  `load_state_dict` of an optimizer (an LR range test restoring it: the run before it is thrown away);
- each scheduler: class and constructor arguments (an argument today's torch no longer takes, such as
  `verbose=`, dropped and recorded), and each `step()` the notebook calls, with the value it passes (the step a
  scheduler takes inside its own constructor, and a wrapped scheduler's steps, are not counted);
- each call of nll_loss / cross_entropy (nn.NLLLoss and nn.CrossEntropyLoss call them), with its value;
- at each `loss.backward()`, the penalty terms of the loss (graph.py).
"""
import contextlib
import functools
import gc
import inspect
import weakref

from reproduce.notebook.trace import graph
from reproduce.notebook.trace.state import State, describe

LOSSES = ("nll_loss", "cross_entropy")


class Watch:
    def __init__(self, state: State):
        self.state = state
        # module -> (args, kwargs, cell), for classes outside torch
        self.ctor_args: weakref.WeakKeyDictionary[object, tuple[list, dict, int | None]] = weakref.WeakKeyDictionary()
        # module, optimizer, scheduler -> its index in the record's models, optimizers, schedulers
        self.model_ids: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        self.optimizer_ids: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        self.scheduler_ids: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        self.optimizer_params: list[set[int]] = []     # per optimizer: set of parameter ids
        self.depth = {"scheduler_init": 0, "scheduler_step": 0}
        self.last_penalties = None

    # --- models -----------------------------------------------------------------------------------------
    def module_new(self):
        watch = self

        def __new__(cls, *args, **kwargs):
            obj = object.__new__(cls)
            if not cls.__module__.startswith("torch"):
                with contextlib.suppress(TypeError):   # a module that cannot be a weak key: not recorded
                    watch.ctor_args[obj] = ([describe(a) for a in args], {k: describe(v) for k, v in kwargs.items()},
                                            watch.state.cell)
            return obj
        return staticmethod(__new__)

    def model_of(self, params: set):
        import torch.nn as nn
        candidates = [m for m in gc.get_objects() if isinstance(m, nn.Module)
                      and {id(p) for p in m.parameters()} == params]
        inner = {id(c) for m in candidates for c in m.modules() if c is not m}
        outer = [m for m in candidates if id(m) not in inner]
        if len(outer) != 1:
            return None
        model = outer[0]
        if model in self.model_ids:
            return self.model_ids[model]
        cls = type(model)
        try:
            source = inspect.getsourcefile(cls)
        except (TypeError, OSError):   # a class of the notebook's own cells
            source = None
        args, kwargs, cell = self.ctor_args.get(model, ([], {}, None))
        index = self.state.add("models", {
            "cls": cls.__name__, "qualname": cls.__qualname__, "module": cls.__module__, "file": source,
            "args": args, "kwargs": kwargs, "built_in_cell": cell,
            "params": sum(p.numel() for p in model.parameters())})
        self.model_ids[model] = index
        return index

    # --- optimizers -------------------------------------------------------------------------------------
    def optimizer_init(self, init):
        watch = self

        @functools.wraps(init)
        def __init__(opt, params, defaults, *args, **kwargs):
            init(opt, params, defaults, *args, **kwargs)
            ids = {id(p) for g in opt.param_groups for p in g["params"]}
            groups = [{k: describe(v) for k, v in g.items() if k != "params"} | {"tensors": len(g["params"])}
                      for g in opt.param_groups]
            index = watch.state.add("optimizers", {"cls": type(opt).__name__, "module": type(opt).__module__,
                                                   "groups": groups, "model": watch.model_of(ids)})
            watch.optimizer_ids[opt] = index
            watch.optimizer_params.append(ids)
        return __init__

    def load_state(self, load):
        """`optimizer.load_state_dict(...)`: an LR range test putting the optimizer back, its steps thrown away."""
        watch = self

        @functools.wraps(load)
        def call(opt, *args, **kwargs):
            if opt in watch.optimizer_ids:
                watch.state.event("restore", watch.optimizer_ids[opt])
            return load(opt, *args, **kwargs)
        return call

    def stepped(self, opt, args, kwargs):
        index = self.optimizer_ids.get(opt)
        if index is not None:
            self.state.event("step", index, self.last_penalties)

    # --- schedulers -------------------------------------------------------------------------------------
    def scheduler_init(self, cls, init):
        watch, signature = self, inspect.signature(init)
        takes_any = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())

        @functools.wraps(init)
        def __init__(sched, *args, **kwargs):
            if not takes_any:
                for name in [k for k in kwargs if k not in signature.parameters]:
                    watch.state.adapted(f"{cls.__name__}({name}={kwargs[name]!r}) in cell {watch.state.cell}: an "
                                        f"argument this torch no longer takes, dropped")
                    kwargs.pop(name)
            watch.depth["scheduler_init"] += 1
            try:
                init(sched, *args, **kwargs)
            finally:
                watch.depth["scheduler_init"] -= 1
            if watch.depth["scheduler_init"] == 0:
                bound = signature.bind_partial(sched, *args, **kwargs).arguments
                opt = bound.get("optimizer")
                watch.scheduler_ids[sched] = watch.state.add("schedulers", {
                    "cls": type(sched).__name__, "module": type(sched).__module__,
                    "optimizer": watch.optimizer_ids.get(opt),
                    "args": {k: describe(v) for k, v in bound.items() if k not in ("self", "optimizer")}})
        return __init__

    def scheduler_step(self, step):
        watch = self

        @functools.wraps(step)
        def wrapped(sched, *args, **kwargs):
            counted = watch.depth["scheduler_init"] == 0 and watch.depth["scheduler_step"] == 0
            watch.depth["scheduler_step"] += 1
            try:
                return step(sched, *args, **kwargs)
            finally:
                watch.depth["scheduler_step"] -= 1
                if counted and sched in watch.scheduler_ids:
                    value = args[0] if args else kwargs.get("metrics")
                    watch.state.event("sched", watch.scheduler_ids[sched], describe(value))
        return wrapped

    # --- losses and penalties ---------------------------------------------------------------------------
    def loss(self, name, fn):
        import torch
        watch, signature = self, inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            out = fn(*args, **kwargs)
            try:
                bound = signature.bind(*args, **kwargs).arguments
                inp = bound.get("input")
                watch.state.event("loss", name, {k: describe(bound[k]) for k in ("reduction", "label_smoothing")
                                                 if k in bound},
                                  float(out.detach()) if out.numel() == 1 else None,
                                  bool(torch.is_grad_enabled() and getattr(inp, "requires_grad", False)))
            except TypeError:
                pass
            return out
        return call

    def backward(self, backward):
        watch = self

        @functools.wraps(backward)
        def call(tensor, *args, **kwargs):
            if tensor.grad_fn is not None and tensor.numel() == 1:
                found = graph.penalties(tensor)
                for p in found:
                    ids = set(p.pop("params"))
                    p["params"] = len(ids)
                    p["whole_optimizer"] = [i for i, opt in enumerate(watch.optimizer_params) if opt and opt <= ids]
                watch.last_penalties = watch._penalty_index(found)
            return backward(tensor, *args, **kwargs)
        return call

    def _penalty_index(self, found):
        if not found:
            return None
        seen = self.state.record["penalties"]
        if found not in seen:
            seen.append(found)
        return seen.index(found)


def install(state: State) -> Watch:
    import torch
    import torch.nn.functional as F
    import torch.optim.lr_scheduler as schedulers
    from torch.optim.optimizer import register_optimizer_step_post_hook
    watch = Watch(state)
    torch.nn.Module.__new__ = watch.module_new()
    torch.optim.Optimizer.__init__ = watch.optimizer_init(torch.optim.Optimizer.__init__)
    register_optimizer_step_post_hook(watch.stepped)
    torch.optim.Optimizer.load_state_dict = watch.load_state(torch.optim.Optimizer.load_state_dict)
    for cls in vars(schedulers).values():
        if isinstance(cls, type) and issubclass(cls, schedulers.LRScheduler):
            if "__init__" in cls.__dict__ and cls is not schedulers.LRScheduler:
                cls.__init__ = watch.scheduler_init(cls, cls.__dict__["__init__"])
            if "step" in cls.__dict__:
                cls.step = watch.scheduler_step(cls.__dict__["step"])
    for name in LOSSES:
        setattr(F, name, watch.loss(name, getattr(F, name)))
    torch.Tensor.backward = watch.backward(torch.Tensor.backward)
    return watch
