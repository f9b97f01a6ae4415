"""The suite's command line, `mnist-20k-suite` (or `python -m reproduce`): train over seeds, check a notebook's
claim, read and compare run reports.

Bad input of any kind ends in one line on stderr naming what is wrong, and exit code 2.
"""
from __future__ import annotations  # the annotations name rich's Console, loaded only once a command runs

import argparse
import os
import shlex
import sys
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from reproduce import flags
from reproduce.cluster import options as cluster
from reproduce.errors import SuiteError, UsageError
from reproduce.flags import add_decision_flags, at_least_one, folder, percent
from reproduce.grade import command as notebook_commands

# Only what parsing the command line needs: `--help` and a bad flag answer before torch, rich or matplotlib
# are imported (seconds on a small machine). Each command imports the rest when it runs.
from reproduce.model import NAMES
from reproduce.model.notebook import is_notebook
from reproduce.plan.request import Overrides, RunRequest
from reproduce.plan.seeds import parse_seeds
from reproduce.record.schema import ReportError
from reproduce.report.choices import FORMATS, KIND_CHOICES, MAX_EPOCHS, METRICS, ON_CHOICES, TARGET
from reproduce.sweep.interrupt import Stopped
from reproduce.training import recipe
from reproduce.training.config import EXECUTIONS, PRECISIONS, Problem, TrainConfig

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["UsageError", "main", "parse_seeds"]


DATA_DIR_HELP = ("MNIST root (default $MNIST_DATA_DIR; else a checkout's data/ when run inside it, else a per-user "
                 "cache, ~/.cache/mnist-20k-suite/mnist)")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's default prints the whole usage; we say one line
        raise UsageError(f"{self.prog}: {message}")


# A config field as the command line names it: its flag, or its recipe key where no flag sets it.
FLAG_OF_FIELD = {name: "--" + name.replace("_", "-") for name in (
    "epochs", "batch_size", "lr", "momentum", "train_limit", "eval_batch_size", "val_split", "execution",
    "precision")}


def in_flag_terms(problem: Problem) -> str:
    """A config's Problem (reproduce/training/config.py) in the command line's terms."""
    if problem.field in FLAG_OF_FIELD:
        return f"{FLAG_OF_FIELD[problem.field]} {problem.says}"
    return f"the recipe's {recipe.key_of(problem.field)} {problem.says}"


def invoked_as() -> str:
    """How the user called the suite: the console command's name, or `python -m reproduce`."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m reproduce" if name in ("", "-c", "-m", "__main__.py") else name


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of a sweep, shared by `run` and `check` (one definition, one meaning). The model, recipe, seeds and
    output folder are each command's own."""
    defaults = TrainConfig()
    r = parser
    r.add_argument("--epochs", type=int, default=None, help="overrides the recipe's")
    r.add_argument("--batch-size", type=int, default=None, help="overrides the recipe's")
    r.add_argument("--lr", type=float, default=None, help="overrides the recipe's [optimizer] lr")
    r.add_argument("--momentum", type=float, default=None, help="overrides the recipe's [optimizer] momentum")
    r.add_argument("--train-limit", type=int, default=None, help="train on the first N training images only")
    r.add_argument("--eval-batch-size", type=int, default=defaults.eval_batch_size,
                   help=f"images per forward pass when evaluating (default {defaults.eval_batch_size}); changes no "
                        f"number, only speed and memory")
    r.add_argument("--val-split", type=int, default=defaults.val_split,
                   help="hold out the last N training images as validation, never trained on (default 0)")
    r.add_argument("--execution", choices=EXECUTIONS, default=defaults.execution,
                   help="fast (default): channels_last, foreach SGD, no NaN-fill; plain: the textbook loop's "
                        "kernels; graph (CUDA only): fast with each step replayed from a CUDA graph. Part of "
                        "the run's identity: results differ in the last bits")
    r.add_argument("--precision", choices=PRECISIONS, default=None,
                   help="overrides the recipe's (default fp32); bf16: the training forward under bf16 autocast, "
                        "loss, optimizer and evaluation in fp32 (docs/precision.md)")
    r.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto (default): cuda when available, else cpu. Part of the run's identity")
    r.add_argument("--threads", type=at_least_one, default=None, help="torch CPU threads (recorded in the report)")
    r.add_argument("--allow-nondeterministic", action="store_true",
                   help="train a model with an op that has no deterministic kernel on this device (torch warns "
                        "instead of stopping; recorded in each report and shown by `report`)")
    r.add_argument("--data-dir", type=folder, default=None, help=DATA_DIR_HELP)
    r.add_argument("--quiet", action="store_true", help="no progress bar and no epoch lines")
    r.add_argument("--force", action="store_true",
                   help="a report or checkpoint of another config in --out is moved aside (kept), not refused")
    cluster.add_arguments(r)


def build_parser() -> Parser:
    p = Parser(prog=invoked_as(), description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    d = sub.add_parser("data", help="fetch (if needed) and verify MNIST, print its source and hashes")
    d.add_argument("--data-dir", type=folder, default=None, help=DATA_DIR_HELP)

    r = sub.add_parser("run", help="train a model over seeds, one JSON report per run")
    r.add_argument("--model", default=TrainConfig().model, type=flags.name,
                   help=f"a registered model ({', '.join(NAMES)}), FILE.py:NAME, "
                        f"package.module:NAME (an nn.Module class or a function returning one) or NB.ipynb[:NAME] "
                        f"(the network from a notebook's code cells)")
    r.add_argument("--recipe", type=Path, default=None,
                   help="the training recipe (TOML), or a notebook (.ipynb) to draft it from its code; default: the "
                        "model's own (model/seed.toml for files and notebooks)")
    r.add_argument("--approximate", action="store_true",
                   help="with --recipe NB.ipynb: leave out what the suite cannot reproduce (recorded in each report)")
    r.add_argument("--static", action="store_true",
                   help="with --recipe NB.ipynb: draft the recipe by reading the notebook's code, without running it")
    r.add_argument("--seeds", nargs="+", default=["0-4"], help="seeds as a list '0 1 2' or a range '0-4'")
    r.add_argument("--out", type=folder, default=None, help="output folder (default reports/<model>-<epochs>ep)")
    r.add_argument("--report", action="store_true",
                   help="then check and render this sweep's runs, as `report` does (and exit with its verdict)")
    add_run_flags(r)

    c = sub.add_parser("report", help="check run reports against the target and render them")
    c.add_argument("paths", nargs="+", type=Path, help="report files or folders holding them")
    c.add_argument("--target", type=percent, default=TARGET, help="test accuracy to reach, in percent")
    c.add_argument("--max-epochs", type=at_least_one, default=MAX_EPOCHS, help="epochs allowed to reach it")
    c.add_argument("--on", choices=ON_CHOICES, default=ON_CHOICES[0],
                   help="the accuracies every figure is computed from: test (default), or validation (runs made "
                        "with run --val-split; several networks are then ranked by their worst seed)")
    c.add_argument("--format", choices=FORMATS, default="table",
                   help="table (rich, default), markdown, csv or json (the summary as data)")
    c.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                   help="also draw test accuracy per epoch and a histogram of final accuracies (needs matplotlib)")
    add_decision_flags(c)

    i = sub.add_parser("import-log", help="read a notebook-style training log into a report marked as imported")
    i.add_argument("log", type=Path, help="the log, or a Jupyter notebook (.ipynb: its code cells' outputs), with "
                                           "lines like 'Test set: Average loss: L, Accuracy: K/N (P%%)'")
    i.add_argument("--model", required=True, type=flags.name,
                   help="a name for the model; a registered model or FILE.py:NAME is audited and counted")
    i.add_argument("--params", type=int, default=None,
                   help="its claimed parameter count (needed unless --model is a model the suite can build)")
    i.add_argument("--seed", type=flags.seed, default=0, help="the seed to file it under (default 0)")
    i.add_argument("--out", required=True, type=folder, help="folder to write <model>-seed<k>.json into")
    i.add_argument("--pattern", default=None, metavar="REGEX",
                   help="read lines of another shape: a regex with a named group acc, or correct and total "
                        "(optional loss, epoch)")

    n = sub.add_parser("recipe", help="print the recipe drafted from a notebook's code, to read and edit")
    n.add_argument("notebook", type=Path, help="a Jupyter notebook (.ipynb)")
    n.add_argument("--approximate", action="store_true",
                   help="leave out what the suite cannot reproduce (listed at the end) instead of refusing")
    n.add_argument("--static", action="store_true",
                   help="read the notebook's code as text instead of running it (a dry run) to learn its recipe")

    c = sub.add_parser("check", help="a notebook's claim against honest runs of its network and recipe over seeds")
    c.add_argument("notebooks", nargs="+", type=Path, help="Jupyter notebooks (.ipynb); several give a row each")
    c.add_argument("--model", default=None, type=flags.name,
                   help="the network, where it is not in the notebook's cells: FILE.py:NAME, package.module:NAME, "
                        "or NB.ipynb:NAME to pick one of several classes")
    c.add_argument("--seeds", nargs="+", default=None,
                   help="seeds as a list '0 1 2' or a range '0-4' (default 0-4)")
    c.add_argument("--until-settled", action="store_true",
                   help="train seeds 0, 1, 2, ... in order and stop starting new ones as soon as the decision is "
                        "settled (docs/verdict.md); instead of --seeds")
    c.add_argument("--max-seeds", type=at_least_one, default=20,
                   help="with --until-settled: the most seeds to train before the verdict says undecided "
                        "(default 20)")
    c.add_argument("--out", type=folder, default=Path("reports") / "check",
                   help="folder for the runs, one folder per notebook (default reports/check)")
    c.add_argument("--pattern", default=None, metavar="REGEX",
                   help="read the claimed per-epoch test accuracy with this regex (named group acc, or correct "
                        "and total; loss, epoch)")
    c.add_argument("--claim-run", type=at_least_one, default=None, metavar="K",
                   help="where the outputs hold several training runs, the K-th is the claim (default: the last)")
    c.add_argument("--target", type=percent, default=TARGET, help="test accuracy to reach, in percent")
    c.add_argument("--max-epochs", type=at_least_one, default=MAX_EPOCHS, help="epochs allowed to reach it")
    c.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    add_decision_flags(c)
    c.add_argument("--approximate", action="store_true",
                   help="leave out of the recipe what the suite cannot reproduce; recorded in each report")
    c.add_argument("--static", action="store_true",
                   help="read the notebook's code as text instead of running it (a dry run) to learn its recipe "
                        "and find its network")
    c.add_argument("--as-written", action="store_true",
                   help="run the notebook's own code in full once per seed (the seed injected, the accuracy "
                        "measured by the suite) instead of the suite's translation of it")
    add_run_flags(c)

    k = sub.add_parser("compare", help="two sweeps side by side, with the difference in mean final accuracy")
    k.add_argument("a", type=Path, help="sweep A: a folder of run reports (or one report)")
    k.add_argument("b", type=Path, help="sweep B")
    k.add_argument("--metric", choices=METRICS, default="final",
                   help="final (last epoch), peak (best on test) or val-pick (test at the val-chosen epoch)")
    k.add_argument("--target", type=percent, default=TARGET, help="test accuracy to reach, in percent")
    k.add_argument("--max-epochs", type=at_least_one, default=MAX_EPOCHS, help="epochs allowed to reach it")
    k.add_argument("--format", choices=("table", "json"), default="table")
    for side in ("a", "b"):
        k.add_argument(f"--{side}-kind", choices=KIND_CHOICES, default=None,
                       help=f"the runs of sweep {side.upper()} to take, where its folder holds several kinds: "
                            f"as-written (the notebook's own code), suite (the suite's loop) or imported")

    u = sub.add_parser("publish", help="copy a sweep's finished run reports into a folder kept as evidence")
    u.add_argument("sweep", type=Path, help="the sweep's folder of run reports (its checkpoints are never copied)")
    u.add_argument("dest", type=Path, help="the folder to publish into, e.g. reports/published/<sweep>")
    u.add_argument("--target", type=percent, default=TARGET, help="test accuracy to reach, in percent")

    v = sub.add_parser("verify", help="re-run a report's config and seed here; exit 0 when bit-identical")
    v.add_argument("report", type=Path, help="a run report <model>-seed<k>.json")
    v.add_argument("--epochs", type=int, default=None, help="re-run only the first K epochs (default: all recorded)")
    v.add_argument("--threads", type=at_least_one, default=None, help="torch CPU threads (default: the report's)")
    v.add_argument("--data-dir", type=folder, default=None, help=DATA_DIR_HELP)
    return p


def cmd_data(args, console: Console) -> int:
    from reproduce.data.mnist import default_root, ensure_mnist
    info = ensure_mnist(args.data_dir or default_root(), log=lambda m: console.print(m, highlight=False))
    console.print(f"MNIST at {info.root} (source: {info.source}), verified:", highlight=False, soft_wrap=True)
    for name, digest in info.sha256.items():
        console.print(f"  {name:26s} sha256 {digest}", highlight=False, soft_wrap=True)
    return 0


def run_request(args) -> RunRequest:
    """`run`'s (or `check`'s) flags as a RunRequest; the seeds and the cluster's flags checked here, at once."""
    overrides = Overrides(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, momentum=args.momentum,
                          precision=args.precision)
    return RunRequest(
        model=getattr(args, "model", None) or TrainConfig().model, recipe=getattr(args, "recipe", None),
        seeds=parse_seeds(args.seeds or ["0-4"]), overrides=overrides, approximate=args.approximate,
        static=getattr(args, "static", False),
        train_limit=args.train_limit, eval_batch_size=args.eval_batch_size, val_split=args.val_split,
        execution=args.execution, device=args.device, threads=args.threads,
        allow_nondeterministic=args.allow_nondeterministic, out=getattr(args, "out", None), data_dir=args.data_dir,
        quiet=args.quiet, report=getattr(args, "report", False), force=args.force,
        cluster=cluster.from_args(args), wait=not args.no_wait, cancel_on_interrupt=args.cancel_on_interrupt)


def check_run_flags(args) -> None:
    """The checks of `run`'s flags that need neither torch nor the model (UsageError, SpecError)."""
    from reproduce.plan.build import refuse_at_once
    refuse_at_once(run_request(args))


def say_notes(request: RunRequest) -> None:
    """What the user may not have meant, said in one line each; the run goes on."""
    cores = os.cpu_count() or 1
    if request.threads is not None and request.threads > cores:
        print(f"note: --threads {request.threads} is more than this machine's {cores} cores; the runs will be "
              f"slower, not faster (the thread count is recorded, and part of a CPU run's bytes)", file=sys.stderr)
    if request.recipe is not None and not is_notebook(request.recipe) and recipe.sets_nothing(request.recipe):
        print(f"note: {request.recipe} sets nothing: the runs train the seed recipe (model/seed.toml) with the "
              f"flags given", file=sys.stderr)


def cmd_run(args, console: Console) -> int:
    from reproduce.plan.build import plan_run
    from reproduce.plan.execute import execute
    request = run_request(args)
    plan = plan_run(request, in_flag_terms)
    say_notes(request)   # after every refusal: a refused command says one line only
    return execute(plan, console)


def cmd_check(args, console: Console) -> int:
    if args.as_written:
        from reproduce.grade.aswritten import cmd_check_as_written
        return cmd_check_as_written(args, run_request(args), console)
    return notebook_commands.cmd_check(args, run_request(args), in_flag_terms, console)


def decision_settings(args):
    from reproduce.report.sequential import settings_of
    return settings_of(args)


def cmd_report(args, console: Console) -> int:
    from reproduce.record.schema import find_reports, load
    from reproduce.report import export, plot
    from reproduce.report.check import check
    from reproduce.report.splits import VALIDATION, require_validation
    from reproduce.report.view import render

    settings = decision_settings(args)
    paths = find_reports(args.paths)
    if not paths:
        raise ReportError(f"no run reports (<model>-seed<k>.json) found in {' '.join(map(str, args.paths))}")
    if args.plot is not None:
        plot.require_matplotlib()   # before any output: a missing extra is bad input, not a half-done report
        plot.check_writable(args.plot)
    reports = [(p, load(p)) for p in paths]
    if args.on == VALIDATION:
        require_validation(reports)   # before any output: one line naming the folders
    verdict = check(reports, args.target, args.max_epochs, args.on)
    if args.format == "table":
        render(verdict, console, settings)
    else:
        sys.stdout.write(export.render(verdict, args.format, settings))
    if args.plot is not None:
        plot.plot(verdict, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0 if verdict.ok else 1


def cmd_import_log(args, console: Console) -> int:
    from reproduce.report.importlog import import_log
    paths = import_log(args.log, args.model, params=args.params, seed=args.seed, out=args.out, pattern=args.pattern)
    if len(paths) > 1:
        console.print(f"{args.log} holds {len(paths)} training runs: one report each", highlight=False, soft_wrap=True)
    for path in paths:
        console.print(f"imported {args.log} -> {path}", highlight=False, soft_wrap=True)
    return 0


def cmd_compare(args, console: Console) -> int:
    from reproduce.report.compare import compare, compare_json, render_comparison
    result = compare(args.a, args.b, args.metric, args.target, args.max_epochs, (args.a_kind, args.b_kind))
    if args.format == "json":
        sys.stdout.write(compare_json(result))
    else:
        render_comparison(result, console)
    return 0



def cmd_publish(args, console: Console) -> int:
    from reproduce.report.check import check
    from reproduce.report.summary import quotable, summarise
    from reproduce.sweep.publish import publish

    done = publish(args.sweep, args.dest)
    left = ", ".join(f"seed {r.seed} ({r.status})" for r in done.left_out)
    console.print(f"published {len(done.copied)} run(s) of {done.model} into {done.dest} ({done.already} there "
                  f"already){'; not finished, left out: ' + left if left else ''}", highlight=False, soft_wrap=True)
    if done.reports:   # loaded by publish, seals checked: not read again
        epochs = max(int(r.config["epochs"]) for _, r in done.reports)
        for s in summarise(check(done.reports, args.target, epochs)):
            console.print(f"{done.dest}: {quotable(s, args.target)}", highlight=False, soft_wrap=True)
    if not (done.dest / "README.md").is_file():
        print(f"note: {done.dest} has no README.md: say there the command that made the sweep, the machine and "
              f"the date (docs/sweeps.md)", file=sys.stderr)
    return 0


def cmd_verify(args, console: Console) -> int:
    from reproduce.sweep.verify import verify

    if args.report.is_dir():
        raise UsageError(f"verify {args.report}: is a folder; verify takes one run report (<model>-seed<k>.json)")
    return verify(args.report, args.epochs, args.data_dir, args.threads, console)


COMMANDS = {"data": cmd_data, "run": cmd_run, "report": cmd_report, "import-log": cmd_import_log,
            "compare": cmd_compare, "verify": cmd_verify, "recipe": notebook_commands.cmd_recipe,
            "check": cmd_check, "publish": cmd_publish}


# The checks of a command's flags that need neither rich nor torch, run before either is loaded.
def check_check_flags(args) -> None:
    if args.as_written:
        from reproduce.grade.aswritten import refuse
        refuse(args)
    notebook_commands.refuse_at_once(args)
    run_request(args)   # the seeds and the cluster's flags


AT_ONCE = {"run": check_run_flags, "check": check_check_flags, "report": decision_settings}


def reader_console():
    """rich's Console, but when the reader stops early (`report ... | head`) the rest of the output goes to
    /dev/null and the command carries on to its own exit code (the report's verdict; a sweep's runs are not
    cut short), where rich would exit 1 at once."""
    from rich.console import Console

    class ReaderConsole(Console):
        def on_broken_pipe(self) -> None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    return ReaderConsole()


def resume_command(argv) -> str:
    """The command that resumes this one, with the interpreter actually used (relative when it is below here)."""
    python = os.path.relpath(sys.executable) if Path(sys.executable).is_relative_to(Path.cwd()) else sys.executable
    command = invoked_as()
    return f"{python} -m reproduce {shlex.join(argv)}" if command == "python -m reproduce" \
        else f"{command} {shlex.join(argv)}"


def main(argv=None) -> int:
    shown = warnings.showwarning
    warnings.showwarning = warned_once(shown)
    try:
        return run_command(argv)
    finally:
        warnings.showwarning = shown


def warned_once(show):
    """showwarning that shows each warning (text, category, place) once per command. The checks before
    training run a network several times (the model check, the audit, the determinism probe), and each
    `warnings.catch_warnings` between them resets Python's own once-per-place record: a user's network that
    warns would otherwise print the same line three times."""
    seen = set()

    def once(message, category, filename, lineno, file=None, line=None):
        key = (str(message), category, filename, lineno)
        if key not in seen:
            seen.add(key)
            show(message, category, filename, lineno, file, line)
    return once


def run_command(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(map(str, argv))
    try:
        args = build_parser().parse_args(argv)
        if args.command in AT_ONCE:
            AT_ONCE[args.command](args)   # a bad flag or spec answers before rich (and torch) are loaded
        return COMMANDS[args.command](args, reader_console())
    except Stopped as e:  # Ctrl-C or SIGTERM during a sweep: say where, and the command that resumes it
        print(e.line(resume_command(argv)), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SuiteError as e:   # bad input (2), a run that failed (1): one line, the message says what and where
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:  # the machine's answer: an output folder that cannot be written, a full disk
        print(f"error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - the last resort: anything else is the suite's own bug, said with its traceback
        traceback.print_exc()
        print("error: this is a bug in the suite, not in what you gave it: please report it with the command and "
              "the traceback above", file=sys.stderr)
        return 1
