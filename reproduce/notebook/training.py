"""The training idioms of a notebook as recipe entries: optimizer, schedule, epochs, batch size, loss and an L1
term. Each entry keeps the site it came from; what the suite cannot reproduce is named in `unknown`."""
import ast

from reproduce.notebook.evaluate import UNKNOWN, Site, Values, calls, dotted
from reproduce.notebook.transforms import Entry, Found

OPTIMIZERS = {"SGD": "sgd", "Adam": "adam", "AdamW": "adamw"}
OPTIMIZER_KEYS = {"sgd": ("lr", "momentum", "nesterov", "weight_decay"), "adam": ("lr", "weight_decay"),
                  "adamw": ("lr", "weight_decay")}
SCHEDULES = {"StepLR": ("step", ("step_size", "gamma")), "MultiStepLR": ("multistep", ("milestones", "gamma")),
             "ExponentialLR": ("exponential", ("gamma",)), "CosineAnnealingLR": ("cosine", ("T_max", "eta_min")),
             "OneCycleLR": ("onecycle", ("max_lr", "total_steps", "epochs", "steps_per_epoch")),
             "ReduceLROnPlateau": ("plateau", ("mode", "factor", "patience", "threshold"))}
# torch's schedulers the recipe cannot hold, named when built even when imported by their bare name
OTHER_SCHEDULES = {"LambdaLR", "MultiplicativeLR", "ConstantLR", "LinearLR", "CyclicLR", "CosineAnnealingWarmRestarts",
                   "SequentialLR", "ChainedScheduler", "PolynomialLR"}
LOSSES = {"nll_loss", "NLLLoss", "cross_entropy", "CrossEntropyLoss"}
# Set by the run from its own epochs and batches, or not part of the result.
RUN_SETS = {"epochs", "steps_per_epoch", "total_steps", "verbose", "last_epoch", "optimizer"}
EPOCH_NAMES = {"epochs", "num_epochs", "n_epochs", "epoch_count", "total_epochs", "nepochs"}


def _args(call: ast.Call, names, values: Values, skip_first: bool = True, cuda=None) -> dict:
    positional = call.args[1:] if skip_first else call.args
    out = dict(zip(names, (values.of(a, cuda) for a in positional)))
    out.update(values.kwargs(call, cuda))
    return out


def _unknown_values(args: dict, what: str, site: Site, found: Found) -> bool:
    bad = sorted(k for k, v in args.items() if v is UNKNOWN and k not in RUN_SETS and k != "params")
    if bad:
        found.unknown.append(f"{what} with {bad[0]} not written as a literal ({site})")
    return bool(bad)


def optimizer(c, values: Values, found: Found) -> None:
    name = OPTIMIZERS[c.name]
    args = _args(c.node, ("lr", "momentum") if name == "sgd" else ("lr",), values)
    if _unknown_values(args, c.dotted, c.site, found):
        return
    found.entries.append(Entry("optimizer", "name", name, c.site))
    for key in OPTIMIZER_KEYS[name]:
        if key in args:
            found.entries.append(Entry("optimizer", key, args[key], c.site))
    if name == "sgd" and "momentum" not in args:   # torch's SGD default, not the seed recipe's 0.9
        found.entries.append(Entry("optimizer", "momentum", 0.0, c.site, "torch's default: none given"))
    other = sorted(set(args) - set(OPTIMIZER_KEYS[name]) - {"params"})
    if other:
        found.unknown.append(f"{c.dotted} with {other[0]}={args[other[0]]!r}, which the recipe cannot hold ({c.site})")


def schedule(c, values: Values, found: Found) -> None:
    name, positional = SCHEDULES[c.name]
    args = _args(c.node, positional, values)
    if _unknown_values(args, c.dotted, c.site, found):
        return
    found.entries.append(Entry("schedule", "name", name, c.site))
    for key, value in args.items():
        if key not in RUN_SETS:
            found.entries.append(Entry("schedule", key, list(value) if isinstance(value, tuple) else value, c.site))
    if name == "onecycle" and isinstance(args.get("epochs"), int):
        found.entries.append(Entry("", "epochs", args["epochs"], c.site, "OneCycleLR's epochs"))


def batch_size(c, values: Values, found: Found) -> None:
    cpu_sides: list[object] = []
    args = _args(c.node, ("dataset", "batch_size"), values, skip_first=False, cuda=cpu_sides)
    size = args.get("batch_size")
    if isinstance(size, int) and not isinstance(size, bool):
        where = _batch_size_site(c, values)
        for kw in c.node.keywords:   # **dataloader_args: the cpu branch of the dict, where it has one
            if kw.arg is None and isinstance(kw.value, ast.Name) and kw.value.id in values.cpu_side:
                cpu_sides += [values.cpu_side[kw.value.id]]
        cpu = [side.get("batch_size") if isinstance(side, dict) else side for side in cpu_sides]
        differ = [b for b in cpu if isinstance(b, int) and b != size]
        found.entries.append(Entry("", "batch_size", size, where,
                                   f"the cuda branch; the cpu branch has {differ[0]}" if differ else ""))


def _batch_size_site(c, values: Values) -> Site:
    """Where the DataLoader's batch size was written: `batch_size = 64` for `batch_size=batch_size`, the dict
    for `**dataloader_args` holding it, else the DataLoader's own line."""
    given = [kw.value for kw in c.node.keywords if kw.arg == "batch_size"] + c.node.args[1:2]
    if given:
        value = given[0]
        return values.where[value.id] if isinstance(value, ast.Name) and value.id in values.where else c.site
    for kw in c.node.keywords:
        if kw.arg is None and isinstance(kw.value, ast.Name) and kw.value.id in values.where:
            held = values.env.get(kw.value.id)
            if isinstance(held, dict) and "batch_size" in held:
                return values.where[kw.value.id]
    return c.site


def epochs_from_loops(nb, values: Values, found: Found) -> None:
    """`for epoch in range(1, 16)`, `range(EPOCHS)`, `range(1, EPOCHS + 1)`; else `EPOCHS = 15` or a dict entry."""
    for cell in nb.parsed():
        for node in ast.walk(cell.tree):
            if (isinstance(node, ast.For) and isinstance(node.iter, ast.Call) and dotted(node.iter.func) == "range"
                    and "epoch" in ast.unparse(node.target).lower()):
                bounds = [values.of(a) for a in node.iter.args]
                ints = [b for b in bounds if isinstance(b, int)]
                if ints and len(ints) == len(bounds):
                    lo, hi = (0, ints[0]) if len(ints) == 1 else ints[:2]
                    found.entries.append(Entry("", "epochs", hi - lo, Site(cell, node.lineno)))
                    return
    for name, value in values.env.items():
        if name.lower() in EPOCH_NAMES and isinstance(value, int):
            found.entries.append(Entry("", "epochs", value, values.where[name]))
            return
        if isinstance(value, dict):
            for key in (k for k in value if isinstance(k, str) and k.lower() in EPOCH_NAMES):
                if isinstance(value[key], int):
                    found.entries.append(Entry("", "epochs", value[key], values.where[name]))
                    return


def loss(nb, values: Values, found: Found) -> None:
    """The first loss the notebook names, in its order: a call (`F.nll_loss(...)`, `nn.CrossEntropyLoss(...)`)
    or a function bound or passed without a call (`criterion = F.nll_loss`). The training loss comes first,
    in train(), before test() sums its own."""
    for cell in nb.parsed():
        funcs = {id(n.func) for n in ast.walk(cell.tree) if isinstance(n, ast.Call)}
        named = [n for n in ast.walk(cell.tree)
                 if (isinstance(n, ast.Call) and _loss_name(n.func)) or
                 (isinstance(n, (ast.Name, ast.Attribute)) and id(n) not in funcs and _loss_name(n))]
        for node in sorted(named, key=lambda n: (n.lineno, n.col_offset)):
            call = node if isinstance(node, ast.Call) else None
            name, site = _loss_name(call.func if call else node), Site(cell, node.lineno)
            if name in ("nll_loss", "NLLLoss"):
                found.entries.append(Entry("", "loss", "nll", site))
                return
            found.entries.append(Entry("", "loss", "cross_entropy", site))
            smoothing = values.kwargs(call).get("label_smoothing") if call else None
            if isinstance(smoothing, (int, float)):
                found.entries.append(Entry("", "label_smoothing", float(smoothing), site))
            return


def _loss_name(node) -> str:
    name = dotted(node).rpartition(".")[2]
    return name if name in LOSSES else ""


def l1_term(nb, values: Values, found: Found) -> None:
    """`loss = loss + l1_lambda * sum(p.abs().sum() ...)` or `lambda * torch.norm(p, 1)`: the coefficient."""
    sums: set[str] = set()   # names bound to a sum of absolute values (`l1 = l1 + p.abs().sum()`)
    for cell in nb.parsed():
        for node in ast.walk(cell.tree):
            if isinstance(node, (ast.Assign, ast.AugAssign)) and _absolute_sum(node.value, sums):
                for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    sums |= {t.id} if isinstance(t, ast.Name) else set()
    for cell in nb.parsed():
        for node in ast.walk(cell.tree):
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
                continue
            for coeff, term in ((node.left, node.right), (node.right, node.left)):
                value = values.of(coeff)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and _absolute_sum(term, sums):
                    found.entries.append(Entry("", "l1", float(value), Site(cell, node.lineno)))
                    return


def _absolute_sum(node, sums=frozenset()) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in sums:
            return True
        if isinstance(n, ast.Call):
            name = dotted(n.func).rpartition(".")[2]
            if name == "abs":
                return True
            if name == "norm" and any(isinstance(a, ast.Constant) and a.value == 1 for a in n.args[1:] + [
                    k.value for k in n.keywords if k.arg == "p"]):
                return True
    return False


def read(nb, values: Values, found: Found) -> None:
    seen_optimizer: object | None = None
    for c in calls(nb):
        module = c.dotted.rpartition(".")[0]
        if c.name in OPTIMIZERS and module.endswith("optim"):
            seen_optimizer = c
        elif c.name in SCHEDULES:
            schedule(c, values, found)
        elif c.name in OTHER_SCHEDULES or (module.endswith("lr_scheduler") and c.name[:1].isupper()):
            # a scheduler built; `self.lr_scheduler.step()` is a call on one, built elsewhere
            found.unknown.append(f"the scheduler {c.dotted}, which the suite cannot reproduce ({c.site})")
        elif module.endswith("optim") and c.name[:1].isupper():
            found.unknown.append(f"the optimizer {c.dotted}, which the suite cannot reproduce ({c.site})")
        elif c.name == "DataLoader":
            line = c.site.cell.line(c.site.lineno)
            train = "train" in line and "train=False" not in line and "test" not in line
            if not any(e.key == "batch_size" for e in found.entries) or train:
                found.entries[:] = [e for e in found.entries if e.key != "batch_size"]
                batch_size(c, values, found)
    if seen_optimizer is not None:   # the last one built is the one the notebook trained with
        optimizer(seen_optimizer, values, found)
    loops = Found()
    epochs_from_loops(nb, values, loops)
    if loops.entries:   # the loop (or EPOCHS) is what ran; OneCycleLR's epochs= only when there is none
        found.entries[:] = [e for e in found.entries if e.key != "epochs"] + loops.entries
    loss(nb, values, found)
    l1_term(nb, values, found)
