"""The kind of a run (reproduce/report/groups.py: kind): a notebook's own code run as written, the suite's loop (for a
notebook, its translation) or a log imported. `report`'s groups never mix kinds and say which is which; `compare`
takes one kind from a folder that holds several (--a-kind, --b-kind) and says which side is which. Made-up
reports, nothing trained."""
import io
import json

import pytest
from rich.console import Console

from conftest import record, write_report
from reproduce.cli import main
from reproduce.record.schema import find_reports, load
from reproduce.report import export, view
from reproduce.report.check import check
from reproduce.report.groups import group, kind

TRANSLATED = (99.32, 99.28, 99.36)
AS_WRITTEN = (99.30, 99.22, 99.34)
AS_WRITTEN_FIELD = {"notebook": {"file": "answer.ipynb", "sha256": "ab" * 32}}


def both_ways(folder, model_as_written="answer.as-written"):
    """A notebook's folder as check leaves it: its translated runs beside its runs as written (in a folder of
    their own where both have one name, so that their files do not clash)."""
    for seed, acc in enumerate(TRANSLATED):
        write_report(folder, record(seed, [98.0, acc], model="answer"))
    aside = folder / "aw" if model_as_written == "answer" else folder
    for seed, acc in enumerate(AS_WRITTEN):
        write_report(aside, {**record(seed, [97.0, acc], model=model_as_written), "as_written": AS_WRITTEN_FIELD})
    return folder


def loaded(folder):
    return [(p, load(p)) for p in find_reports([folder])]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# --- groups -----------------------------------------------------------------------------------------------------


def test_each_report_has_its_kind(tmp_path):
    both_ways(tmp_path)
    kinds = sorted({(r.model, kind(r)) for _, r in loaded(tmp_path)})
    assert kinds == [("answer", "suite"), ("answer.as-written", "as-written")]


def test_runs_as_written_and_translated_never_share_a_group_even_under_one_name(tmp_path):
    both_ways(tmp_path, model_as_written="answer")   # the same name and config fields: only the kind differs
    groups = group(loaded(tmp_path))
    assert [(g.model, g.identity["kind"], len(g.runs)) for g in groups] == [
        ("answer", "as-written", 3), ("answer", "suite", 3)]
    assert groups[0].label.endswith(": kind as-written")
    assert groups[1].label.endswith(": kind suite")
    v = check(loaded(tmp_path), 99.4, 19)
    assert [m.kind for m in v.models] == ["as-written", "suite"]


def test_the_report_says_a_summary_is_of_runs_as_written_in_every_format(tmp_path):
    both_ways(tmp_path)
    v = check(loaded(tmp_path), 99.4, 19)
    buf = io.StringIO()
    view.render(v, Console(file=buf, width=200))
    table = buf.getvalue()
    assert table.count("as written (the notebook's own code), measured by the suite after each training pass") == 1
    md = export.render(v, "markdown")
    assert md.count("| kind | as written (the notebook's own code), measured by the suite") == 1
    data = json.loads(export.render(v, "json"))
    assert [m["summary"]["kind"] for m in data["models"]] == ["suite", "as-written"]
    rows = export.render(v, "csv").splitlines()
    column = rows[0].split(",").index("kind")
    assert [r.split(",")[column] for r in rows[1:]] == ["suite", "as-written"]


# --- compare ------------------------------------------------------------------------------------------------------


def test_a_folder_of_both_kinds_is_refused_naming_them_and_the_flag(tmp_path, capsys):
    folder = both_ways(tmp_path / "answer")
    code, out, err = run(capsys, "compare", folder, folder)
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {folder}: holds runs of 2 kinds (as-written: as written (the notebook's own code); suite: the "
        f"suite's loop (for a notebook, its translation)); pick one with --a-kind as-written or suite"]


def test_compare_picks_each_sides_kind_and_says_which_is_which(tmp_path, capsys):
    folder = both_ways(tmp_path / "answer")
    code, out, err = run(capsys, "compare", folder, folder, "--a-kind", "suite", "--b-kind", "as-written")
    assert code == 0, err
    assert "A is the suite's loop (for a notebook, its translation); B is as written (the notebook's own code)" in out
    code, out, err = run(capsys, "compare", folder, folder, "--a-kind", "suite", "--b-kind", "as-written",
                         "--format", "json")
    c = json.loads(out)
    assert (c["a"]["kind"], c["b"]["kind"]) == ("suite", "as-written")
    assert (c["a"]["model"], c["b"]["model"]) == ("answer", "answer.as-written")
    assert c["diff"] == pytest.approx(sum(AS_WRITTEN) / 3 - sum(TRANSLATED) / 3)
    assert [seed for seed, *_ in c["per_seed"]] == [0, 1, 2]


def test_a_kind_the_folder_does_not_hold_is_refused(tmp_path, capsys):
    folder = both_ways(tmp_path / "answer")
    code, _, err = run(capsys, "compare", folder, folder, "--a-kind", "imported", "--b-kind", "suite")
    assert code == 2
    assert f"{folder}: holds no run of kind imported (--a-kind); its runs are as-written, suite" in err


def test_two_sweeps_of_the_suite_show_no_kind(tmp_path, capsys):
    for side, accs in (("a", TRANSLATED), ("b", AS_WRITTEN)):
        for seed, acc in enumerate(accs):
            write_report(tmp_path / side, record(seed, [98.0, acc], model=f"net{side}"))
    code, out, err = run(capsys, "compare", tmp_path / "a", tmp_path / "b")
    assert code == 0, err
    assert "A is" not in out
    assert "are both" not in out
