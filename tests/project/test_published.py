"""The evidence in the repository: every sweep under reports/published/ is read by the report tool (each report's
seal checked), holds run reports only (no checkpoint), says how it was made, and every figure the README or
RESULTS.md quotes from it is the figure its reports give.

A quoted figure is marked in the docs by a comment naming its folder, `<!-- published: NAME -->`; the lines after
it, up to the first blank line, must hold the sweep's final-epoch pass count `k/n` and `mean ± sd %, min x %`
as the report tool gives them, and, where they speak of the first epoch, `median m, worst w`."""
import re
from pathlib import Path

import pytest

from conftest import REPO
from reproduce.record.schema import find_reports, load
from reproduce.report.check import check
from reproduce.report.summary import summarise

PUBLISHED = REPO / "reports" / "published"
MARK = re.compile(r"<!-- published: ([A-Za-z0-9_.-]+)(?:, max-epochs (\d+))? -->")
SWEEPS = sorted(p for p in PUBLISHED.iterdir() if p.is_dir()) if PUBLISHED.is_dir() else []


def figures(folder: Path, max_epochs: int) -> dict:
    """The quoted figures of a published sweep, worded as the docs quote them."""
    paths = find_reports([folder])
    (s,) = summarise(check([(p, load(p)) for p in paths], 99.4, max_epochs))
    spread = f" ± {s.final_sd:.2f}" if s.final_sd is not None else ""   # one run has no sd
    out = {"k/n": f"{s.final_passing}/{s.runs}", "final": f"{s.final_mean:.2f}{spread} %, min {s.final_min:.2f} %"}
    if s.first_median is not None:
        out["first"] = f"median {s.first_median:g}, worst {s.first_worst}"
    return out


def quotes(text: str):
    """(folder name, max epochs or None, the block of lines after each mark)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        for m in MARK.finditer(line):
            block = []
            for later in lines[i + 1:]:
                if not later.strip():
                    break
                block.append(later)
            yield m.group(1), (int(m.group(2)) if m.group(2) else None), " ".join(block)


@pytest.mark.parametrize("folder", SWEEPS, ids=lambda p: p.name)
def test_a_published_sweep_holds_sealed_reports_and_says_how_it_was_made(folder):
    assert (folder / "README.md").is_file(), f"{folder.name}: no README.md (command, machine, date)"
    readme = (folder / "README.md").read_text()
    for needed in ("python -m reproduce", "Machine", "Date"):
        assert needed in readme, f"{folder.name}/README.md does not say its {needed}"
    others = sorted(p.name for p in folder.iterdir() if p.suffix != ".json" and p.name != "README.md")
    assert others == [], f"{folder.name} holds more than run reports: {others}"
    reports = [load(p) for p in find_reports([folder])]   # load() checks every seal
    assert reports
    assert all(r.status in ("complete", "diverged", "running") for r in reports)


def drift(doc: str, text: str, published: Path) -> list:
    """Each quote in `text` whose figures are not those of its reports, said as a line."""
    problems = []
    for name, max_epochs, block in quotes(text):
        folder = published / name
        if not folder.is_dir():
            problems.append(f"{doc} quotes reports/published/{name}, which does not exist")
            continue
        epochs = max_epochs or max(int(load(p).config["epochs"]) for p in find_reports([folder]))
        got = figures(folder, epochs)
        wanted = [got["k/n"], got["final"]] + ([got["first"]] if "first" in got and "median" in block else [])
        problems += [f"{doc} on {name}: expected {w!r} in: {block}" for w in wanted if w not in block]
    return problems


def test_every_quoted_figure_is_the_one_its_reports_give():
    for doc in ("README.md", "RESULTS.md"):
        assert drift(doc, (REPO / doc).read_text(), PUBLISHED) == []


def test_a_quote_that_drifts_from_its_reports_is_caught(tmp_path, small_report):
    """Mutants: a quote of 1/1 where the reports give 0/1, and a quote of a folder that is not there."""
    sweep = tmp_path / "tiny"
    sweep.mkdir()
    (sweep / small_report.name).write_bytes(small_report.read_bytes())
    got = figures(sweep, 2)
    honest = f"<!-- published: tiny, max-epochs 2 -->\nfinal epoch ≥ 99.4 % on {got['k/n']}, {got['final']}\n"
    assert drift("README.md", honest, tmp_path) == []
    assert len(drift("README.md", honest.replace(got["k/n"], "1/1"), tmp_path)) == 1
    assert "does not exist" in drift("README.md", honest.replace("tiny", "gone"), tmp_path)[0]
