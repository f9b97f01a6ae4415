"""What `verify` compares between a report and its re-run: the per-epoch figures (all but wall time, bit for bit)
and, to explain a mismatch, the environment fields that differ. Shared by the suite's runs (verify.py) and the
runs of a notebook as written (verify_aswritten.py)."""
from dataclasses import asdict

NOT_COMPARED = {"seconds"}  # wall time: differs on every run


def flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def environment_differences(recorded: dict, here: dict) -> list:
    a, b = flatten(recorded), flatten(here)
    return [f"{k} {a.get(k)!r} -> {b.get(k)!r}" for k in list(b) + [k for k in a if k not in b]
            if a.get(k) != b.get(k)]


def epoch_differences(recorded, rerun) -> list:
    a = {k: v for k, v in asdict(recorded).items() if k not in NOT_COMPARED}
    b = {k: v for k, v in asdict(rerun).items() if k not in NOT_COMPARED}
    return [f"{k} {a.get(k)!r} (report) vs {b.get(k)!r} (here)" for k in list(a) + [k for k in b if k not in a]
            if a.get(k) != b.get(k)]
