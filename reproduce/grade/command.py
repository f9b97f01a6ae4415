"""`python -m reproduce recipe NB.ipynb` (the recipe drafted from a notebook's code) and `python -m reproduce
check NB.ipynb ... --seeds 0-9` (the notebook's claim against honest runs of its network and recipe).

`check` reads everything before it trains anything: each notebook's claim, network and drafted recipe. A bad
notebook is one line and exit 2, with nothing trained or written. Then each notebook's seeds are trained as
`run` trains them (resume, locks, progress, --cluster), into <out>/<notebook stem>/, and the verdict printed.
Exit 0 when every seed of every notebook reaches the target at its final epoch and no constraint is broken,
1 when not.
"""
import argparse
import sys
from pathlib import Path

from reproduce.flags import at_least_one, percent
from reproduce.report.choices import MAX_EPOCHS, TARGET

# Only what registering the flags needs is imported here: `--help` answers before torch and rich are loaded
# (reproduce/cli.py). The commands import the rest when they run.

# run's flags that check sets itself or does not take
NOT_FROM_RUN = {"help", "model", "recipe", "report", "out", "seeds"}


def register(sub, run_parser) -> None:
    """Add `recipe` and `check` to the command line; check takes run's flags (--epochs, --train-limit, ...)."""
    r = sub.add_parser("recipe", help="print the recipe drafted from a notebook's code, to read and edit")
    r.add_argument("notebook", type=Path, help="a Jupyter notebook (.ipynb)")
    r.add_argument("--approximate", action="store_true",
                   help="leave out what the suite cannot reproduce (listed at the end) instead of refusing")
    r.add_argument("--static", action="store_true",
                   help="read the notebook's code as text instead of running it (a dry run) to learn its recipe")

    c = sub.add_parser("check", help="a notebook's claim against honest runs of its network and recipe over seeds")
    c.add_argument("notebooks", nargs="+", type=Path, help="Jupyter notebooks (.ipynb); several give a row each")
    c.add_argument("--model", default=None,
                   help="the network, where it is not in the notebook's cells: FILE.py:NAME, package.module:NAME, "
                        "or NB.ipynb:NAME to pick one of several classes")
    c.add_argument("--seeds", nargs="+", default=["0-4"], help="seeds as a list '0 1 2' or a range '0-4'")
    c.add_argument("--out", type=Path, default=Path("reports") / "check",
                   help="folder for the runs, one folder per notebook (default reports/check)")
    c.add_argument("--pattern", default=None, metavar="REGEX",
                   help="read the claimed per-epoch test accuracy with this regex (named group acc; loss, epoch)")
    c.add_argument("--target", type=percent, default=TARGET, help="test accuracy to reach, in percent")
    c.add_argument("--max-epochs", type=at_least_one, default=MAX_EPOCHS, help="epochs allowed to reach it")
    c.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    for action in run_parser._actions:   # the same flag objects as run's: one definition, one meaning
        if action.dest not in NOT_FROM_RUN and action.dest != "approximate":
            c._add_action(action)
    c.add_argument("--approximate", action="store_true",
                   help="leave out of the recipe what the suite cannot reproduce; recorded in each report")


def cmd_recipe(args, console) -> int:
    from reproduce.notebook import draft
    _, d = draft.draft(args.notebook, args.approximate, args.static)
    sys.stdout.write(d.text)
    return 0


def refuse_at_once(args) -> None:
    """What is wrong that needs no torch: a notebook that is not there or not one, a --model spec's form or
    file (UsageError, SpecError), said before anything heavy is loaded."""
    from model import NAMES
    from model.spec import check_form
    from reproduce import cli
    for path in args.notebooks:
        if path.suffix != ".ipynb":
            raise cli.UsageError(f"check {path}: not a Jupyter notebook (.ipynb)")
        if not path.is_file():
            raise cli.UsageError(f"check {path}: no such notebook")
    if args.model is not None:
        check_form(args.model, NAMES)


def _plan(path: Path, args, seeds):
    """Everything about one notebook that can be wrong, found before any training: (run args, config, claim)."""
    import model as models
    from model.audit import audit
    from reproduce import cli  # the command line builds a run's config; it imports this module first
    from reproduce.grade.verdict import Claim
    from reproduce.report import importlog
    from reproduce.sweep.local import pick_device, refuse_conflicts
    if path.suffix != ".ipynb":
        raise cli.UsageError(f"check {path}: not a Jupyter notebook (.ipynb)")
    epochs, _, outs, _ = importlog.read_log(path, args.pattern)
    out = args.out / path.stem
    model_spec = args.model or (str(path) if args.static else traced_network(path, args.approximate, out))
    run_args = argparse.Namespace(**{**vars(args), "model": model_spec, "recipe": path, "out": out, "report": False})
    cfg = cli.config_from_args(run_args)
    importlog.check_printed_params(path, outs, audit(models.build_aside(cfg.model)).to_dict(), cfg.model)
    claim = Claim([e.test_acc for e in epochs], outs.error, outs.total_params)
    if not args.force and args.cluster is None:   # a folder holding runs of another config: before any training
        try:
            device = pick_device(args.device)
        except ValueError as e:
            raise cli.UsageError(str(e)) from None
        refuse_conflicts(cfg, seeds, device, run_args.out)
    return run_args, cfg, claim


def traced_network(path: Path, approximate: bool, out: Path) -> str:
    """The --model spec of the network the notebook's dry run trained (reproduce/notebook/trace/network.py);
    a builder module it needs is written into `out`, beside the runs."""
    from reproduce.files.atomic import write_text
    from reproduce.notebook import draft
    from reproduce.notebook.trace.network import BUILDER, NetworkError
    trace = draft.draft(path, approximate)[1].trace
    if trace.network is None:
        raise NetworkError(trace.network_error)
    if trace.network.builder is None:
        return trace.network.spec
    WRITTEN.extend(reversed([p for p in (out, *out.parents) if not p.exists()]))
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / trace.network.builder_name, trace.network.builder)
    WRITTEN.append(out / trace.network.builder_name)
    return f"{out / trace.network.builder_name}:{BUILDER}"


WRITTEN = []   # builders (and the folders made for them) written while planning: removed if a plan is refused


def _plans(args, seeds):
    """Each notebook's plan; a refusal removes the builders written for the ones before it (nothing written)."""
    del WRITTEN[:]
    try:
        return [(path, *_plan(path, args, seeds)) for path in args.notebooks]
    except BaseException:
        for path in reversed(WRITTEN):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise


def cmd_check(args, console) -> int:
    from rich.console import Console

    import model as models
    from reproduce import cli
    from reproduce.grade import view
    from reproduce.grade.verdict import NotebookVerdict
    from reproduce.record.schema import load, run_filename
    from reproduce.report import check as checker, view as report_view
    from reproduce.report.summary import summarise
    seeds = cli.parse_seeds(args.seeds)
    stems = [p.stem for p in args.notebooks]
    if len(set(stems)) != len(stems):
        raise cli.UsageError("check: two notebooks share a name; their runs would share a folder under --out")
    plans = _plans(args, seeds)
    # Training's progress goes to stderr when stdout carries markdown or json.
    runs_console = console if args.format == "table" else Console(stderr=True)
    verdicts, reports = [], []
    for path, run_args, cfg, claim in plans:
        code = cli.cmd_run(run_args, runs_console)   # 1: a run diverged, a result the verdict counts as failing
        if code not in (0, 1) or getattr(args, "no_wait", False):
            return code
        paths = [run_args.out / run_filename(cfg.run_name, s) for s in seeds]
        v = checker.check([(p, load(p)) for p in paths], args.target, args.max_epochs)
        notes = [claim.error] if claim.error else []
        skipped = (models.resolve(cfg.model).notebook or {}).get("skipped")
        if skipped:
            notes.append(f"cells that do not parse, skipped: {', '.join(map(str, skipped))}")
        notes += list(dict.fromkeys(n for r in v.models[0].runs for n in r.notes))
        verdicts.append(NotebookVerdict(path.name, claim, v.models[0], summarise(v)[0], args.target, notes))
        reports.append(v)
    if args.format == "table":
        if len(reports) == 1:
            report_view.render(reports[0], console)
        view.render(verdicts, console)
    else:
        sys.stdout.write(view.to_markdown(verdicts) if args.format == "markdown" else view.to_json(verdicts))
    return 0 if all(v.ok for v in verdicts) else 1
