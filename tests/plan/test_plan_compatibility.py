"""A sweep's plan asks the execution, precision and device rules (reproduce/training/execution.py) before
anything is written, and says the first problem as the flag that set it: one line, exit 2, no folder made."""
import pytest
import torch
from nbfactory import IMPORTS, NET, notebook, write

from conftest import write_recipe
from reproduce.cli import main
from reproduce.training import precision

NO_BF16 = {"torch.backends.mkldnn.is_available()": True, "torch.ops.mkldnn._is_mkldnn_bf16_supported()": False}
RUN = ["run", "--seeds", "0", "--epochs", "1", "--train-limit", "256", "--threads", "1", "--quiet"]


def refused(argv, capsys, says, out):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert says in err, err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_graph_run_on_the_cpu_is_refused_as_its_flag(tmp_path, capsys):
    out = tmp_path / "o"
    refused([*RUN, "--execution", "graph", "--device", "cpu", "--out", out], capsys,
            "error: --execution graph replays CUDA graphs: it needs a CUDA device (this run is on cpu", out)


def test_bf16_on_a_cpu_without_bf16_is_refused_as_its_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(precision, "cpu_bf16_reports", lambda: NO_BF16)
    out = tmp_path / "o"
    refused([*RUN, "--precision", "bf16", "--device", "cpu", "--out", out], capsys,
            "error: --precision bf16 needs a CPU with bf16 support", out)


@pytest.mark.parametrize(("recipe", "says"), [
    ('[optimizer]\nname = "adam"\nlr = 0.001\n', "--execution graph captures SGD's update only; this recipe uses adam"),
    ('[schedule]\nname = "step"\nstep_size = 1\n', "cannot follow the step schedule"),
])
def test_a_graph_run_of_a_recipe_its_captured_step_cannot_follow_is_refused(tmp_path, capsys, monkeypatch, recipe,
                                                                             says):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)   # the recipe's rule, whatever this machine has
    out = tmp_path / "o"
    refused([*RUN, "--execution", "graph", "--device", "cuda", "--recipe", write_recipe(tmp_path, recipe),
             "--out", out], capsys, says, out)


def test_a_cuda_run_without_cuda_is_refused_as_its_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "o"
    refused([*RUN, "--device", "cuda", "--out", out], capsys, "error: --device cuda: no CUDA device is available here",
            out)


def test_approximate_with_a_notebooks_network_but_a_toml_recipe_is_refused_not_ignored(tmp_path, capsys):
    """--approximate acts on a recipe drafted from a notebook; a notebook's network trains a TOML recipe (its
    --recipe, else the seed recipe), so the flag would do nothing."""
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, NET))
    out = tmp_path / "o"
    refused([*RUN, "--model", nb, "--approximate", "--out", out], capsys,
            "--approximate leaves out of a notebook's drafted recipe", out)
