"""`publish SWEEP DEST` (reproduce/sweep/publish.py): a sweep's finished, sealed run reports copied into a
published folder as it grows; never a checkpoint or a running run, never a replaced report, never two sweeps in
one folder, and nothing copied when anything is refused."""
import json

import pytest

from conftest import record, write_report
from reproduce.cli import main
from tests.project.test_published import figures


def sweep(folder, finals=(99.5, 99.45, 99.3), **kw):
    for seed, final in enumerate(finals):
        write_report(folder, record(seed, [99.1, 99.42, final], **kw))
    return folder


def published(capsys, *args):
    code = main(["publish", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_finished_reports_are_copied_byte_for_byte_and_running_ones_left_out(tmp_path, capsys):
    src = sweep(tmp_path / "reports" / "s")
    write_report(src, record(3, [99.0], status="running"))
    (src / "seed-seed3.ckpt").write_bytes(b"a checkpoint")
    dest = tmp_path / "published" / "s"
    code, out, err = published(capsys, src, dest)
    assert code == 0, err
    assert sorted(p.name for p in dest.iterdir()) == ["seed-seed0.json", "seed-seed1.json", "seed-seed2.json"]
    assert all((dest / n).read_bytes() == (src / n).read_bytes() for n in ("seed-seed0.json", "seed-seed2.json"))
    assert f"published 3 run(s) of seed into {dest} (0 there already); not finished, left out: seed 3 (running)" in out
    got = figures(dest, 3)
    assert got["k/n"] == "2/3"
    for quoted in got.values():   # the line printed is the one the docs quote and the figures test checks
        assert quoted in out
    assert f"note: {dest} has no README.md" in err
    again = published(capsys, src, dest)
    assert again[0] == 0
    assert "published 0 run(s) of seed" in again[1]
    assert "(3 there already)" in again[1]
    for quoted in got.values():   # nothing new copied: the figures are still the whole folder's
        assert quoted in again[1]


def test_a_run_of_another_sweep_or_a_different_report_of_a_published_seed_is_refused_and_nothing_copied(
        tmp_path, capsys):
    dest = tmp_path / "published"
    sweep(tmp_path / "a", finals=(99.5,))
    assert published(capsys, tmp_path / "a", dest)[0] == 0
    before = (dest / "seed-seed0.json").read_bytes()
    sweep(tmp_path / "b", finals=(99.3, 99.6))          # seed 0 is another run; seed 1 is new
    code, out, err = published(capsys, tmp_path / "b", dest)
    assert code == 2
    assert err.strip() == (f"error: {dest / 'seed-seed0.json'} already holds another run of seed seed 0 than "
                           f"{tmp_path / 'b' / 'seed-seed0.json'}; it is not replaced (remove it first if "
                           f"{tmp_path / 'b' / 'seed-seed0.json'} is the one to keep)")
    assert (dest / "seed-seed0.json").read_bytes() == before
    assert not (dest / "seed-seed1.json").exists()        # nothing copied when anything is refused
    sweep(tmp_path / "c", finals=(99.5, 99.6), model="frontier")
    code, _, err = published(capsys, tmp_path / "c", dest)
    assert code == 2
    assert "is a run of another sweep than" in err
    assert "(its model differs)" in err
    assert sorted(p.name for p in dest.iterdir()) == ["seed-seed0.json"]


@pytest.mark.parametrize("case", ["missing", "nested", "same", "file-dest", "empty"])
def test_folders_that_cannot_be_a_sweep_and_its_publication_are_one_line(tmp_path, capsys, case):
    src = sweep(tmp_path / "s", finals=(99.5,))
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    src_arg, dest_arg, said = {
        "missing": (tmp_path / "gone", tmp_path / "d", "not a folder (publish takes a sweep's folder"),
        "nested": (src, src / "published", "one folder holds the other"),
        "same": (src, src, "one folder holds the other"),
        "file-dest": (src, tmp_path / "file", "not a folder"),
        "empty": (tmp_path / "empty", tmp_path / "d", "no run reports (<model>-seed<k>.json) in this folder"),
    }[case]
    code, out, err = published(capsys, src_arg, dest_arg)
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith("error: "), err
    assert said in err, err
    assert not (tmp_path / "d").exists()
    assert not (src / "published").exists()


def test_a_report_whose_seal_is_broken_is_refused_before_anything_is_copied(tmp_path, capsys):
    src = sweep(tmp_path / "s")
    path = src / "seed-seed2.json"
    rec = json.loads(path.read_text())
    rec["epochs"][-1]["test_acc"] = 99.9                  # edited by hand after it was sealed
    path.write_text(json.dumps(rec))
    code, _, err = published(capsys, src, tmp_path / "d")
    assert code == 2
    assert err.startswith(f"error: {path}"), err
    assert err.count("\n") == 1, err
    assert not (tmp_path / "d").exists()
