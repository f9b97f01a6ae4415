"""`check NB.ipynb --as-written --seeds 0-4`: the verdict from the notebook's own code, run as written once per
seed (reproduce/sweep/aswritten.py), instead of the suite's translation of it. Everything is read first (the
claim from the outputs, the recipe and network from a dry run), as `check` does; then the seeds run, each
writing its report into <out>/<notebook stem>/, and the same verdict is printed from them."""
from pathlib import Path

from reproduce.errors import UsageError
from reproduce.plan.request import RunRequest


def refuse(args) -> None:
    if args.until_settled:
        raise UsageError("check --as-written runs the seeds given (--seeds); --until-settled is for the "
                         "translated runs")
    if args.static:
        raise UsageError("check --as-written runs the notebook's code; --static runs nothing: leave one out")
    if args.cluster is not None:
        raise UsageError("check --as-written runs each seed's notebook on this machine; leave --cluster out")


def _claim(path: Path, args):
    from reproduce.grade.verdict import Claim
    from reproduce.report import importlog
    log = importlog.read_log(path, args.pattern)
    k, claimed = importlog.pick_run(log, path, args.claim_run)
    return Claim(claimed.accs, log.outs.error, claimed.total_params, claimed.shown, k, len(log.runs),
                 claimed.first)


def _audit(trace) -> dict:
    """The suite's audit of the network the dry run saw trained; {} where it cannot be built here."""
    import reproduce.model as models
    from reproduce.model.audit import audit
    network = trace.network if trace is not None else None
    if network is None or network.builder is not None:
        return {}
    return audit(models.build_aside(network.spec)).to_dict()


def sweep_of(path: Path, args, base: RunRequest, data):
    from reproduce.notebook import draft
    from reproduce.notebook.recipe_text import DraftError
    from reproduce.sweep.aswritten import AsWrittenSweep
    try:
        _, d = draft.draft(path, approximate=True)
        trace, recipe = d.trace, d.text
    except DraftError as e:   # the recipe is what the report says beside the runs; the runs need none
        trace, recipe = None, f"# no recipe: {e}\n"
    return AsWrittenSweep(path.resolve(), base.seeds, args.out / path.stem, _audit(trace), recipe,
                          {"root": data.root, "source": data.source, "sha256": data.sha256},
                          base.overrides.epochs, base.train_limit, base.threads)


def cmd_check_as_written(args, base: RunRequest, console) -> int:
    from rich.console import Console

    from reproduce.data.mnist import default_root, ensure_mnist
    from reproduce.grade.command import show
    from reproduce.grade.verdict import NotebookVerdict
    from reproduce.record.schema import load
    from reproduce.report import check as checker
    from reproduce.report.sequential import settings_of
    from reproduce.report.summary import summarise
    from reproduce.sweep.aswritten import run_seeds
    refuse(args)
    runs_console = console if args.format == "table" else Console(stderr=True)
    data = ensure_mnist(base.data_dir or default_root(), log=lambda m: runs_console.print(m, highlight=False))
    planned = [(path, _claim(path, args), sweep_of(path, args, base, data)) for path in args.notebooks]
    verdicts, reports = [], []
    for path, claim, sweep in planned:
        paths = run_seeds(sweep, say=lambda line: runs_console.print(line, highlight=False, soft_wrap=True))
        v = checker.check([(p, load(p)) for p in paths], args.target, args.max_epochs)
        own = f"{path.name}: "
        notes = ([claim.error] if claim.error else []) + [
            "run as written: the notebook's own code for each seed, the accuracy measured by the suite after each "
            "training pass"] + list(dict.fromkeys(n[len(own):] if n.startswith(own) else n
                                                   for r in v.models[0].runs for n in r.notes))
        verdicts.append(NotebookVerdict(path.name, claim, v.models[0], summarise(v)[0], args.target, notes,
                                        settings=settings_of(args)))
        reports.append(v)
    return show(args, verdicts, reports, console)
