"""--model NB.ipynb[:NAME]: the network assembled statically from a notebook's code cells."""
import hashlib

import pytest
from nbfactory import IMPORTS, LOADERS, NET, NET_PARAMS, TRAIN, notebook, write

import reproduce.model as models
from reproduce.cli import main
from reproduce.model.audit import audit
from reproduce.model.spec import SpecError
from reproduce.record.schema import load

BLOCK = """class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=PAD)
    def forward(self, x):
        return F.relu(self.conv(x))

PAD = 1
def head(n):
    return nn.Linear(n, 10)

class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = ConvBlock(1, 4)
        self.fc = head(4)
    def forward(self, x):
        return F.log_softmax(self.fc(self.block(x).mean(dim=(2, 3))), dim=1)"""
SMALL_PARAMS = 4 * 9 + 4 + 4 * 10 + 10


def params(spec) -> int:
    return audit(models.build(spec)).params


def test_a_class_reading_a_global_with_magics_a_broken_cell_and_unneeded_imports(tmp_path):
    nb = write(tmp_path / "answer.ipynb", notebook(IMPORTS, NET, LOADERS, "def broken(:\n    pass", TRAIN))
    source = models.resolve(str(nb))
    assert params(str(nb)) == NET_PARAMS
    assert source.name == "answer"
    # not needed: dropped
    assert "torchsummary" not in source.source_text
    assert "tqdm" not in source.source_text
    assert "dropout_value = 0.1" in source.source_text
    assert source.sha256 == hashlib.sha256(source.source_text.encode()).hexdigest()
    assert source.notebook["sha256"] == hashlib.sha256(nb.read_bytes()).hexdigest()
    assert source.notebook["network"] == "Net"
    assert source.notebook["skipped"] == [5]


def test_helpers_are_taken_transitively_and_a_later_definition_replaces_an_earlier_one(tmp_path):
    earlier = BLOCK.replace("ConvBlock(1, 4)", "ConvBlock(1, 8)").replace("head(4)", "head(8)")
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, earlier, BLOCK, "model = Small()"))
    assert params(str(nb)) == SMALL_PARAMS
    text = models.resolve(str(nb)).source_text
    assert "PAD = 1" in text
    assert "def head" in text
    assert "class ConvBlock" in text
    assert "Net" not in text


def test_two_classes_need_a_name_unless_one_is_instantiated(tmp_path, capsys):
    both = write(tmp_path / "both.ipynb", notebook(IMPORTS, NET, BLOCK))
    with pytest.raises(SpecError, match=r"several networks and none instantiated \(.*Net.*Small.*\); name one"):
        models.resolve(str(both))
    assert params(f"{both}:Small") == SMALL_PARAMS
    assert params(f"{both}:Net") == NET_PARAMS
    chosen = write(tmp_path / "chosen.ipynb", notebook(IMPORTS, NET, BLOCK, "model = Small().to(device)"))
    assert params(str(chosen)) == SMALL_PARAMS
    assert models.resolve(f"{chosen}:Small").name == "chosen.Small"


def test_a_network_imported_from_the_repository_is_one_line_exit_2_nothing_written(tmp_path, capsys):
    nb = write(tmp_path / "imp.ipynb", notebook(IMPORTS, "from mypkg.models import Net", TRAIN))
    out = tmp_path / "out"
    code = main(["run", "--model", str(nb), "--seeds", "0", "--epochs", "1", "--device", "cpu", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "imported from mypkg.models (cell 3: from mypkg.models import Net)" in err
    assert "--model FILE.py:NAME takes the file" in err
    assert not out.exists()


@pytest.mark.parametrize(("cells", "says"), [
    ((IMPORTS, "x = 1"), "no nn.Module subclass in its code cells"),
    ((IMPORTS, NET), None),
])
def test_other_refusals(tmp_path, capsys, cells, says):
    nb = write(tmp_path / "nb.ipynb", notebook(*cells))
    if says is None:   # a NAME the notebook does not define
        code = main(["run", "--model", f"{nb}:Nope", "--seeds", "0", "--out", str(tmp_path / "o")])
        says = "no class or function 'Nope'"
    else:
        code = main(["run", "--model", str(nb), "--seeds", "0", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert says in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()
    not_nb = tmp_path / "x.ipynb"
    not_nb.write_text("{not json")
    assert main(["run", "--model", str(not_nb), "--seeds", "0", "--out", str(tmp_path / "o")]) == 2
    assert "not a Jupyter notebook" in capsys.readouterr().err


def test_the_example_in_the_guide_builds_and_drafts_as_the_guide_says(capsys):
    from conftest import REPO
    nb = REPO / "examples" / "answer.ipynb"
    assert params(str(nb)) == NET_PARAMS
    assert main(["recipe", "--static", str(nb)]) == 0
    drafted = capsys.readouterr().out
    guide = (REPO / "docs" / "notebooks.md").read_text()
    line = "lr = 0.01  # cell 5, line 2: optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)"
    assert line in drafted
    assert line in guide


def test_a_network_built_with_arguments_is_built_as_the_notebook_builds_it(tmp_path):
    with_arg = NET.replace("def __init__(self):", "def __init__(self, width=10):").replace(
        "nn.Conv2d(1, 10, 3), nn.BatchNorm2d(10)", "nn.Conv2d(1, width, 3), nn.BatchNorm2d(width)").replace(
        "self.conv2 = nn.Conv2d(10, 10, 3)", "self.conv2 = nn.Conv2d(width, 10, 3)")
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, with_arg, "WIDTH = 4\nmodel = Net(WIDTH).to(device)"))
    assert params(str(nb)) == 4 * 9 + 4 + 8 + 4 * 10 * 9 + 10 + 110
    text = models.resolve(str(nb)).source_text
    assert "WIDTH = 4" in text
    assert text.endswith("def build_network():\n    return Net(WIDTH)\n")
    assert models.resolve(str(nb)).name == "nb"


def test_run_with_a_notebook_model_keeps_its_source_and_names_the_skipped_cells(tmp_path, capsys, mnist_root):
    nb = write(tmp_path / "answer.ipynb", notebook(IMPORTS, NET, "def broken(:\n    pass", TRAIN))
    out = tmp_path / "out"
    assert main(["run", "--model", str(nb), "--seeds", "0", "--epochs", "1", "--train-limit", "256", "--threads", "1",
                 "--device", "cpu", "--out", str(out), "--data-dir", str(mnist_root)]) == 0
    assert "answer.ipynb: cells that do not parse, skipped: 4" in capsys.readouterr().out
    kept = out / "answer.model.py"
    r = load(out / "answer-seed0.json")
    assert r.config["model_sha256"] == hashlib.sha256(kept.read_bytes()).hexdigest()
    assert r.params == NET_PARAMS
    # the seed recipe trained it
    assert r.notebook["skipped"] == [4]
    assert not (out / "answer.recipe.toml").exists()


def test_a_lambda_bound_to_a_name_is_a_definition_too(tmp_path):
    lam = "conv = lambda cin, cout: nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU())\n" + \
        BLOCK.replace("self.block = ConvBlock(1, 4)", "self.block = conv(1, 4)")
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, lam, "model = Small()"))
    assert params(str(nb)) == SMALL_PARAMS
    assert "ConvBlock" not in models.resolve(str(nb)).source_text
