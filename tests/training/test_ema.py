"""The [ema] recipe key (reproduce/training/optim.py): a moving average of the weights, updated after every
optimizer step, is what every evaluation measures. Absent, nothing changes (fingerprints of every recipe and of
old reports); present, training is the same bytes, the test figures are the average's, the run is deterministic
and resumes bit-identically from its checkpoint (which holds the average); every bad value is one line, exit 2."""
import pytest
import torch

import reproduce.model as model
from conftest import (
    REPO,
    assert_recipe_refused,
    kill_after_epoch_1,
    numbers,
    record,
    run_cli,
    write_recipe,
    write_report,
)
from reproduce.data.mnist import MNISTTensors
from reproduce.record import checkpoint
from reproduce.record.resume import run_fingerprint
from reproduce.record.schema import load
from reproduce.report.check import trained_as
from reproduce.training import optim, precision, recipe
from reproduce.training.config import TrainConfig
from reproduce.training.recipe import RecipeError
from reproduce.training.trainer import TrainOptions, evaluate, start_run, train

CPU = torch.device("cpu")
OLD_REPORT = REPO / "tests" / "data" / "main-774da89" / "seed-seed0.json"   # written before [ema] existed
SHIPPED_RECIPES = sorted((REPO / "model").glob("*.toml"))
# The recipes written before the key existed (frontier-4k's, chosen with EMA, came after it).
RECIPES_BEFORE_EMA = [p for p in SHIPPED_RECIPES if p.name != "frontier-4k.toml"]
RUN = ["--seeds", "0", "--epochs", "2", "--train-limit", "512", "--device", "cpu", "--threads", "1"]


def small(mnist_cpu, n_train: int) -> MNISTTensors:
    return MNISTTensors(mnist_cpu.train_x[:n_train], mnist_cpu.train_y[:n_train], mnist_cpu.test_x[:500],
                        mnist_cpu.test_y[:500])


def figures(epochs) -> list:
    """Every figure of the epochs but their wall time."""
    return [(e.epoch, e.train_loss, e.train_acc, e.test_loss, e.test_acc, e.lr, e.val_loss, e.val_acc) for e in epochs]


def tiny(**kw) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "batch_size": 64, "eval_batch_size": 500, **kw})


def test_the_key_is_read_as_the_decay(tmp_path):
    assert recipe.load(write_recipe(tmp_path, "[ema]\ndecay = 0.999\n"))["ema_decay"] == 0.999
    assert "ema_decay" not in recipe.load(REPO / "model" / "seed.toml")


@pytest.mark.parametrize("path", RECIPES_BEFORE_EMA, ids=lambda p: p.name)
def test_without_the_key_every_recipe_keeps_its_fingerprint(path):
    fields = recipe.load(path)
    assert "ema_decay" not in fields
    cfg = TrainConfig(**fields)
    assert "ema_decay" not in cfg.identity()
    with_ema = TrainConfig(**fields, ema_decay=0.999)
    assert with_ema.identity()["ema_decay"] == 0.999
    assert run_fingerprint(with_ema, 0, "cpu") != run_fingerprint(cfg, 0, "cpu")


def test_a_shipped_recipe_with_the_key_has_it_in_its_identity():
    fields = recipe.load(REPO / "model" / "frontier-4k.toml")
    assert TrainConfig(**fields).identity()["ema_decay"] == fields["ema_decay"] == 0.999


def test_the_config_a_report_records_holds_the_key_only_when_it_is_set():
    assert "ema_decay" not in TrainConfig().to_dict()     # a run without it writes the config it wrote before
    with_ema = TrainConfig(ema_decay=0.999)
    assert with_ema.to_dict()["ema_decay"] == 0.999
    assert TrainConfig.from_dict(with_ema.to_dict()) == with_ema
    assert TrainConfig.from_dict(TrainConfig().to_dict()) == TrainConfig()


def test_a_report_written_before_the_key_keeps_its_fingerprint_and_reads_as_without():
    old = load(OLD_REPORT)
    cfg = TrainConfig.from_dict(old.config)
    assert cfg.ema_decay is None
    assert run_fingerprint(cfg, old.seed, old.device) == old.fingerprint
    assert "EMA" not in trained_as(old)


def test_the_report_says_the_runs_were_evaluated_as_an_average(tmp_path):
    rec = record(0, [99.0, 99.5])
    rec["config"].update(execution="fast", ema_decay=0.999)
    assert trained_as(load(write_report(tmp_path, rec))) == "execution fast, precision fp32, EMA decay 0.999"


@pytest.mark.parametrize(("text", "said"), [
    ("[ema]\ndecay = 1.0\n", "[ema] decay must be between 0 and 1 (both excluded), got 1.0"),
    ("[ema]\ndecay = 0\n", "[ema] decay must be between 0 and 1 (both excluded), got 0.0"),
    ("[ema]\ndecay = -0.5\n", "[ema] decay must be between 0 and 1"),
    ("[ema]\ndecay = nan\n", "[ema] decay must be between 0 and 1 (both excluded), got nan"),
    ('[ema]\ndecay = "0.999"\n', "[ema] decay should be a number"),
    ("[ema]\nrate = 0.999\n", "[ema] unknown key 'rate' (known: decay)"),
    ("[ema]\n", "[ema] needs decay"),
    ("ema = 0.999\n", "ema should be a table"),
])
def test_a_bad_value_is_one_line_exit_2_nothing_written(text, said, tmp_path, capsys):
    with pytest.raises(RecipeError, match=r"r\.toml: "):
        recipe.load(write_recipe(tmp_path, text))
    assert_recipe_refused(tmp_path, capsys, text, said)


def test_graph_execution_refuses_it_in_one_line():
    line = TrainConfig(ema_decay=0.999).graph_problem()
    assert line
    assert "[ema]" in line
    assert "\n" not in line


@pytest.mark.parametrize("execution", ["plain", "fast"])
def test_training_is_the_same_bytes_and_the_average_is_what_is_evaluated(execution, mnist_cpu):
    data = small(mnist_cpu, 256)
    without, digest, net = train(tiny(execution=execution), 0, data, CPU)
    with_ema, ema_digest, averaged = train(tiny(execution=execution, ema_decay=0.9), 0, data, CPU)
    assert [(e.train_loss, e.train_acc, e.lr) for e in with_ema] == [(e.train_loss, e.train_acc, e.lr)
                                                                     for e in without]
    assert [e.test_loss for e in with_ema] != [e.test_loss for e in without]
    assert ema_digest != digest
    # the figures recorded are the averaged network's own
    assert evaluate(averaged, data.test_x, data.test_y, 500) == (with_ema[-1].test_loss, with_ema[-1].test_acc)
    assert not all(torch.equal(a, b) for a, b in zip(averaged.state_dict().values(), net.state_dict().values(),
                                                      strict=True))


def test_a_decay_near_1_keeps_evaluating_the_weights_of_the_first_step(mnist_cpu):
    """One step per epoch: the average's first update copies the network after step 1, and with a decay of
    1 - 1e-9 it hardly moves after that, while the network itself goes on learning."""
    data = small(mnist_cpu, 64)
    without, _, _ = train(tiny(epochs=3, lr=0.05), 0, data, CPU)
    with_ema, _, _ = train(tiny(epochs=3, lr=0.05, ema_decay=1 - 1e-9), 0, data, CPU)
    assert (with_ema[0].test_loss, with_ema[0].test_acc) == (without[0].test_loss, without[0].test_acc)
    for e in with_ema[1:]:
        assert e.test_loss == pytest.approx(with_ema[0].test_loss, abs=1e-6)
    assert abs(without[-1].test_loss - without[0].test_loss) > 1e-3


def test_the_same_seed_twice_gives_the_same_bytes(mnist_cpu):
    data = small(mnist_cpu, 256)
    cfg = tiny(ema_decay=0.95, val_split=64)
    first, second = train(cfg, 0, data, CPU), train(cfg, 0, data, CPU)
    assert figures(first[0]) == figures(second[0])
    assert first[1] == second[1]


def test_resumed_from_its_checkpoint_equals_the_run_uninterrupted(mnist_cpu, tmp_path):
    data = small(mnist_cpu, 256)
    cfg = tiny(epochs=3, ema_decay=0.9, schedule={"name": "onecycle", "max_lr": 0.1})
    whole, whole_digest, _ = train(cfg, 0, data, CPU)
    state = start_run(cfg, 0, CPU, 256)
    train(cfg, 0, data, CPU, TrainOptions(start=state, stop_after=1))
    path = tmp_path / ".seed-seed0.ckpt"
    checkpoint.save(path, state, "fp", CPU, 0.0)
    torch.manual_seed(123)   # the process moves on (another run, say): the checkpoint restores what the run needs
    resumed_state = checkpoint.resume(checkpoint.read(path), cfg, 0, CPU, 256)
    assert torch.equal(resumed_state.average.n_averaged, state.average.n_averaged)
    resumed, resumed_digest, _ = train(cfg, 0, data, CPU, TrainOptions(start=resumed_state))
    assert figures(resumed) == figures(whole)
    assert resumed_digest == whole_digest


def test_integer_buffers_are_copied_and_floats_averaged():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    average = optim.build_average(net, TrainConfig(ema_decay=0.5))
    before = average.module[0].weight.detach().clone()
    with torch.no_grad():
        net[0].weight.add_(1.0)
    net[1].num_batches_tracked += 3
    average.update_parameters(net)   # the first update copies
    average.update_parameters(net)   # the next ones average
    assert torch.equal(average.module[0].weight, net[0].weight)
    with torch.no_grad():
        net[0].weight.add_(2.0)
    net[1].num_batches_tracked += 4
    average.update_parameters(net)
    assert torch.allclose(average.module[0].weight, before + 1.0 + 0.5 * 2.0)
    assert average.module[1].num_batches_tracked.item() == 7
    assert optim.build_average(net, TrainConfig()) is None


needs_bf16 = pytest.mark.skipif(not all(precision.cpu_bf16_reports().values()),
                                reason=f"this CPU has no bf16 support: {precision.cpu_bf16_reports()}")


@needs_bf16
def test_it_works_with_bf16_and_averages_the_fp32_weights(mnist_cpu):
    data = small(mnist_cpu, 128)
    cfg = tiny(precision="bf16", ema_decay=0.9)
    epochs, digest, averaged = train(cfg, 0, data, CPU)
    again = train(cfg, 0, data, CPU)
    assert (figures(epochs), digest) == (figures(again[0]), again[1])
    assert all(p.dtype == torch.float32 for p in averaged.parameters())
    assert set(averaged.state_dict()) == set(model.build("seed").state_dict())


@pytest.mark.integration   # starts processes
@pytest.mark.slow
def test_killed_and_resumed_equals_the_same_seed_run_whole(tmp_path, mnist_root):
    ema = write_recipe(tmp_path, "[ema]\ndecay = 0.99\n", "ema.toml")
    args = [*RUN, "--recipe", ema]
    whole = run_cli("run", *args, "--out", tmp_path / "whole", env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert whole.returncode == 0, whole.stderr
    stopped = tmp_path / "stopped"
    kill_after_epoch_1(args, stopped, mnist_root)
    again = run_cli("run", *args, "--out", stopped, env_extra={"MNIST_DATA_DIR": str(mnist_root)})
    assert again.returncode == 0, again.stderr
    assert "resuming after epoch 1 of 2" in again.stdout
    assert numbers(stopped / "seed-seed0.json") == numbers(tmp_path / "whole" / "seed-seed0.json")
    shown = run_cli("report", stopped)
    assert "EMA decay 0.99 (1/1 runs)" in shown.stdout
