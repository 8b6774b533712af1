"""Reliability, round two: inputs that used to give a silently wrong result,
hang, or crash. Each case failed on the code before this file existed."""

import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import DIVERGING, idx_bytes, kaggle_csv_text, synthetic_digits, write_csv

from core import load_model, save_model
from core.errors import DataError
from core.inference import predict
from core.network import Architecture, Network
from data import cache, load_dataset, normalise
from tui.cli import main
from tui.session import evaluate_model

ROOT = Path(__file__).resolve().parent.parent


def call_in_thread(function, *args):
    """Run ``function`` in a thread; fail (never hang) if it blocks."""
    result = {}

    def run():
        try:
            result["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "blocked"
    if "error" in result:
        raise result["error"]
    return result["value"]


# ---- silent wrong results --------------------------------------------------------


def test_rows_one_value_longer_than_the_header_are_refused_not_shifted(tmp_path, digits):
    lines = kaggle_csv_text(*digits).splitlines()
    shifted = [lines[0]] + [line + ",0" for line in lines[1:]]
    path = tmp_path / "train.csv"
    path.write_text("\n".join(shifted) + "\n")
    with pytest.raises(DataError, match=r"row 1 has 786 values; the header has 785"):
        load_dataset(path)
    test = tmp_path / "test.csv"
    test.write_text("\n".join([",".join(f"pixel{i}" for i in range(784))] + [",".join(["0"] * 785)] * 3) + "\n")
    with pytest.raises(DataError, match=r"row 1 has 785 values; the header has 784"):
        load_dataset(test, part="test")


def test_an_edit_that_keeps_size_and_date_is_not_served_from_the_cache(tmp_path, digits):
    images, labels = digits
    path = write_csv(tmp_path / "train.csv", images, labels)
    load_dataset(path)
    before = os.stat(path)
    changed = labels.copy()
    changed[0], changed[1] = labels[1], labels[0]  # same size, other content
    write_csv(path, images, changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # cp -p, rsync -t, touch -r
    assert os.stat(path).st_size == before.st_size
    assert np.array_equal(load_dataset(path).labels, changed)


@pytest.mark.parametrize("damage", ["float images", "negative labels", "count mismatch", "other shape"])
def test_a_cache_entry_is_checked_like_a_parsed_file(tmp_path, digits, damage):
    images, labels = digits
    path = write_csv(tmp_path / "train.csv", images, labels)
    load_dataset(path)
    entry = os.path.join(cache.folder(), os.listdir(cache.folder())[0])
    with np.load(entry) as archive:
        stored = dict(archive)
    bad = {
        "float images": dict(images=stored["images"].astype(np.float32)),
        "negative labels": dict(labels=-stored["labels"]),
        "count mismatch": dict(labels=stored["labels"][:-1]),
        "other shape": dict(images=stored["images"][:, :100]),
    }[damage]
    stored.update(bad)
    np.savez(entry, **stored)
    loaded = load_dataset(path)
    assert loaded.images.dtype == np.uint8 and np.array_equal(loaded.labels, labels)


def test_a_fifo_in_the_cache_folder_never_blocks(tmp_path, digits):
    path = write_csv(tmp_path / "train.csv", *digits)
    load_dataset(path)
    entry = os.path.join(cache.folder(), os.listdir(cache.folder())[0])
    os.remove(entry)
    os.mkfifo(entry)
    loaded = call_in_thread(load_dataset, path)
    assert np.array_equal(loaded.labels, digits[1])


def test_a_file_that_changes_while_it_is_parsed_is_not_cached(tmp_path, digits, monkeypatch):
    import data.loading

    path = write_csv(tmp_path / "train.csv", *digits)
    real = data.loading.load_csv

    def parse_then_edit(source):
        dataset = real(source)
        with open(path, "r+b") as stream:  # the same file, edited in place meanwhile
            stream.seek(-2, 2)
            stream.write(b"9\n")
        return dataset

    monkeypatch.setattr(data.loading, "load_csv", parse_then_edit)
    load_dataset(path)
    assert not os.path.exists(cache.folder()) or os.listdir(cache.folder()) == []


@pytest.mark.parametrize("brightest, message", [(1, "every pixel is 0 or 1"), (0, "every pixel is 0")])
def test_binarised_or_blank_pixels_are_refused(tmp_path, digits, brightest, message, capsys):
    images, labels = digits
    path = write_csv(tmp_path / "train.csv", np.minimum(images, brightest), labels)
    with pytest.raises(DataError, match=message):
        load_dataset(path)
    assert main(["train", "--data", str(path), "--epochs", "1"]) == 2
    assert message in capsys.readouterr().err


def model_with_pixel_scale(tmp_path, scale):
    """A small saved model whose metadata records ``scale`` as its pixel scale."""
    network = Network.create(Architecture(hidden=(8,)), "he", np.random.default_rng(0))
    path = tmp_path / "m.npz"
    save_model(path, network.snapshot())
    with np.load(path) as archive:
        arrays = dict(archive)
    meta = json.loads(str(arrays["meta"]))
    meta["normalisation"]["pixel_scale"] = scale
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    return path


def test_a_model_is_evaluated_with_its_own_pixel_scale(tmp_path, digits):
    path = model_with_pixel_scale(tmp_path, 25.5)  # pixels were divided by 25.5 in training
    data = write_csv(tmp_path / "test.csv", *digits)
    saved = load_model(path)
    evaluation = evaluate_model(saved, str(data))
    assert np.array_equal(evaluation.predictions, predict(saved.snapshot, normalise(digits[0], 25.5)))


# ---- messages ----------------------------------------------------------------------


def test_a_blank_first_line_is_not_an_empty_file(tmp_path, digits):
    path = tmp_path / "train.csv"
    path.write_text("\n" + kaggle_csv_text(*digits))
    with pytest.raises(DataError, match="line 1 is blank; expected Kaggle's"):
        load_dataset(path)


def test_a_label_in_the_last_column_says_so(tmp_path, digits):
    images, labels = digits
    rows = [",".join([*map(str, row), str(label)]) for row, label in zip(images, labels)]
    path = tmp_path / "train.csv"
    path.write_text(",".join([f"pixel{i}" for i in range(784)] + ["label"]) + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match="the label is the last column"):
        load_dataset(path)


def test_a_label_close_to_a_whole_number_is_not_one(tmp_path, digits):
    lines = kaggle_csv_text(*digits).splitlines()
    lines[2] = "2.9999999" + lines[2][lines[2].index(",") :]
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"row 2, column label: 2.9999999 is not a whole number"):
        load_dataset(path)


def test_a_huge_cell_and_control_characters_give_one_short_line(tmp_path, digits, capsys):
    lines = kaggle_csv_text(*digits).splitlines()
    lines[1] = "x" * 20_000_000 + lines[1][lines[1].index(",") :]
    path = tmp_path / "evil\x1b[31m\nname.csv"
    path.write_text("\n".join(lines) + "\n")
    assert main(["train", "--data", str(path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err) < 1000 and err.count("\n") == 1 and "\x1b" not in err and "\\x1b" in err


# ---- hangs -----------------------------------------------------------------------------


def test_the_app_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "train.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="is a FIFO or pipe; the app reads regular files only"):
        call_in_thread(load_dataset, str(fifo), "train", False)


def test_the_command_line_reads_a_pipe_once(tmp_path, digits):
    fifo = tmp_path / "train.csv.gz"
    os.mkfifo(fifo)
    payload = gzip.compress(kaggle_csv_text(*digits).encode())

    def write():
        with open(fifo, "wb") as stream:
            stream.write(payload)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    loaded = call_in_thread(load_dataset, str(fifo))
    assert np.array_equal(loaded.images, digits[0]) and np.array_equal(loaded.labels, digits[1])


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for <(...)")
def test_process_substitution_works_end_to_end(tmp_path, digits):
    data = write_csv(tmp_path / "train.csv", *digits, compress=True)
    command = f'"{sys.executable}" -m tui train --data <(zcat "{data}") --epochs 1 --hidden 8 --json'
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["status"] == "completed"


def test_a_model_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    with pytest.raises(Exception, match="is a FIFO or pipe, not a model file"):
        call_in_thread(load_model, str(fifo))


# ---- sizes that lie -------------------------------------------------------------------------


def test_an_idx_header_claiming_huge_images_is_refused_before_reading(tmp_path):
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 1, 1024, 1024)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + bytes(1000)))
    with pytest.raises(DataError, match="images are 1024x1024, expected 28x28"):
        load_dataset(path)


def test_an_idx_file_with_no_images_is_bad_input(tmp_path, capsys):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((0, 28, 28))))
    assert main(["train", "--data", str(path)]) == 2
    assert "has no images" in capsys.readouterr().err


def test_an_npz_member_claiming_more_than_allowed_is_refused_before_reading(tmp_path, monkeypatch):
    import data.npz_format

    images, labels = synthetic_digits(20)
    path = tmp_path / "data.npz"
    np.savez(path, x_train=images, y_train=labels)
    monkeypatch.setattr(data.npz_format, "MAX_MEMBER_BYTES", 1000)  # the images claim 15,808 bytes
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("read despite the claim"))
    with pytest.raises(DataError, match=r"member 'x_train.npy' claims 15,808 bytes, more than the 1,000 allowed"):
        load_dataset(path)


def test_quitting_never_waits_on_a_worker_stuck_in_a_system_call(tmp_path):
    """A worker blocked for good (a dead network mount, say) must not keep
    the process alive after q: the real command ends a few seconds later."""
    script = tmp_path / "stuck.py"
    script.write_text(
        "import threading, sys\n"
        "import tui.workers, tui.app_main\n"
        "tui.workers.load_split = lambda *a, **k: threading.Event().wait()  # blocks for ever\n"
        "from tui.app import DigitApp\n"
        "real_mount = DigitApp.on_mount\n"
        "def on_mount(self):\n"
        "    real_mount(self)\n"
        "    self.set_timer(0.5, self.action_quit)\n"
        "DigitApp.on_mount = on_mount\n"
        "from tui.cli import main\n"
        "sys.exit(main(['--data', sys.argv[1]]))\n"
    )
    data = write_csv(tmp_path / "train.csv", *synthetic_digits(20))
    result = subprocess.run(
        [sys.executable, str(script), str(data)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        env={**os.environ, "TERM": "dumb"},
    )
    assert result.returncode == 0, result.stderr[-500:]


# ---- outputs against every input a path reads ----------------------------------------------


@pytest.mark.parametrize("flag", ["--save", "--metrics"])
def test_an_output_inside_a_data_folder_is_the_input_it_reads(tmp_path, digits, flag, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    data = write_csv(folder / "train.csv", *digits)
    before = data.read_bytes()
    assert main(["train", "--data", str(folder), "--epochs", "1", flag, str(data)]) == 2
    assert "is also an input (--data)" in capsys.readouterr().err and data.read_bytes() == before


def test_an_idx_labels_file_is_an_input_too(tmp_path, digits, capsys):
    from helpers import write_idx_pair

    images, labels_path = write_idx_pair(tmp_path, *digits)
    before = labels_path.read_bytes()
    assert main(["train", "--data", str(images), "--epochs", "1", "--save", str(labels_path)]) == 2
    assert "is also an input (--data)" in capsys.readouterr().err and labels_path.read_bytes() == before


def test_the_bundled_sample_is_an_input_when_no_data_is_given(capsys):
    from data import sample_path

    assert main(["train", "--epochs", "1", "--save", sample_path()]) == 2
    assert "is also an input (--data)" in capsys.readouterr().err


def test_save_and_metrics_through_a_link_are_the_same_file(tmp_path, digits, capsys):
    data = write_csv(tmp_path / "train.csv", *digits)
    (tmp_path / "link.npz").symlink_to(tmp_path / "m.jsonl")
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--epochs",
                "1",
                "--save",
                str(tmp_path / "link.npz"),
                "--metrics",
                str(tmp_path / "m.jsonl"),
            ]
        )
        == 2
    )
    assert "--save and --metrics name the same file" in capsys.readouterr().err


def test_an_existing_metrics_log_is_replaced_by_the_runs_own_lines_only_at_the_end(tmp_path, digits):
    """Before, the old log was truncated when the run began; now it stays
    until the run ends (however it ends) and is then replaced by the lines
    of this run: never a mix, never a stale log presented as this run's."""
    data = write_csv(tmp_path / "train.csv", *digits)
    log = tmp_path / "keep.jsonl"
    log.write_text("precious\n")
    code = main(
        [
            "train",
            "--data",
            str(data),
            *DIVERGING,
            "--metrics",
            str(log),
        ]
    )
    assert code == 2  # diverged
    text = log.read_text()
    assert "precious" not in text and all(json.loads(line)["epoch"] >= 1 for line in text.splitlines())
    assert [name for name in os.listdir(tmp_path) if name.endswith(".part")] == []


def test_a_short_first_row_is_named_not_the_next_one(tmp_path, digits):
    lines = kaggle_csv_text(*digits).splitlines()
    lines[1] = lines[1][: lines[1].rindex(",")]  # row 1 has 784 values
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"row 1 has 784 values; the header has 785"):
        load_dataset(path)


def test_an_empty_hidden_flag_is_refused_not_taken_for_none(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["train", "--hidden", ""])
    assert exited.value.code == 2 and "write none for no hidden layer" in capsys.readouterr().err


@pytest.mark.parametrize("scale", [1e-300, 1e300, 0.5])
def test_a_model_pixel_scale_that_would_flatten_every_input_is_refused(tmp_path, scale):
    from core.errors import ModelFileError

    path = model_with_pixel_scale(tmp_path, scale)
    with pytest.raises(ModelFileError, match=r"pixel_scale.*\[1, 65535\]"):
        load_model(path)


def test_closed_standard_streams_never_crash(tmp_path):
    command = [sys.executable, "-m", "tui", "train", "--data", str(tmp_path / "missing.csv")]
    result = subprocess.run(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=None,
        timeout=120,
        close_fds=True,
        preexec_fn=lambda: os.close(2),
    )
    assert result.returncode == 2


def test_a_text_cell_and_a_long_row_later_are_one_line_not_a_crash(tmp_path, digits, capsys):
    lines = kaggle_csv_text(*digits).splitlines()
    lines[1] = "x" + lines[1][1:]  # row 1's label is text
    lines[30] = lines[30] + ",1,2,3,4,5,6"  # and row 30 is too long
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    assert main(["train", "--data", str(path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err


def test_a_config_number_too_large_for_a_float_is_refused():
    from core.config import TrainConfig
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="too large"):
        TrainConfig.from_dict({"lr": 10**400})


async def test_saving_an_opened_model_keeps_its_pixel_scale(tmp_path, digits):
    from helpers import settle

    from tui.app import DigitApp

    model = model_with_pixel_scale(tmp_path, 25.5)
    data = write_csv(tmp_path / "train.csv", *digits)
    app = DigitApp(data_path=str(data), model_path=str(model))
    async with app.run_test() as pilot:
        await settle(app, pilot)
        state = app.state
        again = tmp_path / "again.npz"
        assert app.save_weights(
            str(again), state.snapshot, state.snapshot_config, state.latest, state.source, state.pixel_scale
        )
    assert load_model(again).pixel_scale == 25.5
