"""The rules that tie a run's execution, precision and device together (reproduce/training/execution.py:
`problems`, `device_problem`): one answer, each problem one line, asked by a sweep's plan and by verify alike
(tests/plan/test_plan_compatibility.py, tests/sweep/test_verify_compatibility.py)."""
import pytest
import torch

from reproduce.training import execution, precision
from reproduce.training.config import TrainConfig

CPU, CUDA = torch.device("cpu"), torch.device("cuda")   # a device object needs no CUDA to exist
NO_BF16 = {"torch.backends.mkldnn.is_available()": True, "torch.ops.mkldnn._is_mkldnn_bf16_supported()": False}
ADAM = {"optimizer": "adam", "momentum": None, "nesterov": None}


def one_line_each(found):
    assert all("\n" not in p for p in found), found
    return found


def test_a_fast_fp32_run_has_no_problem_on_either_device():
    assert execution.problems(TrainConfig(), CPU) == []
    assert execution.problems(TrainConfig(), CUDA) == []
    assert execution.problems(TrainConfig(execution="plain"), CPU) == []


def test_a_graph_run_on_the_cpu_needs_a_cuda_device():
    found = one_line_each(execution.problems(TrainConfig(execution="graph"), CPU))
    assert len(found) == 1
    assert "--execution graph replays CUDA graphs: it needs a CUDA device (this run is on cpu" in found[0]
    assert execution.problems(TrainConfig(execution="graph"), CUDA) == []


@pytest.mark.parametrize(("fields", "says"), [
    (ADAM, "captures SGD's update only; this recipe uses adam"),
    ({"schedule": {"name": "step", "step_size": 1}}, "cannot follow the step schedule"),
    ({"augment": {"rotate": 5.0, "translate": 0.0, "scale": [1.0, 1.0]}}, "does not augment"),
    ({"l1": 1e-4}, "not an l1 term"),
])
def test_a_graph_run_refuses_what_its_captured_step_cannot_do(fields, says):
    found = one_line_each(execution.problems(TrainConfig(execution="graph", **fields), CUDA))
    assert len(found) == 1, found
    assert says in found[0], found
    assert execution.problems(TrainConfig(execution="fast", **fields), CUDA) == []


def test_every_problem_is_said_not_only_the_first():
    found = execution.problems(TrainConfig(execution="graph", l1=1e-4), CPU)
    assert len(found) == 2
    assert "needs a CUDA device" in found[0]
    assert "l1" in found[1]


def test_bf16_on_a_cpu_without_bf16_says_what_torch_reports(monkeypatch):
    monkeypatch.setattr(precision, "cpu_bf16_reports", lambda: NO_BF16)
    found = one_line_each(execution.problems(TrainConfig(precision="bf16"), CPU))
    assert len(found) == 1
    assert "--precision bf16 needs a CPU with bf16 support" in found[0]
    assert "_is_mkldnn_bf16_supported() is False" in found[0]


def test_bf16_with_the_plain_loop_or_under_graph_capture_is_refused_on_any_device():
    assert "--execution plain" in execution.problems(TrainConfig(precision="bf16", execution="plain"), CPU)[0]
    assert "graph capture" in execution.problems(TrainConfig(precision="bf16", execution="graph"), CUDA)[0]


def test_a_device_kind_is_usable_here_or_said_why_not(monkeypatch):
    assert execution.device_problem("cpu") is None
    assert execution.device_problem("tpu") == "'tpu' is not a device the suite trains on (cpu or cuda)"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert execution.device_problem("cuda") == "no CUDA device is available here"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert execution.device_problem("cuda") is None
