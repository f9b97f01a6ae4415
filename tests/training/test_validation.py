"""One validation layer: TrainConfig.problems() (and, for the [augment] table, augmentation/recipe.py's problems())
says what is wrong with which field, and the command line and the recipe loader each name that field in their own
terms (a flag, a recipe key). Flags that only the command line has are checked by argparse itself."""
import tomllib
from dataclasses import fields, replace

import pytest

from conftest import write_recipe
from reproduce import cli
from reproduce.cli import main
from reproduce.training import recipe
from reproduce.training.augmentation import recipe as augment_keys
from reproduce.training.config import Problem, TrainConfig

FIELDS = {f.name for f in fields(TrainConfig)}

BAD_CONFIGS = {
    "epochs": TrainConfig(epochs=0), "batch_size": TrainConfig(batch_size=-1),
    "eval_batch_size": TrainConfig(eval_batch_size=0), "lr": TrainConfig(lr=float("nan")),
    "momentum": TrainConfig(momentum=1.5), "train_limit": TrainConfig(train_limit=0),
    "val_split": TrainConfig(val_split=-1), "execution": TrainConfig(execution="quick"),
    "precision": TrainConfig(precision="fp16"), "loss": TrainConfig(loss="mse"),
    "label_smoothing": TrainConfig(label_smoothing=0.1), "optimizer": TrainConfig(optimizer="lion", momentum=None),
    "weight_decay": TrainConfig(weight_decay=-1.0),
    "schedule": TrainConfig(schedule={"name": "step", "step_sise": 3}),
    "ema_decay": TrainConfig(ema_decay=1.0),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_a_problem_names_the_field_it_concerns(name):
    problems = BAD_CONFIGS[name].problems()
    assert problems
    assert all(isinstance(p, Problem) for p in problems)
    assert problems[0].field == name
    # what is wrong, without the field's own name in front: each caller puts its own
    assert not problems[0].says.startswith((name, "--", "["))


def test_a_good_config_has_no_problems():
    assert TrainConfig().problems() == []
    assert replace(TrainConfig(), optimizer="adam", momentum=None, nesterov=None).problems() == []


def test_the_wordings_name_only_fields_that_exist():
    assert set(cli.FLAG_OF_FIELD) <= FIELDS
    assert set(recipe.KEY_OF_FIELD) <= FIELDS
    flags = {a.option_strings[0] for a in cli.build_parser()._subparsers._group_actions[0].choices["run"]._actions
             if a.option_strings}
    assert set(cli.FLAG_OF_FIELD.values()) <= flags


def test_one_problem_said_as_a_flag_and_as_a_recipe_key():
    lr = TrainConfig(lr=-1.0).problems()[0]
    assert cli.in_flag_terms(lr) == "--lr must be a positive number, got -1.0"
    assert recipe.in_recipe_terms(lr) == "[optimizer] lr must be a positive number, got -1.0"
    schedule = Problem("schedule", "step: torch rejects it: x")
    assert recipe.in_recipe_terms(schedule) == "[schedule] step: torch rejects it: x"
    assert cli.in_flag_terms(schedule) == "the recipe's [schedule] step: torch rejects it: x"
    assert cli.in_flag_terms(Problem("val_split", "must be 0 or more, got -1")) == "--val-split must be 0 or more, got -1"


def test_a_flag_against_the_recipe_is_said_as_the_flag(tmp_path, capsys):
    adam = tmp_path / "adam.toml"
    adam.write_text('[optimizer]\nname = "adam"\nlr = 0.001\n')
    assert main(["run", "--recipe", str(adam), "--momentum", "0.9", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err == "error: --momentum applies to sgd only; the optimizer is adam\n"
    assert not (tmp_path / "o").exists()


def test_the_same_value_in_a_recipe_is_said_as_its_key(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[optimizer]\nweight_decay = -0.5\n")
    assert main(["run", "--recipe", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"error: {bad}: [optimizer] weight_decay must be 0 or more, got -0.5\n"


@pytest.mark.parametrize(("args", "says"), [
    (["run", "--threads", "0"], "argument --threads: must be at least 1, got 0"),
    (["run", "--threads", "two"], "argument --threads: must be a whole number, got 'two'"),
    (["verify", "r.json", "--threads", "-1"], "argument --threads: must be at least 1, got -1"),
    (["report", "reports", "--max-epochs", "0"], "argument --max-epochs: must be at least 1, got 0"),
    (["compare", "a", "b", "--max-epochs", "0"], "argument --max-epochs: must be at least 1, got 0"),
    (["check", "a.ipynb", "--max-epochs", "0"], "argument --max-epochs: must be at least 1, got 0"),
    (["report", "reports", "--target", "101"], "argument --target: is a test accuracy in percent, in (0, 100]"),
    (["compare", "a", "b", "--target", "0"], "argument --target: is a test accuracy in percent, in (0, 100]"),
    (["check", "a.ipynb", "--target", "high"], "argument --target: must be a number, got 'high'"),
    (["run", "--cluster", "slurm", "--gpus-per-task", "-1"], "argument --gpus-per-task: must be at least 0, got -1"),
    (["run", "--cluster", "slurm", "--cpus-per-task", "0"], "argument --cpus-per-task: must be at least 1, got 0"),
])
def test_flags_only_the_command_line_has_are_checked_by_argparse(args, says, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert says in err, err
    assert err.count("\n") == 1, err


# One bad value of every [augment] key and sub-table key, as TOML: (the value, how its problem starts).
BAD_AUGMENT = {
    "rotate": ("200", "rotate should be degrees"),
    "translate": ("[0.1, 1.0]", "translate should be a fraction of the side"),
    "scale": ("[1.2, 0.8]", "scale should be [low, high] with 0 < low <= high"),
    "shear": ("95", "shear should be degrees s in [0, 90)"),
    "resized_crop": ("{ scale = [0.0, 1.0] }", "resized_crop.scale should be [low, high] area fractions"),
    "resized_crop.ratio": ("{ ratio = [0, 1] }", "resized_crop.ratio should be [low, high] aspect ratios"),
    "center_crop": ("{ size = 0 }", "center_crop.size should be a whole number of pixels in [1, 28]"),
    "center_crop.p": ("{ size = 20, p = -0.1 }", "center_crop.p should be a probability in [0, 1]"),
    "color_jitter": ("{ brightness = -1 }", "color_jitter.brightness should be a number 0 or more"),
    "perspective": ("{ p = 2 }", "perspective.p should be a probability in [0, 1]"),
    "perspective.distortion": ("{ distortion = -0.5 }", "perspective.distortion should be a fraction of half the side"),
    "erasing": ("{ value = \"random\" }", "erasing.value should be a number"),
    "erasing.scale": ("{ scale = [0.5, 1.5] }", "erasing.scale should be [low, high] area fractions with 0 <= low"),
    "erasing.table": ("0.5", "erasing should be a table, e.g. erasing = { p, scale, ratio, value }"),
    "erasing.unknown": ("{ fill = 0 }", "erasing: unknown key 'fill' (known: p, scale, ratio, value)"),
    "unknown": ("1", "unknown key 'flip' (known: rotate, translate"),
}


def test_every_augment_key_has_a_bad_value_checked():
    assert set(augment_keys.KEYS) <= {case.split(".")[0] for case in BAD_AUGMENT}


@pytest.mark.parametrize("case", sorted(BAD_AUGMENT))
def test_a_bad_augment_value_is_a_problem_naming_its_key_said_as_the_recipe_key(case, tmp_path):
    value, says = BAD_AUGMENT[case]
    key = "flip" if case == "unknown" else case.split(".")[0]
    text = f"[augment]\n{key} = {value}\n"
    problems = augment_keys.problems(tomllib.loads(text)["augment"])
    assert problems == [Problem("augment", problems[0].says)]
    assert problems[0].says.startswith(says), problems[0].says
    path = write_recipe(tmp_path, text)
    with pytest.raises(recipe.RecipeError) as refused:
        recipe.load(path)
    assert str(refused.value) == f"{path}: [augment] {problems[0].says}"
    assert "\n" not in str(refused.value)


def test_every_problem_of_the_table_is_found_not_only_the_first():
    problems = augment_keys.problems({"rotate": -1, "flip": 1, "center_crop": {"size": 40, "p": 3},
                                      "translate": 0.1, "erasing": {"p": 0.0, "value": "x"}})
    assert [p.says.split(" ")[0] for p in problems] == ["rotate", "unknown", "center_crop.p", "center_crop.size",
                                                         "erasing.value"]
    assert augment_keys.problems({"rotate": 5, "erasing": {"p": 0}, "shear": [-3, 3]}) == []


def test_a_bad_augment_value_through_the_command_line_is_one_line_exit_2(tmp_path, capsys):
    bad = write_recipe(tmp_path, "[augment]\ncolor_jitter = { contrast = -0.2 }\n")
    assert main(["run", "--recipe", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (f"error: {bad}: [augment] color_jitter.contrast should be a number 0 or "
                                       f"more, got -0.2\n")
    assert not (tmp_path / "o").exists()
