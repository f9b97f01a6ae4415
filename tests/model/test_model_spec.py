"""--model FILE.py:NAME and package.module:NAME: a network from outside the suite, loaded, hashed and checked;
every way a spec can be wrong is one line and exit 2 with nothing written."""
import json

import pytest
import torch.nn as nn

import reproduce.model as model
from conftest import TINY_NET, run_cli, write_file
from reproduce.cli import main
from reproduce.model.audit import audit
from reproduce.model.spec import SpecError, run_name

EXAMPLE = "examples/my_net.py:Net"


@pytest.mark.parametrize(("spec", "name"), [("seed", "seed"), ("nets/tiny.py:Net", "tiny.Net"),
                                        ("pkg.mod:make", "pkg.mod.make"), ("a b/c d.py:N", "c_d.N")])
def test_run_names_are_valid_file_names(spec, name):
    assert run_name(spec) == name


def test_a_file_spec_loads_hashes_and_audits_the_example():
    source = model.resolve(EXAMPLE)
    assert source.name == "my_net.Net"
    assert len(source.sha256) == 64
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
                      "        super().__init__(5, 10)\n", "Net", "forward pass on a batch of 8 images (1x28x28) failed in eval mode"),
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
    assert said.format(path=path) in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
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
    assert report["model"] == "net.Net"
    assert report["config"]["model"] == f"{net}:Net"
    assert report["config"]["model_sha256"] == model.resolve(f"{net}:Net").sha256
    assert report["audit"]["fully_connected"]
    assert report["status"] == "complete"
    net.write_text(TINY_NET + "\n# edited after the run\n")
    again = run_cli(*args, env_extra=env)
    assert again.returncode == 2
    assert "model_sha256" in again.stderr
    assert again.stderr.count("\n") == 1
    forced = run_cli(*args, "--force", env_extra=env)
    assert forced.returncode == 0, forced.stderr
    assert len(list(out.glob("net.Net-seed0.replaced-*.json"))) == 1


# Ghost BatchNorm: in train mode the batch is split into `splits` chunks, each normalised on its own, so a batch
# that is not a multiple of the chunk count cannot be taken (a batch of 2 with 4 chunks: "shape '[-1, 40, 28,
# 28]' is invalid"). The checks run a batch the recipe's batch size allows, capped at 8.
GHOST = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class GhostBatchNorm(nn.BatchNorm2d):
    def __init__(self, num_features, splits):
        super().__init__(num_features)
        self.splits = splits
        self.register_buffer("running_mean", torch.zeros(num_features * splits))
        self.register_buffer("running_var", torch.ones(num_features * splits))

    def forward(self, x):
        n, c, h, w = x.shape
        if self.training:
            out = F.batch_norm(x.view(-1, c * self.splits, h, w), self.running_mean, self.running_var,
                               self.weight.repeat(self.splits), self.bias.repeat(self.splits), True, self.momentum,
                               self.eps)
            return out.view(n, c, h, w)
        return F.batch_norm(x, self.running_mean[:c], self.running_var[:c], self.weight, self.bias, False,
                            self.momentum, self.eps)


class Net(nn.Module):
    SPLITS = 4

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 10, 3, padding=1)
        self.bn = GhostBatchNorm(10, self.SPLITS)
        self.drop = nn.Dropout(0.05)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        x = self.gap(self.drop(F.relu(self.bn(self.conv(x))))).flatten(1)
        return F.log_softmax(self.fc(x), dim=1)


class Net16(Net):
    SPLITS = 16
"""


def test_a_ghost_batchnorm_network_is_checked_on_a_batch_it_can_take(tmp_path):
    from reproduce.model.spec import check
    path = tmp_path / "ghost.py"
    path.write_text(GHOST)
    assert check(model.resolve(f"{path}:Net"), 128) == 8            # the recipe's 128, capped at 8: 4 chunks of 2
    assert check(model.resolve(f"{path}:Net16"), 128) == 128        # 16 chunks: 8 cannot, the recipe's 128 can
    with pytest.raises(SpecError, match="on a batch of 6 images") as refused:
        check(model.resolve(f"{path}:Net"), 6)                       # the recipe's own 6 does not split in 4
    assert "(and on" not in str(refused.value)                       # 6 is the whole batch: nothing else tried
    with pytest.raises(SpecError) as refused:
        check(model.resolve(f"{path}:Net16"), 12)                    # neither 8 nor 12 splits into 16 chunks
    said = str(refused.value)
    assert "a forward pass on a batch of 8 images (1x28x28) failed in train mode: RuntimeError" in said
    assert "(and on a batch of 12)" in said
    assert said.count("\n") == 0


def test_a_ghost_batchnorm_network_passes_runs_checks_before_training(tmp_path, capsys):
    """`run` refuses nothing about it: the model check and the determinism probe take its batch. Data that does
    not verify stops the run right after those checks, before anything trains."""
    path = tmp_path / "ghost.py"
    path.write_text(GHOST)
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"not MNIST")
    for net in ("Net", "Net16"):
        code = main(["run", "--model", f"{path}:{net}", "--seeds", "0", "--epochs", "1", "--batch-size", "64",
                     "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2, err
        assert "MNIST file" in err, err
        assert "forward" not in err, err
        assert "training step" not in err, err
