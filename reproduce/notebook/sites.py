"""Where a drafted recipe value came from, said beside it: a line of the notebook's code (Site, the static
reading's) or what the dry run saw torch handed (Observed)."""
from dataclasses import dataclass

from reproduce.notebook.evaluate import Site


@dataclass(frozen=True)
class Observed:
    what: str               # "DataLoader(batch_size=64)"
    cell: int | str | None  # the cell it was seen in; "3, 4" for a run over several cells

    @property
    def short(self) -> str:
        return f"cell {self.cell}"

    def __str__(self) -> str:
        return f"observed: {self.what}, cell {self.cell}"


Where = Site | Observed
