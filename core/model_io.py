"""Model files: one ``.npz`` with the weights, the architecture, the training
settings, the pixel normalisation and the names of the ten classes.

Everything that is not a weight is stored as a JSON string in a plain
unicode array, so files load with ``allow_pickle=False``: opening a model
from someone else can never run code.

A model file is untrusted input, so the reader never lets the file decide
how much memory it gets: it reads only the members the format defines
('meta', then W0, b0, W1, b1, ... as the architecture says), checks each
member's declared size against what the format allows before reading it,
and checks each array's header (dtype and shape) before reading its data.
Every problem is a ModelFileError of one line naming the file.
"""

import ast
import itertools
import json
import lzma
import math
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple, NoReturn

import numpy as np

from .activations import ACTIVATIONS
from .atomic import atomic_write
from .class_names import CLASSES, DIGIT_NAMES, class_names_problem
from .class_names import show_value as _show
from .config import TrainConfig
from .errors import ConfigError, ModelFileError
from .files import open_regular
from .inference import Snapshot
from .network import Architecture
from .settings import MAX_HIDDEN_LAYERS, MAX_UNITS
from .text import printable
from .types import FloatArray, StrPath, WeightPair

FORMAT = "digit-tui-model"
FORMAT_VERSION = 1
# Pixels are divided by this before they reach the network (the default for
# files that do not record their own).
PIXEL_SCALE = 255.0
# This digit-tui reads 28x28 digits into ten classes (core.class_names).
INPUTS = 784
# A real 'meta' record is a few kilobytes; 1 MB leaves room and stops a
# record made to fill memory.
META_LIMIT = 1 << 20
# An .npy header is about 128 bytes; this is a generous bound on it.
HEADER_ALLOWANCE = 4096
# Weights are read as they were saved, but only as 32- or 64-bit floats:
# float16 loses too much, and complex or object arrays are not weights.
WEIGHT_ITEMSIZES = (4, 8)
_DROPOUT = {item.name: item for item in TrainConfig.settings()}["dropout"]
MIN_PIXEL_SCALE, MAX_PIXEL_SCALE = 1.0, 65535.0
# Trained weights stay within a few units; beyond this the logits overflow
# float32 and every prediction is one class.
MAX_WEIGHT = 1e6

# What a damaged or hostile archive can raise while it is read: zipfile's own
# errors, and those of the decompressors it calls (encrypted members raise
# RuntimeError, unknown compression methods NotImplementedError).
_ARCHIVE_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
)

# The .npy versions: how their header length is stored, how the header is encoded.
_NPY_MAGIC = b"\x93NUMPY"
_NPY_VERSIONS = {(1, 0): ("<H", "latin1"), (2, 0): ("<I", "latin1"), (3, 0): ("<I", "utf8")}


class _Member(NamedTuple):
    """One .npy member as read: its header, and its raw data (still bytes)."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype[Any]
    data: bytes


@dataclass
class SavedModel:
    snapshot: Snapshot
    config: dict[str, Any]  # the settings as saved (TrainConfig.from_dict checks them)
    normalisation: dict[str, float]
    info: dict[str, Any]
    # What pixels are divided by before they reach this model's network.
    pixel_scale: float = field(default=PIXEL_SCALE)
    # The names of the classes 0-9, as the data it learnt called them.
    classes: tuple[str, ...] = DIGIT_NAMES


def save_model(
    path: StrPath,
    snapshot: Snapshot,
    config: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
    pixel_scale: float = PIXEL_SCALE,
    classes: Sequence[str] = DIGIT_NAMES,
) -> None:
    """Write a ``Snapshot``'s weights to ``path`` atomically, with the
    settings they were trained with, the pixel scale they expect (an
    opened model keeps its own) and the names of their classes; raise
    ModelFileError on failure, and on names that loading would refuse."""
    problem = class_names_problem(list(classes))
    if problem is not None:
        raise _error(path, f"cannot save the model: 'classes': {problem}")
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "architecture": snapshot.architecture.to_dict(),
        "config": config or {},
        "normalisation": {"pixel_scale": pixel_scale},
        "info": info or {},
        "classes": list(classes),
    }
    arrays = {"meta": np.array(json.dumps(meta))}
    for index, (weight, bias) in enumerate(snapshot.weights):
        arrays[f"W{index}"] = weight
        arrays[f"b{index}"] = bias
    try:
        with atomic_write(path) as stream:
            np.savez(stream, **arrays)  # type: ignore[arg-type]  # no key is allow_pickle, which mypy checks anyway
    except OSError as error:
        raise _error(path, f"cannot save the model: {printable(error.strerror or error, 80)}") from None


def load_model(path: StrPath) -> SavedModel:
    """Read a model file, checking its format, version, every field of its
    metadata and every array's dtype, shape and values."""
    with open_regular(path, ModelFileError, "model file") as stream:
        if stream.read(4) != b"PK\x03\x04":
            raise _error(path, "not a model file (a model is an .npz archive)")
        try:
            with zipfile.ZipFile(stream) as archive:
                return _read_model(path, archive)
        except _ARCHIVE_ERRORS as error:
            raise _error(path, f"not a readable model file ({_reason(error)})") from None


def _read_model(path: StrPath, archive: zipfile.ZipFile) -> SavedModel:
    names = archive.namelist()
    if len(names) != len(set(names)):  # which copy counts would be a guess
        raise _error(path, "holds two members of the same name")
    return _read_model_members(path, archive)


def _read_model_members(path: StrPath, archive: zipfile.ZipFile) -> SavedModel:
    meta = _read_meta(path, archive)
    architecture = _read_architecture(path, meta)
    pixel_scale = _read_pixel_scale(path, meta)
    config, info = _read_mapping(path, meta, "config"), _read_mapping(path, meta, "info")
    classes = _read_classes(path, meta)
    weights = _read_weights(path, archive, architecture.sizes)
    snapshot = Snapshot.of(architecture, weights)
    return SavedModel(snapshot, config, {"pixel_scale": pixel_scale}, info, pixel_scale, classes)


def _error(path: StrPath, text: str) -> ModelFileError:
    return ModelFileError(f"{printable(path)}: {text}")


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "pickle" in text.lower():
        return "it holds Python objects, which are never unpickled"
    return printable(text, 100)


# ---- reading members -------------------------------------------------------


def _read_member(path: StrPath, archive: zipfile.ZipFile, name: str, limit: int, what: str) -> _Member | None:
    """The member ``name`` (None if absent), refused unheard if its declared
    size is over ``limit``: zipfile never inflates past the declared size,
    so nothing larger than ``limit`` is ever held in memory."""
    try:
        info = archive.getinfo(name + ".npy")
    except KeyError:
        return None
    if info.file_size > limit:
        raise _error(path, f"{what} is {info.file_size:,} bytes, more than the {limit:,} it can need")
    with archive.open(info) as stream:
        shape, fortran_order, dtype = _read_header(path, stream, what)
        return _Member(shape, fortran_order, dtype, stream.read(limit))


def _read_header(path: StrPath, stream: IO[bytes], what: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """(shape, fortran_order, dtype) from an .npy member's header."""
    try:
        return _parse_header(stream)
    except (ValueError, TypeError, SyntaxError, RecursionError, struct.error) as error:
        raise _error(path, f"{what} is not a NumPy array ({_reason(error)})") from None


def _parse_header(stream: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """Parsed here, not by numpy: on a hostile header numpy's parser raises
    exceptions it does not document (tokenize.TokenError, IndexError) and
    can print a warning. This reads at most HEADER_ALLOWANCE bytes, parses
    them with ast.literal_eval (no code runs) and accepts only a plain
    dtype string, which is all the format ever writes."""
    start = stream.read(len(_NPY_MAGIC) + 2)
    version = tuple(start[len(_NPY_MAGIC) :])
    if start[: len(_NPY_MAGIC)] != _NPY_MAGIC or version not in _NPY_VERSIONS:
        raise ValueError("no .npy header")
    length_format, encoding = _NPY_VERSIONS[version]
    (length,) = struct.unpack(length_format, stream.read(struct.calcsize(length_format)))
    text = stream.read(min(length, HEADER_ALLOWANCE + 1))
    if length > HEADER_ALLOWANCE or len(text) != length:
        raise ValueError(f"a header of {length:,} bytes")
    header = ast.literal_eval(text.decode(encoding))
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise ValueError("the header lacks descr, fortran_order or shape")
    shape, fortran_order, descr = header["shape"], header["fortran_order"], header["descr"]
    if not isinstance(shape, tuple) or not all(type(size) is int and size >= 0 for size in shape):
        raise ValueError("the header's shape is not whole numbers")
    if type(fortran_order) is not bool or not isinstance(descr, str):
        raise ValueError("the header's fortran_order or descr is malformed")
    return shape, fortran_order, np.dtype(descr)


def _array(path: StrPath, member: _Member, what: str) -> np.ndarray[Any, np.dtype[Any]]:
    """The member's data as an array of its header's dtype and shape (a view
    of the bytes, so nothing is allocated past what was read)."""
    count = math.prod(member.shape)
    if member.dtype.itemsize == 0 or len(member.data) != count * member.dtype.itemsize:
        raise _error(path, f"{what} is damaged (its data does not match its shape)")
    flat = np.frombuffer(member.data, member.dtype, count)
    return flat.reshape(member.shape, order="F" if member.fortran_order else "C")


# ---- metadata --------------------------------------------------------------


def _read_meta(path: StrPath, archive: zipfile.ZipFile) -> dict[str, Any]:
    member = _read_member(path, archive, "meta", META_LIMIT, "the 'meta' record")
    if member is None:
        raise _error(path, "not a digit-tui model (no 'meta' record)")
    if member.dtype.hasobject:
        raise _error(path, "the 'meta' record holds Python objects, which are never unpickled")
    if member.dtype.kind != "U" or member.shape != ():
        raise _error(
            path,
            f"the 'meta' record is not text (it is an array of shape {printable(member.shape, 40)} "
            f"and dtype {printable(member.dtype, 40)})",
        )
    meta = _parse_json(path, _array(path, member, "the 'meta' record"))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _error(path, "not a digit-tui model")
    version = meta.get("version")
    if type(version) is not int or version != FORMAT_VERSION:  # True == 1, but is no version
        raise _error(
            path,
            f"model format version {_show(version)} is not supported (this digit-tui reads version {FORMAT_VERSION})",
        )
    return meta


def _parse_json(path: StrPath, array: np.ndarray[Any, np.dtype[Any]]) -> Any:  # Any: whatever the JSON holds
    """The record's JSON, with no infinity or NaN anywhere in it (Python's
    json reads 'Infinity', 'NaN' and 1e999, which JSON itself does not)."""
    try:
        return json.loads(str(array[()]), parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):  # RecursionError: '[[[[...' nested deeper than Python recurses
        raise _error(path, "the 'meta' record is not valid JSON") from None


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is not a finite number")
    return number


def finite_number(value: object) -> float | None:
    """``value`` as a finite float, or None: bools are not numbers here, and
    an int too large for a float is refused instead of raising."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _read_mapping(path: StrPath, meta: dict[str, Any], key: str) -> dict[str, Any]:
    value = meta.get(key, {})
    if not isinstance(value, dict):
        raise _error(path, f"the '{key}' record is {_show(value)}, not a mapping")
    return value


def _read_pixel_scale(path: StrPath, meta: dict[str, Any]) -> float:
    normalisation = _read_mapping(path, meta, "normalisation")
    value = normalisation.get("pixel_scale", PIXEL_SCALE)  # files before this field divided by 255
    scale = finite_number(value)
    # Pixels are 0-255: a scale outside [1, 65535] sends every input to 0 or
    # to infinity, and every prediction to one class, without a word.
    if scale is None or not MIN_PIXEL_SCALE <= scale <= MAX_PIXEL_SCALE:
        raise _error(path, f"normalisation 'pixel_scale': {_show(value)} is not a number in [1, 65535]")
    return scale


def _read_classes(path: StrPath, meta: dict[str, Any]) -> tuple[str, ...]:
    if "classes" not in meta:
        return DIGIT_NAMES  # a file from before the names were stored: digits
    value = meta["classes"]
    problem = class_names_problem(value)
    if problem is not None:
        raise _error(path, f"'classes': {problem}")
    return tuple(value)


# ---- architecture ------------------------------------------------------------


def _read_architecture(path: StrPath, meta: dict[str, Any]) -> Architecture:
    record = meta.get("architecture")
    if not isinstance(record, dict):
        raise _error(path, f"the 'architecture' record is {_show(record)}, not a mapping")
    return Architecture(
        hidden=_read_hidden(path, record),
        activation=_read_activation(path, record),
        dropout=_read_dropout(path, record),
        inputs=_read_size(path, record, "inputs"),
        classes=_read_size(path, record, "classes"),
    )


def _architecture_field(path: StrPath, record: dict[str, Any], key: str) -> object:
    if key not in record:
        raise _error(path, f"the architecture record has no '{key}'")
    return record[key]


def _read_hidden(path: StrPath, record: dict[str, Any]) -> tuple[int, ...]:
    hidden = _architecture_field(path, record, "hidden")
    if not isinstance(hidden, list):
        raise _error(path, f"architecture 'hidden': {_show(hidden)} is not a list of layer sizes")
    if len(hidden) > MAX_HIDDEN_LAYERS:
        raise _error(
            path, f"architecture 'hidden': {len(hidden)} hidden layers, more than the {MAX_HIDDEN_LAYERS} allowed"
        )
    for number, size in enumerate(hidden, 1):
        if type(size) is not int or not 1 <= size <= MAX_UNITS:  # type(): a bool is no size
            raise _error(
                path,
                f"architecture 'hidden': layer {number} size {_show(size)} is not a whole number in 1-{MAX_UNITS}",
            )
    return tuple(hidden)


def _read_activation(path: StrPath, record: dict[str, Any]) -> str:
    activation = _architecture_field(path, record, "activation")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise _error(path, f"architecture 'activation': {_show(activation)} is not one of {', '.join(ACTIVATIONS)}")
    return activation


def _read_dropout(path: StrPath, record: dict[str, Any]) -> float:
    value = _architecture_field(path, record, "dropout")
    dropout = finite_number(value)
    try:
        _DROPOUT.check(dropout)  # the range training allows, declared once in TrainConfig
    except ConfigError:
        raise _error(path, f"architecture 'dropout': {_show(value)} is not {_DROPOUT.range_text()}") from None
    assert dropout is not None  # check() refuses None (not a finite number) above
    return dropout


def _read_size(path: StrPath, record: dict[str, Any], key: str) -> int:
    """'inputs' or 'classes': a whole number, and the one this digit-tui reads."""
    value = _architecture_field(path, record, key)
    if type(value) is not int:
        raise _error(path, f"architecture '{key}': {_show(value)} is not a whole number")
    needed = INPUTS if key == "inputs" else CLASSES
    if value != needed:
        what = "28x28-pixel digits" if key == "inputs" else "the digits 0-9"
        raise _error(path, f"the model has {_show(value)} {key}, but this digit-tui needs {needed} ({what})")
    return value


# ---- weights ---------------------------------------------------------------


def _read_weights(path: StrPath, archive: zipfile.ZipFile, sizes: tuple[int, ...]) -> list[WeightPair]:
    """One (W, b) pair per layer, all in the first weight's float dtype."""
    weights: list[WeightPair] = []
    dtype: np.dtype[Any] | None = None
    for index, shape in enumerate(itertools.pairwise(sizes)):
        weight = _read_weight(path, archive, f"W{index}", shape, sizes, dtype)
        dtype = weight.dtype
        bias = _read_weight(path, archive, f"b{index}", shape[1:], sizes, dtype)
        weights.append((weight, bias))
    if _has_member(archive, f"W{len(sizes) - 1}"):
        raise _error(path, f"has more layers than its architecture {'-'.join(map(str, sizes))}")
    return weights


def _read_weight(
    path: StrPath,
    archive: zipfile.ZipFile,
    name: str,
    shape: tuple[int, ...],
    sizes: tuple[int, ...],
    dtype: np.dtype[Any] | None,
) -> FloatArray:
    """The array ``name`` (W0, b0, ...) of ``shape``, as finite floats of
    ``dtype`` (the file's own float dtype for the first)."""
    layer = int(name[1:]) + 1
    what = f"layer {layer} {'weights' if name[0] == 'W' else 'biases'} ('{name}')"
    limit = math.prod(shape) * 8 + HEADER_ALLOWANCE  # float64, the widest dtype allowed
    member = _read_member(path, archive, name, limit, what)
    if member is None:
        raise _error(path, f"layer {layer} weights are missing")
    _check_weight_header(path, member, name, what, shape, sizes)
    with np.errstate(over="ignore"):  # an overflow to inf is refused just below, not warned about
        array = _array(path, member, what).astype(dtype or member.dtype.newbyteorder("="))
    if not np.all(np.isfinite(array)):  # after the cast: float64 can overflow float32
        raise _error(path, f"layer {layer} weights are not finite floating-point numbers")
    if array.size and float(np.abs(array).max()) > MAX_WEIGHT:
        raise _error(path, f"{what} hold values beyond {MAX_WEIGHT:g}: not a trained network")
    return array


def _check_weight_header(
    path: StrPath, member: _Member, name: str, what: str, shape: tuple[int, ...], sizes: Sequence[int]
) -> None:
    """Dtype and shape, checked before any of the data is looked at."""
    dtype = member.dtype
    if dtype.hasobject:
        raise _error(path, f"{what} hold Python objects, which are never unpickled")
    if dtype.kind != "f" or dtype.itemsize not in WEIGHT_ITEMSIZES:
        raise _error(path, f"{what} are {printable(dtype, 40)}, not 32- or 64-bit floating-point numbers")
    if member.shape != shape:
        layer = int(name[1:]) + 1
        subject = f"layer {layer} has" if name[0] == "W" else f"layer {layer} biases have"
        raise _error(
            path,
            f"{subject} shape {printable(member.shape, 60)}, but the architecture "
            f"{'-'.join(map(str, sizes))} needs {shape}",
        )


def _has_member(archive: zipfile.ZipFile, name: str) -> bool:
    try:
        archive.getinfo(name + ".npy")
    except KeyError:
        return False
    return True
