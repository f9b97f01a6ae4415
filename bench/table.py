"""Render a pytest-benchmark JSON written by `make bench` as two rich tables; computes nothing it does not show.

    python -m bench.table [RUN.json | FOLDER]...  (default: the newest *.json under reports/bench/; several
                                                   runs are shown as one, a later one's result replacing an
                                                   earlier one's for the same benchmark)
    python -m bench.table --has-previous FOLDER   (exit 0 if FOLDER holds a saved run for this machine, else
                                                   one line and exit 2: what `make bench-compare` checks first)

Forward pass: model, device, batch, variant, median latency in ms per call, images/s, speed-up against eager
(same model, device and batch, same run); a fallback's reason is a numbered note under the table. Training:
seconds per step, seconds per epoch (derived: per step x 469), images/s, speed-up against the reference loop
(same model, device and run); "trainer, bf16" is the same trainer with --precision bf16 (no such row where the
device has no bf16, or in runs from before it was measured); and "convolutions only" is the trainer's
convolutions alone (bench/conv_floor.py): its speed-up is the ceiling of any fp32 trainer that keeps torch's
convolutions (runs from before it was measured have no such row). Startup: how long `python -m reproduce
--help` takes, as a ratio to `python -c "import torch"` (bench/test_startup.py). Exit 2 with one line on stderr
when there is no run to show or the file is not a pytest-benchmark JSON.
"""
import json
import sys
from pathlib import Path

DEFAULT_FOLDER = Path("reports/bench")


class TableError(Exception):
    pass


def newest_run(path: Path) -> Path:
    if path.is_file():
        return path
    runs = sorted(path.rglob("*.json"), key=lambda p: p.stat().st_mtime) if path.is_dir() else []
    if not runs:
        raise TableError(f"no benchmark run under {path}: run `make bench` first")
    return runs[-1]


def has_previous(folder: Path) -> bool:
    """Whether pytest-benchmark's --benchmark-compare will find a run: it looks in FOLDER/<machine id>/."""
    from pytest_benchmark.utils import get_machine_id
    return any((folder / get_machine_id()).glob("*.json"))


def load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        forward_rows(data["benchmarks"]), train_rows(data["benchmarks"])  # every field the tables need
    except OSError as e:
        raise TableError(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as e:
        raise TableError(f"{path} is not a pytest-benchmark JSON ({type(e).__name__}: {e})") from None
    return data


def _note(info: dict) -> str:
    inf = info.get("inference") or {}
    notes = []
    if inf.get("fold_fallback"):
        notes.append(f"not folded: {inf['fold_fallback']}")
    if info.get("variant") == "compiled" and not inf.get("compiled"):
        notes.append(f"compile fell back to folded: {inf.get('compile_fallback')}")
    return "; ".join(notes)


def forward_rows(benchmarks: list[dict]) -> list[dict]:
    runs = [b for b in benchmarks if "variant" in b["extra_info"]]
    eager = {(b["extra_info"]["model"], b["extra_info"]["device"], b["extra_info"]["batch"]): b["stats"]["median"]
             for b in runs if b["extra_info"]["variant"] == "eager"}
    rows = []
    for b in runs:
        info, median = b["extra_info"], b["stats"]["median"]
        base = eager.get((info["model"], info["device"], info["batch"]))
        rows.append({
            "model": info["model"], "device": info["device"], "device_name": info.get("device_name", ""),
            "batch": info["batch"], "variant": info["variant"], "median_s": median,
            "images_per_s": info["batch"] / median, "speedup": base / median if base else None,
            "note": _note(info),
        })
    order = {"eager": 0, "folded": 1, "compiled": 2, "cuda-graph": 3}
    return sorted(rows, key=lambda r: (r["model"], r["device"], r["batch"], order.get(r["variant"], 9)))


def train_rows(benchmarks: list[dict]) -> list[dict]:
    """Per model and device: the reference loop's row and the trainer's (and its bf16 twin's), all from the
    trainer's result (the loops alternate inside one benchmark; see bench/test_train_throughput.py)."""
    rows = []
    for b in benchmarks:
        info = b["extra_info"]
        if info.get("loop") != "trainer":
            continue
        steps, batch = info["steps_per_round"], info["batch"]
        trainer = b["stats"]["median"] / steps
        reference = info["reference_seconds_per_step"]
        loops = [("reference", reference), ("trainer", trainer)]
        if info.get("bf16_seconds_per_step"):
            loops.append(("trainer, bf16", info["bf16_seconds_per_step"]))
        if info.get("convolutions_seconds_per_step"):
            loops.append(("convolutions only", info["convolutions_seconds_per_step"]))
        if info.get("augment_seconds_per_batch"):
            loops.append((f"augment ({info['augment_share_of_step']:.0%})",
                          info["augment_seconds_per_batch"]))
        if info.get("augment_all_seconds_per_batch"):
            loops.append((f"all augments ({info['augment_all_share_of_step']:.0%})",
                          info["augment_all_seconds_per_batch"]))
        for loop, per_step in loops:
            rows.append({
                "model": info.get("model", "seed"),   # runs from before other models were timed: the seed's
                "device": info["device"], "device_name": info.get("device_name", ""), "loop": loop,
                "steps": steps, "batch": batch, "seconds_per_step": per_step,
                "seconds_per_epoch_derived": per_step * 469, "images_per_s": batch / per_step,
                "speedup": reference / per_step,
            })
    order = {"reference": 0, "trainer": 1, "trainer, bf16": 2, "convolutions only": 3}
    return sorted(rows, key=lambda r: (r["model"], r["device"], order.get(r["loop"], 4)))


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1e3:,.3f}"


def startup_rows(benchmarks: list[dict]) -> list[dict]:
    """bench/test_startup.py's result: the command line's answer time and its ratio to importing torch."""
    return [{"startup": b["extra_info"]["startup"], "seconds": b["stats"]["median"],
             "import_torch_seconds": b["extra_info"]["import_torch_seconds"],
             "ratio": b["extra_info"]["ratio_to_import_torch"]}
            for b in benchmarks if "ratio_to_import_torch" in b["extra_info"]]


def _latency(seconds: float) -> str:
    return f"{seconds * 1e3:,.3f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def _speedup(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def merge(runs: list[dict]) -> dict:
    """Several partial runs (e.g. the GPU check's two invocations) as one; later results win per benchmark."""
    by_name = {}
    for run in runs:
        for b in run["benchmarks"]:
            by_name[b.get("fullname", b.get("name"))] = b
    return {"datetime": runs[-1].get("datetime", "?"), "benchmarks": list(by_name.values())}


def _table(title: str):
    from rich import box
    from rich.table import Table
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)


def _forward_table(benchmarks: list[dict], console):
    """The forward-pass table, printed with its numbered notes and the devices' names when it has rows."""
    fwd = _table("Forward pass in eval mode (speed-up against eager, same run)")
    for col in ("model", "device", "batch", "variant", "ms/call", "images/s", "vs eager"):
        fwd.add_column(col, justify="left" if col in ("model", "device", "variant") else "right", no_wrap=True)
    notes = []
    for r in forward_rows(benchmarks):
        variant = r["variant"]
        if r["note"]:
            notes.append(r["note"])
            variant += f" [{len(notes)}]"
        fwd.add_row(r["model"], r["device"], str(r["batch"]), variant, _milliseconds(r["median_s"]),
                    f"{r['images_per_s']:,.0f}", _speedup(r["speedup"]))
    names = sorted({f"{r['device']}: {r['device_name']}" for r in forward_rows(benchmarks)})
    if fwd.row_count:
        console.print(fwd, highlight=False)
        for n, note in enumerate(notes, 1):
            console.print(f"[{n}] {note}", soft_wrap=True, highlight=False, markup=False)
        console.print("devices: " + "; ".join(names), soft_wrap=True, highlight=False)
    return fwd


def _train_table(benchmarks: list[dict], console):
    """The training table, printed when it has rows."""
    train = _table("Training, batch 128 (speed-up against the reference loop, same run)")
    train.caption = ("s/epoch: derived, s/step x 469 steps; vs ref: speed-up against the reference loop; "
                     "augment (N%): its share of a trainer step")
    train.caption_justify = "left"
    for col in ("model", "device", "loop", "s/step", "s/epoch", "images/s", "vs ref"):
        train.add_column(col, justify="left" if col in ("model", "device", "loop") else "right", no_wrap=True)
    for r in train_rows(benchmarks):
        train.add_row(r["model"], r["device"], r["loop"], f"{r['seconds_per_step']:.4f}",
                      f"{r['seconds_per_epoch_derived']:.1f}",
                      f"{r['images_per_s']:,.0f}", _speedup(r["speedup"]))
    if train.row_count:
        console.print(train, highlight=False)
    return train


def render(data: dict, source: str, console) -> None:
    """Both tables, each fitting an 80-column terminal without wrapping a cell: units in the headers, and a
    forward row's note (a fallback's reason, which can be long) as a numbered line under its table."""
    benchmarks = data["benchmarks"]
    any_info: dict = next((b["extra_info"] for b in benchmarks), {})
    console.print(f"[bold]{source}[/] ({data.get('datetime', '?')})", soft_wrap=True, highlight=False)
    console.print(f"torch {any_info.get('torch', '?')}, {any_info.get('threads', '?')} CPU threads; forward pass "
                  f"in fp32 with TF32 off", soft_wrap=True, highlight=False)
    fwd = _forward_table(benchmarks, console)
    train = _train_table(benchmarks, console)
    for b in startup_rows(benchmarks):
        console.print(f"startup: {b['startup']} {_latency(b['seconds'])}, {b['ratio']:.2f}x the time of "
                      f"`python -c \"import torch\"` ({_latency(b['import_torch_seconds'])})", soft_wrap=True,
                      highlight=False)
    if not fwd.row_count and not train.row_count and not startup_rows(benchmarks):
        console.print("this run holds no forward, training or startup results")


def main(argv=None) -> int:
    from rich.console import Console
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "--has-previous":
        if has_previous(Path(argv[1])):
            return 0
        print(f"bench-compare: no previous run under {argv[1]} to compare against: run `make bench` first",
              file=sys.stderr)
        return 2
    if any(a.startswith("-") for a in argv):
        print("usage: python -m bench.table [RUN.json | FOLDER]... | --has-previous FOLDER", file=sys.stderr)
        return 2
    try:
        sources = [newest_run(Path(a)) for a in argv] or [newest_run(DEFAULT_FOLDER)]
        data = merge([load(p) for p in sources])
    except TableError as e:
        print(f"bench.table: {e}", file=sys.stderr)
        return 2
    source = ", ".join(str(p) for p in sources)
    render(data, source, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
