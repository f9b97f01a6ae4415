"""A RunRequest checked into a RunPlan: every refusal (a flag, the model, the recipe, the device, the output
folder) is said here, in one line, before any data is read or any file written.

`refuse_at_once` holds the checks that need neither torch nor the model, so that the command line answers them
before torch is loaded; `plan_run` does the rest."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reproduce.errors import UsageError
from reproduce.plan.request import RunRequest

if TYPE_CHECKING:
    import torch

    from reproduce.cluster.options import SlurmOptions
    from reproduce.plan.beside import Kept
    from reproduce.training.config import TrainConfig


@dataclass(frozen=True)
class RunPlan:
    """What a sweep will do, every part of it checked."""
    request: RunRequest
    cfg: TrainConfig
    seeds: Sequence[int]
    device: torch.device
    out: Path
    kept: Kept                             # a notebook's network and drafted recipe, written beside the reports
    cluster: SlurmOptions | None        # checked against the cluster itself; None for a local sweep


def refuse_at_once(request: RunRequest) -> None:
    """What is wrong that needs no torch: the --model spec's form, a missing file, a syntax error."""
    from reproduce.model import NAMES
    from reproduce.model.notebook import is_notebook
    from reproduce.model.spec import check_form
    check_form(request.model, NAMES)
    # only a recipe drafted from a notebook has anything to leave out (a notebook's network keeps no recipe: it
    # trains the one --recipe names, or the seed recipe)
    if request.approximate and not is_notebook(request.recipe):
        raise UsageError("--approximate leaves out of a notebook's drafted recipe what cannot be reproduced; "
                         "this run's recipe is a TOML file, which says exactly what it trains")


def config_of(request: RunRequest, flag_terms) -> TrainConfig:
    """The run's config: the model spec (checked), its recipe (the model's own unless --recipe), the flags that
    override the recipe, then the rest of the request. A config out of range is one line, worded by
    `flag_terms(problem)` as the user gave it."""
    import reproduce.model as models
    from reproduce.model.spec import check as check_spec
    from reproduce.plan import beside
    from reproduce.training.config import TrainConfig
    source = models.resolve(request.model)       # SpecError: a file that is missing, broken, or names no network
    recipe_path = request.recipe or source.recipe or models.MODELS["seed"].recipe
    fields = beside.load_recipe(recipe_path, request.approximate, request.static)
    fields.update(request.overrides.given())
    # on a batch the network can take; a batch size below 1 is refused with the other flags, just after
    check_spec(source, max(1, fields.get("batch_size", TrainConfig.batch_size)))
    cfg = TrainConfig(model=request.model, model_sha256=source.sha256, train_limit=request.train_limit,
                      eval_batch_size=request.eval_batch_size, val_split=request.val_split,
                      execution=request.execution, allow_nondeterministic=request.allow_nondeterministic, **fields)
    problems = cfg.problems()
    if problems:
        raise UsageError(flag_terms(problems[0]))
    return cfg


def plan_run(request: RunRequest, flag_terms) -> RunPlan:
    """The request checked: config, split, output folder, cluster, device, execution and precision, a training
    step of the model, and the folder's earlier runs. UsageError (exit 2) for the first thing wrong."""
    from reproduce.data.split import SplitError, plan as split_plan
    from reproduce.plan import beside
    from reproduce.sweep.local import refuse_conflicts
    cfg = config_of(request, flag_terms)
    try:
        split_plan(cfg)   # before any data is loaded: a split that leaves too little to train on is bad input
    except SplitError as e:
        raise UsageError(str(e)) from None
    out = request.out or Path("reports") / f"{cfg.run_name}-{cfg.epochs}ep"
    slurm = None
    if request.cluster is not None:
        from reproduce.cluster import slurm as slurm_commands  # submitit and SLURM, checked here, at once
        slurm = slurm_commands.checked(request.cluster)
    device = _device(request, slurm)
    _refuse_execution(cfg, device)
    _refuse_untrainable(cfg, device)
    if not request.force:
        refuse_conflicts(cfg, request.seeds, device, out)  # at once, before the data is read and verified
    kept = beside.from_run(cfg.model, request.recipe, request.approximate, request.static)
    return RunPlan(request, cfg, request.seeds, device, out, kept, slurm)


def _device(request: RunRequest, slurm) -> torch.device:
    """The device the sweep trains on: the cluster's nodes' (decided by the cluster's flags), else this machine's."""
    import torch

    from reproduce.cluster.options import device_kind
    from reproduce.training import execution
    if slurm:
        return device_kind(request.device, slurm)
    if request.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    problem = execution.device_problem(request.device)
    if problem:
        raise UsageError(f"--device {request.device}: {problem}")
    return torch.device(request.device)


def _refuse_execution(cfg: TrainConfig, device: torch.device) -> None:
    """The execution, precision and device rules (reproduce/training/execution.py), said as the flags that set them."""
    from reproduce.training import execution
    problems = execution.problems(cfg, device)
    if problems:
        raise UsageError(problems[0])


def _refuse_untrainable(cfg: TrainConfig, device: torch.device) -> None:
    """A model whose forward works but whose training step does not, or that has an op without a deterministic
    kernel on the device (unless allowed)."""
    import torch

    import reproduce.model as models
    from reproduce.errors import first_line
    from reproduce.model.spec import check as check_spec
    from reproduce.training import determinism, optim
    # A cuda sweep submitted from a machine without CUDA is probed on the CPU here; its tasks meet torch's own
    # determinism error on the node, if any, as a failed task.
    probe = device if device.type == "cpu" or torch.cuda.is_available() else torch.device("cpu")
    batch = check_spec(models.resolve(cfg.model), cfg.batch_size)   # the batch the model check used
    try:
        op = determinism.nondeterministic_op(models.build_aside(cfg.model), optim.train_loss(cfg), probe, batch)
    except (RuntimeError, ValueError, TypeError, IndexError, AttributeError, NotImplementedError) as e:
        raise UsageError(f"--model {cfg.model}: a training step (forward, {cfg.loss} loss, backward) failed: "
                         f"{type(e).__name__}: {first_line(e)}") from None
    if op and not cfg.allow_nondeterministic:
        raise UsageError(f"--model {cfg.model}: {op} has no deterministic implementation on {device.type}, so its "
                         f"runs could not be reproduced bit for bit; --allow-nondeterministic trains it anyway "
                         f"(recorded in each report and shown by `report`)")
