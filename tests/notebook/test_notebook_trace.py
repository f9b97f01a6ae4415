"""The recipe read from a dry run of a notebook's own code (reproduce/notebook/trace/). The fast tests give the
record's readers hand-made records and the graph reader real autograd graphs; the slow ones run made-up
notebooks (tests/nbfactory.py) in a Jupyter kernel, each a few seconds of tiny networks on two batches a pass."""
import json
import time

import pytest

from conftest import run_cli
from reproduce.notebook.trace import graph, runner, runs, to_recipe, transforms
from reproduce.notebook.trace.loaders import CutIterator
from reproduce.notebook.trace.record import Record
from tests import nbfactory as f

# --- fast: no kernel ------------------------------------------------------------------------------------------


def test_magics_become_no_ops_at_their_indentation():
    src = "!pip install torchsummary\n%matplotlib inline\nif True:\n    !nvidia-smi\n%time x = 1\n%cd /content/drive"
    assert runner.as_python(src) == "pass\npass\nif True:\n    pass\nx = 1\npass"


def test_a_cut_iterator_ends_after_its_batches_and_keeps_old_idioms():
    inner = iter(range(10))
    it = CutIterator(inner, 2)
    assert it.next() == 0
    assert next(it) == 1
    with pytest.raises(StopIteration):
        next(it)
    assert it.__length_hint__() == inner.__length_hint__()   # any other attribute: the real iterator's


def record(events, optimizers=1, schedulers=(), loaders=None, penalties=()):
    """A dry run's record by hand: events as (kind, *fields, cell)."""
    opt = {"cls": "SGD", "module": "torch.optim.sgd", "model": 0, "cell": 3,
           "groups": [{"lr": 0.1, "momentum": 0.9, "nesterov": False, "weight_decay": 0, "dampening": 0,
                       "tensors": 4}]}
    loader = {"batch_size": 64, "shuffle": True, "drop_last": False, "dataset": "MNIST", "train": True,
              "size": 60000, "transform": None, "cell": 2}
    test_loader = dict(loader, batch_size=1000, shuffle=False, train=False, size=10000)
    return Record.from_dict({
        "version": 1, "cuda_asked": [], "adapted": [], "penalties": list(penalties),
        "models": [{"cls": "Net", "qualname": "Net", "module": "__main__", "file": None, "args": [], "kwargs": {},
                    "built_in_cell": 3, "params": 100, "cell": 3}],
        "optimizers": [dict(opt, cell=3 + i) for i in range(optimizers)],
        "schedulers": [{"cls": cls, "module": "torch.optim.lr_scheduler", "optimizer": 0, "args": args, "cell": 3}
                       for cls, args in schedulers],
        "loaders": loaders or [loader, test_loader], "events": [list(e) for e in events]})


def epoch(optimizer=0, sched_per_batch=(), sched_after=(), test_losses=(2.0, 3.0), value=None, penalty=None):
    """One epoch's events: a training pass of two steps, a test pass, then the end-of-epoch scheduler steps."""
    out = [("pass", 0, 4)]
    for _ in range(2):
        out += [("loss", "nll_loss", {}, 1.0, True, 4), ("step", optimizer, penalty, 4)]
        out += [("sched", s, None, 4) for s in sched_per_batch]
    out += [("pass", 1, 4)] + [("loss", "nll_loss", {"reduction": "sum"}, v, False, 4) for v in test_losses]
    out += [("sched", s, value, 4) for s in sched_after]
    return out


def traced(rec, printed=None):
    run, _ = runs.claimed(runs.runs(rec), printed)
    return to_recipe.read(rec, run)


def values(t):
    return {(e.section, e.key): e.value for e in t.found.entries}


def test_epochs_are_the_training_passes_and_test_passes_do_not_count():
    t = traced(record([("pass", 0, 2)] + epoch() * 5))   # a first pass without steps: showing a batch
    assert values(t)[("", "epochs")] == 5
    assert values(t)[("optimizer", "momentum")] == 0.9
    assert values(t)[("", "batch_size")] == 64


def test_a_scheduler_stepped_per_epoch_is_read_and_one_stepped_per_batch_is_refused():
    per_epoch = traced(record(epoch(sched_after=[0]) * 3, schedulers=[("StepLR", {"step_size": 2})]))
    assert values(per_epoch)[("schedule", "name")] == "step"
    assert not per_epoch.found.unknown
    per_batch = traced(record(epoch(sched_per_batch=[0]) * 3, schedulers=[("StepLR", {"step_size": 2})]))
    assert ("schedule", "name") not in values(per_batch)
    assert "StepLR stepped 2 times per epoch (cell 3); the suite steps it once per epoch" in per_batch.found.unknown
    onecycle = traced(record(epoch(sched_per_batch=[0]) * 3, schedulers=[("OneCycleLR", {"max_lr": 0.2})]))
    assert values(onecycle)[("schedule", "max_lr")] == 0.2
    assert not onecycle.found.unknown


def test_a_scheduler_never_stepped_leaves_a_constant_rate_and_is_said():
    t = traced(record(epoch() * 2, schedulers=[("StepLR", {"step_size": 2})]))
    assert values(t)[("schedule", "name")] == "none"
    assert "StepLR built in cell 3, never stepped: the notebook trained at a constant learning rate" in t.notes


@pytest.mark.parametrize(("value", "said"), [(5.0 / 10000, "on the test loss"), (1.0, "on the training loss")])
def test_a_plateau_step_is_matched_to_the_loss_it_was_given(value, said):
    t = traced(record(epoch(sched_after=[0], value=value) * 2, schedulers=[("ReduceLROnPlateau", {"factor": 0.5})]))
    assert any(said in n for n in t.notes), t.notes


def test_the_claimed_run_is_the_one_with_the_printed_epochs():
    # an LR range test (one pass, its own optimizer), then the real run of 3 epochs, then a 1-epoch afterthought
    rec = record(epoch(0) + epoch(1) * 3 + epoch(2), optimizers=3)
    run, why = runs.claimed(runs.runs(rec), printed_epochs=3)
    assert (run.optimizer, run.epochs) == (1, 3)
    assert "with 3 epochs" in why
    run, why = runs.claimed(runs.runs(rec), printed_epochs=None)
    assert (run.optimizer, run.epochs) == (2, 1)
    assert why == "the last of 3 training runs"


def test_penalties_l1_over_the_whole_model_is_l1_anything_else_is_named():
    l1 = [{"kind": "l1", "coefficient": 1e-4, "params": 4, "whole_optimizer": [0]}]
    assert values(traced(record(epoch(penalty=0), penalties=[l1])))[("", "l1")] == 1e-4
    l2 = [{"kind": "l2", "coefficient": 1e-3, "params": 4, "whole_optimizer": [0]}]
    t = traced(record(epoch(penalty=0), penalties=[l2]))
    assert t.found.unknown == ["a l2 penalty (0.001, over 4 parameter tensors) added to the loss, which the recipe "
                               "cannot hold (cell 4)"]
    part = [{"kind": "l1", "coefficient": 1e-4, "params": 2, "whole_optimizer": []}]
    assert "not all of the model" in traced(record(epoch(penalty=0), penalties=[part])).found.unknown[0]


def transform(*items):
    return {"type": "Compose", "module": "torchvision.transforms.v2._container", "args": {}, "transforms": list(items)}


def t(name, **args):
    return {"type": name, "module": "torchvision.transforms.v2", "args": args}


def mapped(tr):
    return transforms.read(tr, to_recipe.Observed("the training transform", 2))


def test_transforms_v2_and_v1_objects_map_onto_recipe_keys():
    seen = mapped(transform(t("ToImage"), t("RandomRotation", degrees=[-7.0, 7.0]),
                            t("ColorJitter", brightness=[0.8, 1.2], contrast=[0.7, 1.3], saturation=None, hue=None),
                            t("ToDtype", dtype={"repr": "torch.float32"}, scale=True),
                            t("Normalize", mean=[0.5], std=[0.25])))
    got = {(e.section, e.key): e.value for e in seen.entries}
    assert not seen.unknown
    assert got[("augment", "rotate")] == 7.0
    assert got[("", "normalize")] == [0.5, 0.25]
    assert got[("augment", "color_jitter")] == pytest.approx({"brightness": 0.2, "contrast": 0.3})


@pytest.mark.parametrize("item", [t("RandomRotation", degrees=[-6.0, 12.0]),
                                  t("RandomAffine", degrees=[-6.0, 12.0], translate=None, scale=None, shear=None)])
def test_a_rotation_not_centred_on_0_is_the_recipes_range(item):
    seen = mapped(transform(item))
    assert not seen.unknown
    assert [(e.key, e.value) for e in seen.entries] == [("rotate", [-6.0, 12.0])]
    assert str(seen.entries[0].site) == "observed: the training transform, cell 2"


@pytest.mark.parametrize(("item", "said"), [
    (dict(t("RandomChoice", p=None), transforms=[t("RandomRotation", degrees=[-5.0, 5.0])]), "the transform RandomChoice"),
    (dict(t("RandomApply", p=0.5), transforms=[t("RandomRotation", degrees=[-5.0, 5.0])]), "RandomApply of RandomRotation"),
    (t("ToDtype", dtype={"repr": "torch.float32"}, scale=False), "ToDtype without scale=True"),
])
def test_transforms_the_suite_cannot_reproduce_are_named(item, said):
    seen = mapped(transform(item))
    assert len(seen.unknown) == 1
    assert seen.unknown[0].startswith(said)
    assert seen.unknown[0].endswith("(cell 2)")


def test_a_training_transform_without_normalize_trains_without_it():
    t_ = record(epoch(), loaders=[{"batch_size": 8, "shuffle": True, "drop_last": False, "dataset": "MNIST",
                                   "train": True, "size": 60000, "cell": 2,
                                   "transform": transform(t("ToTensor"))}] * 2)
    assert values(traced(t_))[("", "normalize")] == [0.0, 1.0]


def test_the_autograd_graph_shows_each_penalty_with_its_own_coefficient():
    import torch
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    data = torch.nn.functional.cross_entropy(net(torch.randn(5, 3)), torch.tensor([0, 1, 0, 1, 1]))
    params = list(net.parameters())
    loss = (data + 1e-3 * sum(p.abs().sum() for p in params) + 2e-4 * sum(torch.norm(p, 2) for p in params)
            + sum((p ** 2).sum() for p in params) / 200)
    found = graph.penalties(loss)
    kinds = {p["kind"]: p["coefficient"] for p in found}
    assert kinds == pytest.approx({"l1": 1e-3, "l2_norm": 2e-4, "l2": 5e-3})
    assert all(len(p["params"]) == 4 for p in found)
    assert graph.penalties(data) == []   # the data term reaches the parameters through the network: not one


# --- slow: made-up notebooks in a kernel ---------------------------------------------------------------------


def recipe_of(folder, name, *flags):
    done = run_cli("recipe", name, *flags, cwd=folder)
    return done


@pytest.mark.slow
def test_values_through_helpers_dicts_and_arguments_cuda_only_code_l1_and_an_early_stop(tmp_path, mnist_root):
    f.write(tmp_path / "helpers.ipynb", f.notebook(*f.HELPERS))
    before = sorted(p.name for p in tmp_path.iterdir())
    done = run_cli("recipe", "helpers.ipynb", cwd=tmp_path, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for line in ("epochs = 3  # observed: 3 passes over the training DataLoader with SGD stepping, cell 7",
                 "batch_size = 64  # observed: DataLoader(batch_size=64, shuffle=True) over MNIST, cell 5",
                 "normalize = [0.0, 1.0]  # observed: no Normalize in the training transform",
                 "l1 = 0.0005  # observed: 0.0005 * sum of |p| over the model's 6 parameter tensors, cell 7",
                 "lr = 0.03  # observed: SGD(lr=0.03, momentum=0.8", "momentum = 0.8", "rotate = 9.0",
                 "# - epochs: the run used 3; the code's text reads 20 (cell 4, line 1: EPOCHS = 20"):
        assert line in text, line
    assert "torch.cuda.is_available() was asked (cell 5) and answered True" in text
    assert "the loop stops early on accuracy (cell 6" in text
    assert "the network Net(), defined in the notebook's cells" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == before   # nothing written in the author's folder


@pytest.mark.slow
def test_model_py_and_utils_py_beside_a_trainer_class_and_a_plateau_on_the_test_loss(tmp_path, mnist_root):
    f.beside(tmp_path)
    done = run_cli("recipe", "answer.ipynb", cwd=tmp_path, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    for line in ("epochs = 4  # observed: 4 passes over the training DataLoader with Adam stepping, cell 4",
                 "batch_size = 32", 'name = "adam"', "lr = 0.002", 'name = "plateau"', "factor = 0.5",
                 "center_crop = { size = 22, p = 0.1 }", "normalize = [0.1307, 0.3081]",
                 "ReduceLROnPlateau was stepped on the test loss (cell 4)",
                 "adapted: ReduceLROnPlateau(verbose=True) in cell 4: an argument this torch no longer takes, dropped",
                 "the network Net(batch_normalization_type='GBN'), from model.py beside the notebook"):
        assert line in done.stdout, line
    static = run_cli("recipe", "answer.ipynb", "--static", cwd=tmp_path)
    assert static.returncode == 0
    assert "epochs = 19  # not in the notebook: the seed recipe's default" in static.stdout


@pytest.mark.slow
def test_check_from_the_notebooks_folder_finds_the_network_beside_it(tmp_path, mnist_root):
    f.beside(tmp_path)
    out = tmp_path / "reports"
    done = run_cli("check", "answer.ipynb", "--seeds", "0", "--epochs", "1", "--train-limit", "256", "--threads",
                   "1", "--device", "cpu", "--out", "reports", "--format", "json", cwd=tmp_path,
                   env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode in (0, 1), done.stderr
    kept = sorted(p.name for p in (out / "answer").iterdir())
    assert "answer.dry-run.ipynb" in kept
    assert "answer.recipe.toml" in kept
    assert "answer.network.py" in kept
    report = json.loads(next((out / "answer").glob("answer.network*seed0.json")).read_text())
    assert report["config"]["model"].endswith("answer.network.py:build_network")
    assert report["config"]["optimizer"] == "adam"
    assert report["config"]["schedule"]["name"] == "plateau"
    assert report["notebook"]["adapted"] == [
        "ReduceLROnPlateau(verbose=True) in cell 4: an argument this torch no longer takes, dropped"]
    assert report["notebook"]["steered"][0].startswith("ReduceLROnPlateau was stepped on the test loss (cell 4)")
    shown = " ".join(run_cli("report", "reports/answer", cwd=tmp_path).stdout.split())   # as read, any width
    assert "answer.ipynb: run as written with one adaptation: ReduceLROnPlateau(verbose=True)" in shown
    assert "GhostBatchNorm" in (out / "answer" / "answer.network.py").read_text() or \
        "batch_normalization_type" in (out / "answer" / "answer.network.py").read_text()


@pytest.mark.slow
def test_an_lr_range_test_before_training_is_not_the_claimed_run(tmp_path, mnist_root):
    f.write(tmp_path / "runs.ipynb", f.notebook(*f.RUNS, outputs=f.RUNS_OUTPUTS))
    done = run_cli("recipe", "runs.ipynb", cwd=tmp_path, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 0, done.stderr
    for line in ("the run read: the last of 2 training runs with 2 epochs, as many as the notebook printed test lines",
                 "epochs = 2", "nesterov = true", 'name = "onecycle"', "max_lr = 0.1", "label_smoothing = 0.1",
                 'loss = "cross_entropy"', "StepLR built in cell 7, never stepped", "translate = 0.1",
                 "normalize = [0.5, 0.5]"):
        assert line in done.stdout, line


@pytest.mark.slow
def test_a_cell_that_fails_before_training_is_one_line_and_nothing_is_written(tmp_path, mnist_root):
    cells = list(f.HELPERS)
    cells.insert(3, "ratio = 1 / 0")
    f.write(tmp_path / "broken.ipynb", f.notebook(*cells))
    done = run_cli("recipe", "broken.ipynb", cwd=tmp_path, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: broken.ipynb: the dry run stopped at cell 5: ZeroDivisionError: division by zero; nothing written"]


@pytest.mark.slow
def test_an_endless_loop_is_ended_by_the_cell_limit(tmp_path, mnist_root):
    f.write(tmp_path / "loop.ipynb", f.notebook("import time\nx = 0", "while True:\n    x += 1", "print('never')"))
    started = time.monotonic()
    dry = runner.run(tmp_path / "loop.ipynb", str(mnist_root), runner.Limits(cell_s=3, total_s=60))
    assert time.monotonic() - started < 45
    assert dry.failure is not None
    assert dry.failure.cell == 3
    assert dry.failure.timed_out
    assert "did not finish within 3 s" in dry.failure.what


# --- the draft from a dry run: refusals and what it says (compose.py, no kernel) ----------------------------

def composed(tmp_path, rec, failure=None, approximate=False):
    from reproduce.model.notebook import read
    from reproduce.notebook.trace import compose
    from reproduce.notebook.transforms import Found
    nb = read(f.write(tmp_path / "nb.ipynb", f.notebook("x = 1", "y = 2", "z = 3", "w = 4")))
    dry = runner.DryRun(rec, "{}", 1.0, failure, str(tmp_path / "scratch"))
    return compose.compose(nb, dry, Found(), approximate, None)


def test_a_cell_failing_after_the_training_is_said_and_one_failing_in_it_refuses(tmp_path):
    from reproduce.notebook.draft import DraftError
    rec = record(epoch() * 2)   # the training ran in cell 4
    later = composed(tmp_path, rec, runner.Failure(5, "FileNotFoundError: /content/best.pt"))
    assert "cell 5 failed after the training was seen (FileNotFoundError: /content/best.pt)" in later.text
    with pytest.raises(DraftError, match=r"^nb.ipynb: the dry run stopped at cell 4: did not finish within 3 s "
                                         r"\(stopped\); nothing written$"):
        composed(tmp_path, rec, runner.Failure(4, "did not finish within 3 s (stopped)", True))
    with pytest.raises(DraftError, match="cell 2: ModuleNotFoundError: No module named 'theirpkg': the notebook's "
                                         "own dependencies must be importable"):
        composed(tmp_path, record([]), runner.Failure(2, "ModuleNotFoundError: No module named 'theirpkg'"))


def test_no_training_seen_or_a_value_not_shown_is_refused_never_defaulted(tmp_path):
    from reproduce.notebook.draft import DraftError
    with pytest.raises(DraftError, match="no optimizer stepped while its cells ran"):
        composed(tmp_path, record([("pass", 0, 2)]))
    with pytest.raises(DraftError, match=r"stepped outside any pass over a DataLoader \(cell 3\)"):
        composed(tmp_path, record([("step", 0, None, 3), ("step", 0, None, 3)]))
    no_loss = [e for e in epoch() if e[0] != "loss"]   # a loss the suite does not know: nothing observed
    with pytest.raises(DraftError, match="the training loss: neither nll_loss nor cross_entropy called"):
        composed(tmp_path, record(no_loss))
    left = composed(tmp_path, record(no_loss), approximate=True)
    assert left.left_out == ["the training loss: neither nll_loss nor cross_entropy called on the model's output "
                             "while it trained (cell 4)"]
    assert "loss =" not in left.text
    assert "# - the training loss: neither" in left.text


def test_the_draft_says_where_the_static_reading_differs(tmp_path):
    from reproduce.notebook.trace import compose
    from reproduce.notebook.transforms import Entry, Found
    static = Found([Entry("", "epochs", 20, "cell 3, line 1: EPOCHS = 20")])
    assert compose.disagreements(traced(record(epoch() * 3)).found, static) == [
        "epochs: the run used 3; the code's text reads 20 (cell 3, line 1: EPOCHS = 20)"]


def test_an_early_stop_on_accuracy_and_one_on_patience_are_said(tmp_path):
    from reproduce.model.notebook import read
    from reproduce.notebook.trace.compose import early_stops
    nb = read(f.write(tmp_path / "nb.ipynb", f.notebook(
        "for epoch in range(20):\n    acc = 1\n    if acc >= 99.4:\n        break",
        "while True:\n    if waited > patience:\n        break", "for x in range(3):\n    pass")))
    said = early_stops(nb)
    assert len(said) == 2
    assert said[0].startswith("the loop stops early on accuracy (cell 2, line 3: if acc >= 99.4:)")
    assert said[1].startswith("a loop can stop early (cell 3, line 2: if waited > patience:)")


def test_the_traced_network_as_a_model_spec(tmp_path, monkeypatch):
    from reproduce.notebook.trace import network
    f.beside(tmp_path)
    nb = tmp_path / "answer.ipynb"
    scratch = tmp_path.parent / "scratch-copy"   # where the dry run ran: the defining file's path there
    model = {"cls": "Net", "qualname": "Net", "module": "model", "file": str(scratch / "model.py"), "args": [],
             "kwargs": {}}
    monkeypatch.chdir(tmp_path)
    assert network.find(nb, {**model, "module": "__main__", "file": None}, str(scratch)).spec == f"{nb}:Net"
    assert network.find(nb, model, str(scratch)).spec == "model.py:Net"
    built = network.find(nb, {**model, "kwargs": {"batch_normalization_type": "GBN"}}, str(scratch))
    assert built.spec == ""
    assert built.builder_name == "answer.network.py"
    assert built.says == "the network Net(batch_normalization_type='GBN'), from model.py beside the notebook"
    namespace = {}
    exec(compile(built.builder, "answer.network.py", "exec"), namespace)
    assert type(namespace["build_network"]().norm).__name__ == "GhostBatchNorm"
    with pytest.raises(network.NetworkError, match="with arguments that are not literals"):
        network.find(nb, {**model, "args": [{"repr": "<object>", "type": "object"}]}, str(scratch))


def test_a_clone_cell_of_the_checkout_the_notebook_sits_in_puts_it_on_the_import_path(tmp_path):
    folder = tmp_path / "theirrepo" / "notebooks"
    cells = ["!git clone https://github.com/someone/theirrepo.git\n%cd theirrepo", "!git clone -q https://x/other"]
    assert runner.clone_roots(cells, folder) == [str(tmp_path / "theirrepo"), str(tmp_path)]
    assert runner.clone_roots(["!pip install theirrepo"], folder) == []


@pytest.mark.parametrize(("cls", "group", "unknown"), [
    ("AdamW", {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-08, "weight_decay": 0.01, "amsgrad": False,
               "decoupled_weight_decay": True}, []),
    ("Adam", {"lr": 1e-3, "betas": [0.9, 0.98], "eps": 1e-08, "weight_decay": 0, "decoupled_weight_decay": False},
     ["Adam with betas=[0.9, 0.98], which the recipe cannot hold (cell 3)"]),
    ("Adam", {"lr": 1e-3, "betas": [0.9, 0.999], "weight_decay": 0.1, "decoupled_weight_decay": True},
     ["Adam with decoupled_weight_decay=True, which the recipe cannot hold (cell 3)"]),
])
def test_optimizer_hyperparameters_the_recipe_cannot_hold_are_named(cls, group, unknown):
    rec = record(epoch())
    rec.optimizers[0].cls, rec.optimizers[0].module, rec.optimizers[0].groups = cls, "torch.optim.adam", [group]
    t = traced(rec)
    assert t.found.unknown == unknown
    assert values(t)[("optimizer", "weight_decay")] == group["weight_decay"]


def test_a_scheduler_stepped_at_the_top_of_the_epoch_loop_counts_every_step():
    events = []
    for _ in range(3):
        events += [("sched", 0, None, 4)] + epoch()   # scheduler.step() first, then train and test
    t = traced(record(events, schedulers=[("StepLR", {"step_size": 2})]))
    assert values(t)[("schedule", "name")] == "step"
    assert not t.found.unknown


def test_an_lr_range_test_that_restores_the_optimizer_is_a_run_of_its_own():
    finder = epoch() * 3 + [("restore", 0, 5)]   # torch-lr-finder's reset(): the same optimizer, put back
    run, why = runs.claimed(runs.runs(record(finder + epoch() * 4)), printed_epochs=None)
    assert run.epochs == 4
    assert why == "the last of 2 training runs"


@pytest.mark.slow
def test_a_refused_notebook_in_a_check_leaves_nothing_written_for_the_ones_before_it(tmp_path, mnist_root):
    f.beside(tmp_path)   # its network needs a builder module (Net(batch_normalization_type="GBN"))
    cells = list(f.HELPERS)
    cells.insert(3, "ratio = 1 / 0")
    f.write(tmp_path / "broken.ipynb", f.notebook(*cells, outputs={5: [f.stream(f.pytorch_lines([99.0]))]}))
    done = run_cli("check", "answer.ipynb", "broken.ipynb", "--seeds", "0", "--out", "reports/check", cwd=tmp_path,
                   env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert done.returncode == 2
    assert "broken.ipynb: the dry run stopped at cell 5" in done.stderr
    assert not (tmp_path / "reports").exists()


@pytest.mark.slow
def test_an_asymmetric_rotation_is_read_into_a_range_by_the_dry_run_and_by_the_text(tmp_path, mnist_root):
    f.write(tmp_path / "tilted.ipynb", f.notebook(*f.ASYMMETRIC_ROTATION))
    env = {"MNIST_DATA_DIR": str(mnist_root)}
    traced_ = run_cli("recipe", "tilted.ipynb", cwd=tmp_path, env_extra=env)
    assert traced_.returncode == 0, traced_.stderr
    assert "rotate = [-6.0, 12.0]  # observed: " in traced_.stdout
    assert "code's text" not in traced_.stdout                 # the static reading agrees
    static = run_cli("recipe", "tilted.ipynb", "--static", cwd=tmp_path, env_extra=env)
    assert static.returncode == 0, static.stderr
    assert "rotate = [-6.0, 12.0]  # cell 4, line 2: transforms.RandomRotation((-6, 12))," in static.stdout
