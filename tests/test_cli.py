"""The headless CLI: exit codes, JSON output, saved models, submissions."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import write_csv

from tui.cli import main

FAST = ["--epochs", "2", "--hidden", "16"]


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture
def train_csv(tmp_path, digits):
    return write_csv(tmp_path / "train.csv", *digits)


def test_train_json_summary_and_saved_model(tmp_path, train_csv, capsys):
    model = tmp_path / "m.npz"
    metrics = tmp_path / "run.jsonl"
    code = main(["train", "--data", str(train_csv), *FAST, "--save", str(model), "--metrics", str(metrics), "--json"])
    summary = last_json(capsys)
    assert code == 0
    for key in ("train_accuracy", "val_accuracy", "val_loss", "epochs", "train_seconds", "samples_per_second"):
        assert isinstance(summary[key], (int, float)), key
    assert summary["model"] == str(model) and model.exists() and summary["epochs"] == 2
    lines = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2] and summary["status"] == "completed"
    # the kept epoch's weights (the best, by default) are the summary's: one set of numbers
    kept = lines[summary["kept_epoch"] - 1]
    assert summary["kept"] == "best" and kept["val_accuracy"] == max(line["val_accuracy"] for line in lines)
    assert kept["val_accuracy"] == summary["val_accuracy"] and 0 <= summary["val_accuracy"] <= 1
    assert kept["val_loss"] == summary["val_loss"]
    # the two training losses are named apart: running (per epoch) and final (one pass)
    assert "running_loss" in lines[-1] and "train_loss" not in lines[-1]
    assert summary["train_loss"] > 0 and summary["train_loss"] != kept["running_loss"]


def test_keep_last_reports_the_last_epoch(tmp_path, train_csv, capsys):
    metrics = tmp_path / "run.jsonl"
    assert main(["train", "--data", str(train_csv), *FAST, "--keep", "last", "--metrics", str(metrics), "--json"]) == 0
    summary = last_json(capsys)
    last = [json.loads(line) for line in metrics.read_text().splitlines()][-1]
    assert summary["kept_epoch"] == last["epoch"] == 2
    assert (summary["val_accuracy"], summary["val_loss"]) == (last["val_accuracy"], last["val_loss"])


def test_train_human_output(train_csv, capsys):
    assert main(["train", "--data", str(train_csv), *FAST]) == 0
    out = capsys.readouterr().out
    assert "784-16-10 trained with adam" in out and "accuracy" in out


def test_evaluate_json_and_tables(tmp_path, train_csv, capsys):
    model = tmp_path / "m.npz"
    main(["train", "--data", str(train_csv), *FAST, "--save", str(model), "--json"])
    capsys.readouterr()
    assert main(["evaluate", "--model", str(model), "--data", str(train_csv), "--json"]) == 0
    result = last_json(capsys)
    confusion = np.array(result["confusion"])
    assert result["n"] == 60 and confusion.shape == (10, 10) and confusion.sum() == 60
    assert result["accuracy"] == pytest.approx(np.trace(confusion) / 60)
    assert confusion.sum(axis=1).tolist() == [6] * 10  # rows are the true labels
    assert main(["evaluate", "--model", str(model), "--data", str(train_csv)]) == 0
    out = capsys.readouterr().out
    assert "confusion matrix" in out and "precision" in out


def test_predict_writes_a_kaggle_submission(tmp_path, train_csv, digits, capsys):
    model = tmp_path / "m.npz"
    main(["train", "--data", str(train_csv), *FAST, "--save", str(model), "--json"])
    test_csv = write_csv(tmp_path / "test.csv", digits[0][:7])
    out = tmp_path / "submission.csv"
    assert main(["predict", "--model", str(model), "--data", str(test_csv), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "ImageId,Label" and len(lines) == 8
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(1, 8))
    assert all(0 <= int(line.split(",")[1]) <= 9 for line in lines[1:])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--lr", "-1"], "argument --lr: -1.0 is not a number in (0, 100]"),
        (["train", "--epochs", "0"], "argument --epochs: 0 is not a whole number in [1, 100000]"),
        (["train", "--hidden", "a,b"], "'a,b' is not comma-separated sizes"),
        (["train", "--hidden", "0"], "argument --hidden: '0' is not comma-separated sizes of 1-4096 units"),
        (["train", "--hidden", "100000000"], "'100000000' is not comma-separated sizes"),
        (["train", "--l2", "inf"], "argument --l2: inf is not a number in [0, 1]"),
        (["train", "--val-fraction", "1.5"], "argument --val-fraction: 1.5 is not a number in (0, 1)"),
        (["train", "--step-every", "0"], "argument --step-every: 0 is not a whole number"),
        (["train", "--gamma", "2"], "argument --gamma: 2.0 is not a number in (0, 1]"),
        (["train", "--save", ""], "the model path is empty"),
        (["train", "--metrics", " "], "the metrics log path is empty"),
        (["train", "--save", "/no/such/folder/m.npz"], "folder /no/such/folder does not exist"),
        (["train", "--save", "[red]m[b].npz", "--data", "[red]m[b].npz"], "[red]m[b].npz: is also an input (--data)"),
        (["--save", "/no/such/folder/m.npz"], "folder /no/such/folder does not exist"),
        (["train", "--data", "/no/such/file.csv"], "/no/such/file.csv: no such file"),
        (["evaluate", "--model", "/no/such/model.npz"], "/no/such/model.npz: no such file"),
        (["train", "--optimizer", "rmsprop"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        code = main(argv)
        raise SystemExit(code)
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_output_paths_are_checked_before_any_training(tmp_path, train_csv, monkeypatch, capsys):
    import tui.headless

    def must_not_train(*args, **kwargs):
        raise AssertionError("training started before the output paths were checked")

    monkeypatch.setattr(tui.headless, "train_split", must_not_train)
    for flag in ("--save", "--metrics"):
        assert main(["train", "--data", str(train_csv), flag, str(tmp_path / "missing" / "out")]) == 2
        assert "does not exist" in capsys.readouterr().err
        assert main(["train", "--data", str(train_csv), flag, str(train_csv)]) == 2
        assert "is also an input (--data)" in capsys.readouterr().err
    assert train_csv.read_text().startswith("label,pixel0")  # the input is intact


def test_every_setting_has_a_flag_and_the_flags_match_the_form():
    """One declaration per setting: each TrainConfig field is a flag of both
    the app and train, with its range in the help."""
    from core.config import TrainConfig
    from tui.cli import build_parser

    parser = build_parser()
    train_parser = parser._subparsers._group_actions[0].choices["train"]
    for item in TrainConfig.settings():
        for p in (parser, train_parser):
            action = next(a for a in p._actions if item.flag in a.option_strings)
            assert item.range_text() in action.help
    args = parser.parse_args(["--step-every", "3", "--gamma", "0.25", "--init", "uniform"])
    from tui.options import config_from_args

    config = config_from_args(args)
    assert (config.step_every, config.gamma, config.init) == (3, 0.25, "uniform")


def test_real_console_script_exit_codes(tmp_path):
    """The installed entry point, as a user runs it: bad input is 2, no traceback."""
    bad = tmp_path / "train.csv"
    bad.write_text("hello\n")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "train", "--data", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("digit-tui: error: ") and str(bad) in result.stderr
    assert "Traceback" not in result.stderr


def test_unexpected_errors_exit_1(monkeypatch, capsys):
    import tui.cli

    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(tui.cli, "run_command", broken)
    assert main(["train"]) == 1
    assert "unexpected error" in capsys.readouterr().err


def test_the_progress_display_ends_on_its_totals(train_csv, capsys):
    """The last frame shows every epoch and every batch of the last one done."""
    assert main(["train", "--data", str(train_csv), "--epochs", "3", "--hidden", "8", "--batch-size", "4"]) == 0
    err = capsys.readouterr().err
    batches = -(-50 // 4)  # 60 digits, one of each class held out for validation
    assert re.search(r"epochs\s.*\b3/3\b", err) and re.search(rf"epoch 3\s.*\b{batches}/{batches}\b", err), err
