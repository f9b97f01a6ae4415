"""The seeds of a sweep, from '0 1 2', '0,1,2' or '0-4' (or these mixed)."""

from reproduce.errors import UsageError

MAX_SEED = 2 ** 32 - 1   # numpy's seeds are 32-bit: a larger one cannot seed every RNG of a run
MAX_SEEDS = 10_000       # seeds in one command: counted from the ranges before any list is built


def parse_seeds(tokens) -> list[int]:
    """The seeds in order; an empty item ('0,,2'), a seed outside 0..2**32-1, more than MAX_SEEDS seeds or a
    repeated seed is a UsageError."""
    ranges: list[range] = []
    for tok in tokens:
        for item in str(tok).split(","):
            if not item.strip():
                raise UsageError(f"--seeds: {tok!r} has an empty item (two commas, or one at an end)")
            ranges.extend(seed_range(part) for part in item.split())
    count = sum(len(r) for r in ranges)
    if not count:
        raise UsageError("--seeds: no seeds given")
    if count > MAX_SEEDS:
        raise UsageError(f"--seeds: {count:,} seeds; at most {MAX_SEEDS:,} in one command")
    seeds = [s for r in ranges for s in r]
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
