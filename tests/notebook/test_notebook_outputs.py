"""What real notebooks print, made up here: percentages rounded to 0 or 1 decimals beside their counts, several
training runs in one notebook's outputs, and errors placed by the cell that printed the line."""
import pytest
import torch
from nbfactory import IMPORTS, NET, NET_PARAMS, TRAIN, notebook, stream, write

from reproduce.cli import build_parser, in_flag_terms, main, run_request
from reproduce.plan.build import config_of
from reproduce.record.schema import load
from reproduce.sweep.local import already_final


def lines(pairs, fmt="{:.2f}", n=10_000):
    """pytorch/examples' test lines for (correct, loss) pairs, the percentage printed with fmt."""
    return "".join(f"\nTest set: Average loss: {loss:.4f}, Accuracy: {k}/{n} ({fmt.format(100.0 * k / n)}%)\n\n"
                   for k, loss in pairs)


def imported(tmp_path, printed, *extra, name="nb.ipynb"):
    nb = write(tmp_path / name, notebook(IMPORTS, NET, TRAIN, outputs={2: [stream(printed)]}))
    code = main(["import-log", str(nb), "--model", "theirs", "--params", "1000", "--out", str(tmp_path / "o"),
                 *extra])
    return code, sorted((tmp_path / "o").glob("*.json")) if (tmp_path / "o").exists() else []


@pytest.mark.parametrize("fmt", ["{:.0f}", "{:.1f}"])
def test_a_percentage_rounded_to_0_or_1_decimals_is_read_and_the_counts_give_the_exact_figure(tmp_path, fmt):
    code, paths = imported(tmp_path, lines([(9708, 0.09), (9738, 0.08), (9777, 0.07)], fmt))
    assert code == 0
    r = load(paths[0])
    assert r.test_accs == [97.08, 97.38, 97.77]
    assert r.data == {"test_images": 10_000}


@pytest.mark.parametrize(("printed", "says"), [
    ("Test set: Average loss: 0.09, Accuracy: 9708/10000 (97.2%)\n", "9708/10000 is 97.08%, but the line says 97.2%"),
    ("Test set: Average loss: 0.09, Accuracy: 9708/10000 (96%)\n", "9708/10000 is 97.08%, but the line says 96%"),
])
def test_a_rounding_that_does_not_agree_with_the_counts_is_refused_naming_the_cell(tmp_path, capsys, printed, says):
    code, paths = imported(tmp_path, printed)
    err = capsys.readouterr().err
    assert code == 2
    assert not paths
    assert err.count("\n") == 1
    assert f"nb.ipynb, cell 4's output: {says}" in err    # the cell that printed it (cell 1 is the markdown title)


def test_a_pattern_may_capture_the_counts(tmp_path, capsys):
    printed = "epoch 1 correct 9777 of 10000 (97.8)\nepoch 2 correct 9802 of 10000 (98.0)\n"
    counts = r"correct (?P<correct>\d+) of (?P<total>\d+) \((?P<acc>[\d.]+)\)"
    code, paths = imported(tmp_path, printed, "--pattern", counts)
    assert code == 0
    assert load(paths[0]).test_accs == [97.77, 98.02]
    # capturing a count as the accuracy names the groups that read it
    (tmp_path / "b").mkdir()
    code, _ = imported(tmp_path / "b", printed, "--pattern", r"correct (?P<acc>\d+) of")
    err = capsys.readouterr().err
    assert code == 2
    assert "accuracy 9777 is impossible (a count? name the groups correct and total)" in err


FIVE_VARIANTS = "".join(f"Variant {v}\n" + "".join(f"EPOCH: {e}\nTest Accuracy: {97 + v * 0.1 + e * 0.01:.2f}%\n"
                                                   for e in range(3)) for v in range(5))


@pytest.mark.parametrize(("printed", "accs"), [
    (FIVE_VARIANTS, [[round(97 + v * 0.1 + e * 0.01, 2) for e in range(3)] for v in range(5)]),
    # pytorch/examples' lines, the epoch numbering starting again at 1
    ("".join(f"Train Epoch: {e} [0/60000 (0%)]\tLoss: 0.3\n" + lines([(9800 + 10 * e + run, 0.05)])
             for run in range(2) for e in (1, 2)), [[98.10, 98.20], [98.11, 98.21]]),
    # a new model summary after test lines, no epoch numbers at all
    ("Total params: 1,000\nTest Accuracy: 98.0%\nTest Accuracy: 98.5%\nTotal params: 1,000\nTest Accuracy: 97.0%\n",
     [[98.0, 98.5], [97.0]]),
])
def test_several_training_runs_give_one_report_each(tmp_path, capsys, printed, accs):
    code, paths = imported(tmp_path, printed)
    assert code == 0
    assert [p.name for p in paths] == [f"theirs.run{k}-seed0.json" for k in range(1, len(accs) + 1)]
    reports = [load(p) for p in paths]
    assert [r.test_accs for r in reports] == accs
    assert [(r.source["run"], r.source["runs"]) for r in reports] == [(k, len(accs)) for k in range(1, len(accs) + 1)]
    assert f"holds {len(accs)} training runs: one report each" in capsys.readouterr().out


def test_one_run_repeating_its_epoch_numbers_or_a_scheduler_line_is_still_one_run(tmp_path):
    printed = ("Epoch 1: train\nTest Accuracy: 98.0%\nEpoch 1: done\nEpoch 2: train\n"
               "Epoch 00002: reducing learning rate of group 0 to 1.0000e-03.\nTest Accuracy: 98.6%\n"
               "Best model at epoch 1\n")
    code, paths = imported(tmp_path, printed)
    assert code == 0
    assert [p.name for p in paths] == ["theirs-seed0.json"]
    assert load(paths[0]).test_accs == [98.0, 98.6]
    assert "run" not in load(paths[0]).source


def test_each_runs_printed_parameter_count_is_checked(tmp_path, capsys):
    two = (f"Total params: {NET_PARAMS:,}\nTest Accuracy: 98.0%\n"
           f"Total params: {NET_PARAMS + 5:,}\nTest Accuracy: 97.0%\n")
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, NET, TRAIN, outputs={2: [stream(two)]}))
    assert main(["import-log", str(nb), "--model", str(nb), "--out", str(tmp_path / "o")]) == 2
    assert f"it prints Total params: {NET_PARAMS + 5:,}, but the network" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()   # nothing written: every run is checked first


TRAIN_UNTIL_THE_TARGET = TRAIN.replace("    test(model, device, test_loader)", """    test_acc = test(model, device, test_loader)
    if test_acc >= 99.4:
        break""")
WARNING_NET = NET.replace("F.log_softmax(self.fc(x), dim=-1)", "F.log_softmax(self.fc(x))")   # torch warns


def test_check_names_the_claimed_run_its_printed_figure_and_an_early_break(cli, tmp_path, mnist_root):
    """One tiny check of a notebook that trained five variants, stopped each on the test accuracy, printed its
    accuracy to one decimal, and whose network warns on every forward pass."""
    printed = "".join(f"EPOCH: {e}\nTest Accuracy: {a}%\n" for _ in range(5) for e, a in enumerate(["98.9", "99.5"]))
    nb = write(tmp_path / "variants.ipynb", notebook(IMPORTS, WARNING_NET, TRAIN_UNTIL_THE_TARGET,
                                                     outputs={2: [stream(printed)]}))
    args = ["check", nb, "--static", "--seeds", "0", "--epochs", "1", "--train-limit", "256", "--threads", "1",
            "--device", "cpu", "--out", tmp_path / "out", "--data-dir", mnist_root]   # a fragment: read, not run
    done = cli(*args, env_extra={"COLUMNS": "120"})
    assert done.returncode == 1, done.stderr
    out = " ".join(done.stdout.split())
    assert "claimed (run 5 of 5) best 99.5 % at epoch 2, final 99.5 % at epoch 2" in out
    assert "the claimed final 99.5 % is above the one honest run's" in out
    assert ("variants.ipynb: the outputs hold 5 training runs; the claim is run 5, the last, from cell 4's output "
            "on (--claim-run K picks another)") in out
    assert ("variants.ipynb: the training stops as soon as a test accuracy is reached (cell 4, line 7: if "
            "test_acc >= 99.4:): the claimed run's length was chosen on the test set") in out
    assert done.stderr.count("Implicit dimension choice for log_softmax") == 1   # not once per check
    # Again, finished: nothing to train, so no data is read (an empty --data-dir is never filled); run 2 claimed.
    empty = tmp_path / "no-data"
    empty.mkdir()
    again = cli(*args[:-1], empty, "--claim-run", "2", "--format", "json")
    assert again.returncode == 1, again.stderr
    assert '"run": 2' in again.stdout
    assert '"runs": 5' in again.stdout
    assert not any(empty.iterdir())
    assert "holds 5 training runs" in cli(*args, "--claim-run", "6").stderr
    # Only a sweep with nothing left to tidy skips its data: a killed writer's temporary file sends it the usual
    # way, where the run's lock is taken and the file removed.
    args = build_parser().parse_args(["run", "--model", str(nb), "--recipe", str(nb), "--static", "--epochs", "1",
                                      "--train-limit", "256"])
    cfg = config_of(run_request(args), in_flag_terms)
    folder = tmp_path / "out" / "variants"
    report = folder / f"{cfg.run_name}-seed0.json"
    assert already_final(cfg, [0], torch.device("cpu"), folder).done == [report]
    (folder / f".{report.name}.x1y2.tmp").write_text("half")
    assert already_final(cfg, [0], torch.device("cpu"), folder) is None


@pytest.mark.parametrize(("printed", "shown"), [
    ("Test Accuracy: 99.5%\n", "99.5"), ("test_acc=0.995\n", "99.5"), ("test_acc=0.9946\n", "99.46"),
    ("Test set: Average loss: 0.02, Accuracy: 9950/10000 (99.5%)\n", "99.50"),   # the counts' exact figure
    ("Test set: Average loss: 0.02, Accuracy: 9708/10000 (97%)\n", "97.08"),
])
def test_the_claim_is_shown_as_printed_or_as_its_counts_give_it(tmp_path, printed, shown):
    from reproduce.report.importlog import read_log
    nb = write(tmp_path / "nb.ipynb", notebook(IMPORTS, outputs={0: [stream(printed)]}))
    assert read_log(nb).runs[0].shown == [shown]
