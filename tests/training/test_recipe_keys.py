"""The recipe keys for what answers use: normalize, l1, the plateau schedule and the further augmentations. Each
is read into one form, changes the run only when it is on (a key at rest keeps the seed recipe's
fingerprint), does what it says in training, and every bad value is one line naming the file and the key,
exit 2, nothing written."""
import pytest
import torch
import torch.nn.functional as F
from torch.optim import lr_scheduler

from conftest import assert_recipe_refused, write_recipe
from reproduce.data.mnist import MEAN, STD, MNISTTensors, pixels_of, renormalised
from reproduce.record.resume import run_fingerprint
from reproduce.training import optim, recipe
from reproduce.training.augment import Augment
from reproduce.training.config import TrainConfig
from reproduce.training.trainer import train

CPU = torch.device("cpu")
FULL = """normalize = [0.5, 0.25]
l1 = 1e-4
[schedule]
name = "plateau"
factor = 0.5
patience = 1
[augment]
rotate = 5
translate = [0.1, 0.05]
shear = 10
resized_crop = { scale = [0.5, 1.0] }
center_crop = { size = 22, p = 0.1 }
color_jitter = { brightness = 0.2 }
perspective = { p = 0.3 }
[augment.erasing]
p = 0.25
"""
AT_REST = """normalize = [0.1307, 0.3081]
l1 = 0.0
[augment]
shear = 0
center_crop = { size = 20, p = 0 }
color_jitter = { brightness = 0, contrast = 0.0 }
perspective = { distortion = 0.5, p = 0.0 }
erasing = { p = 0 }
translate = [0.0, 0.0]
"""


write = write_recipe


def test_every_key_is_read_into_one_form_with_torchvisions_defaults(tmp_path):
    f = recipe.load(write(tmp_path, FULL))
    assert f["normalize"] == [0.5, 0.25]
    assert f["l1"] == 1e-4
    assert f["schedule"] == {"name": "plateau", "factor": 0.5, "patience": 1}
    assert f["augment"] == {
        "rotate": 5.0, "translate": [0.1, 0.05], "scale": [1.0, 1.0], "shear": [-10.0, 10.0, 0.0, 0.0],
        "resized_crop": {"scale": [0.5, 1.0], "ratio": [0.75, 4 / 3]}, "center_crop": {"size": 22, "p": 0.1},
        "color_jitter": {"brightness": 0.2, "contrast": 0.0}, "perspective": {"distortion": 0.5, "p": 0.3},
        "erasing": {"p": 0.25, "scale": [0.02, 0.33], "ratio": [0.3, 3.3], "value": 0.0}}
    assert TrainConfig(**f).augments


def test_keys_at_rest_are_the_seed_recipe_and_keep_its_fingerprint(tmp_path):
    cfg = TrainConfig(**recipe.load(write(tmp_path, AT_REST)))
    assert cfg == TrainConfig()
    assert not cfg.augments
    assert Augment.from_config(cfg, 0, CPU) is None
    assert run_fingerprint(cfg, 0, "cpu") == run_fingerprint(TrainConfig(), 0, "cpu")
    assert "normalize" not in cfg.identity()
    assert "l1" not in cfg.identity()
    pair = recipe.load(write(tmp_path, "[augment]\ntranslate = [0.1, 0.1]\n"))["augment"]
    assert pair == {**cfg.augment, "translate": 0.1}                   # [t, t] is t: the same run


@pytest.mark.parametrize("line", ["normalize = [0.5, 0.5]", "l1 = 1e-5", "[augment]\nshear = 5",
                                  "[augment]\nerasing = { p = 0.1 }", "[augment]\ntranslate = [0.1, 0.0]",
                                  "[schedule]\nname = \"plateau\""])
def test_each_key_that_is_on_changes_the_fingerprint(line, tmp_path):
    cfg = TrainConfig(**recipe.load(write(tmp_path, line + "\n")))
    assert run_fingerprint(cfg, 0, "cpu") != run_fingerprint(TrainConfig(), 0, "cpu")


BAD = {
    "normalize not a pair": ("normalize = [0.5]\n", "normalize should be [mean, std]"),
    "normalize zero std": ("normalize = [0.5, 0.0]\n", "normalize should be [mean, std] with std > 0"),
    "normalize text": ("normalize = \"imagenet\"\n", "normalize should be a list"),
    "negative l1": ("l1 = -0.1\n", "l1 should be a number 0 or more"),
    "l1 text": ("l1 = \"small\"\n", "l1 should be a number"),
    "plateau unknown key": ("[schedule]\nname = \"plateau\"\npatiense = 2\n", "[schedule] plateau: unknown key 'patiense'"),
    "plateau bad mode": ("[schedule]\nname = \"plateau\"\nmode = \"up\"\n", "[schedule] plateau: torch rejects it"),
    "translate pair out of range": ("[augment]\ntranslate = [0.1, 1.5]\n", "[augment] translate should be"),
    "translate triple": ("[augment]\ntranslate = [0.1, 0.1, 0.1]\n", "[augment] translate should be"),
    "shear negative": ("[augment]\nshear = -5\n", "[augment] shear should be"),
    "shear reversed": ("[augment]\nshear = [10, -10]\n", "[augment] shear should be"),
    "shear three": ("[augment]\nshear = [1, 2, 3]\n", "[augment] shear should be"),
    "crop scale above 1": ("[augment]\nresized_crop = { scale = [0.5, 1.5] }\n", "[augment] resized_crop.scale should be"),
    "crop ratio reversed": ("[augment]\nresized_crop = { ratio = [2.0, 1.0] }\n", "[augment] resized_crop.ratio should be"),
    "crop unknown key": ("[augment]\nresized_crop = { size = 28 }\n", "[augment] resized_crop: unknown key 'size'"),
    "crop not a table": ("[augment]\nresized_crop = 0.5\n", "[augment] resized_crop should be a table"),
    "center crop no size": ("[augment]\ncenter_crop = { p = 0.1 }\n", "[augment] center_crop.size should be a whole number"),
    "center crop too big": ("[augment]\ncenter_crop = { size = 30 }\n", "[augment] center_crop.size should be"),
    "center crop bad p": ("[augment]\ncenter_crop = { size = 22, p = 1.5 }\n", "[augment] center_crop.p should be a probability"),
    "jitter negative": ("[augment]\ncolor_jitter = { contrast = -0.2 }\n", "[augment] color_jitter.contrast should be"),
    "jitter hue": ("[augment]\ncolor_jitter = { hue = 0.1 }\n", "[augment] color_jitter: unknown key 'hue'"),
    "perspective too far": ("[augment]\nperspective = { distortion = 2.0 }\n", "[augment] perspective.distortion should be"),
    "erasing bad p": ("[augment]\nerasing = { p = 1.5 }\n", "[augment] erasing.p should be a probability in [0, 1]"),
    "erasing random value": ("[augment]\nerasing = { value = \"random\" }\n", "[augment] erasing.value should be a number"),
    "erasing scale": ("[augment]\nerasing = { scale = [0.5, 0.1] }\n", "[augment] erasing.scale should be"),
    "unknown augment": ("[augment]\nflip = 0.5\n", "[augment] unknown key 'flip'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_value_is_one_line_naming_the_file_and_key(case, tmp_path, capsys):
    assert_recipe_refused(tmp_path, capsys, *BAD[case])


def test_graph_execution_refuses_the_new_keys_but_normalize():
    aug = {"rotate": 0.0, "translate": 0.0, "scale": [1.0, 1.0]}
    assert "augment" in TrainConfig(augment={**aug, "erasing": {"p": 0.5}}).graph_problem()
    assert "augment" in TrainConfig(augment={**aug, "translate": [0.0, 0.1]}).graph_problem()
    assert "l1" in TrainConfig(l1=1e-4).graph_problem()
    assert "plateau" in TrainConfig(schedule={"name": "plateau"}).graph_problem()
    assert TrainConfig(normalize=[0.5, 0.5]).graph_problem() is None


def test_normalize_renormalises_every_image_from_its_pixels(mnist_cpu):
    data = MNISTTensors(mnist_cpu.train_x[:64], mnist_cpu.train_y[:64], mnist_cpu.test_x[:64], mnist_cpu.test_y[:64])
    assert renormalised(data, MEAN, STD) is data
    again = renormalised(data, 0.5, 0.5)
    px = pixels_of(data.train_x)
    assert torch.equal(px, px.round())
    assert px.min() == 0
    assert px.max() == 255
    assert torch.equal(again.train_x, (px / 255.0 - 0.5) / 0.5)
    assert again.test_x.min() == -1.0
    assert torch.equal(renormalised(again, MEAN, STD).train_x, again.train_x)   # MNIST's again: as given


def small(mnist_cpu, n=384) -> MNISTTensors:
    return MNISTTensors(mnist_cpu.train_x[:n], mnist_cpu.train_y[:n], mnist_cpu.test_x[:500], mnist_cpu.test_y[:500])


def tiny(**kw) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "batch_size": 64, "eval_batch_size": 500, **kw})


def test_normalize_changes_the_inputs_the_network_sees(mnist_cpu):
    data = small(mnist_cpu)
    base = train(tiny(epochs=1), 0, data, CPU)
    other = train(tiny(epochs=1, normalize=[0.5, 0.5]), 0, data, CPU)
    assert base[1] != other[1]
    assert base[0][0].test_loss != other[0][0].test_loss


def test_l1_adds_its_coefficient_times_the_sum_of_absolute_parameters():
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.LogSoftmax(1))
    out, y = net(torch.randn(5, 4)), torch.tensor([0, 1, 2, 0, 1])
    total = sum(p.abs().sum() for p in net.parameters())              # weights, biases, BatchNorm's too
    assert optim.with_l1(F.nll_loss, net, 0.0) is F.nll_loss
    with_l1 = optim.with_l1(F.nll_loss, net, 0.01)(out, y)
    assert with_l1.item() == pytest.approx(F.nll_loss(out, y).item() + 0.01 * total.item(), rel=1e-6)


def test_l1_in_training_changes_the_recorded_loss(mnist_cpu):
    data = small(mnist_cpu)
    plain, _, _ = train(tiny(epochs=1), 0, data, CPU)
    l1, _, _ = train(tiny(epochs=1, l1=1e-3), 0, data, CPU)
    assert l1[0].train_loss > plain[0].train_loss + 1e-3 * 100        # the seed network's |w| sums to hundreds


class Spy:
    def __init__(self):
        self.metrics = []

    def step(self, metric=None):
        self.metrics.append(metric)


def test_plateau_steps_on_the_validation_loss_else_the_training_loss():
    spy, plateau = Spy(), TrainConfig(schedule={"name": "plateau"})
    optim.step_epoch(spy, plateau, train_loss=0.3, val_loss=0.2)
    optim.step_epoch(spy, plateau, train_loss=0.3, val_loss=None)
    optim.step_epoch(spy, TrainConfig(schedule={"name": "step", "step_size": 1}), train_loss=0.3, val_loss=0.2)
    assert spy.metrics == [0.2, 0.3, None]


@pytest.mark.parametrize("val_split", [0, 128])
def test_plateau_lowers_the_lr_as_torch_would_on_the_loss_it_watches(val_split, mnist_cpu):
    # mode "max" on a falling loss: no epoch improves on the first, so with patience 0 every step cuts the lr
    cfg = tiny(epochs=4, val_split=val_split, schedule={"name": "plateau", "mode": "max", "factor": 0.5,
                                                          "patience": 0})
    epochs, _, _ = train(cfg, 0, small(mnist_cpu, 512), CPU)
    probe = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    replay, lrs = lr_scheduler.ReduceLROnPlateau(probe, mode="max", factor=0.5, patience=0), []
    for e in epochs:
        lrs.append(probe.param_groups[0]["lr"])
        replay.step(e.val_loss if val_split else e.train_loss)
    assert [e.lr for e in epochs] == lrs
    assert lrs[-1] < lrs[0]
