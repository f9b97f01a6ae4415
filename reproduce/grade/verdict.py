"""A notebook's claim beside the honest runs of its network and recipe: the figures `check` prints.

The claim is the notebook's own printed run (one run, on whatever seed it had); the honest runs are the suite's,
over the seeds asked for, checked by reproduce/report/check.py and counted by reproduce/report/summary.py.
"""
from dataclasses import asdict, dataclass, field

from reproduce.grade.standing import Standing, standing_of
from reproduce.report.check import ModelCheck
from reproduce.report.sequential import Decision, Settings
from reproduce.report.summary import ModelSummary, decision


@dataclass
class Claim:
    accs: list[float]                      # the notebook's printed test accuracy per epoch (the claimed run's)
    error: str | None = None            # its outputs end in an error
    total_params: int | None = None     # its printed `Total params:`
    shown: list[str] | None = None      # each accuracy as printed ("99.5"); None: shown to 2 decimals
    run: int = 1                           # which of the printed training runs is the claim (1-based)
    runs: int = 1                          # how many training runs the outputs hold
    first: str = ""                        # where the claimed run's first test line was printed ("cell 9's output")

    @property
    def best(self) -> float:
        return max(self.accs)

    @property
    def best_epoch(self) -> int:
        return self.accs.index(self.best) + 1

    @property
    def final(self) -> float:
        return self.accs[-1]

    def as_printed(self, epoch: int) -> str:
        """The accuracy of epoch (1-based) as the notebook printed it: "99.5" stays "99.5"."""
        return self.shown[epoch - 1] if self.shown else f"{self.accs[epoch - 1]:.2f}"


@dataclass
class Budget:
    """A sweep that stops once the decision settles (check --until-settled)."""
    max_seeds: int                # the most seeds it would have trained
    seconds: float                # the training time its runs took, summed (their reports' train_seconds)


@dataclass
class NotebookVerdict:
    notebook: str
    claim: Claim
    model: ModelCheck
    summary: ModelSummary
    target: float
    notes: list[str] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)   # what the decision tests (report/sequential.py)
    budget: Budget | None = None                         # with --until-settled

    @property
    def decision(self) -> Decision:
        return decision(self.model, self.target, self.settings)

    @property
    def claim_standing(self) -> Standing | None:
        return standing_of(self.claim.final, self.finals, self.summary.test_images)

    @property
    def finals(self) -> list[float]:
        return [r.final for r in self.model.runs if r.final is not None]

    @property
    def rules_ok(self) -> bool:
        return all(ok is not False for ok in self.model.rules.values())

    @property
    def ok(self) -> bool:
        """Every seed finished and its final epoch reaches the target, and no constraint is broken."""
        s = self.summary
        return self.rules_ok and not s.unfinished and s.runs > 0 and s.final_passing == s.runs

    def standing(self) -> str:
        """Where the claimed final accuracy falls among the honest runs' finals."""
        finals, claimed = self.finals, self.claim.final
        shown = self.claim.as_printed(len(self.claim.accs))
        n = len(finals)
        if not finals:
            return "no honest run finished an epoch"
        above = sum(claimed > f for f in finals)
        if n == 1:
            side = "above" if above else "below" if claimed < finals[0] else "equal to"
            return f"the claimed final {shown} % is {side} the one honest run's {finals[0]:.2f} %"
        if above == n:
            return f"the claimed final {shown} % is above all {n} honest runs, whose best is {max(finals):.2f} %"
        if above == 0 and all(claimed < f for f in finals):
            return (f"the claimed final {shown} % is below all {n} honest runs, whose worst is "
                    f"{min(finals):.2f} %")
        return (f"the claimed final {shown} % is above {above} of {n} honest runs "
                f"({min(finals):.2f}–{max(finals):.2f} %)")

    def sentence(self) -> str:
        s = self.summary
        said = (f"the claim holds at the final epoch on {s.final_passing} of {s.runs} seed"
                f"{'s' if s.runs != 1 else ''}")
        if s.passing != s.final_passing:   # the other reading, named, where it says something else
            said += f" (the target is reached at some epoch on {s.passing} of {s.runs})"
        if s.unfinished:   # still training, or stopped by an error: in no figure, and not a pass
            said += f"; {s.unfinished} more not finished"
        broken = [name for name, ok in self.model.rules.items() if ok is False]
        if broken:
            said += f", and the network breaks {', '.join(broken)}"
        return said + "."

    def to_dict(self) -> dict:
        standing = self.claim_standing
        return {"decision": self.decision.to_dict(), "standing_figures": standing and standing.to_dict(),
                "budget": self.budget and asdict(self.budget),
                "notebook": self.notebook, "ok": self.ok, "target": self.target,
                "claim": {"best": self.claim.best, "best_epoch": self.claim.best_epoch, "final": self.claim.final,
                          "epochs": len(self.claim.accs), "error": self.claim.error,
                          "total_params": self.claim.total_params, "run": self.claim.run,
                          "runs": self.claim.runs},
                "rules": self.model.rules, "summary": self.summary.to_dict(),
                "finals": self.finals, "standing": self.standing(), "sentence": self.sentence(),
                "notes": self.notes}
