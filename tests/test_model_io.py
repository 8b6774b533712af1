"""Model files: round trip, atomic save, and every way a file can be bad."""

import json
import os

import numpy as np
import pytest

from core import Architecture, Network, load_model, save_model
from core.errors import ModelFileError
from core.inference import predict
from core.model_io import FORMAT_VERSION


def make_network(hidden=(8,)):
    return Network.create(Architecture(hidden=hidden), "he", np.random.default_rng(0))


def test_round_trip_keeps_weights_architecture_and_config(tmp_path):
    network = make_network((8, 4))
    path = tmp_path / "model.npz"
    save_model(path, network.snapshot(), {"lr": 0.1, "hidden": [8, 4]}, {"val_accuracy": 0.5})
    loaded = load_model(path)
    assert loaded.snapshot.architecture == network.architecture
    for a, b in zip(network.parameters(), [w for pair in loaded.snapshot.weights for w in pair]):
        assert np.array_equal(a, b) and a.dtype == b.dtype
    assert loaded.config["lr"] == 0.1 and loaded.normalisation == {"pixel_scale": 255.0}
    assert loaded.pixel_scale == 255.0
    x = np.random.default_rng(1).random((5, 784), dtype=np.float32)
    assert np.array_equal(predict(network.snapshot(), x), predict(loaded.snapshot, x))


def test_save_replaces_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, make_network().snapshot())
    save_model(path, make_network((3,)).snapshot())
    assert load_model(path).snapshot.architecture.hidden == (3,)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, make_network().snapshot())
    before = path.read_bytes()
    with pytest.raises(ModelFileError, match="cannot save"):
        save_model(tmp_path / "missing-folder" / "model.npz", make_network().snapshot())
    assert path.read_bytes() == before


def rewrite(path, **changes):
    """Copy a valid model's arrays with some replaced (None deletes)."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    for name, value in changes.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    np.savez(path, **arrays)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, make_network().snapshot())
    return path


def meta_of(path, **changes):
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
    meta.update(changes)
    return np.array(json.dumps(meta))


@pytest.mark.parametrize(
    "case, expected",
    [
        ("truncated", "not a readable model file"),
        ("text", "not a model file"),
        ("empty", "not a model file"),
        ("future version", f"version 99 is not supported .*version {FORMAT_VERSION}"),
        ("wrong shape", r"layer 1 has shape \(784, 5\)"),
        ("missing layer", "layer 2 weights are missing"),
        ("no meta", "no 'meta' record"),
        ("other format", "not a digit-tui model"),
        ("object array", "never unpickled"),
        ("nan weights", "not finite"),
    ],
)
def test_bad_model_files_give_one_clear_line(saved, case, expected):
    if case == "truncated":
        saved.write_bytes(saved.read_bytes()[:200])
    elif case == "text":
        saved.write_text("label,pixel0\n")
    elif case == "empty":
        saved.write_bytes(b"")
    elif case == "future version":
        rewrite(saved, meta=meta_of(saved, version=99))
    elif case == "wrong shape":
        rewrite(saved, W0=np.zeros((784, 5), np.float32))
    elif case == "missing layer":
        rewrite(saved, W1=None)
    elif case == "no meta":
        rewrite(saved, meta=None)
    elif case == "other format":
        rewrite(saved, meta=meta_of(saved, format="keras"))
    elif case == "object array":
        rewrite(saved, W0=np.array([{"x": 1}], dtype=object))
    elif case == "nan weights":
        rewrite(saved, W0=np.full((784, 8), np.nan, np.float32))
    with pytest.raises(ModelFileError, match=expected) as raised:
        load_model(saved)
    assert str(saved) in str(raised.value) and "\n" not in str(raised.value)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "nope.npz")
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(tmp_path)
