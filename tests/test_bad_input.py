"""The bad-input matrix: every case gives one line that names the file (and
the row and column where they apply). The CLI exits with 2 and prints no
traceback; the app shows the message and keeps running."""

import gzip
import json
import os

import numpy as np
import pytest
from helpers import idx_bytes, kaggle_csv_text, synthetic_digits, write_idx_pair

from core import Architecture, Network, save_model
from tui.app import DigitApp
from tui.cli import main
from tui.run_state import Phase

IMAGES, LABELS = synthetic_digits(30)
CSV_LINES = kaggle_csv_text(IMAGES, LABELS).splitlines()


def csv_file(tmp_path, lines, name="train.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def cell(row, column, value):
    lines = list(CSV_LINES)
    cells = lines[row].split(",")
    cells[column] = value
    lines[row] = ",".join(cells)
    return lines


def saved_model(tmp_path, **changes):
    path = tmp_path / "model.npz"
    save_model(path, Network.create(Architecture(hidden=(8,)), "he", np.random.default_rng(0)).snapshot())
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(str(arrays["meta"]))
    meta.update(changes.pop("meta", {}))
    arrays["meta"] = np.array(json.dumps(meta))
    arrays.update(changes)
    np.savez(path, **arrays)
    return path


def unreadable(path, monkeypatch):
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: show what an ordinary user gets
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(path) else real_access(p, mode))
    return path


# name -> (make the file: tmp_path, monkeypatch -> path, expected words)
DATA_CASES = {
    "empty file": (lambda t, m: csv_file(t, []), "the file is empty"),
    "header only": (lambda t, m: csv_file(t, CSV_LINES[:1]), "has a header but no rows"),
    "wrong column count": (
        lambda t, m: csv_file(t, CSV_LINES[:4] + [CSV_LINES[4] + ",0"] + CSV_LINES[5:]),
        "row 4 has 786 values; the header has 785",
    ),
    "missing label column": (
        lambda t, m: csv_file(t, [",".join(line.split(",")[1:]) for line in CSV_LINES]),
        "has no labels",
    ),
    "extra label column": (
        lambda t, m: csv_file(t, ["label," + CSV_LINES[0]] + ["1," + line for line in CSV_LINES[1:]]),
        "header column 2 is 'label', expected 'pixel0'",
    ),
    "non-numeric cell": (lambda t, m: csv_file(t, cell(2, 3, "x7")), "row 2, column pixel2: 'x7' is not a number"),
    "NaN": (lambda t, m: csv_file(t, cell(3, 3, "NaN")), "row 3, column pixel2: missing value"),
    "inf": (lambda t, m: csv_file(t, cell(3, 4, "inf")), "row 3, column pixel3: inf is not a finite number"),
    "pixel below 0": (lambda t, m: csv_file(t, cell(4, 5, "-3")), "row 4, column pixel4: pixel value -3"),
    "pixel above 255": (lambda t, m: csv_file(t, cell(4, 5, "256")), "row 4, column pixel4: pixel value 256"),
    "float pixel": (lambda t, m: csv_file(t, cell(5, 6, "0.5")), "row 5, column pixel5: 0.5 is not a whole number"),
    "label outside 0-9": (lambda t, m: csv_file(t, cell(6, 0, "10")), "row 6, column label: 10 is not a digit"),
    "single row": (lambda t, m: csv_file(t, CSV_LINES[:2]), "has 1 digit(s); training needs at least 2"),
    "duplicated header": (
        lambda t, m: csv_file(t, CSV_LINES[:3] + CSV_LINES[:1] + CSV_LINES[3:]),
        "row 3, column label: 'label' is not a number",
    ),
    "truncated gzip": (
        lambda t, m: _write(t / "train.csv.gz", gzip.compress("\n".join(CSV_LINES).encode())[:2000]),
        "truncated",
    ),
    "gzip that is not CSV": (
        lambda t, m: _write(t / "train.csv.gz", gzip.compress(bytes(range(256)) * 8)),
        "not a text CSV file",
    ),
    "IDX wrong magic": (
        lambda t, m: _write(t / "train-images-idx3-ubyte", b"\x00\x00\x09\x03" + bytes(12)),
        "wrong magic number 00000903",
    ),
    "IDX counts differ": (lambda t, m: _idx_mismatch(t), "has 25 labels but"),
    "IDX claims a billion images": (
        lambda t, m: _write(
            t / "train-images-idx3-ubyte",
            bytes([0, 0, 8, 3]) + (10**9).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2,
        ),
        "claims 1,000,000,000 items",
    ),
    "npz without the arrays": (lambda t, m: _npz(t, images=IMAGES), "has no 'x_train' array"),
    "npz with object arrays": (
        lambda t, m: _npz(t, x_train=np.array([None] * 3, dtype=object), y_train=LABELS[:3]),
        "refused (never unpickled)",
    ),
    "a directory": (lambda t, m: t, "no dataset found in this folder"),
    "no read permission": (lambda t, m: unreadable(csv_file(t, CSV_LINES), m), "permission denied"),
    "no such path": (lambda t, m: t / "missing.csv", "no such file or folder"),
}

MODEL_CASES = {
    "model of another architecture": (
        lambda t, m: saved_model(t, W0=np.zeros((784, 9), np.float32)),
        "layer 1 has shape (784, 9)",
    ),
    "model of another format version": (lambda t, m: saved_model(t, meta={"version": 7}), "version 7 is not supported"),
    "truncated model": (
        lambda t, m: _write(t / "model.npz", saved_model(t).read_bytes()[:300]),
        "not a readable model file",
    ),
    "model path is a directory": (lambda t, m: t, "is a folder, expected a file"),
    "model without read permission": (lambda t, m: unreadable(saved_model(t), m), "permission denied"),
    "model that does not exist": (lambda t, m: t / "nope.npz", "no such file"),
}

FLAG_CASES = {
    "negative learning rate": (["--lr", "-0.1"], "--lr: -0.1 is not a number in (0, 100]"),
    "zero epochs": (["--epochs", "0"], "--epochs: 0 is not a whole number in [1, 100000]"),
    "hidden sizes not numbers": (["--hidden", "ten"], "--hidden: 'ten' is not comma-separated sizes"),
    "validation fraction 0": (["--val-fraction", "0"], "--val-fraction: 0.0 is not a number in (0, 1)"),
    "validation fraction 1.5": (["--val-fraction", "1.5"], "--val-fraction: 1.5 is not a number in (0, 1)"),
    "learning rate not a number": (["--lr", "fast"], "--lr: 'fast' is not a number in (0, 100]"),
    "dropout of 1": (["--dropout", "1"], "--dropout: 1.0 is not a number in [0, 0.95]"),
    "batch size 0": (["--batch-size", "0"], "--batch-size: 0 is not a whole number in [1, 1000000]"),
}


def _write(path, data):
    path.write_bytes(data)
    return path


def _idx_mismatch(tmp_path):
    images_path, labels_path = write_idx_pair(tmp_path, IMAGES, LABELS)
    labels_path.write_bytes(idx_bytes(LABELS[:25]))
    return images_path


def _npz(tmp_path, **arrays):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return path


def run_cli(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


def assert_one_clean_line(code, err, *words):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("digit-tui")
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize("case", sorted(DATA_CASES))
def test_bad_data_file_in_the_cli(case, tmp_path, monkeypatch, capsys):
    make, expected = DATA_CASES[case]
    path = make(tmp_path, monkeypatch)
    code, err = run_cli(["train", "--data", str(path), "--epochs", "1"], capsys)
    assert_one_clean_line(code, err, str(path), expected)


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_bad_model_file_in_the_cli(case, tmp_path, monkeypatch, capsys):
    make, expected = MODEL_CASES[case]
    path = make(tmp_path, monkeypatch)
    code, err = run_cli(["evaluate", "--model", str(path)], capsys)
    assert_one_clean_line(code, err, str(path), expected)


@pytest.mark.parametrize("case", sorted(FLAG_CASES))
def test_bad_flag(case, capsys):
    flags, expected = FLAG_CASES[case]
    for argv in (["train", *flags], flags):  # headless, and the app's own launch
        code, err = run_cli(argv, capsys)
        assert_one_clean_line(code, err, expected)


@pytest.mark.parametrize("case", ["BOM", "Windows line endings"])
def test_accepted_variants(case, tmp_path, capsys):
    text = "\n".join(CSV_LINES) + "\n"
    data = b"\xef\xbb\xbf" + text.encode() if case == "BOM" else text.replace("\n", "\r\n").encode()
    path = _write(tmp_path / "train.csv", data)
    code, _ = run_cli(["train", "--data", str(path), "--epochs", "1", "--json"], capsys)
    assert code == 0


async def _app_shows(app, words):
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = str(app.query_one("#run-status").render())
        assert app.state.phase is Phase.FAILED
        for word in words:
            assert word in shown, (word, shown)
        await pilot.press("b", "c", "t")  # still running and answering keys
        assert app.query_one("TabbedContent").active == "training"


@pytest.mark.parametrize("case", sorted(DATA_CASES))
async def test_bad_data_file_in_the_app(case, tmp_path, monkeypatch):
    make, expected = DATA_CASES[case]
    path = make(tmp_path, monkeypatch)
    await _app_shows(DigitApp(data_path=str(path)), [str(path), expected])


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
async def test_bad_model_file_in_the_app(case, tmp_path, monkeypatch):
    make, expected = MODEL_CASES[case]
    path = make(tmp_path, monkeypatch)
    await _app_shows(DigitApp(model_path=str(path)), [str(path), expected])
