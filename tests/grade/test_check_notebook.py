"""`check NB.ipynb --seeds ...`: the claim, the network and the recipe from the notebook, honest runs over the
seeds, and the verdict (tiny runs: 256 training images, one epoch)."""
import hashlib
import json
import re

import pytest
from nbfactory import IMPORTS, LOADERS, NET, NET_PARAMS, TRAIN, notebook, pytorch_lines, stream, write

from conftest import numbers
from reproduce.cli import main
from reproduce.record.schema import load

TINY = ["--epochs", "1", "--train-limit", "256", "--threads", "1", "--device", "cpu", "--quiet"]
STEP = "scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=6, gamma=0.1)"


def answer(path, flip=False):
    """An answer whose recipe uses only keys every recipe has: SGD, StepLR, RandomRotation (and with flip, a
    transform the suite cannot reproduce)."""
    loaders = LOADERS.replace("    transforms.ToTensor(),", "    transforms.RandomVerticalFlip(),\n    transforms.ToTensor(),") \
        if flip else LOADERS
    return write(path, notebook(IMPORTS, NET, loaders, TRAIN, STEP, "summary(model, input_size=(1, 28, 28))",
                                "plt.plot(train_losses))",   # cell 8: does not parse
                                outputs={3: [stream(pytorch_lines([98.10, 99.02, 99.46]))],
                                         5: [stream(f"Total params: {NET_PARAMS:,}\n")]}))


@pytest.fixture(scope="module")
def checked(tmp_path_factory, mnist_root):
    """One check of two seeds: (its folder, exit code, what it printed)."""
    tmp = tmp_path_factory.mktemp("check")
    nb = answer(tmp / "answer.ipynb")
    capture = pytest.MonkeyPatch()
    import io
    import sys
    buf = io.StringIO()
    capture.setattr(sys, "stdout", buf)
    capture.setenv("COLUMNS", "120")
    try:
        code = main(["check", "--static", str(nb), "--seeds", "0-1", *TINY, "--out", str(tmp / "out"),
                     "--data-dir", str(mnist_root)])
    finally:
        capture.undo()
    return tmp, code, buf.getvalue()


def test_check_trains_the_seeds_and_prints_the_claim_beside_them(checked):
    tmp, code, printed = checked
    assert code == 1   # one epoch on 256 images is far from 99.4 %
    assert "claimed (one run)" in printed
    assert "best 99.46 % at epoch 3, final 99.46 % at epoch 3" in printed
    assert re.search(rf"printed params\s+{NET_PARAMS:,} \(its Total params:\)", printed)
    words = " ".join(printed.split())   # the standing is a sentence under the table, wrapped to the terminal
    assert "the claim among them: the claimed final 99.46 % is above all 2 honest runs, whose best is" in words
    assert "answer.ipynb: the claim holds at the final epoch on 0 of 2 seeds." in printed
    assert "final epoch ≥ 99.4" in printed
    assert "Wilson 95%" in printed
    # every cell of the verdict's table on one line of an 80-column terminal
    assert "constraints             params < 20k ✓ BN ✓ Dropout ✓ FC ✓ GAP ✓ epochs < 20 ✓" in printed
    assert "best 99.46 % at epoch 3, final 99.46 % at epoch 3" in printed
    assert "answer.ipynb: cells that do not parse, skipped: 8" in printed


def test_the_network_and_recipe_are_kept_beside_the_reports_and_the_notebook_recorded(checked):
    tmp, _, _ = checked
    out = tmp / "out" / "answer"
    model_py, recipe = out / "answer.model.py", out / "answer.recipe.toml"
    assert "class Net(nn.Module)" in model_py.read_text()
    assert "step_size = 6  # cell 6, line 1: " + STEP in recipe.read_text()
    r = load(out / "answer-seed0.json")
    assert r.config["model_sha256"] == hashlib.sha256(model_py.read_bytes()).hexdigest()
    assert r.notebook["sha256"] == hashlib.sha256((tmp / "answer.ipynb").read_bytes()).hexdigest()
    assert r.config["schedule"] == {"name": "step", "step_size": 6, "gamma": 0.1}
    assert r.config["augment"]["rotate"] == 7.0
    assert r.config["momentum"] == 0.9
    assert r.params == NET_PARAMS


def test_a_seed_gives_the_same_numbers_alone_as_in_the_sweep(checked, mnist_root):
    tmp, _, _ = checked
    alone = tmp / "alone"
    assert main(["check", "--static", str(tmp / "answer.ipynb"), "--seeds", "1", *TINY, "--out", str(alone),
                 "--data-dir", str(mnist_root), "--format", "json"]) == 1
    assert numbers(alone / "answer" / "answer-seed1.json") == numbers(tmp / "out" / "answer" / "answer-seed1.json")
    assert (alone / "answer" / "answer.model.py").read_bytes() == \
        (tmp / "out" / "answer" / "answer.model.py").read_bytes()


def test_a_finished_check_is_read_again_without_training_and_json_gives_the_verdict(checked, mnist_root, capsys):
    tmp, _, _ = checked
    capsys.readouterr()
    code = main(["check", "--static", str(tmp / "answer.ipynb"), "--seeds", "0-1", *TINY, "--out", str(tmp / "out"),
                 "--data-dir", str(mnist_root), "--target", "5", "--format", "json"])
    got = json.loads(capsys.readouterr().out)
    # both runs end above 5 %: every seed passes
    assert code == 0
    assert got["ok"] is True
    nb = got["notebooks"][0]
    assert nb["claim"]["final"] == 99.46
    assert nb["summary"]["final_passing"] == 2
    assert len(nb["finals"]) == 2


def test_bad_input_is_one_line_exit_2_and_nothing_trained(tmp_path, capsys, mnist_root):
    unrun = write(tmp_path / "unrun.ipynb", notebook(IMPORTS, NET, TRAIN))
    good = answer(tmp_path / "good.ipynb")
    flip = answer(tmp_path / "flip.ipynb", flip=True)
    imported = write(tmp_path / "imp.ipynb", notebook(IMPORTS, "from mymodels import Net", TRAIN,
                                                      outputs={2: [stream(pytorch_lines([99.0]))]}))
    cases = [([good, unrun], "unrun.ipynb: no epoch lines"),
             ([good, flip], "flip.ipynb: the transform RandomVerticalFlip, which the suite cannot reproduce"),
             ([imported], "imported from mymodels"),
             ([good, tmp_path / "notes.txt"], "not a Jupyter notebook"),
             ([good, good], "two notebooks share a name"),
             ([good, "--model", "examples/my_net.py:Net"],
              f"prints Total params: {NET_PARAMS:,}, but the network examples/my_net.py:Net has 7,578 parameters")]
    for notebooks, says in cases:
        code = main(["check", "--static", *map(str, notebooks), "--seeds", "0", *TINY, "--out", str(tmp_path / "out"),
                     "--data-dir", str(mnist_root)])
        err = capsys.readouterr().err
        assert code == 2, (says, err)
        assert says in err, (says, err)
        assert err.count("\n") == 1, (says, err)
        assert not (tmp_path / "out").exists()


def test_several_notebooks_give_a_row_each_and_approximate_is_recorded(tmp_path, capsys, mnist_root):
    good = answer(tmp_path / "good.ipynb")
    flip = answer(tmp_path / "flip.ipynb", flip=True)
    code = main(["check", "--static", str(good), str(flip), "--seeds", "0", *TINY, "--out", str(tmp_path / "out"),
                 "--data-dir", str(mnist_root), "--approximate", "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == 1
    rows = [line for line in out.splitlines() if line.startswith("| good.ipynb") or line.startswith("| flip.ipynb")]
    assert len(rows) == 2
    assert all(f"| {NET_PARAMS:,} | 99.46 | 0/1 |" in r for r in rows)
    assert "- flip.ipynb: left out by --approximate: the transform RandomVerticalFlip" in out   # named once
    r = load(tmp_path / "out" / "flip" / "flip-seed0.json")
    assert r.notebook["left_out"][0].startswith("the transform RandomVerticalFlip")
    main(["report", str(tmp_path / "out" / "flip")])
    assert "left out by --approximate: the transform RandomVerticalFlip" in capsys.readouterr().out


def test_a_slurm_task_keeps_the_notebook_in_its_report(tmp_path, mnist_root):
    """The task a `--cluster slurm` sweep submits, called here as a node would call it."""
    pytest.importorskip("submitit")
    from reproduce.cli import build_parser, in_flag_terms, run_request
    from reproduce.cluster.task import SeedTask
    from reproduce.data.mnist import ensure_mnist
    from reproduce.plan.beside import from_run
    from reproduce.plan.build import config_of
    from reproduce.sweep.options import SweepOptions
    nb = answer(tmp_path / "answer.ipynb")
    args = build_parser().parse_args(["run", "--model", str(nb), "--recipe", str(nb), "--epochs", "1",
                                      "--train-limit", "256", "--static"])
    kept = from_run(str(nb), nb, False, True)
    task = SeedTask(config_of(run_request(args), in_flag_terms), "cpu", ensure_mnist(mnist_root), tmp_path / "out",
                    SweepOptions(threads=1, notebook=kept.record))
    assert load(task(0)).notebook == kept.record
    assert kept.record["file"] == "answer.ipynb"


def test_the_network_from_a_file_beside_the_notebook(tmp_path, capsys, mnist_root):
    nb = write(tmp_path / "theirs.ipynb", notebook(IMPORTS, "from models import Net", TRAIN,
                                                   outputs={2: [stream(pytorch_lines([99.0, 99.41]))]}))
    code = main(["check", "--static", str(nb), "--model", "examples/my_net.py:Net", "--seeds", "0", *TINY,
                 "--out", str(tmp_path / "out"), "--data-dir", str(mnist_root)])
    printed = " ".join(capsys.readouterr().out.split())   # as read, whatever the terminal's width
    assert code == 1
    assert "the claimed final 99.41 % is above the one honest run's" in printed
    r = load(tmp_path / "out" / "theirs" / "my_net.Net-seed0.json")
    assert r.params == 7578
    assert r.config["epochs"] == 1
    assert r.notebook["file"] == "theirs.ipynb"
    assert not (tmp_path / "out" / "theirs" / "theirs.model.py").exists()   # the network is the file's
    # Again with 2 epochs: theirs' folder now holds a run of another config, refused before anything trains.
    fresh = write(tmp_path / "fresh.ipynb", notebook(IMPORTS, TRAIN, outputs={1: [stream(pytorch_lines([99.0]))]}))
    capsys.readouterr()
    code = main(["check", "--static", str(fresh), str(nb), "--model", "examples/my_net.py:Net", "--seeds", "0", *TINY,
                 "--epochs", "2", "--out", str(tmp_path / "out"), "--data-dir", str(mnist_root)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "my_net.Net-seed0.json" in err
    assert not (tmp_path / "out" / "fresh").exists()
