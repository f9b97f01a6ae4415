"""The determinism contract, on the CPU: same (config, seed) -> same bytes; a run ignores its neighbours."""
import pytest
import torch

from reproduce.training.config import TrainConfig
from reproduce.training.trainer import train

pytestmark = pytest.mark.slow   # trains several short runs: left out by make test-fast

CFG = TrainConfig(model="seed", epochs=1, train_limit=1024)


def run(data, seed, cfg=CFG):
    epochs, digest, _ = train(cfg, seed, data, torch.device("cpu"))
    return [(e.train_loss, e.train_acc, e.test_loss, e.test_acc) for e in epochs], digest


def test_same_seed_twice_gives_identical_metrics_and_weights(mnist_cpu):
    assert run(mnist_cpu, 0) == run(mnist_cpu, 0)


def test_another_seed_gives_different_weights(mnist_cpu):
    assert run(mnist_cpu, 0)[1] != run(mnist_cpu, 1)[1]


def test_a_seed_does_not_depend_on_the_runs_before_it(mnist_cpu):
    alone = run(mnist_cpu, 1)
    torch.rand(1000)  # disturb every RNG a run might (wrongly) inherit
    run(mnist_cpu, 0)
    assert run(mnist_cpu, 1) == alone


def test_the_recipe_learns(mnist_cpu):
    metrics, _ = run(mnist_cpu, 0, TrainConfig(model="seed", epochs=2, train_limit=4096))
    assert metrics[-1][3] > 80.0  # two epochs on 4k images: well above chance
