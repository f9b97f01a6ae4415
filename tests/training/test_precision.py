"""--precision bf16 (reproduce/training/precision.py): the training forward under bf16 autocast, everything else
fp32. Part of the config (and fingerprint) only when it is not fp32; refused in one line where it cannot run;
as deterministic as fp32: the same seed in two processes, alone or inside a sweep, killed and resumed. And fp32
means IEEE fp32 (TF32 off, recorded)."""
import os
import signal
import subprocess
import sys
from dataclasses import replace

import pytest
import torch
import torch.nn as nn
from rich.console import Console

import reproduce.model as model
from conftest import REPO, numbers, run_cli
from reproduce.cli import main
from reproduce.data.mnist import DataInfo
from reproduce.record.resume import run_fingerprint
from reproduce.record.schema import load
from reproduce.sweep.local import run_sweep
from reproduce.sweep.options import Sweep, SweepOptions
from reproduce.training import environment, precision, recipe
from reproduce.training.config import TrainConfig
from reproduce.training.recipe import RecipeError

CPU = torch.device("cpu")
RUN = ["--seeds", "0", "--epochs", "2", "--train-limit", "512", "--device", "cpu", "--threads", "1"]
BF16 = TrainConfig(epochs=2, train_limit=512, precision="bf16")
OLD_REPORT = REPO / "tests" / "data" / "main-774da89" / "seed-seed0.json"
NO_BF16 = {"torch.backends.mkldnn.is_available()": True, "torch.ops.mkldnn._is_mkldnn_bf16_supported()": False}
needs_bf16 = pytest.mark.skipif(not all(precision.cpu_bf16_reports().values()),
                                reason=f"this CPU has no bf16 support: {precision.cpu_bf16_reports()}")


@pytest.mark.integration   # the environment it records asks `uname -p`
def test_fp32_means_ieee_fp32_and_the_report_says_so():
    flags = environment.capture(CPU)["determinism"]
    assert flags["tf32_cudnn"] is False
    assert flags["tf32_matmul"] is False
    assert not torch.backends.cudnn.allow_tf32
    assert not torch.backends.cuda.matmul.allow_tf32


def test_precision_enters_the_fingerprint_only_when_it_is_not_fp32():
    assert "precision" not in TrainConfig().identity()
    assert BF16.identity()["precision"] == "bf16"
    assert run_fingerprint(replace(BF16, precision="fp32"), 0, "cpu") != run_fingerprint(BF16, 0, "cpu")
    old = load(OLD_REPORT)   # written before precision existed: same fingerprint, read back as fp32
    cfg = TrainConfig.from_dict(old.config)
    assert cfg.precision == "fp32"
    assert run_fingerprint(cfg, old.seed, old.device) == old.fingerprint


def test_the_recipe_key_and_its_bad_values(tmp_path):
    good, typo, wrong = tmp_path / "good.toml", tmp_path / "typo.toml", tmp_path / "wrong.toml"
    good.write_text('precision = "bf16"\n')
    typo.write_text('precision = "fp16"\n')
    wrong.write_text("precision = 16\n")
    assert recipe.load(good)["precision"] == "bf16"
    assert "precision" not in recipe.load(REPO / "model" / "seed.toml")
    with pytest.raises(RecipeError, match=r"typo.toml: precision must be fp32 or bf16, got 'fp16'"):
        recipe.load(typo)
    with pytest.raises(RecipeError, match=r"wrong.toml: precision should be a string"):
        recipe.load(wrong)


def test_the_training_forward_runs_bf16_convolutions_and_returns_fp32():
    net = model.build("seed")
    seen = []
    first_conv = next(m for m in net.modules() if isinstance(m, nn.Conv2d))
    first_conv.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    x = torch.zeros(2, 1, 28, 28)
    assert precision.training_forward(net, "fp32", "cpu") is net
    out = precision.training_forward(net, "bf16", "cpu")(x)
    assert seen == [torch.bfloat16]
    assert out.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in net.parameters())


@pytest.mark.integration   # starts a process
def test_refused_with_the_plain_loop_in_one_line_and_nothing_written(tmp_path):
    done = run_cli("run", *RUN, "--precision", "bf16", "--execution", "plain", "--out", tmp_path / "o")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "--precision bf16" in done.stderr
    assert "--execution plain" in done.stderr
    assert not (tmp_path / "o").exists()


def test_refused_under_graph_capture():
    line = precision.problem("bf16", "graph", torch.device("cuda"))
    assert line
    assert "graph capture" in line
    assert "\n" not in line
    assert precision.problem("fp32", "graph", torch.device("cuda")) is None


def test_refused_on_a_cpu_without_bf16_saying_what_torch_reports(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(precision, "cpu_bf16_reports", lambda: NO_BF16)
    code = main(["run", *RUN, "--precision", "bf16", "--out", tmp_path / "o"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert "torch.ops.mkldnn._is_mkldnn_bf16_supported() is False" in err
    assert "--precision fp32" in err
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)   # as the CLI runs below (--threads 1): same threads, same bytes
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def in_a_sweep(tmp_path_factory, mnist_root, one_thread):
    out = tmp_path_factory.mktemp("sweep")
    quiet = Console(quiet=True)
    run_sweep(Sweep(BF16, [0, 1], CPU, DataInfo(str(mnist_root), "local"), out), quiet, SweepOptions(quiet=True))
    return out


@needs_bf16
@pytest.mark.slow
def test_a_seed_alone_equals_the_same_seed_inside_a_sweep(in_a_sweep, mnist_root, tmp_path, one_thread):
    quiet = Console(quiet=True)
    run_sweep(Sweep(BF16, [1], CPU, DataInfo(str(mnist_root), "local"), tmp_path), quiet, SweepOptions(quiet=True))
    assert numbers(tmp_path / "seed-seed1.json") == numbers(in_a_sweep / "seed-seed1.json")
    assert load(tmp_path / "seed-seed1.json").config["precision"] == "bf16"


@needs_bf16
@pytest.mark.slow
def test_killed_and_resumed_equals_the_same_seed_run_in_another_process(in_a_sweep, mnist_root, tmp_path):
    out = tmp_path / "stopped"
    env = dict(os.environ, MNIST_DATA_DIR=str(mnist_root), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "reproduce", "run", *RUN, "--precision", "bf16", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if "epoch  1 " in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    again = run_cli("run", *RUN, "--precision", "bf16", "--out", out, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert again.returncode == 0, again.stderr
    assert "resuming after epoch 1 of 2" in again.stdout
    assert numbers(out / "seed-seed0.json") == numbers(in_a_sweep / "seed-seed0.json")
    shown = run_cli("report", out)
    assert "trained: execution fast, precision bf16 (1/1 runs)" in shown.stdout


def test_verify_refuses_a_bf16_report_on_a_cpu_without_bf16(in_a_sweep, monkeypatch, capsys):
    monkeypatch.setattr(precision, "cpu_bf16_reports", lambda: NO_BF16)
    assert main(["verify", in_a_sweep / "seed-seed0.json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "_is_mkldnn_bf16_supported() is False" in err, err
