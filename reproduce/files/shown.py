"""Paths as a terminal shows them: a sweep's folder is told apart by its last parts (`reports/gm-claim`,
`reports/gm-rerun`), so a path too long for its place keeps its end and loses its start (`…/gm-claim`)."""
from pathlib import PurePath

ELLIPSIS = "…"


def tail(path: str | PurePath, width: int) -> str:
    """`path` as it is when it fits in `width` characters; otherwise its longest end of whole parts that fits
    after "…/", and when even its last part does not fit, the last `width` characters of that part after "…"."""
    text = str(path)
    if len(text) <= width:
        return text
    parts = text.rstrip("/").split("/")
    shown = ""
    for part in reversed(parts):
        longer = part if not shown else f"{part}/{shown}"
        if len(ELLIPSIS) + 1 + len(longer) > width:
            break
        shown = longer
    if shown:
        return f"{ELLIPSIS}/{shown}"
    return ELLIPSIS + parts[-1][-(width - len(ELLIPSIS)):] if width > len(ELLIPSIS) else ELLIPSIS[:width]
