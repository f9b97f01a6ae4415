"""report --format markdown|csv|json parses back; --plot writes a real PNG or fails in one line."""
import csv
import io
import json
import sys

import pytest
from test_summary import ACCS

from conftest import write_sweep
from reproduce.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def sweep(tmp_path):
    return write_sweep(tmp_path / "sweep", ACCS)


def report(capsys, *args):
    code = main(["report", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_parses_back_with_the_summary(capsys, sweep):
    code, out, _ = report(capsys, sweep, "--format", "csv")
    assert code == 1   # seed 4 never reaches the target
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["model"] == "seed"
    assert row["runs"] == "5"
    assert row["passing"] == "4"
    assert float(row["final_mean"]) == pytest.approx(99.412)
    assert float(row["final_min"]) == 99.30
    assert row["stay_last3"] == "3"
    assert row["target"] == "99.4"
    assert row["val_pick_mean"] == ""


def test_json_parses_back_with_summary_rules_and_runs(capsys, sweep):
    code, out, _ = report(capsys, sweep, "--format", "json")
    data = json.loads(out)
    assert data["target"] == 99.4
    assert data["ok"] is False
    assert len(data["models"]) == 1
    m = data["models"][0]
    assert m["summary"]["passing"] == 4
    assert m["summary"]["first_median"] == 2
    assert [r["first_reaching"] for r in m["runs"]] == [2, 3, 1, 2, None]
    assert m["rules"]["FC"] is False
    assert m["rules"]["BN"] is True


def test_markdown_is_a_table_with_every_run(capsys, sweep):
    code, out, _ = report(capsys, sweep, "--format", "markdown")
    lines = out.splitlines()
    assert lines[0].startswith("### seed: 19,750 parameters")
    assert "| some epoch ≥ 99.4 | 4/5  (Wilson 95%: 38–96%) |" in lines
    header = next(i for i, l in enumerate(lines) if l.startswith("| seed |"))
    rows = lines[header + 2:header + 7]
    assert [r.split("|")[1].strip() for r in rows] == ["0", "1", "2", "3", "4"]
    assert all(len(r.split("|")) == len(lines[header].split("|")) for r in rows)
    assert rows[4].split("|")[2].strip() == "—"
    assert "✗" in rows[4]


def test_plot_writes_a_png(capsys, sweep, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (the plot extra, part of dev) is not installed")
    path = tmp_path / "runs.png"
    code, out, err = report(capsys, sweep, "--plot", path)
    assert code == 1
    assert "wrote" in err
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 10_000
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(("where", "says"), [
    ("no-such-folder/runs.png", "folder"),
    ("", "is a folder, not a file"),
])
def test_an_unwritable_plot_path_fails_before_any_output(capsys, sweep, tmp_path, where, says):
    path = tmp_path / where if where else tmp_path
    code, out, err = report(capsys, sweep, "--plot", path)
    assert code == 2
    assert says in err
    assert err.count("\n") == 1
    assert out == ""
    assert not (tmp_path / "no-such-folder").exists()


def test_plot_without_matplotlib_says_so_in_one_line(capsys, sweep, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # makes `import matplotlib` raise ImportError
    code, out, err = report(capsys, sweep, "--plot", tmp_path / "runs.png")
    assert code == 2
    assert "--plot needs matplotlib" in err
    assert "[plot]" in err
    assert err.count("\n") == 1
    assert out == ""
    assert not (tmp_path / "runs.png").exists()
