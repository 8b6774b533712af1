"""The official test part: where a dataset has one (MNIST's t10k-* files,
an .npz's x_test), validation comes from the training part, and `train`
reports the test accuracy at the end, reading the test files only then."""

import json

import numpy as np
import pytest
from helpers import synthetic_digits, write_csv, write_idx_pair

from core import TrainConfig, load_model
from core.errors import DataError
from data.loading import load_test_part
from tui import session
from tui.cli import main
from tui.session import load_split, score_test_part

TRAIN, TEST = synthetic_digits(60, seed=5), synthetic_digits(30, seed=6)


@pytest.fixture(autouse=True)
def own_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGIT_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    monkeypatch.chdir(tmp_path)


def idx_folder(tmp_path, name="idx", test=True, compress=True):
    folder = tmp_path / name
    folder.mkdir(parents=True)
    write_idx_pair(folder, *TRAIN, compress=compress, prefix="train")
    if test:
        write_idx_pair(folder, *TEST, compress=compress, prefix="t10k")
    return folder


def npz_file(tmp_path, test=True):
    path = tmp_path / "mnist.npz"
    arrays = {"x_train": TRAIN[0].reshape(-1, 28, 28), "y_train": TRAIN[1]}
    if test:
        arrays.update(x_test=TEST[0].reshape(-1, 28, 28), y_test=TEST[1])
    np.savez(path, **arrays)
    return path


def test_validation_comes_from_the_training_part_only(tmp_path):
    folder = idx_folder(tmp_path)
    dataset, split = load_split(str(folder), TrainConfig(val_fraction=0.2))
    assert len(dataset) == len(TRAIN[0]) and len(split.y_train) + len(split.y_val) == len(TRAIN[0])
    train_rows = {row.tobytes() for row in TRAIN[0]}
    assert all(row.tobytes() in train_rows for row in split.val_images)


@pytest.mark.parametrize("make", ["folder", "images file", "plain folder", "npz", "npz in a folder"])
def test_the_test_part_is_found(tmp_path, make):
    if make == "folder":
        path = idx_folder(tmp_path)
    elif make == "images file":
        path = idx_folder(tmp_path) / "train-images-idx3-ubyte.gz"
    elif make == "plain folder":
        path = idx_folder(tmp_path, compress=False)
    elif make == "npz":
        path = npz_file(tmp_path)
    else:
        npz_file(tmp_path)
        path = tmp_path
    test = load_test_part(str(path))
    assert test is not None
    assert np.array_equal(test.images, TEST[0]) and np.array_equal(test.labels, TEST[1])


def test_a_downloaded_dataset_by_name(tmp_path):
    idx_folder(tmp_path / "data", "fashion-mnist")
    test = load_test_part("fashion-mnist")
    assert test is not None and np.array_equal(test.labels, TEST[1])
    assert test.classes[0] == "T-shirt/top"


@pytest.mark.parametrize("make", ["sample", "csv", "no t10k", "npz without x_test", "t10k file", "kaggle folder"])
def test_no_test_part_is_none_never_the_training_part(tmp_path, make):
    if make == "sample":
        path = None
    elif make == "csv":
        path = write_csv(tmp_path / "train.csv", *TRAIN)
    elif make == "no t10k":
        path = idx_folder(tmp_path, test=False)
    elif make == "npz without x_test":
        path = npz_file(tmp_path, test=False)
    elif make == "t10k file":  # given on its own, it is what trains
        path = idx_folder(tmp_path) / "t10k-images-idx3-ubyte.gz"
    else:  # Kaggle's train.csv and its unlabelled test.csv
        write_csv(tmp_path / "train.csv", *TRAIN)
        write_csv(tmp_path / "test.csv", TEST[0])
        path = tmp_path
    assert load_test_part(None if path is None else str(path)) is None


def test_a_damaged_test_file_is_a_data_error(tmp_path):
    folder = idx_folder(tmp_path)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_test_part(str(folder))


def train_json(argv, capsys):
    capsys.readouterr()
    code = main(["train", "--epochs", "1", "--hidden", "8", "--json", *argv])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_train_reports_the_test_accuracy_and_saves_it(tmp_path, capsys):
    folder = idx_folder(tmp_path)
    model = tmp_path / "model.npz"
    code, summary, _ = train_json(["--data", str(folder), "--save", str(model)], capsys)
    assert code == 0
    saved = load_model(model)
    expected = score_test_part(saved.snapshot, str(folder))
    assert summary["test_accuracy"] == expected.accuracy and summary["test_count"] == len(TEST[1])
    assert saved.info["test_accuracy"] == expected.accuracy


def test_the_summary_table_has_a_test_column(tmp_path, capsys):
    folder = idx_folder(tmp_path)
    assert main(["train", "--epochs", "1", "--hidden", "8", "--data", str(folder)]) == 0
    assert "official test (30)" in capsys.readouterr().out
    assert main(["train", "--epochs", "1", "--hidden", "8"]) == 0
    assert "official test" not in capsys.readouterr().out


def test_without_a_test_part_there_is_no_key(tmp_path, capsys):
    code, summary, _ = train_json(["--data", str(idx_folder(tmp_path, test=False))], capsys)
    assert code == 0 and "test_accuracy" not in summary


def test_a_damaged_test_part_is_a_warning_and_the_run_stands(tmp_path, capsys):
    folder = idx_folder(tmp_path)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    model = tmp_path / "model.npz"
    code, summary, err = train_json(["--data", str(folder), "--save", str(model)], capsys)
    assert code == 0 and "test_accuracy" not in summary and model.exists()
    warning = [line for line in err.splitlines() if "test accuracy" in line]
    assert len(warning) == 1 and "t10k-labels-idx1-ubyte.gz" in warning[0], err


def test_the_test_part_is_read_only_after_training(tmp_path, monkeypatch, capsys):
    """Reading 10,000 test digits must not delay the first epoch."""
    events = []
    real_load, real_train = session.load_test_part, session.train

    def recording_load(path):
        events.append("test part read")
        return real_load(path)

    def recording_train(*args, **kwargs):
        events.append("training starts")
        yield from real_train(*args, **kwargs)
        events.append("training ends")

    monkeypatch.setattr(session, "load_test_part", recording_load)
    monkeypatch.setattr(session, "train", recording_train)
    assert main(["train", "--epochs", "1", "--hidden", "8", "--data", str(idx_folder(tmp_path))]) == 0
    assert events == ["training starts", "training ends", "test part read"]


def test_a_save_path_on_the_test_files_is_refused_before_training(tmp_path, capsys):
    folder = idx_folder(tmp_path, compress=False)
    target = folder / "t10k-images-idx3-ubyte"
    before = target.read_bytes()
    assert main(["train", "--epochs", "1", "--data", str(folder), "--save", str(target)]) == 2
    assert target.read_bytes() == before


def test_a_recorded_run_keeps_its_test_accuracy(tmp_path, monkeypatch, capsys):
    from core.run_store import list_runs
    from tui.recording import runs_folder

    monkeypatch.delenv("DIGIT_TUI_RECORD")
    code, summary, _ = train_json(["--data", str(idx_folder(tmp_path))], capsys)
    assert code == 0 and summary["run"]
    [run] = list_runs(runs_folder())
    assert run.name == summary["run"] and run.test_accuracy == summary["test_accuracy"]
