"""`check --until-settled`: seeds 0, 1, 2, ... in order, no further seed once the anytime-valid decision is
settled; `report` on the folder gives the same decision (tiny runs: 128 training images, one epoch, so every
honest run ends near 10 % and fails a 99.4 % target)."""
import json

import pytest
from test_check_notebook import answer

from reproduce.cli import main
from reproduce.report.sequential import seeds_to_settle

TINY = ["--epochs", "1", "--train-limit", "128", "--threads", "1", "--device", "cpu", "--quiet",
        "--static"]   # answer() is a fragment of a notebook: its code is read, not run
slow = pytest.mark.slow   # trains a few tiny seeds


def check(capsys, nb, out, mnist_root, *more):
    """(exit code, the json verdict of one notebook)."""
    capsys.readouterr()
    code = main(["check", str(nb), *TINY, "--out", str(out), "--data-dir", str(mnist_root), "--format", "json",
                 *map(str, more)])
    printed = capsys.readouterr().out
    return code, json.loads(printed)


def seeds_in(folder):
    return sorted(int(p.stem.rsplit("seed", 1)[1]) for p in folder.glob("answer-seed*.json"))


@pytest.fixture(scope="module")
def settled(tmp_path_factory, mnist_root):
    """Four seeds checked the usual way, then --until-settled on the same folder: (folder, notebook, the seeds'
    first bytes, the json verdict)."""
    tmp = tmp_path_factory.mktemp("until")
    nb = answer(tmp / "answer.ipynb")
    patch = pytest.MonkeyPatch()
    import io
    import sys
    try:
        patch.setattr(sys, "stdout", io.StringIO())
        assert main(["check", str(nb), "--seeds", "0-3", *TINY, "--out", str(tmp / "out"),
                     "--data-dir", str(mnist_root)]) == 1
        before = {s: (tmp / "out" / "answer" / f"answer-seed{s}.json").read_bytes() for s in range(4)}
        buf = io.StringIO()
        patch.setattr(sys, "stdout", buf)
        code = main(["check", str(nb), "--until-settled", *TINY, "--out", str(tmp / "out"),
                     "--data-dir", str(mnist_root), "--format", "json"])
    finally:
        patch.undo()
    assert code == 1
    return tmp, nb, before, json.loads(buf.getvalue())


@slow
def test_seeds_that_all_fail_settle_at_the_tables_smallest_n_and_no_further_seed_trains(settled):
    tmp, _, _, verdict = settled
    n = seeds_to_settle(0.5, 0.95, passing=False)
    assert verdict["decisions"] == {"answer.ipynb": "fails"}
    d = verdict["notebooks"][0]["decision"]
    assert (d["decision"], d["settled_after"], d["pass_rate"]["seeds"]) == ("fails", n, n)
    assert seeds_in(tmp / "out" / "answer") == list(range(n))
    budget = verdict["notebooks"][0]["budget"]
    assert budget["max_seeds"] == 20
    assert budget["seconds"] > 0


@slow
def test_an_until_settled_sweep_resumes_the_seeds_already_there(settled):
    tmp, _, before, _ = settled
    for seed, text in before.items():   # trained by the first check, skipped (not retrained) by the second
        assert (tmp / "out" / "answer" / f"answer-seed{seed}.json").read_bytes() == text


@slow
def test_report_on_the_folder_gives_the_same_decision(settled, capsys):
    tmp, _, _, verdict = settled
    capsys.readouterr()
    assert main(["report", str(tmp / "out" / "answer"), "--format", "json"]) == 1
    got = json.loads(capsys.readouterr().out)["models"][0]["decision"]
    assert got == verdict["notebooks"][0]["decision"]


@slow
def test_seeds_that_all_pass_settle_holds_from_the_same_runs(settled, capsys, mnist_root):
    tmp, nb, _, _ = settled
    code, verdict = check(capsys, nb, tmp / "out", mnist_root, "--until-settled", "--target", "5")
    d = verdict["notebooks"][0]["decision"]
    assert code == 0
    assert (d["decision"], d["settled_after"]) == ("holds", seeds_to_settle(0.5, 0.95, True))
    assert seeds_in(tmp / "out" / "answer") == list(range(7))


@slow
def test_mixed_seeds_reach_max_seeds_undecided(settled, capsys, mnist_root):
    tmp, nb, _, verdict = settled
    finals = sorted(verdict["notebooks"][0]["finals"])
    assert finals[0] < finals[3]     # some seeds end below the middle one
    code, verdict = check(capsys, nb, tmp / "out", mnist_root, "--until-settled", "--max-seeds", "7",
                          "--target", finals[3])
    d = verdict["notebooks"][0]["decision"]
    assert (d["decision"], d["settled_after"], d["pass_rate"]["seeds"]) == ("undecided", None, 7)
    assert seeds_in(tmp / "out" / "answer") == list(range(7))


@slow
def test_the_normal_test_settles_far_below_the_target_sooner_and_shows_both(tmp_path, capsys, mnist_root):
    nb = answer(tmp_path / "answer.ipynb")
    code, verdict = check(capsys, nb, tmp_path / "out", mnist_root, "--until-settled", "--assume-normal")
    d = verdict["notebooks"][0]["decision"]
    assert (d["decision"], d["settled_after"]) == ("fails", 4)   # the first n at which a t statistic can decide
    assert d["pass_rate"]["decision"] == "undecided"
    assert d["mean_final"]["high"] < 99.4
    assert seeds_in(tmp_path / "out" / "answer") == [0, 1, 2, 3]
    assert main(["report", str(tmp_path / "out" / "answer"), "--assume-normal"]) == 1
    printed = " ".join(capsys.readouterr().out.split())
    assert "decision fails: the mean final accuracy is below 99.4 %" in printed
    assert "largest standardised residual" in printed
    assert "Grubbs' 5% bound for 4 finals" in printed


@slow
def test_the_table_and_markdown_lead_with_the_decision(settled, capsys, mnist_root):
    tmp, nb, _, _ = settled
    capsys.readouterr()
    assert main(["check", str(nb), "--until-settled", *TINY, "--out", str(tmp / "out"), "--data-dir",
                 str(mnist_root), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("| notebook | decision | params |")
    assert "| answer.ipynb | fails after 7 | 1,140 | 99.46 | 0/7 |" in out
    assert "- answer.ipynb: fails: fewer than half of fresh seeds end at or above 99.4 %" in out
    assert "- answer.ipynb: until settled: settled after 7 of at most 20 seeds" in out
    assert "- answer.ipynb: the claim's standing: ranks 1 of 8 beside the 7 honest finals" in out


@pytest.mark.parametrize(("flags", "says"), [
    (["--until-settled", "--seeds", "0-3"], "give --max-seeds N instead of --seeds"),
    (["--assume-normal", "--at-least", "0.9"], "--assume-normal decides on the mean final accuracy"),
    (["--confidence", "95"], "--confidence: is a share strictly between 0 and 1"),
])
def test_bad_decision_flags_are_one_line_and_exit_2(tmp_path, capsys, flags, says):
    nb = answer(tmp_path / "answer.ipynb")
    assert main(["check", str(nb), *flags, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_only_final_runs_up_to_the_first_unfinished_seed_decide(tmp_path):
    """The test --until-settled asks after each seed: a seed still training (another process sharing the folder)
    holds back the seeds after it, so the order that decides is the seeds', not the order they finished in."""
    from conftest import record, write_report as write
    from reproduce.grade.command import settled_when
    from reproduce.report.sequential import Settings
    paths = [write(tmp_path, record(s, [50.0])) for s in range(7)]   # seven runs far below 99.4 %
    ask = settled_when(paths + [tmp_path / "seed-seed7.json"], 99.4, 19, Settings())
    assert ask()
    write(tmp_path, record(3, [50.0], status="running"))
    assert not ask()
    write(tmp_path, record(3, [50.0], status="diverged"))   # a diverged run is final, and fails
    assert ask()


@slow
def test_two_processes_share_the_seeds_and_stop_once_settled(tmp_path, mnist_root):
    """Two `check --until-settled` on one folder, as two `run` processes share a sweep: each trains the seeds
    the other has not locked; once the first seven are final both stop starting seeds, and the runs in flight
    finish and count."""
    import os
    import subprocess
    import sys

    from conftest import REPO
    nb = answer(tmp_path / "answer.ipynb")
    command = [sys.executable, "-m", "reproduce", "check", str(nb), "--until-settled", *TINY,
               "--out", str(tmp_path / "out"), "--format", "json"]
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root))
    procs = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [1, 1], [err for _, err in results]
    seeds = seeds_in(tmp_path / "out" / "answer")
    # Seeds in order, the seven that decide and those already started while an earlier seed was still training;
    # far fewer than the 20 a sweep of --max-seeds would train.
    assert seeds == list(range(len(seeds)))
    assert 7 <= len(seeds) <= 10
    for out, _ in results:
        d = json.loads(out)["notebooks"][0]["decision"]
        assert (d["decision"], d["settled_after"]) == ("fails", 7)
