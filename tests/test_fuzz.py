"""Fuzzing the loaders with Hypothesis: random and mutated bytes must give a
dataset or the project's own DataError, nothing else, quickly, in bounded memory.

The normal suite runs a few hundred examples per format; the dedicated run is
    DIGIT_TUI_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py
"""

import gzip
import io
import os
import signal
import tracemalloc
from contextlib import contextmanager

import numpy as np
import pytest
from helpers import idx_bytes, kaggle_csv_text, synthetic_digits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import DataError
from data import load_dataset

EXAMPLES = int(os.environ.get("DIGIT_TUI_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 150,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SECONDS_PER_EXAMPLE = 10
PEAK_BYTES = 64 * 1024 * 1024  # inputs are at most a few kB: 64 MB means something ballooned

IMAGES, LABELS = synthetic_digits(3)
VALID = {
    "csv": kaggle_csv_text(IMAGES, LABELS).encode(),
    "idx": idx_bytes(IMAGES.reshape(-1, 28, 28)),
}
_buffer = io.BytesIO()
np.savez(_buffer, x_train=IMAGES.reshape(-1, 28, 28), y_train=LABELS)
VALID["npz"] = _buffer.getvalue()


@st.composite
def mutated(draw, original):
    """A valid file with a few bytes flipped, inserted, deleted, or cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 16))]
        else:
            del data[position:]
    return bytes(data)


def _timeout(signum, frame):
    raise TimeoutError("the loader took too long")


@contextmanager
def bounded():
    """Fail an example that runs over SECONDS_PER_EXAMPLE or allocates over PEAK_BYTES."""
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(SECONDS_PER_EXAMPLE)
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert peak < PEAK_BYTES


def load_bytes(tmp_path, name, data):
    """Load ``data`` saved as ``name``; only a Dataset or DataError may come out."""
    path = tmp_path / name
    path.write_bytes(data)
    if name.endswith("idx3-ubyte"):  # a labels file beside it, as MNIST ships them
        (tmp_path / name.replace("images-idx3", "labels-idx1")).write_bytes(idx_bytes(LABELS))
    with bounded():
        try:
            dataset = load_dataset(path)
            assert dataset.images.shape[1] == 784 and dataset.images.dtype == np.uint8
        except DataError as error:
            assert str(path) in str(error) and "\n" not in str(error)


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_as_csv(tmp_path, data):
    load_bytes(tmp_path, "train.csv", data)


@FUZZ
@given(data=mutated(VALID["csv"]))
def test_mutated_csv(tmp_path, data):
    load_bytes(tmp_path, "train.csv", data)


@FUZZ
@given(data=mutated(VALID["csv"]), compress_first=st.booleans())
def test_mutated_gzip_csv(tmp_path, data, compress_first):
    # mutate the text then compress it, or compress then mutate the gzip stream
    blob = gzip.compress(data) if compress_first else bytes(mutated_gzip(data))
    load_bytes(tmp_path, "train.csv.gz", blob)


def mutated_gzip(data):
    blob = bytearray(gzip.compress(VALID["csv"]))
    for index in range(0, min(len(data), 64)):
        blob[(data[index] * 31 + index) % len(blob)] ^= data[index]
    return blob


@FUZZ
@given(data=mutated(VALID["idx"]))
def test_mutated_idx(tmp_path, data):
    load_bytes(tmp_path, "train-images-idx3-ubyte", data)


@FUZZ
@given(header=st.lists(st.integers(0, 2**32 - 1), min_size=3, max_size=3), tail=st.binary(max_size=2048))
def test_idx_headers_with_any_counts(tmp_path, header, tail):
    data = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in header) + tail
    load_bytes(tmp_path, "train-images-idx3-ubyte", data)


@FUZZ
@given(data=mutated(VALID["npz"]))
def test_mutated_npz(tmp_path, data):
    load_bytes(tmp_path, "mnist.npz", data)


@FUZZ
@given(
    names=st.lists(st.sampled_from(["x_train", "y_train", "x_test", "other"]), unique=True),
    shape=st.lists(st.integers(0, 30), min_size=1, max_size=3),
    dtype=st.sampled_from(["uint8", "int64", "float32", "float64", "bool", "U3", "complex64"]),
)
def test_npz_with_any_arrays(tmp_path, names, shape, dtype):
    arrays = {name: np.zeros(shape, dtype=dtype) for name in names}
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    load_bytes(tmp_path, "mnist.npz", path.read_bytes())


def test_the_harness_reports_foreign_exceptions(tmp_path, monkeypatch):
    """If a loader raised anything but DataError, the fuzz tests would fail."""
    import data.loading

    monkeypatch.setattr(data.loading, "load_csv", lambda source: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        load_bytes(tmp_path, "train.csv", VALID["csv"])


@FUZZ
@given(data=st.data())
def test_mutated_cache_entries_are_never_served_wrong(tmp_path, data):
    """A damaged cache entry gives the file's own digits (parsed afresh):
    never an exception, never other data."""
    folder = tmp_path / "cache"
    os.environ["DIGIT_TUI_CACHE_DIR"] = str(folder)  # the fixture's folder is per test, not per example
    path = tmp_path / "train.csv"
    path.write_bytes(VALID["csv"])
    load_dataset(path)
    entry = folder / os.listdir(folder)[0]
    entry.write_bytes(data.draw(mutated(entry.read_bytes())))
    loaded = load_bytes_keeping(path)
    assert np.array_equal(loaded.images, IMAGES) and np.array_equal(loaded.labels, LABELS)


def load_bytes_keeping(path):
    """load_dataset on a file already in place, under the same time and memory bounds."""
    with bounded():
        return load_dataset(path)


def valid_model_bytes(tmp_path):
    from core import save_model
    from core.network import Architecture, Network

    path = tmp_path / "valid-model.npz"
    save_model(path, Network.create(Architecture(hidden=(4,)), "he", np.random.default_rng(0)).snapshot())
    return path.read_bytes()


MODEL = None


@FUZZ
@given(data=st.data())
def test_mutated_models_give_a_model_or_one_line(tmp_path, data):
    from core import load_model
    from core.errors import ModelFileError

    global MODEL
    MODEL = MODEL or valid_model_bytes(tmp_path)
    path = tmp_path / "model.npz"
    path.write_bytes(data.draw(mutated(MODEL)))
    with bounded():
        try:
            load_model(path)
        except ModelFileError as error:
            assert str(path) in str(error) and "\n" not in str(error)


@FUZZ
@given(rows=st.integers(0, 2**40), columns=st.integers(0, 2**40))
def test_model_weights_claiming_any_shape_are_refused_cheaply(tmp_path, rows, columns):
    """An .npy header inside a model may claim any shape: refused before allocating."""
    from core import load_model
    from core.errors import ModelFileError

    global MODEL
    MODEL = MODEL or valid_model_bytes(tmp_path)
    source = tmp_path / "source.npz"
    source.write_bytes(MODEL)
    with np.load(source) as archive:
        arrays = dict(archive)
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(64)
    path = tmp_path / "model.npz"
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(f"{name}.npy", npy if name == "W0" else buffer.getvalue())
    with bounded(), pytest.raises(ModelFileError):
        load_model(path)
