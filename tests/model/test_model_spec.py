"""--model FILE.py:NAME and package.module:NAME: a network from outside the suite, loaded, hashed and checked;
every way a spec can be wrong is one line and exit 2 with nothing written."""
import json

import pytest
import torch.nn as nn

import reproduce.model as model
from conftest import TINY_NET, run_cli, write_file
from reproduce.cli import main
from reproduce.model.audit import audit
from reproduce.model.spec import run_name

EXAMPLE = "examples/my_net.py:Net"


@pytest.mark.parametrize("spec, name", [("seed", "seed"), ("nets/tiny.py:Net", "tiny.Net"),
                                        ("pkg.mod:make", "pkg.mod.make"), ("a b/c d.py:N", "c_d.N")])
def test_run_names_are_valid_file_names(spec, name):
    assert run_name(spec) == name


def test_a_file_spec_loads_hashes_and_audits_the_example():
    source = model.resolve(EXAMPLE)
    assert source.name == "my_net.Net" and len(source.sha256) == 64
    a = audit(model.build(EXAMPLE))
    assert (a.params, a.batchnorm, a.dropout, a.fully_connected, a.global_avg_pool) == (7578, True, True, True, True)


def test_a_module_spec_and_a_factory_function(tmp_path, monkeypatch):
    (tmp_path / "their_pkg").mkdir()
    (tmp_path / "their_pkg" / "__init__.py").write_text("")
    (tmp_path / "their_pkg" / "nets.py").write_text(TINY_NET)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert isinstance(model.build("their_pkg.nets:Net"), nn.Module)
    assert model.resolve("their_pkg.nets:Net").sha256 is not None
    path = write_file(tmp_path, TINY_NET, "net.py")
    assert isinstance(model.build(f"{path}:make"), nn.Module)


def test_editing_the_file_gives_another_source_hash(tmp_path):
    path = write_file(tmp_path, TINY_NET, "net.py")
    before = model.resolve(f"{path}:Net").sha256
    path.write_text(TINY_NET + "\n# an edit\n")
    assert model.resolve(f"{path}:Net").sha256 != before


BAD = {
    "missing file": (None, "Net", "cannot read"),
    "syntax error": ("class Net(nn.Module:\n    pass\n", "Net", "syntax error in {path} at line 1"),
    "raises on import": ("raise RuntimeError('no GPU here')\n", "Net", "raised RuntimeError: no GPU here"),
    "name missing": (TINY_NET, "Nett", "defines no 'Nett'"),
    "not a module class": ("class Net:\n    pass\n", "Net", "not an nn.Module"),
    "not callable": ("Net = 3\n", "Net", "not an nn.Module class or a function"),
    "factory returns something else": ("def Net():\n    return 3\n", "Net", "not an nn.Module"),
    "forward fails": ("import torch.nn as nn\nclass Net(nn.Linear):\n    def __init__(self):\n"
                      "        super().__init__(5, 10)\n", "Net", "forward pass on a batch of 1x28x28 images failed"),
    "wrong output": ("import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n"
                     "        super().__init__()\n        self.c = nn.Conv2d(1, 10, 28)\n"
                     "    def forward(self, x):\n        return self.c(x)\n", "Net", "not (N, 10)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_model_spec_is_one_line_and_exit_2_with_nothing_written(case, tmp_path, capsys):
    text, attr, said = BAD[case]
    path = tmp_path / "net.py"
    if text is not None:
        path.write_text(text)
    out = tmp_path / "out"
    code = main(["run", "--model", f"{path}:{attr}", "--seeds", "0", "--epochs", "1", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert said.format(path=path) in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_an_unknown_registry_name_is_one_line(capsys, tmp_path):
    assert main(["run", "--model", "resnet", "--out", str(tmp_path / "o")]) == 2
    assert "not a registered model" in capsys.readouterr().err


@pytest.mark.slow
def test_a_user_network_trains_reports_and_refuses_to_continue_after_its_file_changed(tmp_path, mnist_root):
    net = write_file(tmp_path, TINY_NET, "net.py")
    out = tmp_path / "runs"
    args = ["run", "--model", f"{net}:Net", "--seeds", "0", "--epochs", "1", "--train-limit", "256",
            "--threads", "1", "--quiet", "--out", out]
    env = {"MNIST_DATA_DIR": str(mnist_root)}
    done = run_cli(*args, env_extra=env)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "net.Net-seed0.json").read_text())
    assert report["model"] == "net.Net" and report["config"]["model"] == f"{net}:Net"
    assert report["config"]["model_sha256"] == model.resolve(f"{net}:Net").sha256
    assert report["audit"]["fully_connected"] and report["status"] == "complete"
    net.write_text(TINY_NET + "\n# edited after the run\n")
    again = run_cli(*args, env_extra=env)
    assert again.returncode == 2 and "model_sha256" in again.stderr and again.stderr.count("\n") == 1
    forced = run_cli(*args, "--force", env_extra=env)
    assert forced.returncode == 0, forced.stderr
    assert len(list(out.glob("net.Net-seed0.replaced-*.json"))) == 1
