"""The training runs in a dry run's events, and the one the notebook claims.

A pass is one iteration over a loader (events from one "pass" to the next). A training pass is one in which
an optimizer stepped; a run is a sequence of training passes of one optimizer (passes without steps, such as a
test loader's or `next(iter(train_loader))`, may sit between them). A run's epochs are its training passes:
counted, never read from code, so `trainer.train(25)` or `epochs` passed through helpers count the same. The
claim is the last run, or, when the number of epochs the notebook printed is known, the last run of that many
epochs (an LR range test before training is a run of its own: it used another optimizer, or it put the
optimizer's state back with `load_state_dict`, which ends a run)."""
from dataclasses import dataclass, field

from reproduce.notebook.trace.record import Event, Record


@dataclass
class Pass:
    loader: int
    cell: int | None
    steps: dict[int, int] = field(default_factory=dict)        # optimizer -> steps in this pass
    losses: list[float] = field(default_factory=list)          # values of the loss calls in it
    trained_with: list[tuple[str, dict]] = field(default_factory=list)   # loss calls with a gradient
    penalties: int | None = None                            # record.penalties index at its steps
    restored: list[int] = field(default_factory=list)          # optimizers whose state was loaded after it began

    @property
    def optimizer(self) -> int | None:
        return max(self.steps, key=lambda i: self.steps[i]) if self.steps else None


@dataclass
class Run:
    optimizer: int
    passes: list[Pass]                                         # its training passes
    sched_steps: dict[int, int] = field(default_factory=dict)  # scheduler -> steps during the run, in total
    sched_values: dict[int, list[tuple[object, str | None]]] = field(default_factory=dict)  # value, matched

    @property
    def epochs(self) -> int:
        return len(self.passes)

    @property
    def loader(self) -> int:
        return self.passes[-1].loader

    @property
    def steps(self) -> int:
        return sum(p.steps.get(self.optimizer, 0) for p in self.passes)

    @property
    def cells(self) -> list[int]:
        return sorted({p.cell for p in self.passes if p.cell is not None})


def passes(record: Record) -> list[tuple[Pass, list]]:
    """Each pass with the scheduler events that came after it and before the next pass."""
    out: list[tuple[Pass, list]] = []
    before: list[Event] = []   # scheduler steps before any pass: given with the first pass's
    for e in record.events:
        if e.kind == "pass":
            out.append((Pass(e.fields[0], e.cell), before if not out else []))
        elif not out:
            before += [e] if e.kind == "sched" else []
        elif e.kind == "step":
            p = out[-1][0]
            p.steps[e.fields[0]] = p.steps.get(e.fields[0], 0) + 1
            p.penalties = e.fields[1] if e.fields[1] is not None else p.penalties
        elif e.kind == "loss":
            name, kwargs, value, grad = e.fields
            if value is not None:
                out[-1][0].losses.append(value)
            if grad:
                out[-1][0].trained_with.append((name, kwargs))
        elif e.kind == "sched":
            out[-1][1].append(e)
        elif e.kind == "restore":
            out[-1][0].restored.append(e.fields[0])
    return out


def _matches(value, p: Pass, record: Record) -> bool:
    """Whether a plateau step's value is a loss the loop computed over this pass: its sum, mean, or sum over
    the dataset's size or the loader's full length."""
    if not isinstance(value, (int, float)) or not p.losses:
        return False
    loader = record.loaders[p.loader]
    total = sum(p.losses)
    candidates = [total, total / len(p.losses), p.losses[-1]]
    if loader.size:
        candidates.append(total / loader.size)
        if isinstance(loader.batch_size, int) and loader.batch_size > 0:
            candidates.append(total / -(-loader.size // loader.batch_size))
    return any(abs(value - c) <= 1e-6 * max(1.0, abs(c)) for c in candidates)


def runs(record: Record) -> list[Run]:
    """The runs, each with the steps of its optimizer's schedulers: those taken from the end of the previous
    run of another optimizer to the start of the next one (so a step at the top of the epoch loop, before the
    first training pass, counts)."""
    found: list[Run] = []
    pending: list[tuple[object, str | None]] = []   # scheduler steps not yet given to a run: (event, matched)
    last_seen: dict[str, Pass] = {}   # "train"/"other": the latest pass of each kind, for plateau values
    closed = False   # the last run's optimizer was restored (an LR range test): its next steps are a new run
    for p, sched_events in passes(record):
        opt = p.optimizer
        if opt is not None:
            if not found or found[-1].optimizer != opt or closed:
                found.append(Run(opt, []))
                closed = False
            found[-1].passes.append(p)
            last_seen["train"] = p
        else:
            last_seen["other"] = p
        for e in sched_events:
            value = e.fields[1]
            matched = None if value is None else next(
                (kind for kind in ("other", "train") if kind in last_seen and _matches(value, last_seen[kind], record)),
                None)
            pending.append((e, matched))
        if found:
            _give(found[-1], pending, record)
            closed = closed or found[-1].optimizer in p.restored
    return found


def _give(run: Run, pending: list, record: Record) -> None:
    """Hand the run the pending steps of schedulers of its optimizer (others wait for theirs)."""
    keep = []
    for e, matched in pending:
        sched = e.fields[0]
        if record.schedulers[sched].optimizer != run.optimizer:
            keep.append((e, matched))
            continue
        run.sched_steps[sched] = run.sched_steps.get(sched, 0) + 1
        if e.fields[1] is not None:
            run.sched_values.setdefault(sched, []).append((e.fields[1], matched))
    pending[:] = keep


def claimed(found: list[Run], printed_epochs: int | None) -> tuple[Run | None, str]:
    """The run the notebook's claim comes from, and why that one."""
    if not found:
        return None, "no optimizer stepped during the dry run"
    if len(found) == 1:
        return found[0], "the only training run"
    if printed_epochs:
        same = [r for r in found if r.epochs == printed_epochs]
        if same:
            return same[-1], (f"the last of {len(found)} training runs with {printed_epochs} epochs, as many as "
                              f"the notebook printed test lines")
    return found[-1], f"the last of {len(found)} training runs"
