"""The graph execution's step (reproduce/training/graph_step.py) without CUDA: the same static buffers, warm-up and
restore as on a GPU, with the capture left out. On the CPU it must give the fast execution's bytes exactly,
so everything but the capture itself is checked here (the capture: bench/gpu_check.sh on a GPU)."""
from dataclasses import asdict, replace

import pytest
import torch

from reproduce.training import execution
from reproduce.training.config import TrainConfig
from reproduce.training.graph_step import GraphCaptureError, GraphedTraining
from reproduce.training.trainer import TrainOptions, make_model, start_run, train

pytestmark = pytest.mark.slow   # trains several short runs: left out by make test-fast

CPU = torch.device("cpu")
# 600 images: four full batches of 128 (the captured step) and a partial one of 88 (eager)
FAST = TrainConfig(model="seed", epochs=2, train_limit=600, eval_batch_size=2000)
GRAPH = replace(FAST, execution="graph")


def numbers(cfg, data):
    epochs, digest, _ = train(cfg, 0, data, CPU)
    return [{k: v for k, v in asdict(e).items() if k != "seconds"} for e in epochs], digest


def test_without_capture_the_graph_step_gives_the_fast_executions_bytes(mnist_cpu):
    assert numbers(GRAPH, mnist_cpu) == numbers(FAST, mnist_cpu)


def test_a_resumed_graph_run_equals_an_uninterrupted_one(mnist_cpu):
    state = start_run(GRAPH, 0, CPU)
    train(GRAPH, 0, mnist_cpu, CPU, TrainOptions(start=state, stop_after=1))   # momentum buffers exist now
    resumed = train(GRAPH, 0, mnist_cpu, CPU, TrainOptions(start=state))         # a new warm-up must restore them
    whole = train(GRAPH, 0, mnist_cpu, CPU)
    strip = lambda es: [{k: v for k, v in asdict(e).items() if k != "seconds"} for e in es]
    assert strip(resumed[0]) == strip(whole[0])
    assert resumed[1] == whole[1]


def test_warm_up_leaves_weights_statistics_momentum_and_random_streams_as_they_were(mnist_cpu):
    net, opt, _ = make_model(GRAPH, 0, CPU)
    x = execution.place_images(mnist_cpu.train_x[:256], "graph")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    rng = torch.get_rng_state()
    with execution.kernels("graph"):
        GraphedTraining(net, opt, (x, mnist_cpu.train_y[:256]), 128, capture=False)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)
    buffers = [opt.state[p]["momentum_buffer"] for p in net.parameters()]
    assert all(torch.count_nonzero(b) == 0 for b in buffers)  # a fresh run: 0.9 * 0 + grad = SGD's first step


def test_capture_needs_cuda_and_the_cli_says_so_in_one_line(cli, tmp_path, mnist_cpu):
    net, opt, _ = make_model(GRAPH, 0, CPU)
    with pytest.raises(GraphCaptureError, match="CUDA"):
        GraphedTraining(net, opt, (mnist_cpu.train_x[:128], mnist_cpu.train_y[:128]), 128, capture=True)
    done = cli("run", "--seeds", "0", "--epochs", "1", "--device", "cpu", "--execution", "graph", "--out", tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "--execution graph" in done.stderr
    assert "CUDA" in done.stderr
    assert not any(tmp_path.iterdir())


def test_the_report_says_the_step_is_captured():
    described = execution.describe("graph")
    assert described["cuda_graphs"] is True
    assert described["memory_format"] == "channels_last"
    assert described["partial_batch"] == "eager"
    assert execution.describe("fast")["cuda_graphs"] is False


def test_momentum_zero_keeps_no_buffer_and_still_gives_the_fast_executions_bytes(mnist_cpu):
    """SGD with momentum 0 stores no momentum buffer: the warm-up's restore must not look for one."""
    fast = replace(FAST, momentum=0.0)
    assert numbers(replace(fast, execution="graph"), mnist_cpu) == numbers(fast, mnist_cpu)
