"""The headless CLI: exit codes, JSON output, saved models, submissions."""

import json
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
    code = main(["train", "--data", str(train_csv), *FAST, "--save", str(model),
                 "--metrics", str(metrics), "--json"])
    summary = last_json(capsys)
    assert code == 0
    for key in ("train_accuracy", "val_accuracy", "val_loss", "epochs", "train_seconds", "samples_per_second"):
        assert isinstance(summary[key], (int, float)), key
    assert summary["model"] == str(model) and model.exists() and summary["epochs"] == 2
    lines = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]
    assert lines[-1]["val_accuracy"] == summary["val_accuracy"] or summary["status"] == "completed"


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


@pytest.mark.parametrize("argv, message", [
    (["train", "--lr", "-1"], "learning rate must be a positive number"),
    (["train", "--epochs", "0"], "epochs must be at least 1"),
    (["train", "--hidden", "a,b"], "not a comma-separated list"),
    (["train", "--val-fraction", "1.5"], "validation fraction"),
    (["train", "--data", "/no/such/file.csv"], "/no/such/file.csv: no such file"),
    (["evaluate", "--model", "/no/such/model.npz"], "/no/such/model.npz: no such file"),
    (["train", "--optimizer", "rmsprop"], "invalid choice"),
])
def test_bad_input_exits_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        code = main(argv)
        raise SystemExit(code)
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_real_console_script_exit_codes(tmp_path):
    """The installed entry point, as a user runs it: bad input is 2, no traceback."""
    bad = tmp_path / "train.csv"
    bad.write_text("hello\n")
    result = subprocess.run([sys.executable, "-m", "tui", "train", "--data", str(bad)],
                            capture_output=True, text=True, timeout=60)
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
