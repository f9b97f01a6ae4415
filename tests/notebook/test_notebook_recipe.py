"""`recipe NB.ipynb`: the recipe drafted from a notebook's code, each value with the cell and line it came from."""
import tomllib

import pytest
from nbfactory import IMPORTS, LOADERS, NET, TRAIN, notebook, write

from reproduce.cli import main
from reproduce.notebook.draft import DEFAULT, draft, load

PARAMS_DICT = """params_optimizer = {'lr': 0.02, 'weight_decay': 1e-4}
params_scheduler = {'max_lr': params_optimizer['lr'], 'pct_start': 0.2, 'div_factor': 10}
model = Net().to(device)
optimizer = optim.Adam(model.parameters(), **params_optimizer)
scheduler = optim.lr_scheduler.OneCycleLR(optimizer, epochs=12, steps_per_epoch=len(train_loader), **params_scheduler)"""


def drafted(tmp_path, *cells, approximate=False):
    """(the TOML as data, {key line's key: its comment}) of the notebook's draft."""
    _, d = draft(write(tmp_path / "nb.ipynb", notebook(*cells)), approximate, static=True)
    comments = {}
    section = ""
    for line in d.text.splitlines():
        if line.startswith("["):
            section = line.strip("[]") + "."
        elif " = " in line and not line.startswith("#"):
            comments[section + line.split(" = ")[0]] = line.split("  # ", 1)[1]
    return tomllib.loads(d.text), comments, d


def test_a_params_dict_naming_its_own_entry_gives_adam_and_onecycle(tmp_path):
    data, why, _ = drafted(tmp_path, IMPORTS, NET, LOADERS, PARAMS_DICT)
    assert data["optimizer"] == {"name": "adam", "lr": 0.02, "weight_decay": 1e-4}   # no momentum for adam
    assert data["schedule"] == {"name": "onecycle", "max_lr": 0.02, "pct_start": 0.2, "div_factor": 10}
    assert data["epochs"] == 12
    assert why["epochs"].startswith("cell 5, line 5: scheduler = optim.lr_scheduler.OneCycleLR")
    assert why["optimizer.lr"] == "cell 5, line 4: optimizer = optim.Adam(model.parameters(), **params_optimizer)"
    assert data["batch_size"] == 128
    assert why["batch_size"].startswith("cell 4, line 7: dataloader_args = dict(")
    assert why["batch_size"].endswith("(the cuda branch; the cpu branch has 64)")
    assert data["augment"]["rotate"] == 7.0
    assert why["augment.rotate"].startswith("cell 4, line 3: transforms.Random")
    assert why["label_smoothing"] == DEFAULT
    assert why["augment.scale"] == DEFAULT


def test_sgd_written_directly_and_the_epoch_loop(tmp_path):
    data, why, d = drafted(tmp_path, IMPORTS, NET, TRAIN)
    assert data["optimizer"] == {"name": "sgd", "lr": 0.01, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0}
    assert why["optimizer.lr"] == "cell 4, line 2: optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)"
    assert why["optimizer.nesterov"] == DEFAULT
    assert data["schedule"] == {"name": "none"}
    assert data["epochs"] == 15
    assert why["epochs"] == "cell 4, line 4: for epoch in range(EPOCHS):"
    assert "# normalize" not in d.text   # no Normalize in this notebook


@pytest.mark.parametrize(("loop", "epochs"), [("for epoch in range(1, 16):\n    pass", 15),
                                          ("EPOCHS = 9", 9), ("cfg = {'epochs': 11, 'lr': 0.1}", 11),
                                          ("N = 7\nfor epoch in range(1, N + 1):\n    pass", 7)])
def test_the_epoch_count_in_each_shape(tmp_path, loop, epochs):
    assert drafted(tmp_path, IMPORTS, NET, loop)[0]["epochs"] == epochs


@pytest.mark.parametrize(("line", "schedule"), [
    ("s = optim.lr_scheduler.StepLR(optimizer, step_size=6, gamma=0.1)", {"name": "step", "step_size": 6, "gamma": 0.1}),
    ("s = StepLR(optimizer, 5)", {"name": "step", "step_size": 5}),
    ("s = lr_scheduler.MultiStepLR(optimizer, milestones=[5, 10], gamma=0.5)",
     {"name": "multistep", "milestones": [5, 10], "gamma": 0.5}),
    ("s = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)", {"name": "exponential", "gamma": 0.9}),
    ("s = lr_scheduler.CosineAnnealingLR(optimizer, T_max=15)", {"name": "cosine", "T_max": 15}),
    ("s = lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.2, patience=2, min_lr=1e-5)",
     {"name": "plateau", "mode": "min", "factor": 0.2, "patience": 2, "min_lr": 1e-5}),
])
def test_each_scheduler(tmp_path, line, schedule):
    data, why, _ = drafted(tmp_path, IMPORTS, NET, TRAIN, line)
    assert data["schedule"] == schedule
    assert why["schedule.name"] == f"cell 5, line 1: {line}"


def test_loss_smoothing_l1_and_normalize(tmp_path):
    train = """def train(model):
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    loss = criterion(out, y)
    l1 = sum(p.abs().sum() for p in model.parameters())
    loss = loss + 1e-5 * l1"""
    norm = "t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.25,))])"
    data, why, _ = drafted(tmp_path, IMPORTS, NET, train, norm)
    assert data["loss"] == "cross_entropy"
    assert data["label_smoothing"] == 0.1
    assert data["l1"] == 1e-5
    assert why["l1"] == "cell 4, line 5: loss = loss + 1e-05 * l1".replace("1e-05", "1e-5")
    assert data["normalize"] == [0.5, 0.25]
    data, _, d = drafted(tmp_path, IMPORTS, NET, LOADERS, "loss = F.nll_loss(output, target)")
    # the suite's own normalisation: said, not set
    assert data["loss"] == "nll"
    assert "normalize" not in data
    assert "# normalize = [0.1307, 0.3081]: the suite's own" in d.text


def test_each_transform(tmp_path):
    compose = """train_transforms = transforms.Compose([
    transforms.RandomApply([transforms.CenterCrop(22)], p=0.1),
    transforms.Resize((28, 28)),
    transforms.RandomAffine(degrees=10, translate=(0.1, 0.05), scale=(0.9, 1.1), shear=5),
    transforms.RandomResizedCrop(28, scale=(0.8, 1.0)),
    transforms.ColorJitter(brightness=0.2, contrast=0.3),
    transforms.RandomPerspective(distortion_scale=0.4, p=0.3),
    transforms.ToTensor(),
    transforms.RandomErasing(p=0.25, value=0),
])"""
    data, why, _ = drafted(tmp_path, IMPORTS, NET, compose)
    a = data["augment"]
    assert a["center_crop"] == {"size": 22, "p": 0.1}
    assert a["rotate"] == 10.0
    assert a["translate"] == [0.1, 0.05]
    assert a["scale"] == [0.9, 1.1]
    assert a["shear"] == 5.0
    assert a["resized_crop"] == {"scale": [0.8, 1.0], "ratio": [0.75, 4 / 3]}
    assert a["color_jitter"] == {"brightness": 0.2, "contrast": 0.3}
    assert a["perspective"] == {"distortion": 0.4, "p": 0.3}
    assert a["erasing"] == {"p": 0.25, "scale": [0.02, 0.33], "ratio": [0.3, 3.3], "value": 0.0}
    assert why["augment.shear"] == "cell 4, line 4: transforms.RandomAffine(degrees=10, translate=(0.1, 0.05), " \
                                   "scale=(0.9, 1.1), shear=5),"
    assert why["augment.erasing"].startswith("cell 4, line 9:")


@pytest.mark.parametrize(("call", "rotate"), [("transforms.RandomRotation((-6, 12))", [-6.0, 12.0]),
                                             ("transforms.RandomAffine(degrees=(-6, 12))", [-6.0, 12.0]),
                                             ("transforms.RandomRotation([-8, 8])", 8.0),
                                             ("transforms.RandomRotation(degrees=8)", 8.0)])
def test_a_rotation_not_centred_on_0_is_a_range(tmp_path, call, rotate):
    data, why, _ = drafted(tmp_path, IMPORTS, NET, f"train_t = transforms.Compose([\n    {call},\n])")
    assert data["augment"]["rotate"] == rotate
    assert why["augment.rotate"] == f"cell 4, line 2: {call},"
    fields, _, _ = load(tmp_path / "nb.ipynb", static=True)            # a recipe as any other: it loads
    assert fields["augment"]["rotate"] == rotate


def test_a_reversed_rotation_range_is_one_line_naming_the_drafted_key(tmp_path, capsys):
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, NET, "train_t = transforms.Compose([transforms.RandomRotation((12, -6))])"))
    assert main(["run", "--recipe", str(nb), "--static", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: nb.ipynb (its drafted recipe): [augment] rotate should be degrees d in [0, 180], ")
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("cell", "names"), [
    ("t = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor()])",
     "the transform RandomHorizontalFlip, which the suite cannot reproduce (cell 4, line 1:"),
    ("opt = optim.RMSprop(model.parameters(), lr=0.01)", "the optimizer optim.RMSprop"),
    ("s = optim.lr_scheduler.CyclicLR(opt, 0.001, 0.1)", "the scheduler optim.lr_scheduler.CyclicLR"),
    ("opt = optim.SGD(model.parameters(), lr=compute_lr())", "optim.SGD with lr not written as a literal"),
])
def test_what_the_suite_cannot_reproduce_is_one_line_exit_2_unless_approximate(tmp_path, capsys, cell, names):
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, NET, cell))
    assert main(["recipe", "--static", str(nb)]) == 2
    captured = capsys.readouterr()
    assert names in captured.err
    assert captured.err.count("\n") == 1
    assert captured.out == ""
    assert "--approximate leaves it out" in captured.err
    assert main(["recipe", "--static", str(nb), "--approximate"]) == 0
    text = capsys.readouterr().out
    assert "# Left out (--approximate)" in text
    assert names in text
    tomllib.loads(text)


def test_the_recipe_command_prints_the_draft(tmp_path, capsys):
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, NET, LOADERS, "def broken(:\n  pass", TRAIN))
    assert main(["recipe", "--static", str(nb)]) == 0
    out = capsys.readouterr().out
    assert "# Cells that do not parse, skipped: 5" in out
    assert "lr = 0.01  # cell 6, line 2: optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)" in out


def test_a_transform_with_arguments_in_no_form_torchvision_takes_is_named(tmp_path, capsys):
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, NET, "train_t = transforms.Compose([transforms.RandomRotation('x')])"))
    assert main(["recipe", "--static", str(nb)]) == 2
    err = capsys.readouterr().err
    assert "RandomRotation with arguments the suite cannot read (cell 4, line 1:" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(("loader", "note"), [
    ("loader = DataLoader(ds, batch_size=256 if use_cuda else 32)", " (the cuda branch; the cpu branch has 32)"),
    ("args = dict(batch_size=128, pin_memory=True) if cuda else dict(batch_size=128)\n"
     "train_loader = DataLoader(ds, **args)", ""),
])
def test_the_cpu_branch_is_named_only_where_it_differs(tmp_path, loader, note):
    data, why, _ = drafted(tmp_path, IMPORTS, NET, loader)
    assert why["batch_size"] == "cell 4, line 1: " + loader.splitlines()[0] + note
