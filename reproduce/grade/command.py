"""`python -m reproduce recipe NB.ipynb` (the recipe drafted from a notebook's code) and `python -m reproduce
check NB.ipynb ... --seeds 0-9` (the notebook's claim against honest runs of its network and recipe).

`check` reads everything before it trains anything: each notebook's claim, network and drafted recipe, planned
as `run` plans a sweep (reproduce/plan/). A bad notebook is one line and exit 2, with nothing trained or
written. Then each notebook's seeds are trained as `run` trains them (resume, locks, progress, --cluster), into
<out>/<notebook stem>/, and the verdict printed. Exit 0 when every seed of every notebook reaches the target at
its final epoch and no constraint is broken, 1 when not.
"""
import sys
from dataclasses import replace
from pathlib import Path

from reproduce.errors import UsageError
from reproduce.model.notebook import is_notebook
from reproduce.plan.request import RunRequest
from reproduce.report.sequential import settings_of

# Only what the command line needs to answer at once is imported here: `--help` answers before torch and rich
# are loaded. The commands import the rest when they run.


def cmd_recipe(args, console) -> int:
    from reproduce.notebook import draft
    _, d = draft.draft(args.notebook, args.approximate, args.static)
    sys.stdout.write(d.text)
    return 0


def refuse_at_once(args) -> None:
    """What is wrong that needs no torch: a notebook that is not there or not one, a --model spec's form or
    file (UsageError, SpecError), said before anything heavy is loaded."""
    from reproduce.model import NAMES
    from reproduce.model.spec import check_form
    for path in args.notebooks:
        if not is_notebook(path):
            raise UsageError(f"check {path}: not a Jupyter notebook (.ipynb)")
        if not path.is_file():
            raise UsageError(f"check {path}: no such notebook")
    if args.model is not None:
        check_form(args.model, NAMES)
    settings_of(args)
    if args.until_settled and args.seeds is not None:
        raise UsageError("check --until-settled trains seeds 0, 1, 2, ... in order (never chosen after the "
                         "fact): give --max-seeds N instead of --seeds")
    if args.until_settled and args.cluster is not None:
        raise UsageError("check --until-settled trains one seed after another on this machine; --cluster "
                         "submits every seed at once: leave one of them out")


def seeds_of(args, base: RunRequest) -> list:
    return list(range(args.max_seeds)) if args.until_settled else base.seeds


def settled_when(paths, target: float, max_epochs: int, settings):
    """check --until-settled's test, asked after each seed: is the decision settled on the reports of `paths` (the
    seeds' report files, in seed order) that are final, up to the first that is not? Only that prefix counts, so
    a second process sharing the folder, finishing seeds out of order, cannot change which seeds decide."""
    from reproduce.record.schema import load
    from reproduce.report import check as checker
    from reproduce.report.summary import FINAL_STATUSES, decision

    def settled() -> bool:
        prefix = []
        for p in paths:
            r = load(p) if p.exists() else None
            if r is None or r.status not in FINAL_STATUSES:
                break
            prefix.append((p, r))
        if not prefix:
            return False
        v = checker.check(prefix, target, max_epochs)
        return any(decision(m, target, settings).leading.settled_after is not None for m in v.models)
    return settled


def _plan(path: Path, args, base: RunRequest, flag_terms):
    """Everything about one notebook that can be wrong, found before any training: (its sweep's plan, claim)."""
    import reproduce.model as models
    from reproduce.grade.verdict import Claim
    from reproduce.model.audit import audit
    from reproduce.plan.build import plan_run
    from reproduce.record.schema import run_filename
    from reproduce.report import importlog
    log = importlog.read_log(path, args.pattern)
    k, claimed = importlog.pick_run(log, path, args.claim_run)
    out = args.out / path.stem
    model_spec = args.model or (str(path) if args.static else traced_network(path, args.approximate, out))
    request = replace(base, model=model_spec, recipe=path, out=out, report=False, seeds=seeds_of(args, base))
    plan = plan_run(request, flag_terms)
    if args.until_settled:
        paths = [plan.out / run_filename(plan.cfg.run_name, s) for s in plan.seeds]
        settled = settled_when(paths, args.target, args.max_epochs, settings_of(args))
        plan = replace(plan, request=replace(plan.request, settled=settled))
    importlog.check_printed_params(path, claimed.total_params, audit(models.build_aside(plan.cfg.model)).to_dict(),
                                   plan.cfg.model)
    claim = Claim(claimed.accs, log.outs.error, claimed.total_params, claimed.shown, k, len(log.runs),
                  claimed.first)
    return plan, claim


def traced_network(path: Path, approximate: bool, out: Path) -> str:
    """The --model spec of the network the notebook's dry run trained (reproduce/notebook/trace/network.py);
    a builder module it needs is written into `out`, beside the runs."""
    from reproduce.files.atomic import write_text
    from reproduce.notebook import draft
    from reproduce.notebook.trace.network import BUILDER, NetworkError
    trace = draft.draft(path, approximate)[1].trace
    assert trace is not None, "a draft made without --static comes from a dry run"
    network = trace.network
    if network is None:
        raise NetworkError(trace.network_error)
    if network.builder is None or network.builder_name is None:
        return network.spec
    builder = out / network.builder_name
    WRITTEN.extend(reversed([p for p in (out, *out.parents) if not p.exists()]))
    out.mkdir(parents=True, exist_ok=True)
    write_text(builder, network.builder)
    WRITTEN.append(builder)
    return f"{builder}:{BUILDER}"


WRITTEN: list[Path] = []   # builders (and the folders made for them) written while planning: removed if refused


def _plans(args, base: RunRequest, flag_terms):
    """Each notebook's plan; a refusal removes the builders written for the ones before it (nothing written)."""
    del WRITTEN[:]
    try:
        return [(path, *_plan(path, args, base, flag_terms)) for path in args.notebooks]
    except BaseException:
        for path in reversed(WRITTEN):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise


def cmd_check(args, base: RunRequest, flag_terms, console) -> int:
    """Every notebook planned, then trained and set beside its claim. `base` holds the sweep's flags; each
    notebook gives its own network, recipe and folder."""
    from rich.console import Console

    import reproduce.model as models
    from reproduce.grade.verdict import Budget, NotebookVerdict
    from reproduce.notebook import steering
    from reproduce.plan.execute import execute
    from reproduce.record.schema import load, run_filename
    from reproduce.report import check as checker
    from reproduce.report.summary import summarise
    stems = [p.stem for p in args.notebooks]
    if len(set(stems)) != len(stems):
        raise UsageError("check: two notebooks share a name; their runs would share a folder under --out")
    plans = _plans(args, base, flag_terms)
    # Training's progress goes to stderr when stdout carries markdown or json.
    runs_console = console if args.format == "table" else Console(stderr=True)
    verdicts, reports = [], []
    for path, plan, claim in plans:
        code = execute(plan, runs_console)   # 1: a run diverged, a result the verdict counts as failing
        if code not in (0, 1) or not base.wait:
            return code
        cfg = plan.cfg
        paths = [plan.out / run_filename(cfg.run_name, s) for s in plan.seeds]
        if args.until_settled:   # the seeds after the one that settled it were never started
            paths = [p for p in paths if p.exists()]
        loaded = [(p, load(p)) for p in paths]
        v = checker.check(loaded, args.target, args.max_epochs)
        notes = [claim.error] if claim.error else []
        if claim.runs > 1:
            which = "the last" if claim.run == claim.runs else "picked by --claim-run"
            notes.append(f"the outputs hold {claim.runs} training runs; the claim is run {claim.run}, {which}, "
                         f"from {claim.first} on (--claim-run K picks another)")
        skipped = (models.resolve(cfg.model).notebook or {}).get("skipped")
        if skipped:
            notes.append(f"cells that do not parse, skipped: {', '.join(map(str, skipped))}")
        notes += steering.notes(path)
        own = f"{path.name}: "   # a run's note names the notebook; the verdict prints it before every note
        notes += list(dict.fromkeys(n[len(own):] if n.startswith(own) else n
                                    for r in v.models[0].runs for n in r.notes))
        budget = Budget(args.max_seeds, sum(r.train_seconds or 0.0 for _, r in loaded)) if args.until_settled \
            else None
        verdicts.append(NotebookVerdict(path.name, claim, v.models[0], summarise(v)[0], args.target, notes,
                                        settings=settings_of(args), budget=budget))
        reports.append(v)
    return show(args, verdicts, reports, console)


def show(args, verdicts, reports, console) -> int:
    """The verdicts in --format's form (a table: after the runs' own report where there is one notebook, and with
    the two ways side by side where both were run); 0 when every notebook passes, 1 when not."""
    from reproduce.grade import faithful, view
    from reproduce.report import view as report_view
    both = faithful.of_notebooks(args.notebooks, args.out, args.target, args.max_epochs)
    if args.format == "table":
        if len(reports) == 1:
            report_view.render(reports[0], console)
        view.render(verdicts, console)
        for name, found in both.items():
            faithful.render(found, name, console)
    else:
        sys.stdout.write(view.to_markdown(verdicts, both) if args.format == "markdown" else
                         view.to_json(verdicts, both))
    return 0 if all(v.ok for v in verdicts) else 1
