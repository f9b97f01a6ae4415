"""import-log reads a Jupyter notebook's printed outputs, never its source (which holds the same format string
as a template), and takes the audit and parameter count from a model spec."""
import json

from reproduce.cli import main
from reproduce.record.schema import load

TEMPLATE = 'print("\\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.2f}%)\\n".format(loss, c, n, 100. * c / n))'
LINES = ["Test set: Average loss: 0.0600, Accuracy: 9811/10000 (98.11%)",
         "Test set: Average loss: 0.0400, Accuracy: 9902/10000 (99.02%)",
         "Test set: Average loss: 0.0210, Accuracy: 9944/10000 (99.44%)"]


def notebook(path, outputs=True):
    train_cell = {"cell_type": "code", "execution_count": 3, "metadata": {},
                  "source": ["def test(model):\n", "    " + TEMPLATE + "\n"],
                  "outputs": []}
    loop = {"cell_type": "code", "execution_count": 4, "metadata": {},
            "source": ["for epoch in range(1, 4):\n", "    train(model)\n", "    test(model)\n"],
            "outputs": [{"output_type": "stream", "name": "stdout",
                         "text": [f"epoch={k} loss=0.1 batch_id=468: 100%|██| 469/469\n", "\n", line + "\n"]}
                        for k, line in enumerate(LINES, 1)] if outputs else []}
    summary = {"cell_type": "code", "execution_count": 5, "metadata": {}, "source": ["best"],
               "outputs": [{"output_type": "execute_result", "execution_count": 5, "metadata": {},
                            "data": {"text/plain": ["'done'"]}}]}
    md = {"cell_type": "markdown", "metadata": {}, "source": ["Test set: Average loss: {:.4f}, Accuracy: {}/{}"]}
    path.write_text(json.dumps({"cells": [md, train_cell, loop, summary], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


def test_a_notebook_imports_its_printed_epochs_not_its_source(tmp_path, capsys):
    nb = notebook(tmp_path / "answer.ipynb")
    out = tmp_path / "imported"
    assert main(["import-log", str(nb), "--model", "someones-net", "--params", "9000", "--out", str(out)]) == 0
    r = load(out / "someones-net-seed0.json")
    assert [e.test_acc for e in r.epochs] == [98.11, 99.02, 99.44]
    assert r.origin == "imported"


def test_with_a_model_spec_the_audit_and_params_come_from_the_model(tmp_path):
    nb = notebook(tmp_path / "answer.ipynb")
    out = tmp_path / "imported"
    assert main(["import-log", str(nb), "--model", "examples/my_net.py:Net", "--out", str(out)]) == 0
    r = load(out / "my_net.Net-seed0.json")
    assert r.params == 7578
    assert r.audit["fully_connected"]
    assert r.config["model"] == "examples/my_net.py:Net"


def test_refusals_are_one_line(tmp_path, capsys):
    nb = notebook(tmp_path / "answer.ipynb")
    cases = [
        (["--model", "examples/my_net.py:Net", "--params", "19000"], "has 7578 parameters"),
        (["--model", "someones-net"], "--params is needed"),
    ]
    for extra, said in cases:
        assert main(["import-log", str(nb), *extra, "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert said in err
        assert err.count("\n") == 1
    empty = notebook(tmp_path / "unrun.ipynb", outputs=False)   # the format string only in the source
    assert main(["import-log", str(empty), "--model", "x", "--params", "10", "--out", str(tmp_path / "o")]) == 2
    assert "no epoch lines" in capsys.readouterr().err
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main(["import-log", str(broken), "--model", "x", "--params", "10", "--out", str(tmp_path / "o")]) == 2
    assert "not a Jupyter notebook" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
