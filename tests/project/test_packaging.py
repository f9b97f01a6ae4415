"""One installed package: `reproduce` (with the suite's networks inside it as reproduce/networks), a console command
named after the distribution, and a command line that works from inside someone else's folder, whose model.py,
utils.py, ... must never be imported in place of the suite's own modules."""
import os
import subprocess
import sys
import tomllib

import pytest

from conftest import REPO
from reproduce.cli import main, resume_command

# Files a student's repository holds beside its notebook. Each fails loudly if anything imports it.
THEIRS = ("model", "models", "utils", "data", "train", "reproduce_helpers")


def their_folder(tmp_path):
    folder = tmp_path / "their repo"
    folder.mkdir()
    for name in THEIRS:
        (folder / f"{name}.py").write_text(f"raise SystemExit('the suite imported their {name}.py')\n")
    return folder


def test_the_installed_packages_are_the_folders_of_reproduce():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "reproduce").rglob("__init__.py")}
    assert set(config["packages"]) == folders | {"reproduce.networks"}
    assert config["package-dir"] == {"reproduce.networks": "model"}
    assert not (REPO / "model" / "__init__.py").exists(), "model/ holds network files, not a package"


def test_the_suites_networks_import_nothing_of_the_suite():
    """They are loaded exactly as a user's network file is, so they may use torch only."""
    for path in (REPO / "model").rglob("*.py"):   # the unshipped candidates in model/candidates/ too
        text = path.read_text()
        assert "reproduce" not in text, path
        assert "from model" not in text, path


@pytest.mark.slow
def test_pip_install_target_holds_one_package_and_the_command_answers_without_torch(tmp_path):
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "-q", "--target", str(target), str(REPO)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    top = sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info"))
    assert top == ["bin", "reproduce"]
    assert sorted(p.name for p in (target / "reproduce" / "networks").glob("*.py")) == \
        sorted(p.name for p in (REPO / "model").glob("*.py"))
    # A `torch` that cannot be imported proves that --help never imports it.
    blocker = tmp_path / "blocker"
    (blocker / "torch").mkdir(parents=True)
    (blocker / "torch" / "__init__.py").write_text("raise ImportError('--help imported torch')\n")
    env = dict(os.environ, PYTHONPATH=f"{blocker}{os.pathsep}{target}")
    folder = their_folder(tmp_path)
    command = target / "bin" / "mnist-20k-suite"
    for args in (["--help"], ["run", "--help"], ["check", "--help"]):
        done = subprocess.run([sys.executable, str(command), *args], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "usage: mnist-20k-suite" in done.stdout
    # ... and the installed package finds its own networks and recipes (torch allowed again).
    env = dict(os.environ, PYTHONPATH=str(target))
    done = subprocess.run([sys.executable, "-c", "import reproduce.model as m; print(m.resolve('frontier').recipe)"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target / "reproduce" / "networks" / "frontier.toml")


@pytest.mark.parametrize(("argv0", "prog"), [("/x/site/reproduce/__main__.py", "python -m reproduce"),
                                         ("/x/.venv/bin/mnist-20k-suite", "mnist-20k-suite")])
def test_usage_and_resume_lines_name_the_command_as_called(monkeypatch, capsys, argv0, prog):
    monkeypatch.setattr(sys, "argv", [argv0])
    with pytest.raises(SystemExit):
        main(["--help"])
    assert f"usage: {prog} " in capsys.readouterr().out
    assert resume_command(["run", "--seeds", "0-4"]).endswith(f"{prog} run --seeds 0-4")


@pytest.mark.slow
def test_every_subcommand_works_from_a_folder_holding_their_model_py(tmp_path, mnist_root, cli):
    folder = their_folder(tmp_path)
    env = {"MNIST_DATA_DIR": str(mnist_root)}
    go = lambda *args: cli(*args, cwd=folder, env_extra=env)   # noqa: E731
    for sub in ("data", "run", "report", "import-log", "recipe", "check", "compare", "verify", "publish"):
        done = go(sub, "--help")
        assert done.returncode == 0, (sub, done.stderr)
    assert go("data").returncode == 0
    tiny = ["--seeds", "0", "--epochs", "1", "--train-limit", "256", "--threads", "1", "--device", "cpu", "--quiet"]
    done = go("run", "--model", "seed", *tiny, "--out", "runs")
    assert done.returncode == 0, done.stderr
    report = folder / "runs" / "seed-seed0.json"
    assert report.exists()
    assert go("report", "runs").returncode in (0, 1)
    assert go("compare", "runs", "runs").returncode in (0, 1)
    assert go("publish", "runs", "kept").returncode == 0
    assert (folder / "kept" / "seed-seed0.json").read_bytes() == report.read_bytes()
    done = go("verify", report)
    assert done.returncode == 0, done.stderr
    (folder / "log.txt").write_text("Test set: Average loss: 0.0400, Accuracy: 9877/10000 (98.77%)\n")
    done = go("import-log", "log.txt", "--model", "theirs", "--params", "15000", "--out", "imported")
    assert done.returncode == 0, done.stderr
    notebook = REPO / "examples" / "answer.ipynb"
    done = go("recipe", notebook)
    assert done.returncode == 0, done.stderr
    done = go("check", notebook, *tiny, "--out", "checked")
    assert done.returncode in (0, 1), done.stderr
    assert "answer.ipynb" in done.stdout
    assert not (folder / "data").exists(), "MNIST was written into their folder"
