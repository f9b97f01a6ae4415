"""The recipe entries of the claimed run of a dry run: each value with where it was observed ("observed:
DataLoader(batch_size=64), cell 7"). What the recipe cannot hold is one line in `unknown`; a value the run
does not show is never filled with a default (compose.py refuses it, naming it)."""
from dataclasses import dataclass, field

from reproduce.notebook.sites import Observed
from reproduce.notebook.trace import albumentations_transforms, transforms
from reproduce.notebook.trace.record import Record, Scheduler
from reproduce.notebook.trace.runs import Run
from reproduce.notebook.training import SCHEDULES
from reproduce.notebook.transforms import Entry, Found

OPTIMIZERS = {"SGD": "sgd", "Adam": "adam", "AdamW": "adamw"}
KEPT = {"sgd": ("lr", "momentum", "nesterov", "weight_decay"), "adam": ("lr", "weight_decay"),
        "adamw": ("lr", "weight_decay")}
# torch's defaults of what the recipe cannot hold: any other value is a recipe the suite cannot reproduce
AT_REST = {"dampening": 0, "maximize": False, "betas": [0.9, 0.999], "eps": 1e-08, "amsgrad": False,
           "capturable": False, "differentiable": False, "foreach": None, "fused": None, "decoupled_weight_decay": None,
           "tensors": None, "initial_lr": None}
SET_BY_THE_RUN = {"epochs", "steps_per_epoch", "total_steps", "last_epoch", "verbose"}


@dataclass
class Traced:
    found: Found
    notes: list[str] = field(default_factory=list)   # said at the top of the draft
    steered: list[str] = field(default_factory=list)  # ... of which: the claimed run was steered by the test set


def _optimizer(record: Record, run: Run, found: Found) -> None:
    opt = record.optimizers[run.optimizer]
    name = OPTIMIZERS.get(opt.cls) if opt.module.startswith("torch.optim") else None
    if name is None:
        found.unknown.append(f"the optimizer {opt.cls}, which the suite cannot reproduce (cell {opt.cell})")
        return
    groups = [{k: v for k, v in g.items() if k != "tensors"} for g in opt.groups]
    if any(g != groups[0] for g in groups):
        found.unknown.append(f"{opt.cls} with param groups of different hyperparameters, which the recipe cannot "
                             f"hold (cell {opt.cell})")
        return
    group = groups[0]
    shown = ", ".join(f"{k}={group[k]}" for k in KEPT[name] if k in group)
    site = Observed(f"{opt.cls}({shown})", opt.cell)
    found.entries.append(Entry("optimizer", "name", name, site))
    for key in KEPT[name]:
        if key in group:
            found.entries.append(Entry("optimizer", key, group[key], site))
    at_rest = {**AT_REST, "decoupled_weight_decay": name == "adamw"}   # Adam(decoupled_weight_decay=True) is AdamW
    for key, value in group.items():
        if key not in KEPT[name] and key in at_rest and at_rest[key] is not None and value != at_rest[key]:
            found.unknown.append(f"{opt.cls} with {key}={value}, which the recipe cannot hold (cell {opt.cell})")


def _schedule(record: Record, run: Run, traced: Traced) -> None:
    found = traced.found
    mine = [(i, s) for i, s in enumerate(record.schedulers) if s.optimizer == run.optimizer]
    for i, s in mine:
        if not run.sched_steps.get(i):
            traced.notes.append(f"{s.cls} built in cell {s.cell}, never stepped: the notebook trained at a "
                                f"constant learning rate")
    stepped = [(i, s) for i, s in mine if run.sched_steps.get(i)]
    if len(stepped) > 1:
        found.unknown.append(f"{len(stepped)} schedulers stepped together ({', '.join(s.cls for _, s in stepped)}),"
                             f" which the suite cannot reproduce (cell {stepped[-1][1].cell})")
    elif not stepped:
        found.entries.append(Entry("schedule", "name", "none", Observed("no scheduler stepped", run.cells[-1])))
    else:
        _stepped_schedule(run, *stepped[0], traced)


def _stepped_schedule(run: Run, i: int, s: Scheduler, traced: Traced) -> None:
    """The one scheduler the run stepped (index i in the record): its name and arguments, where the suite steps
    it as the notebook did."""
    found = traced.found
    if s.cls not in SCHEDULES or not s.module.startswith("torch.optim"):
        found.unknown.append(f"the scheduler {s.cls}, which the suite cannot reproduce (cell {s.cell})")
        return
    name = SCHEDULES[s.cls][0]
    per_epoch = run.sched_steps[i] / run.epochs
    steps_per_pass = run.steps / run.epochs
    shown = ", ".join(f"{k}={v}" for k, v in s.args.items() if k not in SET_BY_THE_RUN)
    cadence = "after every batch" if per_epoch >= steps_per_pass > 1 else "once per epoch"
    site = Observed(f"{s.cls}({shown}), stepped {cadence}", s.cell)
    wanted = "after every batch" if name == "onecycle" else "once per epoch"
    if cadence != wanted or abs(per_epoch - round(per_epoch)) > 1e-9:
        found.unknown.append(f"{s.cls} stepped {per_epoch:g} times per epoch (cell {s.cell}); the suite steps it "
                             f"{wanted}")
        return
    found.entries.append(Entry("schedule", "name", name, site))
    for key, value in s.args.items():
        if key not in SET_BY_THE_RUN and key != "optimizer":
            found.entries.append(Entry("schedule", key, value, site))
    if name == "plateau":
        _plateau_note(run, i, s, traced)


def _plateau_note(run: Run, i: int, s: Scheduler, traced: Traced) -> None:
    """Which loss a ReduceLROnPlateau was stepped on: the test loss steered the claimed run by the test set."""
    matched = {m for _, m in run.sched_values.get(i, [])}
    if "other" in matched:
        traced.steered.append(f"{s.cls} was stepped on the test loss (cell {s.cell}): the schedule was steered "
                              f"by the test set; the suite steps it on the training loss (or --val-split's)")
        traced.notes.append(traced.steered[-1])
    elif matched == {"train"}:
        traced.notes.append(f"{s.cls} was stepped on the training loss (cell {s.cell})")
    else:
        traced.notes.append(f"{s.cls} was stepped on a value that is not a loss the loop computed over a "
                            f"loader (cell {s.cell})")


def _loss(run: Run, found: Found) -> None:
    calls = [c for p in run.passes for c in p.trained_with]
    names = sorted({n for n, _ in calls})
    cell = run.cells[-1]
    if len(names) != 1:
        which = "nll_loss and cross_entropy both" if names else "neither nll_loss nor cross_entropy"
        found.unknown.append(f"the training loss: {which} called on the model's output while it trained "
                             f"(cell {cell})")
        return
    kwargs = calls[-1][1]
    if kwargs.get("reduction", "mean") != "mean":
        found.unknown.append(f"{names[0]}(reduction={kwargs['reduction']!r}) in training, which the suite cannot "
                             f"reproduce (its loss is the batch mean) (cell {cell})")
        return
    site = Observed(f"{names[0]} on the model's output", cell)
    found.entries.append(Entry("", "loss", "nll" if names[0] == "nll_loss" else "cross_entropy", site))
    if names[0] == "cross_entropy":
        found.entries.append(Entry("", "label_smoothing", float(kwargs.get("label_smoothing", 0.0)), site))


def _penalty(record: Record, run: Run, found: Found) -> None:
    index = next((p.penalties for p in reversed(run.passes) if p.penalties is not None), None)
    cell = run.cells[-1]
    if index is None:
        found.entries.append(Entry("", "l1", 0.0, Observed("no penalty term in the loss at backward()", cell)))
        return
    for term in record.penalties[index]:
        whole = run.optimizer in term["whole_optimizer"]
        if term["kind"] == "l1" and whole and term["coefficient"] is not None:
            found.entries.append(Entry("", "l1", term["coefficient"], Observed(
                f"{term['coefficient']:g} * sum of |p| over the model's {term['params']} parameter tensors", cell)))
        else:
            coefficient = "an unreadable coefficient" if term["coefficient"] is None else f"{term['coefficient']:g}"
            found.unknown.append(f"a {term['kind']} penalty ({coefficient}, over {term['params']} parameter tensors"
                                 f"{'' if whole else ', not all of the model'}) added to the loss, which the recipe "
                                 f"cannot hold (cell {cell})")


def _data(record: Record, run: Run, traced: Traced) -> None:
    loader = record.loaders[run.loader]
    if not isinstance(loader.batch_size, int):
        traced.found.unknown.append(f"the training DataLoader's batch size {loader.batch_size!r} (cell {loader.cell})")
    else:
        traced.found.entries.append(Entry("", "batch_size", loader.batch_size, Observed(
            f"DataLoader(batch_size={loader.batch_size}, shuffle={loader.shuffle}) over {loader.dataset}",
            loader.cell)))
    if not loader.shuffle:
        traced.notes.append(f"the training DataLoader does not shuffle (cell {loader.cell}); the suite's runs do")
    # a wrapper without a transform seen converts the images in its own code, which the dry run cannot read
    if loader.transform is None and loader.dataset != "MNIST":
        traced.found.unknown.append(f"the training dataset {loader.dataset} with no transform the dry run could see "
                                    f"(cell {loader.cell})")
    site = Observed("the training transform", loader.cell)
    seen = transforms.read(loader.transform, site)
    # what the images handed out were, seen, against what the drafted normalize says they were
    transforms.check_pixels(loader.pixels, seen, site, albumentations_transforms.uses(loader.transform))
    traced.found.entries += seen.entries
    traced.found.unknown += seen.unknown
    if not any(e.key == "normalize" for e in seen.entries):
        traced.found.entries.append(Entry("", "normalize", [0.0, 1.0], Observed(
            "no Normalize in the training transform: pixels in [0, 1]", loader.cell)))


def read(record: Record, run: Run) -> Traced:
    traced = Traced(Found())
    p = run.passes
    traced.found.entries.append(Entry("", "epochs", run.epochs, Observed(
        f"{run.epochs} passes over the training DataLoader with {record.optimizers[run.optimizer].cls} stepping",
        ", ".join(map(str, run.cells)) if len(run.cells) > 1 else p[-1].cell)))
    _data(record, run, traced)
    _loss(run, traced.found)
    _penalty(record, run, traced.found)
    _optimizer(record, run, traced.found)
    _schedule(record, run, traced)
    if record.cuda_asked:
        traced.notes.append(f"torch.cuda.is_available() was asked (cell {', '.join(map(str, record.cuda_asked))}) and "
                            f"answered True: the CUDA branch is the one read, as the claim was trained on a GPU")
    traced.notes += [f"adapted: {a}" for a in record.adapted]
    return traced
