"""verify asks the execution, precision and device rules (reproduce/training/execution.py) of a report before it
re-runs it, and says the first problem naming the report: one line, exit 2, nothing trained. Reports are made up
(sealed as the suite seals them); a problem is found before any data is read."""
import pytest
import torch

from conftest import record, write_report
from reproduce.cli import main
from reproduce.training import precision

NO_BF16 = {"torch.backends.mkldnn.is_available()": True, "torch.ops.mkldnn._is_mkldnn_bf16_supported()": False}


def report_of(tmp_path, device="cpu", **config):
    rec = record(0, [98.0])
    rec["config"].update(config)
    rec["device"] = device
    return write_report(tmp_path / "sweep", rec)


def refused(path, capsys, says):
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"error: {path}" in err, err
    assert says in err, err
    assert err.count("\n") == 1, err


def test_a_graph_report_on_the_cpu_is_refused_naming_the_report(tmp_path, capsys):
    refused(report_of(tmp_path, execution="graph"), capsys, "--execution graph replays CUDA graphs: it needs a CUDA "
                                                            "device (this run is on cpu")


def test_a_bf16_report_on_a_cpu_without_bf16_is_refused_naming_the_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(precision, "cpu_bf16_reports", lambda: NO_BF16)
    refused(report_of(tmp_path, execution="fast", precision="bf16"), capsys, "_is_mkldnn_bf16_supported() is False")


@pytest.mark.parametrize(("config", "says"), [
    ({"optimizer": "adam", "momentum": None, "nesterov": None}, "captures SGD's update only; this recipe uses adam"),
    ({"l1": 1e-4}, "captures the data loss only, not an l1 term"),
])
def test_a_graph_report_its_captured_step_cannot_follow_is_refused(tmp_path, capsys, monkeypatch, config, says):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)   # the recipe's rule, whatever this machine has
    refused(report_of(tmp_path, device="cuda", execution="graph", **config), capsys, says)


def test_a_cuda_report_without_cuda_is_refused_naming_the_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    refused(report_of(tmp_path, device="cuda"), capsys, "was made on cuda: no CUDA device is available here")


def test_a_report_of_a_device_the_suite_never_trains_on_is_refused_not_a_traceback(tmp_path, capsys):
    refused(report_of(tmp_path, device="tpu"), capsys, "was made on tpu: 'tpu' is not a device the suite trains on")
