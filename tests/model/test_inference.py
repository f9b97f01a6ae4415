"""The suite's inference path (reproduce/model/inference.py, reproduce/model/fold_bn.py) computes the eval-mode model's function:
max abs difference of log-probabilities <= 1e-4 in fp32, for every registered model with trained-looking BN."""
import shutil

import pytest
import torch
import torch.nn as nn

import reproduce.model as model
from reproduce.model.fold_bn import FoldedConv2d, InferenceError, fold_batchnorm, randomize_batchnorm
from reproduce.model.inference import optimize

TOLERANCE = 1e-4


def trained_looking(name, negative_scales=False):
    return randomize_batchnorm(model.build(name), seed=1, negative_scales=negative_scales).eval()


def max_diff(a, b):
    return (a - b).abs().max().item()


def batch(n=4, size=28):
    return torch.randn(n, 1, size, size, generator=torch.Generator().manual_seed(n))


@pytest.mark.parametrize("name", sorted(model.MODELS))
def test_folded_model_matches_eager_and_folds_every_batchnorm(name):
    net, x = trained_looking(name), batch()
    run, report = optimize(net, x, "folded")
    with torch.no_grad():
        expected = net(x)
        assert max_diff(run(x), expected) <= TOLERANCE
    # the check means something only if the output depends on the input (BN statistics like a trained net's)
    assert (expected - expected[0]).abs().max() > 0.1
    n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    assert len(report.folded) == n_bn
    assert report.kept == []
    assert report.channels_last
    folded_net = run.net
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.Dropout, nn.Dropout2d)) for m in folded_net.modules())
    if name.startswith("seed"):
        # their BNs follow a ReLU and fold into the next conv, which pads: a per-position bias is needed there
        assert any(isinstance(m, FoldedConv2d) for m in folded_net.modules())


def test_a_constant_bias_instead_of_the_border_map_would_be_caught():
    net, x = trained_looking("seed"), batch()
    gm, _ = fold_batchnorm(net, x)
    conv = next(m for m in gm.modules() if isinstance(m, FoldedConv2d))
    with torch.no_grad():
        good = gm(x)
        centre = conv.bias_map[:, :, conv.bias_map.shape[2] // 2, conv.bias_map.shape[3] // 2]
        conv.bias_map.copy_(centre[:, :, None, None].expand_as(conv.bias_map))
        assert max_diff(gm(x), good) > 10 * TOLERANCE


def test_negative_scale_before_a_max_pool_is_kept_and_the_result_stays_exact():
    net, x = trained_looking("seed", negative_scales=True), batch()
    run, report = optimize(net, x, "folded")
    with torch.no_grad():
        assert max_diff(run(x), net(x)) <= TOLERANCE
    assert len(report.kept) == 2
    assert all("max pool" in why for why in report.kept)
    assert len(report.folded) == 5


def test_batchnorm_right_after_a_conv_folds_into_that_conv():
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 28 * 28, 10))
    randomize_batchnorm(net, seed=2).eval()
    x = batch()
    run, report = optimize(net, x, "folded")
    with torch.no_grad():
        assert max_diff(run(x), net(x)) <= TOLERANCE
    assert report.folded == ["1 -> 0 (into the conv before it)"]


def test_folding_leaves_the_original_model_untouched():
    net = trained_looking("seed")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    optimize(net, batch(), "folded")
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert any(isinstance(m, nn.BatchNorm2d) for m in net.modules())


def test_folded_model_refuses_an_input_size_it_was_not_folded_for():
    run, _ = optimize(trained_looking("seed"), batch(), "folded")
    with pytest.raises(InferenceError, match="fold again"), torch.no_grad():
        run(batch(size=32))


def test_untraceable_model_falls_back_unfolded_with_the_reason():
    class DataDependent(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)

        def forward(self, x):
            y = self.bn(self.conv(x))
            return y if y.sum() > 0 else -y  # control flow on a value: torch.fx cannot trace it

    net, x = randomize_batchnorm(DataDependent(), seed=3).eval(), batch()
    run, report = optimize(net, x, "folded")
    assert report.fold_fallback
    assert report.folded == []
    with torch.no_grad():
        assert max_diff(run(x), net(x)) <= TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(model.MODELS))
def test_compiled_variant_matches_eager_and_compiles_where_a_compiler_exists(name):
    net, x = trained_looking(name), batch(2)
    run, report = optimize(net, x, "compiled")
    with torch.no_grad():
        assert max_diff(run(x), net(x)) <= TOLERANCE
    if shutil.which("cc") or shutil.which("gcc") or shutil.which("g++"):
        assert report.compiled, f"torch.compile fell back: {report.compile_fallback}"
    else:
        assert not report.compiled
        assert report.compile_fallback


def test_unknown_variant_and_cuda_graph_without_cuda_are_refused():
    net, x = trained_looking("seed"), batch()
    with pytest.raises(InferenceError, match="unknown inference variant"):
        optimize(net, x, "fastest")
    with pytest.raises(InferenceError, match="needs a CUDA input"):
        optimize(net, x, "cuda-graph")
