"""Several candidates side by side, ranked by their worst seed's final accuracy: a network is chosen for the run
it gives on a bad seed, not for its mean. `report --on validation` ranks them; on the test set nothing is ranked,
since a choice made there would be a choice made on the test set.
"""
import math
from dataclasses import dataclass

from reproduce.report.check import Verdict
from reproduce.report.summary import FINAL_STATUSES, ModelSummary, summarise, title


@dataclass
class Standing:
    rank: int | None          # 1 is best; None while some of the group's runs are not finished
    summary: ModelSummary
    complete: int             # runs complete (the others diverged, failed or are still training)
    unfinished: int           # runs still training or stopped by an error: not yet a result

    @property
    def title(self) -> str:
        return title(self.summary)

    def to_dict(self) -> dict:
        s = self.summary
        return {"rank": self.rank, "group": self.title, "params": s.params, "runs": s.runs,
                "complete": self.complete, "final_passing": s.final_passing, "final_min": s.final_min,
                "final_mean": s.final_mean, "final_sd": s.final_sd}


def worst_first_key(st: Standing) -> tuple:
    """A diverged run is the worst a seed can do: such a group ranks below every group without one."""
    s = st.summary
    return s.diverged > 0, -(s.final_min if s.final_min is not None else -math.inf)


def ranking(v: Verdict) -> list[Standing]:
    """Every group, best worst-seed final first; groups with unfinished runs follow, unranked, in their order."""
    standings = []
    for m, s in zip(v.models, summarise(v)):
        unfinished = sum(r.status not in FINAL_STATUSES for r in m.runs)
        standings.append(Standing(None, s, sum(r.complete for r in m.runs), unfinished))
    done = sorted((st for st in standings if not st.unfinished), key=worst_first_key)
    for i, st in enumerate(done):
        st.rank = i + 1
    return done + [st for st in standings if st.unfinished]
