"""The suite's own answers, `frontier`, `frontier-8k` and `frontier-4k`: their size and audit, their recipes, and
that the files are those the sweeps of RESULTS.md used (the fingerprint each gives is the one written there)."""
import re

import pytest

import reproduce.model as model
from conftest import REPO
from reproduce.model.audit import audit
from reproduce.record.resume import run_fingerprint
from reproduce.training.config import TrainConfig
from reproduce.training.recipe import load

# name: (its parameters, the bar it is under)
NETWORKS = {"frontier": (15_950, 20_000), "frontier-8k": (7_678, 8_000), "frontier-4k": (3_886, 4_000)}


def config_of(name: str) -> TrainConfig:
    source = model.resolve(name)
    return TrainConfig(model=name, model_sha256=source.sha256, **load(source.recipe))


@pytest.mark.parametrize("name", NETWORKS)
def test_each_meets_every_rule_under_its_bar(name):
    params, bar = NETWORKS[name]
    a = audit(model.build(name))
    assert a.params == params
    assert a.params < bar
    assert a.batchnorm
    assert a.dropout
    assert a.fully_connected
    assert a.global_avg_pool


@pytest.mark.parametrize("name", NETWORKS)
def test_each_recipe_trains_at_most_15_epochs_with_a_schedule_and_augmentation(name):
    cfg = config_of(name)
    assert cfg.epochs <= 15
    assert cfg.schedule["name"] == "onecycle"
    assert cfg.augments
    assert cfg.problems() == []
    assert cfg.model_sha256 is not None


@pytest.mark.parametrize("name", NETWORKS)
def test_the_files_are_those_the_published_sweeps_used(name):
    """RESULTS.md names the fingerprint of each sweep's seed-0 run on the CPU; editing the network's file or its
    recipe changes it, and this test says the figures there no longer describe the files."""
    results = (REPO / "RESULTS.md").read_text()
    written = re.search(rf"{re.escape(name)} seed 0 fingerprint \(cpu\): `([0-9a-f]{{64}})`", results)
    assert written, f"RESULTS.md: the {name} section must name its sweep's seed-0 fingerprint"
    assert run_fingerprint(config_of(name), 0, "cpu") == written.group(1)


def test_the_plain_recipe_is_the_seeds_at_frontiers_epochs_and_loss():
    """model/frontier-plain.toml, the "what the recipe buys" sweep of RESULTS.md, differs from the seed document's
    recipe only where frontier must (15 epochs; cross-entropy on logits = NLL on log_softmax)."""
    plain, seed = load(REPO / "model" / "frontier-plain.toml"), load(REPO / "model" / "seed.toml")
    differ = {k for k in seed.keys() | plain.keys() if seed.get(k) != plain.get(k)}
    assert differ == {"epochs", "loss"}
    assert plain["epochs"] == config_of("frontier").epochs


def test_frontier_8k_trains_by_the_recipe_the_validation_screen_chose():
    cfg = config_of("frontier-8k")
    assert cfg.batch_size == 64
    assert cfg.schedule["max_lr"] == 0.2


def test_frontier_4k_is_the_screened_candidate_at_batch_32_unchanged_otherwise():
    """The screen (RESULTS.md, "Under 4,000 parameters") ran model/candidates/separable.py with its recipe and
    `--batch-size 32`: the registered network has the candidate's layers and the recipe is that, and nothing else."""
    screened = load(REPO / "model" / "candidates" / "separable.toml")
    registered = load(model.resolve("frontier-4k").recipe)
    assert registered == {**screened, "batch_size": 32}
    candidate = model.build(f"{REPO / 'model' / 'candidates' / 'separable.py'}:SeparableNet")
    assert repr(model.build("frontier-4k")).split("\n", 1)[1] == repr(candidate).split("\n", 1)[1]
