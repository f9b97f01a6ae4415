"""Which runs are one sweep: those whose numbers are decided by the same things (the model, the config's identity
without the seed, the device kind, and the kind of run: the notebook's own code as written, the suite's loop, or
a training log imported), so that a pass rate or a mean ± sd never mixes two sweeps, and a published sweep never
takes in a run of another."""
from reproduce.record.schema import RunReport
from reproduce.training.config import TrainConfig

KIND_CHOICES = ("as-written", "suite", "imported")
AS_WRITTEN, SUITE, IMPORTED = KIND_CHOICES


def kind(r: RunReport) -> str:
    """Which loop made the run's numbers: the notebook's own code as written, the suite's loop, or someone's log."""
    if r.as_written is not None:
        return AS_WRITTEN
    return IMPORTED if r.origin == "imported" else SUITE


def identity(r: RunReport) -> dict:
    """What decides the run's numbers, but for its seed: TrainConfig's identity (as in the fingerprint), the
    device kind, and the kind of run (a notebook as written and its translation are never one sweep)."""
    return {**TrainConfig.from_dict(r.config).identity(), "device": r.device, "kind": kind(r)}
