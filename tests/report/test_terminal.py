"""What the suite prints reads well on an 80-column terminal: every table keeps each row on one line (no cell
wraps or is cut), and a long sweep folder keeps its end (`…/gm-claim`), which tells sweeps apart."""
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from bench import table as bench_table
from conftest import bench_forward as forward, bench_train as train, record, write_report as write
from reproduce.cluster import slurm, watch
from reproduce.files.shown import tail
from reproduce.record.schema import load
from reproduce.report.check import check
from reproduce.report.compare import Comparison, Side, render_comparison
from reproduce.report.view import render as render_report
from reproduce.sweep.progress import RunProgress, SweepProgress

LONG = "/home/someone/projects/mnist-under-20k/reports/notebooks/2026-12-01/gm-claim"


def shown(draw, width=80, terminal=False) -> list:
    """The lines `draw(console)` prints on a terminal `width` columns wide."""
    console = Console(width=width, file=io.StringIO(), record=True, force_terminal=terminal, color_system=None)
    draw(console)
    return console.export_text().splitlines()


def assert_rows_whole(lines, rows):
    """Each row's cells, in order, on one printed line, none cut short with an ellipsis."""
    for cells in rows:
        pattern = r"\s+(?:.*\s)?".join(re.escape(c) for c in cells)   # in order, other cells between
        hits = [line for line in lines if re.search(pattern, line)]
        assert hits, f"row {cells} is not on one line of:\n" + "\n".join(lines)
        cut = [line for line in hits if line.count("…") > sum(c.count("…") for c in cells)]
        assert not cut, "\n".join(cut)


def test_tail_keeps_the_end_of_a_long_path():
    assert tail("reports/gm-claim", 40) == "reports/gm-claim"
    assert tail(LONG, 30) == "…/2026-12-01/gm-claim"
    assert tail(LONG, 12) == "…/gm-claim"
    assert tail("/a/very-long-last-part", 8) == "…st-part"
    for width in range(1, len(LONG) + 1):
        got = tail(LONG, width)
        assert len(got) <= width
        assert (got == LONG or got.startswith("…"))
        assert LONG.endswith(got.lstrip("…"))


@pytest.fixture
def bench_run():
    """A forward row for every variant and batch of every registered model, a long fallback note, the CUDA
    graph variant at batch 8192, and the training table's four rows."""
    runs = []
    for model in ("frontier", "seed", "seed-fc"):
        for batch, eager in ((1, 0.00023), (128, 0.0228), (1024, 1.263)):
            for variant, share in (("eager", 1), ("folded", 0.8), ("compiled", 0.3)):
                runs.append(forward(model, "cpu", batch, variant, eager * share))
    runs.append(forward("seed", "cuda", 8192, "cuda-graph", 0.0123))
    runs[2]["extra_info"]["inference"] = {"compiled": False, "compile_fallback": "BackendCompilerFailed: " + "x" * 90}
    trainer = train(0.5, reference_per_step=0.14, steps=16)
    trainer["extra_info"].update(convolutions_seconds_per_step=0.07, augment_seconds_per_batch=0.0019,
                                 augment_share_of_step=0.01)
    return {"datetime": "2026-12-01T10:00:00", "benchmarks": runs + [trainer]}


def test_the_bench_tables_fit_80_columns_with_units_in_the_headers(bench_run):
    lines = shown(lambda c: bench_table.render(bench_run, "reports/bench/Linux/0001_run.json", c))
    fwd = bench_table.forward_rows(bench_run["benchmarks"])
    assert_rows_whole(lines, [[r["model"], r["device"], str(r["batch"]), r["variant"] + (" [1]" if r["note"] else ""),
                               f"{r['median_s'] * 1e3:,.3f}", f"{r['images_per_s']:,.0f}"] for r in fwd])
    assert_rows_whole(lines, [["ms/call", "images/s", "vs eager"], ["s/step", "s/epoch", "images/s", "vs ref"]])
    assert_rows_whole(lines, [[r["loop"], f"{r['seconds_per_step']:.4f}", f"{r['images_per_s']:,.0f}"]
                              for r in bench_table.train_rows(bench_run["benchmarks"])])
    assert any(line.startswith("[1] compile fell back to folded: BackendCompilerFailed") for line in lines)
    assert "compiled [1]" in "\n".join(lines)


def test_the_report_tables_fit_80_columns(tmp_path):
    accs = [98.0 + i / 10 for i in range(19)]
    paths = [write(tmp_path / "plain", record(seed, accs)) for seed in range(3)]
    for seed in range(3):     # with --val-split: a val@ep column in place of params
        rec = record(seed, accs, model="frontier", params=15_950, fc=True)
        for e in rec["epochs"]:
            e["val_acc"], e["val_loss"] = 99.0 + e["epoch"] / 100, 0.02
        paths.append(write(tmp_path / "val", rec))
    verdict = check([(p, load(p)) for p in paths], 99.4, 19)
    lines = shown(lambda c: render_report(verdict, c))
    assert_rows_whole(lines, [[str(seed), "19,750", "15", "99.80@19", "99.80", "99.60", "✓"] for seed in range(3)])
    assert_rows_whole(lines, [[str(seed), "15", "99.80@19", "99.80", "99.60", "99.80@19", "✓"] for seed in range(3)])
    assert_rows_whole(lines, [["some epoch ≥ 99.4", "3/3"], ["final: mean ± sd, min", "99.80"],
                              ["test at val-picked epoch", "99.80"]])


def test_compare_keeps_the_end_of_a_long_sweep_folder(tmp_path):
    a = Side(LONG, "my_net.Net", 1, 1, 0.21, 1.0, [(0, 99.44)], 99.44, None, 99.44)
    b = Side(LONG.replace("gm-claim", "gm-rerun"), "my_net.Net", 20, 18, 0.7, 0.97,
             [(s, 99.4) for s in range(20)], 99.5, 0.06, 99.4)
    lines = shown(lambda c: render_comparison(Comparison("final", 99.4, 19, a, b, 0.06, None, [], None), c))
    assert_rows_whole(lines, [["A", "…/gm-claim", "my_net.Net", "1/1 (21–100%)", "99.440 ± —", "99.44"],
                              ["B", "…/gm-rerun", "my_net.Net", "18/20 (70–97%)", "99.500 ± 0.060", "99.40", "20"]])
    assert not any("/home" in line for line in lines)
    wide = shown(lambda c: render_comparison(Comparison("final", 99.4, 19, a, b, 0.06, None, [], None), c), 160)
    assert any(LONG in line for line in wide)     # where it fits, the whole path


def test_the_slurm_table_keeps_a_seed_on_one_line_and_says_a_long_reason_after_it(tmp_path):
    tasks = [slurm.Task(seed, f"4242_{seed}", tmp_path / f"4242_{seed}_0_log.out") for seed in range(3)]
    seeds = watch.views(slurm.Array("4242", tasks, []), tmp_path, "my_net.Net", 19)
    seeds[0].state, seeds[0].epochs, seeds[0].starts = "RUNNING", 7, [0, 3]
    seeds[1].state, seeds[1].reason = "FAILED", "RuntimeError: " + "a reason long enough to need two lines " * 3
    lines = shown(lambda c: watch.final(slurm.Array("4242", tasks, []), seeds, c))
    assert_rows_whole(lines, [["0", "4242_0", "running (RUNNING)", "7/19", "requeued 1x, resumed after epoch 3"],
                              ["2", "4242_2", "queued (PENDING)", "0/19"]])
    failed = [line for line in lines if line.split()[:3] == ["1", "4242_1", "failed"]]
    # cut in the table, whole below it
    assert len(failed) == 1
    assert failed[0].rstrip().endswith("…")
    assert any(line.startswith("seed 1: failed (FAILED)") and "log: " in line for line in lines)


def test_the_sweep_bar_is_titled_by_the_end_of_its_folder():
    def draw(console):
        sweep = SweepProgress(20, 19, folder=Path(LONG))
        bars = RunProgress(console, "my_net.Net seed 12", 19, 469, sweep=sweep)
        console.print(bars.bar.get_renderable())
    lines = shown(draw, terminal=True)
    assert_rows_whole(lines, [["…/2026-12-01/gm-claim: 0/20 runs done, ETA —", "0/20"],
                              ["my_net.Net seed 12 epochs", "0/19"], ["batches", "0/469"]])
    assert SweepProgress(2, 1).title(45) == "sweep: 0/2 runs done, ETA —"   # no folder: the plain line
    assert SweepProgress(2, 1, folder=Path(LONG)).title(30) == "sweep: 0/2 runs done, ETA —"   # no room for it


def test_a_seed_whose_task_completed_with_a_diverged_report_is_diverged_not_done_nor_failed(tmp_path):
    tasks = [slurm.Task(seed, f"4242_{seed}", tmp_path / f"4242_{seed}_0_log.out") for seed in range(3)]
    array = slurm.Array("4242", tasks, [])
    seeds = watch.views(array, tmp_path, "my_net.Net", 19)
    seeds[0].state, seeds[0].status, seeds[0].epochs = "COMPLETED", "complete", 19
    seeds[1].state, seeds[1].status, seeds[1].epochs = "COMPLETED", "diverged", 4
    seeds[2].state, seeds[2].status, seeds[2].epochs = "COMPLETED", "running", 7   # ended without a final report
    assert [v.phase for v in seeds] == ["done", "diverged", "failed"]
    code = []
    lines = shown(lambda c: code.append(watch.final(array, seeds, c)))
    assert code == [1]
    assert any(line.startswith("seed 1: diverged (COMPLETED), 4/19 epochs") for line in lines)
    assert any(line.startswith("seed 2: failed (COMPLETED)") and "its report is not complete" in line
               for line in lines)
