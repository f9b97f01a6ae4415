"""The claim in the shapes notebooks print: import-log (and check) read the per-epoch test accuracy, an error in
the outputs, and torchsummary's `Total params:`."""
import pytest
from nbfactory import IMPORTS, NET, NET_PARAMS, TRAIN, notebook, pytorch_lines, stream, write
from nbformat.v4 import new_output

from reproduce.cli import main
from reproduce.record.schema import load

BAR = "100%|██████████| 469/469 [00:12<00:00, 37.5it/s, loss=0.1, test_acc={}]"


@pytest.mark.parametrize(("printed", "accs"), [
    ("Train Accuracy: 97.00%\nTest : Loss = 0.00020, Accuracy = 99.10%\nTest : Loss = 0.00014, Accuracy = 99.46%\n",
     [99.10, 99.46]),
    ("Test Accuracy: 98.5%\nTrain Accuracy: 99.9%\nTest Accuracy: 99.25%\n", [98.5, 99.25]),
    ("epoch 1 test_loss=0.0400 test_acc=0.9877\nepoch 2 test_loss=0.0210 test_acc=0.9946\n", [98.77, 99.46]),
    ("".join("\r" + BAR.format(a) for a in ("10.0", "50.0", "98.90")) + "\n"
     + "".join("\r" + BAR.format(a) for a in ("97.0", "99.31")) + "\n", [98.90, 99.31]),
])
def test_each_shape_imports_its_epochs(tmp_path, printed, accs):
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, NET, TRAIN, outputs={2: [stream(printed)]}))
    assert main(["import-log", str(nb), "--model", "theirs", "--params", "1000", "--out", str(tmp_path / "o")]) == 0
    r = load(tmp_path / "o" / "theirs-seed0.json")
    assert [e.test_acc for e in r.epochs] == pytest.approx(accs)


def test_the_shape_of_loss_is_kept_where_printed(tmp_path):
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, outputs={0: [stream("Test : Loss = 0.00014, Accuracy = 99.46%")]}))
    assert main(["import-log", str(nb), "--model", "x", "--params", "10", "--out", str(tmp_path / "o")]) == 0
    assert load(tmp_path / "o" / "x-seed0.json").epochs[0].test_loss == 0.00014


def test_a_pattern_reads_any_other_shape_and_a_bad_one_is_one_line(tmp_path, capsys):
    text = "ep 1 -> holdout 98.80\nep 2 -> holdout 99.02\nep 2 -> holdout 99.12\n"
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, outputs={0: [stream(text)]}))
    args = ["import-log", str(nb), "--model", "x", "--params", "10"]
    assert main(args + ["--out", str(tmp_path / "o"), "--pattern", r"ep (?P<epoch>\d+) -> holdout (?P<acc>[\d.]+)"]) == 0
    assert [e.test_acc for e in load(tmp_path / "o" / "x-seed0.json").epochs] == [98.80, 99.12]
    for pattern, says in [("(", "not a regular expression"), (r"holdout (\d+)", "needs a named group acc"),
                          (r"nothing (?P<acc>\d+)", "no printed line matches --pattern")]:
        assert main(args + ["--out", str(tmp_path / "p"), "--pattern", pattern]) == 2
        err = capsys.readouterr().err
        assert says in err
        assert err.count("\n") == 1
        assert not (tmp_path / "p").exists()


def test_outputs_ending_in_an_error_import_with_it_recorded_and_shown(tmp_path, capsys):
    error = new_output("error", ename="RuntimeError", evalue="CUDA out of memory", traceback=["..."])
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, NET, TRAIN, outputs={2: [stream(pytorch_lines([99.1])), error]}))
    assert main(["import-log", str(nb), "--model", "x", "--params", "10", "--out", str(tmp_path / "o")]) == 0
    r = load(tmp_path / "o" / "x-seed0.json")
    assert r.source["error"] == "outputs end in an error in cell 4 (RuntimeError: CUDA out of memory)"
    capsys.readouterr()
    main(["report", str(tmp_path / "o")])
    assert "nb.ipynb: outputs end in an error in cell 4 (RuntimeError" in capsys.readouterr().out


def test_the_printed_parameter_count_is_checked_against_the_network(tmp_path, capsys):
    def nb_printing(count, name):
        return write(tmp_path / name, notebook(IMPORTS, NET, TRAIN, outputs={
            1: [stream(f"Total params: {count:,}\nTrainable params: {count:,}\n")], 2: [stream(pytorch_lines([99.2]))]}))
    good = nb_printing(NET_PARAMS, "good.ipynb")
    assert main(["import-log", str(good), "--model", str(good), "--out", str(tmp_path / "o")]) == 0
    assert load(tmp_path / "o" / "good-seed0.json").params == NET_PARAMS
    assert main(["import-log", str(good), "--model", "named", "--out", str(tmp_path / "o")]) == 0   # stands for --params
    assert load(tmp_path / "o" / "named-seed0.json").params == NET_PARAMS
    bad = nb_printing(NET_PARAMS + 1, "bad.ipynb")
    capsys.readouterr()
    assert main(["import-log", str(bad), "--model", str(bad), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert f"prints Total params: {NET_PARAMS + 1:,}, but the network" in err
    assert f"has {NET_PARAMS:,} parameters" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "b").exists()
