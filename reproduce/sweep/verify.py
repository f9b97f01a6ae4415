"""`python -m reproduce verify REPORT.json [--epochs K]`: re-run a report's (config, seed) here and compare.

Every per-epoch number except wall time must be equal bit for bit (JSON floats round-trip exactly), and for a
full run the final weights sha256 too. On a mismatch the first differing epoch is shown, with the environment
fields that differ from the report's: those (torch version, device, threads...) explain most mismatches.
"""
from pathlib import Path

import torch
from rich.console import Console

import reproduce.model as models
from reproduce.data.mnist import default_root, ensure_mnist, load_tensors
from reproduce.errors import UsageError
from reproduce.record.schema import ReportError, load
from reproduce.sweep.differences import environment_differences, epoch_differences
from reproduce.training import environment, execution
from reproduce.training.config import TrainConfig
from reproduce.training.trainer import Diverged, TrainOptions, train, weights_sha256


def _to_rerun(path: Path, report, epochs) -> tuple[TrainConfig, int, torch.device]:
    """(its config, the epochs to re-run, the device) of a report that can be re-run here, or why not."""
    if report.origin == "imported":
        raise ReportError(f"{path}: an imported run (read from a log by import-log) has no config to re-run; "
                          f"verify takes a run the suite trained")
    cfg = TrainConfig.from_dict(report.config)
    recorded = len(report.epochs)
    if recorded == 0:
        raise ReportError(f"{path}: records no epoch, nothing to verify")
    k = recorded if epochs is None else epochs
    if not 1 <= k <= recorded:
        raise UsageError(f"--epochs must be between 1 and {recorded} (the epochs {path} records), got {k}")
    device = _device_of(path, report, cfg)
    source = models.resolve(cfg.model)   # SpecError: the model file is gone or broken
    if source.sha256 != cfg.model_sha256:
        raise ReportError(f"{path}: the model {cfg.model} is not the one this run trained (sha256 of its source "
                          f"{cfg.model_sha256} in the report, {source.sha256} here)")
    return cfg, k, device


def _device_of(path: Path, report, cfg: TrainConfig) -> torch.device:
    """The report's device, when its config can train on it here (reproduce/training/execution.py): a bf16 run on a
    CPU without bf16, a cuda run on a machine without CUDA, a graph run on the CPU are each refused by name."""
    unusable = execution.device_problem(report.device)
    if unusable:
        raise UsageError(f"{path} was made on {report.device}: {unusable}")
    device = torch.device(report.device)
    problems = execution.problems(cfg, device)
    if problems:
        raise UsageError(f"{path}: {problems[0]}")
    return device


def _rerun(cfg: TrainConfig, report, data, device: torch.device, k: int, say) -> tuple[str, list]:
    """Trains epochs 1..k again, saying for each whether it matches: (the weights' sha256, [(the first differing
    epoch, its differences)] or [])."""
    recorded = len(report.epochs)
    first_bad: list = []

    def on_epoch(e):
        diff = epoch_differences(report.epochs[e.epoch - 1], e)
        say(f"  epoch {e.epoch:2d} {'identical' if not diff else 'DIFFERS'}")
        if diff and not first_bad:
            first_bad.append((e.epoch, diff))

    try:
        _, digest, _ = train(cfg, report.seed, data, device, TrainOptions(on_epoch=on_epoch, stop_after=k))
    except Diverged as d:
        # A diverged report's last epoch is where it diverged: the re-run must diverge there, with the same figures.
        on_epoch(d.record)
        digest = weights_sha256(d.net)
        as_reported = report.status == "diverged" and d.record.epoch == recorded
        say(f"  diverged at epoch {d.record.epoch} ({d})" + (", as the report says" if as_reported else
                                                               ": the report did not"))
        if not as_reported and not first_bad:
            first_bad.append((d.record.epoch, [f"status {report.status!r} (report) vs 'diverged' (here)"]))
    return digest, first_bad


def _say_mismatch(say, report, first_bad: list, hash_bad: bool, digest: str) -> None:
    if first_bad:
        epoch, diff = first_bad[0]
        say(f"MISMATCH: first differing epoch {epoch}: {'; '.join(diff)}")
    if hash_bad:
        say(f"MISMATCH: weights sha256 {report.weights_sha256} (report) vs {digest} (here)")


def verify(path: Path, epochs=None, data_dir=None, threads=None, console: Console | None = None) -> int:
    """0 when the re-run matches bit for bit, 1 when it does not. UsageError for a flag that cannot apply to
    this report (UsageError); ReportError for a report that cannot be read or re-run."""
    console = console or Console()
    say = lambda m: console.print(m, highlight=False, soft_wrap=True)
    report = load(path)
    if report.as_written is not None:   # the notebook's own code: run again as written (verify_aswritten.py)
        from reproduce.sweep.verify_aswritten import Asked, verify_as_written
        return verify_as_written(path, report, Asked(epochs, data_dir, threads), say)
    cfg, k, device = _to_rerun(path, report, epochs)
    # The report's thread count, unless told otherwise: CPU kernels may split sums differently with another.
    torch.set_num_threads(threads or report.environment.get("torch_threads") or torch.get_num_threads())
    info = ensure_mnist(Path(data_dir) if data_dir else default_root(), log=say)
    data = load_tensors(Path(info.root), device)
    # A diverged report is final: its weights hash is that of the epoch it diverged in.
    full = ((report.status == "complete" and k == cfg.epochs)
            or (report.status == "diverged" and k == len(report.epochs)))
    say(f"verifying {path}: {report.model} seed {report.seed}, epochs 1..{k} of {cfg.epochs} on {device.type}, "
        f"{torch.get_num_threads()} threads")
    digest, first_bad = _rerun(cfg, report, data, device, k, say)
    here = environment.capture(device)
    env_diff = environment_differences(report.environment, here)
    data_diff = [] if report.data.get("sha256") == info.sha256 else ["data sha256"]
    hash_bad = full and digest != report.weights_sha256
    if not first_bad and not hash_bad:
        what = "weights sha256 and " if full else ""
        say(f"match: {what}metrics of epochs 1..{k} identical bit for bit"
            + ("" if full else " (a prefix: weights not compared)"))
        if env_diff:
            say(f"  (environment differs from the report's, without effect: {'; '.join(env_diff)})")
        return 0
    _say_mismatch(say, report, first_bad, hash_bad, digest)
    differing = env_diff + data_diff
    say("environment differs from the report's: " + ("; ".join(differing) if differing else
                                                       "nothing recorded differs"))
    return 1
