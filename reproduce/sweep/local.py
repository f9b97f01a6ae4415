"""Run one model over many seeds, writing each run's report after every epoch.

Reliable by construction: a run is trained only under its lock (locks.py); after every epoch its checkpoint is
written, then its report, both atomically (checkpoint.py, atomic.py); rerunning the same command skips finished
runs and resumes an unfinished one bit-identically (resume.py); Ctrl-C / SIGTERM stop cleanly (interrupt.py).
"""
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console

import reproduce.model as models
from reproduce.data.mnist import MNISTTensors, load_tensors
from reproduce.data.split import plan
from reproduce.errors import BadInput, first_line
from reproduce.files import atomic
from reproduce.model.audit import audit
from reproduce.record import checkpoint, resume
from reproduce.record.locks import holder, try_lock
from reproduce.record.schema import ReportError, RunReport, run_filename
from reproduce.sweep.interrupt import Stopped, stop_on_signals
from reproduce.sweep.options import Sweep, SweepOptions
from reproduce.sweep.outcome import RunFailed, SweepOutcome
from reproduce.sweep.progress import RunProgress, SweepProgress
from reproduce.training import determinism, environment, execution
from reproduce.training.config import TrainConfig
from reproduce.training.trainer import Diverged, TrainOptions, start_run, train, weights_sha256


class Where:
    """Where a sweep is, for the line printed when it is stopped."""

    def __init__(self, total_epochs: int):
        self.total, self.saved = total_epochs, 0
        self.path: Path | None = None

    def __str__(self):
        if self.path is None:
            return "before any run started"
        return f"{self.path} has {self.saved} of {self.total} epochs saved"


def refuse_conflicts(cfg: TrainConfig, seeds, device: torch.device, out: Path) -> None:
    """ReportError for the first run file in `out` that cannot be continued or skipped (another config, or
    unreadable). Reads only: a refused command leaves the folder exactly as it was."""
    for seed in seeds:
        found = resume.inspect(Path(out) / run_filename(cfg.run_name, seed), cfg, seed, device.type)
        if found.action == "refuse":
            raise ReportError(found.why)


@dataclass
class SweepContext:
    """What every run of one sweep shares: what it trains, how, and what each report records of the sweep."""
    sweep: Sweep
    options: SweepOptions
    console: Console
    tensors: MNISTTensors     # the data, on the sweep's device
    environment: dict         # what each report records: the machine and software (environment.capture),
    audit: dict               # the network's audit,
    data: dict                # and the data it was trained on (source, hashes, images trained and held out)
    batches: int              # training batches per epoch, for the progress bar
    where: Where
    progress: SweepProgress

    def say(self, line: str) -> None:
        if not self.options.quiet:
            self.console.print(line, highlight=False, soft_wrap=True)


def already_final(cfg: TrainConfig, seeds, device: torch.device, out: Path) -> SweepOutcome | None:
    """The outcome, when every seed's report in out is final (complete or diverged) with this config: a sweep
    run again that has nothing to train, and so no data to read (or fetch). None when any seed needs training,
    or left files behind for the sweep to tidy under its lock (a checkpoint, a killed writer's temporary)."""
    outcome = SweepOutcome()
    for seed in seeds:
        path = Path(out) / run_filename(cfg.run_name, seed)
        ck_path = checkpoint.checkpoint_path(path)
        if ck_path.exists() or any(list(atomic.temporaries(p)) for p in (path, ck_path)):
            return None
        found = resume.inspect(path, cfg, seed, device.type)
        if found.action != "skip" or found.report is None:
            return None
        outcome.done.append(path)
        if found.report.status == "diverged":
            outcome.diverged.append((path, f"diverged at epoch {len(found.report.epochs)}"))
    return outcome


def run_sweep(sweep: Sweep, console: Console, options: SweepOptions | None = None) -> SweepOutcome:
    """Train every seed in order; a diverged run is a result and the sweep goes on, a failed one ends it
    (RunFailed). Returns what became of each seed (SweepOutcome). Each seed's result depends on nothing but
    (cfg, seed, device kind, software, threads): a run re-seeds everything at its start."""
    cfg, out, options = sweep.cfg, Path(sweep.out), options or SweepOptions()
    outcome = SweepOutcome()
    where = Where(cfg.epochs)
    with stop_on_signals(options.stop_signals):
        try:
            out.mkdir(parents=True, exist_ok=True)
            if options.threads:
                torch.set_num_threads(options.threads)   # before the environment is recorded
            data = load_tensors(Path(sweep.data.root), sweep.device)
            split = plan(cfg, data.train_x.shape[0])
            determinism.allow_nondeterministic(cfg.allow_nondeterministic)  # before the flags are recorded
            ctx = SweepContext(
                sweep, options, console, data, environment=environment.capture(sweep.device),
                audit=audit(models.build_aside(cfg.model)).to_dict(),
                data={"source": sweep.data.source, "sha256": sweep.data.sha256, "train_images": split.n_train,
                      "val_images": split.n_val},
                batches=math.ceil(split.n_train / cfg.batch_size), where=where,
                progress=SweepProgress(len(sweep.seeds), cfg.epochs, folder=out))
            for seed in sweep.seeds:
                path = out / run_filename(cfg.run_name, seed)
                lock = try_lock(path)
                if lock is None:
                    pid = holder(path)
                    ctx.progress.shared_with(pid)
                    console.print(f"skipped {path}: another process (pid {pid or '?'}) holds its lock",
                                  highlight=False, soft_wrap=True)
                    outcome.held.append(path)
                else:
                    with lock:
                        diverged = run_one(ctx, seed, path)
                    outcome.done.append(path)
                    if diverged:
                        outcome.diverged.append((path, diverged))
                ctx.progress.run_done()
                if not options.quiet and len(sweep.seeds) > 1:
                    console.print(ctx.progress.line(), highlight=False)
                if options.settled is not None and seed != sweep.seeds[-1] and options.settled():
                    ctx.say(f"settled after seed {seed}: no further seed is started")
                    break
        except Stopped as stop:
            stop.where = str(where)
            raise
    return outcome


def run_one(ctx: SweepContext, seed: int, path: Path) -> str:
    """One run under its lock: skip, resume or train it; its report is final (complete or diverged) when this
    returns, and the return value says why it diverged ('' when it did not). A refusal raises ReportError, an
    exception while training RunFailed (the report then says "failed"). The caller refuses conflicts for the
    whole sweep first (refuse_conflicts), before any training."""
    found = _inspected(ctx, seed, path)
    resume.remove_stale_temporaries(path)
    if found.action == "skip":
        return _skipped(ctx, path, found)
    if found.report is not None and found.report.status == "failed":
        ctx.say(f"{path}: retrying the run that failed ({found.report.reason})")
    return _trained(ctx, seed, path, found)


def _inspected(ctx: SweepContext, seed: int, path: Path) -> resume.Found:
    """What is at `path` for this run; with --force, a conflicting report and checkpoint moved aside first."""
    cfg, device = ctx.sweep.cfg, ctx.sweep.device
    found = resume.inspect(path, cfg, seed, device.type)  # again, under the lock: another sweep may have moved on
    if found.action != "refuse":
        return found
    if not ctx.options.force:
        raise ReportError(found.why)
    for p in (path, checkpoint.checkpoint_path(path)):
        moved = resume.move_aside(p)
        if moved:
            ctx.console.print(f"--force: moved {p} aside to {moved}", highlight=False, soft_wrap=True)
    return resume.Found("new")


def _skipped(ctx: SweepContext, path: Path, found: resume.Found) -> str:
    """A final report with the same config: said and skipped; why it diverged, or ''."""
    # A checkpoint here was left over by a stop between the final report and its removal.
    checkpoint.checkpoint_path(path).unlink(missing_ok=True)
    done = found.report
    assert done is not None   # "skip" comes with the final report it skips for
    if done.status == "diverged":
        why = f"diverged at epoch {len(done.epochs)}"
        ctx.say(f"{path}: {why} with the same config (a final result), skipped")
        return why
    ctx.say(f"{path}: complete with the same config, skipped")
    return ""


def _trained(ctx: SweepContext, seed: int, path: Path, found: resume.Found) -> str:
    """Trains the run from where `found` says to its end: why it diverged, or ''; RunFailed when it failed."""
    cfg, device = ctx.sweep.cfg, ctx.sweep.device
    ck_path = checkpoint.checkpoint_path(path)
    report = RunReport(model=cfg.run_name, params=ctx.audit["params"], audit=ctx.audit, seed=seed,
                       config=cfg.to_dict(), device=device.type, environment=ctx.environment, data=ctx.data,
                       fingerprint=resume.run_fingerprint(cfg, seed, device.type),
                       execution=execution.describe(cfg.execution), notebook=ctx.options.notebook)
    state = None
    try:
        state, report.train_seconds = begin(cfg, seed, device, found, ctx.data["train_images"])
        train_run(ctx, seed, path, report, state)
    except Diverged as d:
        assert state is not None   # only training, after begin, diverges
        report.status, report.weights_sha256 = "diverged", weights_sha256(state.net)
        report.save(path)
        ck_path.unlink(missing_ok=True)  # the diverged report is final, as a complete one is
        ctx.say(f"{path}: diverged: {d}; the sweep goes on")
        return f"diverged: {d}"
    except BadInput:
        raise   # a refusal: bad input, not this run's failure
    except OSError as e:   # a full disk, a folder gone: the run failed; nothing more is written, nothing is lost
        raise RunFailed(f"{path}: the run failed in epoch {len(report.epochs) + 1}: cannot write "
                        f"{e.filename or ''}: {e.strerror or e}; its last saved epoch is kept and the same command "
                        f"resumes it") from None
    # The run is recorded as failed, with the exception in one line, and the sweep goes on.
    except Exception as e:  # noqa: BLE001 - the network and its recipe are someone's code: it may raise anything
        report.status, report.reason = "failed", f"{type(e).__name__}: {first_line(e, 200)}"
        report.save(path)  # the checkpoint, if any, is the last epoch's: never ahead of this report
        raise RunFailed(f"{path}: the run failed in epoch {len(report.epochs) + 1} ({report.reason})") from None
    return ""


def begin(cfg, seed, device, found: resume.Found, n_train: int):
    """(the run's state to train from, its training seconds so far): its checkpoint's when there is one."""
    if found.action == "resume":
        ck = found.ckpt
        assert ck is not None   # "resume" comes with the checkpoint it resumes from
        return checkpoint.resume(ck, cfg, seed, device, n_train), ck["train_seconds"]
    return start_run(cfg, seed, device, n_train), 0.0


def train_run(ctx: SweepContext, seed: int, path: Path, report: RunReport, state) -> None:
    """Train from `state` (and report.train_seconds so far) to the end, checkpoint then report after every epoch;
    the report is complete at the end."""
    cfg, device = ctx.sweep.cfg, ctx.sweep.device
    ck_path = checkpoint.checkpoint_path(path)
    if state.epochs:
        ctx.say(f"{path}: resuming after epoch {len(state.epochs)} of {cfg.epochs}")
    fp, seconds_before = report.fingerprint, report.train_seconds or 0.0   # None only in an imported report
    report.epochs = state.epochs
    ctx.where.path, ctx.where.saved = path, len(state.epochs)
    report.save(path)
    t0 = time.perf_counter() - seconds_before

    def on_epoch(e):
        # report.epochs is state.epochs: train() has appended e already.
        report.train_seconds = time.perf_counter() - t0
        checkpoint.save(ck_path, state, fp, device, report.train_seconds)  # first: never behind the report
        ctx.where.saved = len(state.epochs)
        report.save(path)
        progress.epoch(e)

    ctx.progress.epoch_started()
    with RunProgress(ctx.console, f"{cfg.run_name} seed {seed}", epochs=cfg.epochs, batches_per_epoch=ctx.batches,
                     quiet=ctx.options.quiet, sweep=ctx.progress) as progress:
        if progress.bar and state.epochs:
            progress.bar.advance(progress.epoch_task, len(state.epochs))
        options = TrainOptions(on_epoch=on_epoch, on_batch=progress.batch, start=state)
        _, report.weights_sha256, _ = train(cfg, seed, ctx.tensors, device, options)
    report.train_seconds = time.perf_counter() - t0
    report.status = "complete"
    report.save(path)
    ck_path.unlink(missing_ok=True)  # the complete report is the record; see checkpoint.py
