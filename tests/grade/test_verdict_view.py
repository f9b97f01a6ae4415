"""check's verdict led by its decision, drawn from made-up reports (nothing trained): the several-notebooks table,
markdown and json put the decision word first, and each notebook's claim gets its standing."""
import io
import json

from rich.console import Console

from conftest import record, write_report as write
from reproduce.grade import view
from reproduce.grade.verdict import Budget, Claim, NotebookVerdict
from reproduce.record.schema import load
from reproduce.report.check import check
from reproduce.report.sequential import Settings
from reproduce.report.summary import summarise


def verdict(folder, name, finals, settings=None, budget=None):
    paths = [write(folder, record(seed, [98.0, f])) for seed, f in enumerate(finals)]
    v = check([(p, load(p)) for p in paths], 99.4, 19)
    return NotebookVerdict(name, Claim([99.0, 99.46]), v.models[0], summarise(v)[0], 99.4, settings=settings or Settings(),
                           budget=budget)


def test_the_table_of_several_notebooks_leads_with_each_decision(tmp_path):
    below = verdict(tmp_path / "a", "a.ipynb", [99.30, 99.28, 99.33, 99.31, 99.29, 99.32, 99.30])
    mixed = verdict(tmp_path / "b", "b.ipynb", [99.45, 99.30, 99.41])
    buf = io.StringIO()
    view.render([below, mixed], Console(file=buf, width=160))
    out = buf.getvalue()
    header = next(line for line in out.splitlines() if "notebook" in line)
    assert header.split()[:2] == ["notebook", "decision"]
    assert any(line.split()[:3] == ["a.ipynb", "fails", "after"] for line in out.splitlines())
    assert any(line.split()[:3] == ["b.ipynb", "undecided", "(3"] for line in out.splitlines())
    assert "a.ipynb: the claim's standing: ranks 1 of 8 beside the 7 honest finals" in out
    assert "b.ipynb: undecided: 3 seeds do not yet settle whether half of fresh seeds" in out


def test_json_and_markdown_put_the_decision_first(tmp_path):
    v = verdict(tmp_path, "a.ipynb", [99.30, 99.28, 99.33, 99.31, 99.29, 99.32, 99.30],
                Settings(assume_normal=True), Budget(20, 95.0))
    data = json.loads(view.to_json([v]))
    assert list(data)[0] == "decisions"
    assert data["decisions"] == {"a.ipynb": "fails"}
    nb = data["notebooks"][0]
    assert list(nb)[0] == "decision"
    assert nb["decision"]["assume_normal"] is True
    assert nb["decision"]["mean_final"]["high"] < 99.4
    assert nb["budget"] == {"max_seeds": 20, "seconds": 95.0}
    assert nb["standing_figures"]["rank"] == 1
    assert nb["standing_figures"]["one_in"] > 100
    md = view.to_markdown([v])
    assert md.startswith("| notebook | decision | params |")
    assert "- a.ipynb: fails: the mean final accuracy is below 99.4 % (95% confidence, assuming normal finals" in md
    assert "- a.ipynb: until settled: settled after " in md
    assert "1.6 min of training" in md
    assert "- a.ipynb: normal check: largest standardised residual" in md
