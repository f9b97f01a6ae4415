"""Two hashes that make a report trustworthy.

- `record_sha256` (the seal): sha256 of the canonical JSON of every other field of a report. `record.load`
  refuses a report whose content no longer matches it, so a number edited by hand cannot pass for a measured one.
  It proves nothing against someone who recomputes it on purpose; `verify` (re-running the run) is the proof.
- the run fingerprint: sha256 of the canonical JSON of (config, seed, device kind). Two runs with the same
  fingerprint must give the same bytes on the same software; a sweep skips a finished run whose fingerprint
  matches and refuses to mix a run whose fingerprint differs into the same folder.
"""
import hashlib
import json

SEAL_FIELD = "record_sha256"


def canonical_json(obj) -> bytes:
    # sort_keys + fixed separators: the same content always gives the same bytes. Floats use repr, which
    # round-trips exactly, so a report that went through json.loads hashes to the same digest.
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def sha256_of(obj) -> str:
    return hashlib.sha256(canonical_json(obj)).hexdigest()


def seal(d: dict) -> dict:
    """d with its seal recomputed over everything else in it."""
    body = {k: v for k, v in d.items() if k != SEAL_FIELD}
    return {**body, SEAL_FIELD: sha256_of(body)}


def seal_problem(d: dict) -> str:
    """Why d's seal does not hold, or '' when it does."""
    recorded = d.get(SEAL_FIELD)
    if not isinstance(recorded, str):
        return f"missing field {SEAL_FIELD!r}"
    if recorded != sha256_of({k: v for k, v in d.items() if k != SEAL_FIELD}):
        return f"content does not match its {SEAL_FIELD} (edited after it was written?)"
    return ""


def fingerprint(config: dict, seed: int, device: str) -> str:
    return sha256_of({"config": config, "seed": seed, "device": device})


def differing_fields(old: dict, new: dict) -> list:
    """'name old -> new' for every key whose value differs (a key missing on one side counts)."""
    out = []
    for k in list(new) + [k for k in old if k not in new]:
        if old.get(k, "<missing>") != new.get(k, "<missing>"):
            out.append(f"{k} {old.get(k, '<missing>')!r} -> {new.get(k, '<missing>')!r}")
    return out
