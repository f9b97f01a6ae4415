"""Recipes as TOML files: the seed recipe is the old default exactly (same fingerprint as runs made before
recipes), every schedule follows torch's own scheduler, both losses train, and every bad recipe is one line
naming the file and the key, exit 2, nothing written."""
import math
from dataclasses import replace

import pytest
import torch

import reproduce.model as model
from conftest import REPO, assert_recipe_refused, write_recipe
from reproduce.cli import main
from reproduce.record.resume import run_fingerprint
from reproduce.record.schema import load
from reproduce.training import optim, recipe
from reproduce.training.config import TrainConfig
from reproduce.training.trainer import batches_per_epoch, train

SEED_TOML = REPO / "model" / "seed.toml"
OLD_REPORT = REPO / "tests" / "data" / "main-774da89" / "seed-seed0.json"   # written by main before recipes
CPU = torch.device("cpu")


def test_the_seed_recipe_file_is_the_default_config_and_keeps_the_old_fingerprint():
    assert TrainConfig(**recipe.load(SEED_TOML)) == TrainConfig()
    assert set(TrainConfig().identity()) == {"model", "epochs", "batch_size", "lr", "momentum", "train_limit",
                                             "eval_batch_size", "val_split", "execution"}
    old = load(OLD_REPORT)
    assert run_fingerprint(TrainConfig.from_dict(old.config), old.seed, old.device) == old.fingerprint
    assert model.resolve("seed").recipe == SEED_TOML
    assert model.resolve("seed-fc").recipe == SEED_TOML


def test_a_changed_recipe_value_changes_the_fingerprint():
    base = TrainConfig()
    for changed in (replace(base, weight_decay=1e-4), replace(base, schedule={"name": "step", "step_size": 2}),
                    replace(base, augment={"rotate": 5.0, "translate": 0.0, "scale": [1.0, 1.0]}),
                    replace(base, loss="cross_entropy"), replace(base, allow_nondeterministic=True)):
        assert run_fingerprint(changed, 0, "cpu") != run_fingerprint(base, 0, "cpu")


def tiny(**kw) -> TrainConfig:
    return TrainConfig(model="seed", epochs=3, batch_size=64, train_limit=256, eval_batch_size=2000,
                       execution="fast", **kw)


@pytest.mark.parametrize("schedule", [
    {"name": "step", "step_size": 2, "gamma": 0.5},
    {"name": "multistep", "milestones": [1, 3], "gamma": 0.1},
    {"name": "exponential", "gamma": 0.7},
    {"name": "cosine"},
    {"name": "onecycle", "max_lr": 0.1, "pct_start": 0.3},
])
@pytest.mark.slow
def test_each_schedule_follows_torchs_own_scheduler(schedule, mnist_cpu):
    cfg = tiny(schedule=schedule)
    epochs, _, _ = train(cfg, 0, mnist_cpu, CPU)
    # the same torch scheduler on a dummy optimizer: the lr of each epoch's first step
    probe = optim.build_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    steps = batches_per_epoch(cfg, 256)
    sched = optim.build_schedule(probe, cfg, steps)
    expected = []
    for _ in range(cfg.epochs):
        expected.append(probe.param_groups[0]["lr"])
        for _ in range(steps if optim.steps_per_batch(cfg) else 1):
            probe.step()
            sched.step()
    assert [e.lr for e in epochs] == expected
    assert len(set(expected)) > 1   # the schedule moved the lr


@pytest.mark.slow
@pytest.mark.parametrize("opt", ["adam", "adamw"])
def test_adam_and_adamw_train(opt, mnist_cpu):
    cfg = tiny(optimizer=opt, lr=1e-3, momentum=None, nesterov=None, weight_decay=0.01)
    epochs, digest, net = train(cfg, 0, mnist_cpu, CPU)
    assert all(math.isfinite(e.train_loss) for e in epochs)
    assert epochs[-1].train_loss < epochs[0].train_loss


@pytest.mark.slow
def test_cross_entropy_on_logits_with_label_smoothing(mnist_cpu):
    cfg = replace(tiny(loss="cross_entropy", label_smoothing=0.1), model="examples/my_net.py:Net")
    epochs, _, net = train(cfg, 0, mnist_cpu, CPU)
    # test_loss is the plain NLL of the predicted distribution, whatever the training objective
    net.eval()
    with torch.no_grad():
        out = torch.cat([net(mnist_cpu.test_x[i:i + 2000]) for i in range(0, 10_000, 2000)])
    expected = torch.nn.functional.cross_entropy(out, mnist_cpu.test_y, reduction="sum").double().item() / 10_000
    assert epochs[-1].test_loss == pytest.approx(expected, rel=1e-6)
    assert 0 < epochs[-1].train_loss < epochs[0].train_loss


write = write_recipe


BAD = {
    "unknown top key": ("epochs = 3\nepoch = 4\n", "unknown key 'epoch'"),
    "typo in optimizer": ("[optimizer]\nmomentun = 0.9\n", "[optimizer] unknown key 'momentun'"),
    "typo in augment": ("[augment]\nrotation = 5\n", "[augment] unknown key 'rotation'"),
    "wrong type": ("batch_size = \"128\"\n", "batch_size should be an integer"),
    "bool as number": ("[optimizer]\nlr = true\n", "[optimizer] lr should be a number"),
    "unknown optimizer": ("[optimizer]\nname = \"lion\"\n", "[optimizer] name must be one of sgd, adam, adamw"),
    "unknown schedule": ("[schedule]\nname = \"cyclic\"\n", "[schedule] name must be one of"),
    "unknown schedule key": ("[schedule]\nname = \"step\"\nstep_sise = 3\n", "[schedule] step: unknown key 'step_sise'"),
    "missing onecycle max_lr": ("[schedule]\nname = \"onecycle\"\n", "[schedule] onecycle: torch rejects it"),
    "torch rejects pct_start": ("[schedule]\nname = \"onecycle\"\nmax_lr = 0.1\npct_start = 2.0\n", "pct_start"),
    "set by the run": ("[schedule]\nname = \"onecycle\"\nmax_lr = 0.1\ntotal_steps = 5\n", "'total_steps' is set by the run"),
    "momentum with adam": ("[optimizer]\nname = \"adam\"\nmomentum = 0.9\n", "[optimizer] momentum: sgd only"),
    # the seed recipe's momentum beside an unknown name: the name is what is wrong
    "unknown optimizer with momentum": ("[optimizer]\nname = \"bogus\"\nmomentum = 0.9\n",
                                        "[optimizer] name must be one of sgd, adam, adamw, got 'bogus'"),
    "smoothing with nll": ("label_smoothing = 0.1\n", "label_smoothing applies to loss = \"cross_entropy\" only"),
    "negative lr": ("[optimizer]\nlr = -0.1\n", "[optimizer] lr must be a positive number"),
    "nan lr": ("[optimizer]\nlr = nan\n", "[optimizer] lr must be a positive number"),
    "bad scale": ("[augment]\nscale = [1.1, 0.9]\n", "[augment] scale should be [low, high]"),
    "not toml": ("epochs = = 3\n", "not valid TOML"),
    "nesterov without momentum": ("[optimizer]\nmomentum = 0.0\nnesterov = true\n", "torch rejects it"),
    # what torch takes but trains wrongly with
    "onecycle peak of 0": ("[schedule]\nname = \"onecycle\"\nmax_lr = 0.0\n", "[schedule] onecycle: max_lr must be a positive number, got 0.0"),
    "negative gamma": ("[schedule]\nname = \"exponential\"\ngamma = -1.0\n", "[schedule] exponential: gamma must be a positive number"),
    "milestones a string": ("[schedule]\nname = \"multistep\"\nmilestones = \"x\"\n", "[schedule] multistep: milestones must be a list of epochs"),
    "a negative milestone": ("[schedule]\nname = \"multistep\"\nmilestones = [-1, 2]\n", "milestones must be a list of epochs, integers of at least 1, got [-1, 2]"),
    "negative step size": ("[schedule]\nname = \"step\"\nstep_size = -2\n", "[schedule] step: step_size must be an integer of at least 1, got -2"),
    "keys without a name": ("[schedule]\ngamma = 0.5\n", "[schedule] has 'gamma' but no name (one of step"),
    "keys for no schedule": ("[schedule]\nname = \"none\"\ngamma = 0.5\n", "[schedule] none: takes no keys, got 'gamma'"),
}


def test_the_schedule_and_optimizer_names_are_the_ones_the_trainer_builds():
    from reproduce.training.config import OPTIMIZER_NAMES, SCHEDULE_NAMES
    assert set(SCHEDULE_NAMES) == set(optim.SCHEDULES)
    assert set(OPTIMIZER_NAMES) == set(optim.OPTIMIZERS)


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_recipe_is_one_line_naming_the_file_and_key(case, tmp_path, capsys):
    assert_recipe_refused(tmp_path, capsys, *BAD[case])


def test_a_missing_recipe_file(tmp_path, capsys):
    assert main(["run", "--recipe", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read the recipe" in capsys.readouterr().err


@pytest.mark.parametrize(("flag", "value"), [("--lr", "nan"), ("--lr", "inf"), ("--lr", "-1"), ("--momentum", "nan")])
def test_non_finite_flags_are_refused(flag, value, tmp_path, capsys):
    assert main(["run", flag, value, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert flag in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_flags_override_the_recipe(tmp_path):
    from reproduce.cli import build_parser, in_flag_terms, run_request
    from reproduce.plan.build import config_of
    args = build_parser().parse_args(["run", "--recipe", str(REPO / "examples" / "my_recipe.toml"),
                                      "--lr", "0.02", "--epochs", "3", "--batch-size", "64"])
    cfg = config_of(run_request(args), in_flag_terms)
    assert (cfg.lr, cfg.epochs, cfg.batch_size, cfg.loss) == (0.02, 3, 64, "cross_entropy")
    assert cfg.schedule["name"] == "onecycle"
    assert cfg.augment["rotate"] == 8.0


def test_graph_execution_refuses_what_its_capture_cannot_hold():
    assert TrainConfig().graph_problem() is None
    assert "schedule" in TrainConfig(schedule={"name": "step", "step_size": 1}).graph_problem()
    assert "augment" in TrainConfig(augment={"rotate": 5.0, "translate": 0.0, "scale": [1.0, 1.0]}).graph_problem()
    assert "adam" in TrainConfig(optimizer="adam", momentum=None, nesterov=None).graph_problem()


@pytest.mark.slow
def test_a_report_written_by_main_before_recipes_still_verifies_bit_for_bit(capsys, mnist_root):
    """The seed recipe reproduces what main trained before recipes existed: its report re-runs identically."""
    from reproduce.training.environment import cpu_model
    old = load(OLD_REPORT)
    if old.environment["device_name"] != cpu_model():
        pytest.skip(f"the fixture was trained on {old.environment['device_name']}; CPU kernels may round "
                    f"differently on {cpu_model()}")
    assert main(["verify", str(OLD_REPORT), "--data-dir", str(mnist_root)]) == 0
    assert "match: weights sha256 and metrics of epochs 1..2 identical bit for bit" in capsys.readouterr().out
