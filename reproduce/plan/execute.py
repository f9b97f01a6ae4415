"""A RunPlan carried out: MNIST fetched and verified, what a notebook gave kept beside the reports, the seeds
trained here (reproduce/sweep/local.py) or as SLURM array tasks (reproduce/cluster/sweep.py), then the exit code:
0, or 1 when a run diverged (a result, but not the one the sweep was run for) or, with `report`, when a run
misses the target."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from reproduce.plan.build import RunPlan

if TYPE_CHECKING:
    from rich.console import Console


def execute(plan: RunPlan, console: Console) -> int:
    from reproduce.plan import beside
    from reproduce.sweep.local import already_final
    request = plan.request
    # Every run already final here: nothing to train, so no data to read, nor to fetch.
    local = plan.cluster is None and not request.force
    outcome = already_final(plan.cfg, plan.seeds, plan.device, plan.out) if local else None
    if outcome is None:
        beside.keep(plan.out, plan.kept, None if request.quiet else console)   # a notebook's network and recipe
        sweep, options = _sweep(plan, console)
        if plan.cluster is not None:
            return _on_cluster(plan, sweep, options, console)
        from reproduce.sweep.local import run_sweep
        outcome = run_sweep(sweep, console, options)
    elif not request.quiet:
        for path in outcome.done:   # as the sweep says it of each run it skips
            diverged = dict(outcome.diverged).get(path)
            console.print(f"{path}: {diverged + ' ' if diverged else 'complete '}with the same config"
                          f"{' (a final result)' if diverged else ''}, skipped", highlight=False, soft_wrap=True)
    if not request.quiet:
        console.print(f"wrote {len(outcome.done)} report(s) to {plan.out}/", highlight=False)
    code = 1 if outcome.diverged else 0
    for path, why in outcome.diverged:
        print(f"{path}: {why}", file=sys.stderr)
    if not request.report:
        return code
    if outcome.held:
        from reproduce.record.locks import holder
        # The report would show only this process's share of the sweep: say so rather than render it.
        print(f"not reporting: {len(outcome.held)} run(s) of this sweep are held by another process (pid "
              f"{holder(outcome.held[0]) or '?'}); `report {plan.out}` once it has finished", file=sys.stderr)
        return 1
    return max(code, show_report(outcome.done, console))


def _sweep(plan: RunPlan, console: Console):
    """The verified data fetched, and the sweep as data (what it trains, how it runs)."""
    from reproduce.data.mnist import default_root, ensure_mnist
    from reproduce.sweep.options import Sweep, SweepOptions
    request = plan.request
    info = ensure_mnist(request.data_dir or default_root(), log=lambda m: console.print(m, highlight=False))
    options = SweepOptions(quiet=request.quiet, force=request.force, threads=request.threads,
                           notebook=plan.kept.record, settled=request.settled)
    return Sweep(plan.cfg, plan.seeds, plan.device, info, plan.out), options


def _on_cluster(plan: RunPlan, sweep, options, console: Console) -> int:
    from reproduce.cluster.sweep import Waiting, run_on_cluster
    waiting = Waiting(wait=plan.request.wait, cancel_on_interrupt=plan.request.cancel_on_interrupt)
    assert plan.cluster is not None   # a plan for the cluster holds its options
    outcome = run_on_cluster(sweep, plan.cluster, console, options, waiting)
    if plan.request.report and outcome.complete:
        return max(outcome.code, show_report(outcome.complete, console))
    return outcome.code


def show_report(paths, console: Console) -> int:
    """The report tool's check of these runs at the default target, rendered; 0 when every run passes."""
    from reproduce.record.schema import load
    from reproduce.report.check import check
    from reproduce.report.choices import MAX_EPOCHS, TARGET
    from reproduce.report.view import render
    verdict = check([(p, load(p)) for p in paths], TARGET, MAX_EPOCHS)
    render(verdict, console)
    return 0 if verdict.ok else 1
