"""A layer with no deterministic kernel on the device (AdaptiveAvgPool2d(2)'s CUDA backward, say) must not crash a
run: one line naming the op, and an explicit --allow-nondeterministic that is recorded and shown. On the CPU
the same path is exercised by a layer whose backward calls Tensor.put_ (accumulate=False), which has no
deterministic kernel on the CPU either: torch raises the same alert as for AdaptiveAvgPool2d(2)'s CUDA backward."""
import json

import pytest
import torch
import torch.nn as nn

from conftest import run_cli
from reproduce.training.determinism import alerted_op, nondeterministic_op

NET = '''
import torch
import torch.nn as nn


class AlertingPool(torch.autograd.Function):
    """Global average pooling whose backward, like AdaptiveAvgPool2d(2)'s on CUDA, has no deterministic kernel."""

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return x.mean((2, 3), keepdim=True)

    @staticmethod
    def backward(ctx, grad):
        torch.zeros(1).put_(torch.zeros(1, dtype=torch.long), grad.new_zeros(1))  # put_: no deterministic kernel
        n, c, h, w = ctx.shape
        return grad.expand(n, c, h, w) / (h * w)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, stride=2)
        self.bn, self.drop, self.gap = nn.BatchNorm2d(8), nn.Dropout(0.1), nn.AvgPool2d(13)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.drop(self.bn(self.conv(x).relu()))
        return self.fc((AlertingPool.apply(x) + 0 * self.gap(x)).flatten(1)).log_softmax(1)
'''


def test_the_alert_names_the_op():
    with pytest.raises(RuntimeError) as alert:   # no raise: deterministic algorithms are not on
        torch.zeros(2).put_(torch.tensor([0]), torch.tensor([1.0]))
    assert alerted_op(alert.value) == "put_"


def test_the_probe_finds_the_op_and_leaves_rngs_and_mode_alone():
    plain = nn.Sequential(nn.Conv2d(1, 10, 28), nn.Dropout(0.5), nn.Flatten())
    pooled = nn.Sequential(nn.Conv2d(1, 10, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())  # deterministic on the CPU
    before = torch.get_rng_state()
    assert nondeterministic_op(plain, nn.functional.cross_entropy, torch.device("cpu")) is None
    assert nondeterministic_op(pooled, nn.functional.cross_entropy, torch.device("cpu")) is None
    assert torch.equal(torch.get_rng_state(), before)
    assert not torch.is_deterministic_algorithms_warn_only_enabled()


@pytest.mark.slow
def test_refused_in_one_line_then_trained_when_allowed_and_shown_by_report(tmp_path, mnist_root):
    path = tmp_path / "pooled.py"
    path.write_text(NET)
    out = tmp_path / "runs"
    args = ["run", "--model", f"{path}:Net", "--seeds", "0", "--epochs", "1", "--train-limit", "256",
            "--threads", "1", "--quiet", "--device", "cpu", "--out", out]
    env = {"MNIST_DATA_DIR": str(mnist_root)}
    refused = run_cli(*args, env_extra=env)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "put_ has no deterministic implementation on cpu" in refused.stderr
    assert "--allow-nondeterministic" in refused.stderr
    assert not out.exists()
    allowed = run_cli(*args, "--allow-nondeterministic", env_extra=env)
    assert allowed.returncode == 0, allowed.stderr
    report = json.loads((out / "pooled.Net-seed0.json").read_text())
    assert report["config"]["allow_nondeterministic"] is True
    assert report["environment"]["determinism"]["warn_only"] is True
    shown = run_cli("report", out)
    assert "not bit-reproducible: 1/1 runs trained with --allow-nondeterministic" in shown.stdout


def test_the_gpu_checks_pool_runs_the_backward_that_alerts_on_cuda():
    """Which backward a pool gets is chosen before any device kernel, so the CPU shows what CUDA will run:
    AdaptiveAvgPool2d(1) is taken as a mean (deterministic on CUDA, so no alert to check); the pool in
    bench/recipe_check.py must run adaptive_avg_pool2d's own backward, the one without a deterministic CUDA kernel."""
    from bench.recipe_check import POOLED
    x = torch.zeros(2, 8, 26, 26, requires_grad=True)
    assert type(nn.AdaptiveAvgPool2d(1)(x).grad_fn).__name__ == "MeanBackward1"
    scope = {}
    exec(POOLED, scope)
    out = scope["Net"]().body(torch.zeros(2, 1, 28, 28))
    assert type(out.grad_fn).__name__ == "AdaptiveAvgPool2DBackward0"
