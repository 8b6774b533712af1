"""Model files made to hurt: decompression bombs, lying headers, malformed
metadata, odd dtypes. Each must end in one ModelFileError line naming the
file, never another exception and never a large allocation."""

import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy

from core import Architecture, Network, load_model, save_model
from core.errors import ModelFileError
from core.model_io import HEADER_ALLOWANCE, META_LIMIT

MB = 1 << 20


def valid_arrays(tmp_path, hidden=(8,)):
    """A valid model's members (meta as a dict), from a real save."""
    path = tmp_path / "valid.npz"
    save_model(path, Network.create(Architecture(hidden=hidden), "he", np.random.default_rng(0)).snapshot())
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["meta"] = json.loads(str(arrays["meta"]))
    return arrays


def write_model(path, arrays):
    """np.savez the members; a dict 'meta' is stored the way save_model stores it."""
    arrays = dict(arrays)
    if isinstance(arrays.get("meta"), dict):
        arrays["meta"] = np.array(json.dumps(arrays["meta"]))
    np.savez(path, **{name: value for name, value in arrays.items() if value is not None})
    return path


def stream_member(path, name, header, nbytes, prefix=b""):
    """Append ``name``.npy: an .npy ``header``, ``prefix``, then ``nbytes`` of
    zeros, written in 1 MB pieces so the test itself stays small. Deflate
    shrinks the zeros to almost nothing: the file is small, the member huge."""
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(name + ".npy", "w") as stream,
    ):
        npy.write_array_header_1_0(stream, header)
        stream.write(prefix)
        piece = bytes(MB)
        for start in range(0, nbytes, MB):
            stream.write(piece[: min(MB, nbytes - start)])


def load_peak(path):
    """load_model(path) and the peak bytes Python and NumPy allocated meanwhile."""
    tracemalloc.start()
    try:
        saved = load_model(path)
        return saved, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def opened(monkeypatch):
    """The names of the archive members that get opened for reading."""
    names = []
    real_open = zipfile.ZipFile.open

    def recording_open(self, name, mode="r", *args, **kwargs):
        names.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    return names


def refused(path, *words):
    """Loading ``path`` gives one bounded ModelFileError line naming it and ``words``."""
    with pytest.raises(ModelFileError) as raised:
        load_model(path)
    message = str(raised.value)
    assert str(path) in message and "\n" not in message and len(message) < 400, message
    for word in words:
        assert word in message, message
    return message


# ---- decompression bombs and lying sizes -----------------------------------


def test_a_huge_unused_member_is_never_read(tmp_path, opened):
    path = write_model(tmp_path / "model.npz", valid_arrays(tmp_path))
    stream_member(path, "junk", {"descr": "<f8", "fortran_order": False, "shape": (300 * MB // 8,)}, 300 * MB)
    assert path.stat().st_size < 5 * MB  # the bomb: 300 MB inside a small file
    opened.clear()
    saved, peak = load_peak(path)
    assert saved.snapshot.architecture.describe() == "784-8-10"
    assert peak < 50 * MB
    assert "junk.npy" not in opened
    assert sorted(opened) == ["W0.npy", "W1.npy", "b0.npy", "b1.npy", "meta.npy"]


def test_a_weight_member_declared_too_large_is_refused_before_it_is_read(tmp_path, opened):
    arrays = valid_arrays(tmp_path)
    real = arrays.pop("W0")
    path = write_model(tmp_path / "model.npz", arrays)
    # A true header and true weights, then 100 MB that np.load would skip over.
    stream_member(path, "W0", {"descr": "<f4", "fortran_order": False, "shape": (784, 8)}, 100 * MB, real.tobytes())
    opened.clear()
    message = refused(path, "layer 1 weights ('W0')", "more than the")
    assert f"{784 * 8 * 8 + HEADER_ALLOWANCE:,}" in message
    assert "W0.npy" not in opened


def test_a_header_claiming_a_huge_shape_is_refused_without_allocating_it(tmp_path):
    arrays = valid_arrays(tmp_path)
    arrays.pop("W0")
    path = write_model(tmp_path / "model.npz", arrays)
    stream_member(path, "W0", {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}, 0)
    refused(path, "layer 1 has shape (1000000, 1000000)", "needs (784, 8)")


def test_a_meta_record_over_1_mb_is_refused_before_it_is_read(tmp_path, opened):
    arrays = valid_arrays(tmp_path)
    arrays["meta"]["info"] = {"notes": "x" * (META_LIMIT // 4)}  # 4 bytes a character in a unicode array
    path = write_model(tmp_path / "model.npz", arrays)
    opened.clear()
    refused(path, "'meta' record", "more than the 1,048,576")
    assert "meta.npy" not in opened


def test_a_member_shorter_than_its_header_says_is_refused(tmp_path):
    arrays = valid_arrays(tmp_path)
    arrays.pop("W0")
    path = write_model(tmp_path / "model.npz", arrays)
    stream_member(path, "W0", {"descr": "<f4", "fortran_order": False, "shape": (784, 8)}, 100)
    refused(path, "layer 1 weights ('W0') is damaged")


def central_entry(path, name):
    """Offset of ``name``'s record in the zip's central directory (which
    starts at ``start_dir``: searching the whole file for the signature
    could hit weight bytes)."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        offset = archive.start_dir
    while True:
        assert data[offset : offset + 4] == b"PK\x01\x02"
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + name_length] == name.encode():
            return offset
        offset += 46 + name_length + extra_length + comment_length


@pytest.mark.parametrize(
    "field_offset, value, case",
    [
        (10, 99, "unknown compression method"),
        (8, 1, "marked encrypted"),
        (24, 100, "declared size smaller than the data"),
    ],
)
def test_a_damaged_zip_record_is_one_line(tmp_path, field_offset, value, case):
    path = write_model(tmp_path / "model.npz", valid_arrays(tmp_path))
    entry = central_entry(path, "W0.npy")
    data = bytearray(path.read_bytes())
    layout = "<I" if field_offset == 24 else "<H"
    struct.pack_into(layout, data, entry + field_offset, value)
    path.write_bytes(bytes(data))
    refused(path)


def test_corrupt_compressed_data_is_one_line(tmp_path):
    path = tmp_path / "model.npz"
    arrays = valid_arrays(tmp_path)
    arrays["meta"] = np.array(json.dumps(arrays["meta"]))
    np.savez_compressed(path, **arrays)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("W0.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 64
    for index in range(start, start + 64):
        data[index] ^= 0xFF
    path.write_bytes(bytes(data))
    refused(path, "not a readable model file")


def test_a_member_that_is_not_npy_is_one_line(tmp_path):
    arrays = valid_arrays(tmp_path)
    arrays.pop("W0")
    path = write_model(tmp_path / "model.npz", arrays)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("W0.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': [[[[[[[" + b"\n")
    refused(path, "layer 1 weights ('W0') is not a NumPy array")


# ---- malformed metadata ------------------------------------------------------


def meta_with(arrays, **changes):
    """A copy of the meta dict with top-level keys replaced (None deletes)."""
    meta = dict(arrays["meta"])
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return meta


def architecture_with(arrays, **changes):
    record = dict(arrays["meta"]["architecture"])
    for key, value in changes.items():
        if value is None:
            record.pop(key)
        else:
            record[key] = value
    return meta_with(arrays, architecture=record)


RAW_META = {
    "deeply nested JSON": (np.array("[" * 100_000), "not valid JSON"),
    "Infinity": (np.array('{"format": "digit-tui-model", "version": 1, "x": Infinity}'), "not valid JSON"),
    "NaN": (np.array('{"format": "digit-tui-model", "version": NaN}'), "not valid JSON"),
    "1e999": (np.array('{"format": "digit-tui-model", "version": 1, "x": 1e999}'), "not valid JSON"),
    "an int array": (np.arange(3), "'meta' record is not text"),
    "a 2-D unicode array": (np.array([["{}", "{}"]]), "'meta' record is not text"),
    "bytes": (np.array(b'{"format": "digit-tui-model"}'), "'meta' record is not text"),
    "a JSON list": (np.array("[1, 2]"), "not a digit-tui model"),
}


@pytest.mark.parametrize("case", RAW_META)
def test_a_malformed_meta_record_is_one_line(tmp_path, case):
    arrays = valid_arrays(tmp_path)
    arrays["meta"], expected = RAW_META[case]
    refused(write_model(tmp_path / "model.npz", arrays), expected)


# case -> (changes to the architecture record, words expected)
ARCHITECTURES = {
    "hidden not a list": ({"hidden": "8"}, "architecture 'hidden'"),
    "hidden a string size": ({"hidden": ["8"]}, "architecture 'hidden': layer 1 size '8'"),
    "hidden a bool size": ({"hidden": [True]}, "layer 1 size True"),
    "hidden a float size": ({"hidden": [8.0]}, "layer 1 size 8.0"),
    "hidden a negative size": ({"hidden": [-8]}, "layer 1 size -8"),
    "hidden size 0": ({"hidden": [0]}, "layer 1 size 0"),
    "hidden too wide": ({"hidden": [5000]}, "layer 1 size 5000 is not a whole number in 1-4096"),
    "hidden huge number": ({"hidden": [10**400]}, "architecture 'hidden'"),
    "too many hidden layers": ({"hidden": [8] * 9}, "9 hidden layers, more than the 8"),
    "activation unknown": ({"activation": "swish"}, "architecture 'activation': 'swish' is not one of relu"),
    "activation not a string": ({"activation": ["relu"]}, "architecture 'activation': a list"),
    "dropout a string": ({"dropout": "0.1"}, "architecture 'dropout': '0.1' is not a number in [0, 0.95]"),
    "dropout a bool": ({"dropout": False}, "architecture 'dropout': False"),
    "dropout above 0.95": ({"dropout": 1.5}, "architecture 'dropout': 1.5"),
    "dropout negative": ({"dropout": -0.1}, "architecture 'dropout': -0.1"),
    "dropout huge int": ({"dropout": 10**400}, "architecture 'dropout'"),
    "dropout missing": ({"dropout": None}, "the architecture record has no 'dropout'"),
    "inputs a string": ({"inputs": "784"}, "architecture 'inputs': '784' is not a whole number"),
    "100 inputs": ({"inputs": 100}, "the model has 100 inputs, but this digit-tui needs 784"),
    "classes a float": ({"classes": 10.0}, "architecture 'classes': 10.0 is not a whole number"),
    "20 classes": ({"classes": 20}, "the model has 20 classes, but this digit-tui needs 10"),
}


@pytest.mark.parametrize("case", ARCHITECTURES)
def test_a_malformed_architecture_is_one_line_naming_the_field(tmp_path, case):
    arrays = valid_arrays(tmp_path)
    changes, expected = ARCHITECTURES[case]
    arrays["meta"] = architecture_with(arrays, **changes)
    refused(write_model(tmp_path / "model.npz", arrays), expected)


# case -> (changes to the meta record, words expected)
RECORDS = {
    "architecture not a mapping": ({"architecture": [784, 8, 10]}, "the 'architecture' record is a list"),
    "architecture missing": ({"architecture": None}, "the 'architecture' record is None"),
    "config not a mapping": ({"config": "fast"}, "the 'config' record is 'fast', not a mapping"),
    "normalisation not a mapping": ({"normalisation": 255}, "the 'normalisation' record is 255"),
    "info not a mapping": ({"info": [1]}, "the 'info' record is a list, not a mapping"),
    "pixel_scale 0": ({"normalisation": {"pixel_scale": 0}}, "normalisation 'pixel_scale': 0 is not"),
    "pixel_scale negative": ({"normalisation": {"pixel_scale": -255.0}}, "'pixel_scale': -255.0"),
    "pixel_scale a string": ({"normalisation": {"pixel_scale": "255"}}, "'pixel_scale': '255'"),
    "pixel_scale a bool": ({"normalisation": {"pixel_scale": True}}, "'pixel_scale': True"),
    "pixel_scale huge": ({"normalisation": {"pixel_scale": 10**400}}, "'pixel_scale'"),
    "version true": ({"version": True}, "model format version True is not supported"),
    "version a string": ({"version": "1"}, "model format version '1' is not supported"),
    "version 1.0": ({"version": 1.0}, "model format version 1.0 is not supported"),
    "version a long string": ({"version": "\x1b[2J" + "9" * 10_000}, "is not supported"),
}


@pytest.mark.parametrize("case", RECORDS)
def test_a_malformed_record_is_one_line_naming_it(tmp_path, case):
    arrays = valid_arrays(tmp_path)
    changes, expected = RECORDS[case]
    arrays["meta"] = meta_with(arrays, **changes)
    message = refused(write_model(tmp_path / "model.npz", arrays), expected)
    assert "\x1b" not in message


def test_a_hostile_file_name_is_shown_escaped(tmp_path):
    arrays = valid_arrays(tmp_path)
    arrays["meta"] = np.array("[" * 100_000)
    path = write_model(tmp_path / "evil\x1b[31m.npz", arrays)
    with pytest.raises(ModelFileError) as raised:
        load_model(path)
    assert "\x1b" not in str(raised.value) and "evil\\x1b[31m.npz" in str(raised.value)


# ---- pixel normalisation -----------------------------------------------------


def test_the_stored_pixel_scale_is_exposed(tmp_path):
    arrays = valid_arrays(tmp_path)
    arrays["meta"] = meta_with(arrays, normalisation={"pixel_scale": 1})
    saved = load_model(write_model(tmp_path / "model.npz", arrays))
    assert saved.pixel_scale == 1.0 and isinstance(saved.pixel_scale, float)
    assert saved.normalisation == {"pixel_scale": 1.0}


@pytest.mark.parametrize("normalisation", [None, {}])
def test_an_older_file_without_a_pixel_scale_divides_by_255(tmp_path, normalisation):
    arrays = valid_arrays(tmp_path)
    arrays["meta"] = meta_with(arrays, normalisation=normalisation)
    if normalisation is None:
        assert "normalisation" not in arrays["meta"]
    saved = load_model(write_model(tmp_path / "model.npz", arrays))
    assert saved.pixel_scale == 255.0 and saved.normalisation == {"pixel_scale": 255.0}


# ---- weight dtypes and values ------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.int32, np.bool_, np.longdouble])
def test_weights_that_are_not_32_or_64_bit_floats_are_refused(tmp_path, dtype):
    arrays = valid_arrays(tmp_path)
    if np.dtype(dtype).itemsize in (4, 8) and np.dtype(dtype).kind == "f":
        pytest.skip("longdouble is float64 on this platform")
    arrays["W0"] = arrays["W0"].astype(dtype)
    message = refused(write_model(tmp_path / "model.npz", arrays), "layer 1 weights ('W0')")
    # A 16-byte long double is already larger than 784x8 float64s can be.
    assert "not 32- or 64-bit floating-point numbers" in message or "more than the" in message


def test_a_bias_of_the_wrong_shape_is_refused(tmp_path):
    arrays = valid_arrays(tmp_path)
    arrays["b0"] = np.zeros(9, np.float32)
    refused(write_model(tmp_path / "model.npz", arrays), "layer 1 biases have shape (9,)", "needs (8,)")


def test_an_infinite_bias_is_refused(tmp_path):
    arrays = valid_arrays(tmp_path)
    arrays["b1"] = np.full(10, np.inf, np.float32)
    refused(write_model(tmp_path / "model.npz", arrays), "layer 2 weights are not finite")


def test_float64_weights_stay_float64(tmp_path):
    arrays = valid_arrays(tmp_path)
    expected = {name: arrays[name].astype(np.float64) for name in ("W0", "b0", "W1", "b1")}
    arrays.update(expected)
    saved = load_model(write_model(tmp_path / "model.npz", arrays))
    assert saved.snapshot.dtype == np.float64
    (w0, b0), (w1, b1) = saved.snapshot.weights
    for name, array in zip(("W0", "b0", "W1", "b1"), (w0, b0, w1, b1)):
        assert array.dtype == np.float64 and np.array_equal(array, expected[name])


def test_big_endian_and_fortran_order_weights_read_back_equal(tmp_path):
    arrays = valid_arrays(tmp_path)
    original = arrays["W0"].copy()
    arrays["W0"] = np.asfortranarray(original.astype(">f4"))
    saved = load_model(write_model(tmp_path / "model.npz", arrays))
    weight = saved.snapshot.weights[0][0]
    assert weight.dtype == np.float32 and weight.dtype.isnative and np.array_equal(weight, original)


def test_later_layers_take_the_first_layers_dtype_and_must_fit_it(tmp_path):
    arrays = valid_arrays(tmp_path)
    arrays["W1"] = arrays["W1"].astype(np.float64)
    saved = load_model(write_model(tmp_path / "model.npz", arrays))
    assert all(array.dtype == np.float32 for pair in saved.snapshot.weights for array in pair)
    arrays["W1"] = np.full((8, 10), 1e300)  # finite in float64, infinite in float32
    refused(write_model(tmp_path / "model.npz", arrays), "layer 2 weights are not finite")
