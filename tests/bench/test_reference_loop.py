"""The training benchmark compares equal work: the textbook loop in bench/ and the suite's trainer, from the
same seed on the same data, take the same steps (same batches, same updates) and end with the same weights."""
import torch

from bench import reference_loop
from reproduce.training.config import TrainConfig
from reproduce.training.trainer import EpochSteps, make_model, train_epoch


def test_reference_loop_and_trainer_do_the_same_work(mnist_cpu):
    x, y = mnist_cpu.train_x[:256], mnist_cpu.train_y[:256]
    cfg = TrainConfig()
    net_a, opt_a, order_a = make_model(cfg, 0, torch.device("cpu"))
    train_epoch(net_a, opt_a, x, y, EpochSteps(batch_size=128, order=order_a))
    net_b, opt_b, order_b = make_model(cfg, 0, torch.device("cpu"))
    reference_loop.train_one_epoch(net_b, opt_b, x, y, 128, order_b)
    initial, _, _ = make_model(cfg, 0, torch.device("cpu"))
    for (name, a), b, _start in zip(net_a.state_dict().items(), net_b.state_dict().values(),
                                   initial.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-5), name
    assert any(not torch.equal(a, s) for a, s in zip(net_a.state_dict().values(), initial.state_dict().values()))
