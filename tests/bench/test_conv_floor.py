"""bench/conv_floor.py: the convolutions of a training step, alone, are exactly the network's ten convolutions
with the trainer's shapes and layout, and timing them does not touch the network or the random stream."""
import torch
import torch.nn as nn

import reproduce.model as models
from bench.conv_floor import convolutions_only, step_convolutions
from reproduce.training import execution


def test_records_every_convolution_of_a_step_with_its_shape_and_layout():
    net = execution.place_model(models.build("seed"), "fast")
    images = execution.place_images(torch.rand(4, 1, 28, 28), "fast")
    calls = step_convolutions(net, images)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(calls) == len(convs) == 10
    assert [c.input_shape[1] for c in calls] == [m.in_channels for m in convs]
    assert [tuple(c.input_shape[2:]) for c in calls] == [(28, 28)] * 3 + [(14, 14)] * 4 + [(7, 7)] * 2 + [(5, 5)]
    assert all(c.input_shape[0] == 4 for c in calls)
    assert [c.input_requires_grad for c in calls] == [False] + [True] * 9  # the images need no gradient
    assert all(c.memory_format == torch.channels_last for c in calls[1:])
    plain = step_convolutions(models.build("seed"), torch.rand(4, 1, 28, 28))
    assert all(c.memory_format == torch.contiguous_format for c in plain)


def test_running_the_convolutions_leaves_the_network_and_the_random_stream_alone():
    torch.manual_seed(0)
    net = execution.place_model(models.build("seed").train(), "fast")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    rng = torch.get_rng_state()
    step = convolutions_only(step_convolutions(net, torch.rand(2, 1, 28, 28)))
    torch.set_rng_state(rng)
    step()
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())
    assert torch.equal(torch.get_rng_state(), rng)  # no draw from torch's generator while timing
