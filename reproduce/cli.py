"""`python -m reproduce data|run|report`: the suite's command line.

Bad input of any kind ends in one line on stderr naming what is wrong, and exit code 2.
"""
from __future__ import annotations  # the annotations name rich's Console, loaded only once a command runs

import argparse
import os
import shlex
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

# Only what parsing the command line needs: `--help` and a bad flag answer before torch, rich or matplotlib
# are imported (seconds on a small machine). Each command imports the rest when it runs.
from model import NAMES
from model.spec import check_form
from reproduce.cluster import options as cluster
from reproduce.data.split import SplitError, plan as split_plan
from reproduce.errors import BadInput, SuiteError
from reproduce.flags import at_least_one, percent
from reproduce.grade import command as notebook_commands
from reproduce.record.schema import ReportError
from reproduce.report.choices import FORMATS, MAX_EPOCHS, METRICS, TARGET
from reproduce.sweep.interrupt import Stopped
from reproduce.training import recipe
from reproduce.training.config import EXECUTIONS, PRECISIONS, Problem, TrainConfig

if TYPE_CHECKING:
    from rich.console import Console



class UsageError(BadInput):
    """Bad flags or arguments, said in one line."""


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


MAX_SEED = 2 ** 32 - 1   # numpy's seeds are 32-bit: a larger one cannot seed every RNG of a run


def parse_seeds(tokens) -> list:
    """'0 1 2', '0,1,2' or '0-4' (or these mixed); an empty item ('0,,2'), a seed outside 0..2**32-1 or a
    repeated seed is an error, order is kept."""
    seeds = []
    for tok in tokens:
        for item in str(tok).split(","):
            if not item.strip():
                raise UsageError(f"--seeds: {tok!r} has an empty item (two commas, or one at an end)")
            for part in item.split():
                seeds.extend(seed_range(part))
    if not seeds:
        raise UsageError("--seeds: no seeds given")
    if len(set(seeds)) != len(seeds):
        raise UsageError(f"--seeds: a seed is repeated in {' '.join(map(str, tokens))!r}")
    return seeds


def seed_range(part: str) -> range:
    lo, sep, hi = part.partition("-")
    try:
        first, last = (int(lo), int(hi)) if sep else (int(part), int(part))
    except ValueError:
        raise UsageError(f"--seeds: {part!r} is not a seed or a range like 0-4") from None
    if last < first:
        raise UsageError(f"--seeds: range {part!r} is empty (end before start)")
    if first < 0 or last > MAX_SEED:
        raise UsageError(f"--seeds: seeds must be in 0..{MAX_SEED}, got {part!r}")
    return range(first, last + 1)


def build_parser() -> Parser:
    p = Parser(prog="python -m reproduce", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    d = sub.add_parser("data", help="fetch (if needed) and verify MNIST, print its source and hashes")
    d.add_argument("--data-dir", type=Path, default=None, help="MNIST root (default $MNIST_DATA_DIR or ./data)")

    r = sub.add_parser("run", help="train a model over seeds, one JSON report per run")
    defaults = TrainConfig()
    r.add_argument("--model", default=defaults.model,
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
    r.add_argument("--out", type=Path, default=None, help="output folder (default reports/<model>-<epochs>ep)")
    r.add_argument("--data-dir", type=Path, default=None, help="MNIST root (default $MNIST_DATA_DIR or ./data)")
    r.add_argument("--quiet", action="store_true", help="no progress bar and no epoch lines")
    r.add_argument("--report", action="store_true",
                   help="then check and render this sweep's runs, as `report` does (and exit with its verdict)")
    r.add_argument("--force", action="store_true",
                   help="a report or checkpoint of another config in --out is moved aside (kept), not refused")
    cluster.add_arguments(r)

    c = sub.add_parser("report", help="check run reports against the target and render them")
    c.add_argument("paths", nargs="+", type=Path, help="report files or folders holding them")
    c.add_argument("--target", type=percent, default=TARGET, help="test accuracy to reach, in percent")
    c.add_argument("--max-epochs", type=at_least_one, default=MAX_EPOCHS, help="epochs allowed to reach it")
    c.add_argument("--format", choices=FORMATS, default="table",
                   help="table (rich, default), markdown, csv or json (the summary as data)")
    c.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                   help="also draw test accuracy per epoch and a histogram of final accuracies (needs matplotlib)")

    i = sub.add_parser("import-log", help="read a notebook-style training log into a report marked as imported")
    i.add_argument("log", type=Path, help="the log, or a Jupyter notebook (.ipynb: its code cells' outputs), with "
                                           "lines like 'Test set: Average loss: L, Accuracy: K/N (P%%)'")
    i.add_argument("--model", required=True,
                   help="a name for the model; a registered model or FILE.py:NAME is audited and counted")
    i.add_argument("--params", type=int, default=None,
                   help="its claimed parameter count (needed unless --model is a model the suite can build)")
    i.add_argument("--seed", type=int, default=0, help="the seed to file it under (default 0)")
    i.add_argument("--out", required=True, type=Path, help="folder to write <model>-seed<k>.json into")
    i.add_argument("--pattern", default=None, metavar="REGEX",
                   help="read lines of another shape: a regex with a named group acc (optional loss, epoch)")
    notebook_commands.register(sub, r)

    k = sub.add_parser("compare", help="two sweeps side by side, with the difference in mean final accuracy")
    k.add_argument("a", type=Path, help="sweep A: a folder of run reports (or one report)")
    k.add_argument("b", type=Path, help="sweep B")
    k.add_argument("--metric", choices=METRICS, default="final",
                   help="final (last epoch), peak (best on test) or val-pick (test at the val-chosen epoch)")
    k.add_argument("--target", type=percent, default=TARGET, help="test accuracy to reach, in percent")
    k.add_argument("--max-epochs", type=at_least_one, default=MAX_EPOCHS, help="epochs allowed to reach it")
    k.add_argument("--format", choices=("table", "json"), default="table")

    v = sub.add_parser("verify", help="re-run a report's config and seed here; exit 0 when bit-identical")
    v.add_argument("report", type=Path, help="a run report <model>-seed<k>.json")
    v.add_argument("--epochs", type=int, default=None, help="re-run only the first K epochs (default: all recorded)")
    v.add_argument("--threads", type=at_least_one, default=None, help="torch CPU threads (default: the report's)")
    v.add_argument("--data-dir", type=Path, default=None)
    return p


def cmd_data(args, console: Console) -> int:
    from reproduce.data.mnist import default_root, ensure_mnist
    info = ensure_mnist(args.data_dir or default_root(), log=lambda m: console.print(m, highlight=False))
    console.print(f"MNIST at {info.root} (source: {info.source}), verified:", highlight=False)
    for name, digest in info.sha256.items():
        console.print(f"  {name:26s} sha256 {digest}", highlight=False, soft_wrap=True)
    return 0


def config_from_args(args) -> TrainConfig:
    """The run's config: the model spec (checked), its recipe (the model's own unless --recipe), the flags that
    override the recipe, then the rest of the flags. One line and exit 2 for anything wrong (main)."""
    import model as models
    from model.spec import check as check_spec
    from reproduce.grade import beside
    source = models.resolve(args.model)       # SpecError: a file that is missing, broken, or names no network
    check_spec(source)
    recipe_path = args.recipe or source.recipe or models.MODELS["seed"].recipe
    fields = beside.load_recipe(recipe_path, getattr(args, "approximate", False), getattr(args, "static", False))
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "momentum": args.momentum,
                 "precision": args.precision}
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(model=args.model, model_sha256=source.sha256, train_limit=args.train_limit,
                       eval_batch_size=args.eval_batch_size, val_split=args.val_split, execution=args.execution,
                       allow_nondeterministic=args.allow_nondeterministic, **fields)


def check_run_flags(args) -> list:
    """The seeds, after the checks of `run`'s flags that need neither torch nor the model (UsageError)."""
    seeds = parse_seeds(args.seeds)
    check_form(args.model, NAMES)   # the spec's form, a missing file, a syntax error: before torch is loaded
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out}: is a file; a folder is needed (the sweep writes one report per seed "
                         f"in it)")
    return seeds


def say_notes(args) -> None:
    """What the user may not have meant, said in one line each; the run goes on."""
    from reproduce.training import recipe
    cores = os.cpu_count() or 1
    if args.threads is not None and args.threads > cores:
        print(f"note: --threads {args.threads} is more than this machine's {cores} cores; the runs will be slower, "
              f"not faster (the thread count is recorded, and part of a CPU run's bytes)", file=sys.stderr)
    if args.recipe is not None and args.recipe.suffix != ".ipynb" and recipe.sets_nothing(args.recipe):
        print(f"note: {args.recipe} sets nothing: the runs train the seed recipe (model/seed.toml) with the flags "
              f"given", file=sys.stderr)


def cmd_run(args, console: Console) -> int:
    seeds = check_run_flags(args)
    import torch

    import model as models
    from reproduce.data.mnist import default_root, ensure_mnist
    from reproduce.grade import beside
    from reproduce.record.locks import holder
    from reproduce.sweep.local import pick_device, refuse_conflicts, run_sweep
    from reproduce.sweep.options import Sweep, SweepOptions
    from reproduce.training import determinism, optim, precision

    cfg = config_from_args(args)
    problems = cfg.problems()
    if problems:
        raise UsageError(in_flag_terms(problems[0]))
    try:
        split_plan(cfg)   # before any data is loaded: a split that leaves too little to train on is bad input
    except SplitError as e:
        raise UsageError(str(e)) from None
    out = args.out or Path("reports") / f"{cfg.run_name}-{cfg.epochs}ep"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; a folder is needed (the sweep writes one report per seed in it)")
    on_cluster = cluster.from_args(args)   # None for a local run; else submitit and SLURM are checked here, at once
    try:
        device = cluster.device_kind(args.device, on_cluster) if on_cluster else pick_device(args.device)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if cfg.execution == "graph" and device.type != "cuda":
        raise UsageError(f"--execution graph replays CUDA graphs: it needs a CUDA device (this run is on "
                         f"{device.type}; --execution fast is the CPU's fastest)")
    if cfg.execution == "graph" and cfg.graph_problem():
        raise UsageError(cfg.graph_problem())
    if precision.problem(cfg.precision, cfg.execution, device):
        raise UsageError(precision.problem(cfg.precision, cfg.execution, device))
    try:
        # A cuda sweep submitted from a machine without CUDA is probed on the CPU here; its tasks meet torch's
        # own determinism error on the node, if any, as a failed task.
        probe = device if device.type == "cpu" or torch.cuda.is_available() else torch.device("cpu")
        op = determinism.nondeterministic_op(models.build_aside(cfg.model), optim.train_loss(cfg), probe)
    except Exception as e:   # a model whose forward works but whose training step does not
        first = (str(e).strip().splitlines() or [""])[0][:160]
        raise UsageError(f"--model {cfg.model}: a training step (forward, {cfg.loss} loss, backward) failed: "
                         f"{type(e).__name__}: {first}") from None
    if op and not cfg.allow_nondeterministic:
        raise UsageError(f"--model {cfg.model}: {op} has no deterministic implementation on {device.type}, so its "
                         f"runs could not be reproduced bit for bit; --allow-nondeterministic trains it anyway "
                         f"(recorded in each report and shown by `report`)")
    if not args.force:
        refuse_conflicts(cfg, seeds, device, out)  # at once, before the data is read and verified
    say_notes(args)   # after every refusal: a refused command says one line only
    info = ensure_mnist(args.data_dir or default_root(), log=lambda m: console.print(m, highlight=False))
    kept = beside.from_run(cfg.model, args.recipe, args.approximate, getattr(args, "static", False))
    beside.keep(out, kept, None if args.quiet else console)   # a notebook's network and recipe, as trained
    sweep = Sweep(cfg, seeds, device, info, out)
    options = SweepOptions(quiet=args.quiet, force=args.force, threads=args.threads, notebook=kept.record)
    if on_cluster:
        return sweep_on_cluster(args, sweep, options, on_cluster, console)
    outcome = run_sweep(sweep, console, options)
    if not args.quiet:
        console.print(f"wrote {len(outcome.done)} report(s) to {out}/", highlight=False)
    code = 1 if outcome.diverged else 0   # a diverged run is a result, but not the one the sweep was run for
    for path, why in outcome.diverged:
        print(f"{path}: {why}", file=sys.stderr)
    if args.report:
        if outcome.held:
            # The report would show only this process's share of the sweep: say so rather than render it.
            print(f"not reporting: {len(outcome.held)} run(s) of this sweep are held by another process (pid "
                  f"{holder(outcome.held[0]) or '?'}); `report {out}` once it has finished", file=sys.stderr)
            return 1
        return max(code, show_report(outcome.done, TARGET, MAX_EPOCHS, console))
    return code


def sweep_on_cluster(args, sweep, options, slurm, console: Console) -> int:
    from reproduce.cluster.sweep import Waiting, run_on_cluster
    waiting = Waiting(wait=not args.no_wait, cancel_on_interrupt=args.cancel_on_interrupt)
    outcome = run_on_cluster(sweep, slurm, console, options, waiting)
    if args.report and outcome.complete:
        return max(outcome.code, show_report(outcome.complete, TARGET, MAX_EPOCHS, console))
    return outcome.code


def show_report(paths, target: float, max_epochs: int, console: Console) -> int:
    from reproduce.record.schema import load
    from reproduce.report.check import check
    from reproduce.report.view import render
    verdict = check([(p, load(p)) for p in paths], target, max_epochs)
    render(verdict, console)
    return 0 if verdict.ok else 1


def cmd_report(args, console: Console) -> int:
    from reproduce.record.schema import find_reports, load
    from reproduce.report import export, plot
    from reproduce.report.check import check
    from reproduce.report.view import render

    paths = find_reports(args.paths)
    if not paths:
        raise ReportError(f"no run reports (<model>-seed<k>.json) found in {' '.join(map(str, args.paths))}")
    if args.plot is not None:
        plot.require_matplotlib()   # before any output: a missing extra is bad input, not a half-done report
        plot.check_writable(args.plot)
    verdict = check([(p, load(p)) for p in paths], args.target, args.max_epochs)
    if args.format == "table":
        render(verdict, console)
    else:
        sys.stdout.write(export.render(verdict, args.format))
    if args.plot is not None:
        plot.plot(verdict, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0 if verdict.ok else 1


def cmd_import_log(args, console: Console) -> int:
    from reproduce.report.importlog import import_log
    path = import_log(args.log, args.model, params=args.params, seed=args.seed, out=args.out, pattern=args.pattern)
    console.print(f"imported {args.log} -> {path}", highlight=False)
    return 0


def cmd_compare(args, console: Console) -> int:
    from reproduce.report.compare import compare, compare_json, render_comparison
    result = compare(args.a, args.b, args.metric, args.target, args.max_epochs)
    if args.format == "json":
        sys.stdout.write(compare_json(result))
    else:
        render_comparison(result, console)
    return 0



def cmd_verify(args, console: Console) -> int:
    from reproduce.sweep.verify import verify

    if args.report.is_dir():
        raise UsageError(f"verify {args.report}: is a folder; verify takes one run report (<model>-seed<k>.json)")
    try:
        return verify(args.report, args.epochs, args.data_dir, args.threads, console)
    except ValueError as e:
        raise UsageError(str(e)) from None


COMMANDS = {"data": cmd_data, "run": cmd_run, "report": cmd_report, "import-log": cmd_import_log,
            "compare": cmd_compare, "verify": cmd_verify, "recipe": notebook_commands.cmd_recipe,
            "check": notebook_commands.cmd_check}


# The checks of a command's flags that need neither rich nor torch, run before either is loaded.
AT_ONCE = {"run": check_run_flags, "check": notebook_commands.refuse_at_once}


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
    return f"{python} -m reproduce {shlex.join(argv)}"


def main(argv=None) -> int:
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
    except Exception:
        traceback.print_exc()
        print("error: this is a bug in the suite, not in what you gave it: please report it with the command and "
              "the traceback above", file=sys.stderr)
        return 1
