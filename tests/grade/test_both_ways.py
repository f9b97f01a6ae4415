"""check's two ways side by side (reproduce/grade/faithful.py) in every format it offers: where a notebook's folder
holds its runs as written beside its translated runs, the table, markdown and json each carry both ways' figures
and the faithfulness row. Made-up reports, nothing trained."""
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from conftest import record, write_report
from reproduce.grade.command import show
from reproduce.grade.verdict import Claim, NotebookVerdict
from reproduce.record.schema import find_reports, load
from reproduce.report.check import check
from reproduce.report.sequential import Settings
from reproduce.report.summary import summarise

TRANSLATED = (99.32, 99.28, 99.36, 99.31)
AS_WRITTEN = (98.10, 98.20, 98.05, 98.15)


def folder_of(out: Path, as_written=AS_WRITTEN) -> Path:
    folder = out / "answer"
    for seed, acc in enumerate(TRANSLATED):
        write_report(folder, record(seed, [98.0, acc], model="answer"))
    for seed, acc in enumerate(as_written):
        write_report(folder, {**record(seed, [97.0, acc], model="answer.as-written"),
                              "as_written": {"notebook": {"file": "answer.ipynb", "sha256": "ab" * 32}}})
    return folder


def shown(out: Path, fmt: str, capsys) -> str:
    """check's output in `fmt` for answer.ipynb, its verdict made from the translated runs."""
    translated = [(p, load(p)) for p in find_reports([out / "answer"]) if load(p).as_written is None]
    v = check(translated, 99.4, 19)
    verdict = NotebookVerdict("answer.ipynb", Claim([99.0, 99.46]), v.models[0], summarise(v)[0], 99.4,
                              settings=Settings())
    args = SimpleNamespace(format=fmt, notebooks=[Path("nb/answer.ipynb")], out=out, target=99.4, max_epochs=19)
    console = Console(file=io.StringIO(), width=200)
    assert show(args, [verdict], [v], console) == 1
    return console.file.getvalue() + capsys.readouterr().out


def expected_line() -> str:
    from reproduce.report.stats import welch
    diff, low, high, _ = welch(list(TRANSLATED), list(AS_WRITTEN))
    return (f"as written minus translated {diff:+.2f} points (Welch 95%: {low:+.2f} to {high:+.2f}): the two differ; "
            f"the suite's translation is not faithful to the notebook's own code")


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_the_table_and_markdown_carry_both_ways_and_the_faithfulness_row(tmp_path, capsys, fmt):
    folder_of(tmp_path)
    out = shown(tmp_path, fmt, capsys)
    assert "answer.ipynb" in out
    assert "the suite's translation beside the notebook as written" in out
    assert "final 99.32 ± 0.03 %, 0/4 at or above 99.4 %" in out
    assert "final 98.12 ± 0.06 %, 0/4 at or above 99.4 %" in out
    assert "faithfulness" in out
    assert expected_line() in " ".join(out.split())   # the table wraps its long row
    if fmt == "markdown":
        assert "| answer.ipynb | the suite's translation beside the notebook as written |" in out
        assert f"| faithfulness | {expected_line()} |" in out
        assert "| translated (4 runs) | final 99.32 ± 0.03 %, 0/4 at or above 99.4 % |" in out


def test_json_carries_both_ways_with_the_interval_and_its_reading(tmp_path, capsys):
    folder_of(tmp_path)
    data = json.loads(shown(tmp_path, "json", capsys))
    both = data["notebooks"][0]["faithfulness"]
    assert both["translated"]["finals"] == list(TRANSLATED)
    assert both["as_written"]["finals"] == list(AS_WRITTEN)
    assert both["as_written"]["final_passing"] == 0
    assert both["as_written"]["runs"] == 4
    assert both["difference"] == pytest.approx(sum(AS_WRITTEN) / 4 - sum(TRANSLATED) / 4)
    low, high = both["welch_95"]
    assert low < high < 0
    assert both["faithful"] is False
    assert both["sentence"] == expected_line()


def test_without_both_ways_json_says_null_and_markdown_holds_no_side_by_side(tmp_path, capsys):
    folder_of(tmp_path, as_written=())
    assert json.loads(shown(tmp_path, "json", capsys))["notebooks"][0]["faithfulness"] is None
    assert "beside the notebook as written" not in shown(tmp_path, "markdown", capsys)


def test_one_run_a_way_is_side_by_side_without_an_interval(tmp_path, capsys):
    folder_of(tmp_path, as_written=(98.1,))
    both = json.loads(shown(tmp_path, "json", capsys))["notebooks"][0]["faithfulness"]
    assert (both["difference"], both["welch_95"], both["faithful"]) == (None, None, None)
    assert both["sentence"] == "needs at least 2 complete runs each way for its interval"


def test_a_log_imported_into_the_folder_is_neither_way(tmp_path):
    from reproduce.grade import faithful
    folder = folder_of(tmp_path)
    write_report(folder, {**record(0, [50.0, 60.0], model="theirs"), "origin": "imported", "device": "unknown",
                          "source": {"file": "log.txt", "sha256": "cd" * 32}})
    found = faithful.of_folder(folder, 99.4, 19)
    assert found.translated.finals == list(TRANSLATED)
    assert found.as_written.finals == list(AS_WRITTEN)
