"""Model files: one ``.npz`` with the weights, the architecture, the training
settings and the pixel normalisation.

Everything that is not a weight is stored as a JSON string in a plain
unicode array, so files load with ``allow_pickle=False``: opening a model
from someone else can never run code.
"""

import json
import os
import zipfile
from dataclasses import dataclass

import numpy as np

from .atomic import atomic_write
from .errors import ModelFileError
from .inference import Snapshot
from .network import Architecture

FORMAT = "digit-tui-model"
FORMAT_VERSION = 1
# Pixels are divided by this before they reach the network.
PIXEL_SCALE = 255.0


@dataclass
class SavedModel:
    snapshot: Snapshot
    config: dict
    normalisation: dict
    info: dict


def save_model(path, snapshot, config=None, info=None):
    """Write a ``Snapshot``'s weights to ``path`` atomically, with the
    settings they were trained with; raise ModelFileError on failure."""
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "architecture": snapshot.architecture.to_dict(),
        "config": config or {},
        "normalisation": {"pixel_scale": PIXEL_SCALE},
        "info": info or {},
    }
    arrays = {"meta": np.array(json.dumps(meta))}
    for index, (weight, bias) in enumerate(snapshot.weights):
        arrays[f"W{index}"] = weight
        arrays[f"b{index}"] = bias
    try:
        with atomic_write(path) as stream:
            np.savez(stream, **arrays)
    except OSError as error:
        raise ModelFileError(f"{path}: cannot save the model: {error.strerror or error}") from None


def load_model(path):
    """Read a model file, checking its format, version and every shape."""
    _check_readable(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ModelFileError(f"{path}: not a readable model file ({_reason(error)})") from None
    meta = _read_meta(path, arrays)
    try:
        architecture = Architecture.from_dict(meta["architecture"])
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: the architecture record is incomplete ({error})") from None
    weights = _read_weights(path, arrays, architecture.sizes)
    return SavedModel(Snapshot.of(architecture, weights), meta.get("config", {}), meta.get("normalisation", {}), meta.get("info", {}))


def _check_readable(path):
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a folder, not a model file")
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such file")
    if not os.access(path, os.R_OK):
        raise ModelFileError(f"{path}: permission denied")
    with open(path, "rb") as stream:
        if stream.read(4) != b"PK\x03\x04":
            raise ModelFileError(f"{path}: not a model file (a model is an .npz archive)")


def _reason(error):
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "pickle" in text.lower():
        return "it holds Python objects, which are never unpickled"
    return text


def _read_meta(path, arrays):
    if "meta" not in arrays:
        raise ModelFileError(f"{path}: not a digit-tui model (no 'meta' record)")
    try:
        meta = json.loads(str(arrays["meta"]))
    except ValueError:
        raise ModelFileError(f"{path}: the 'meta' record is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a digit-tui model")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {meta.get('version')!r} is not supported "
                             f"(this digit-tui reads version {FORMAT_VERSION})")
    return meta


def _read_weights(path, arrays, sizes):
    weights = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        weight, bias = arrays.get(f"W{index}"), arrays.get(f"b{index}")
        if weight is None or bias is None:
            raise ModelFileError(f"{path}: layer {index + 1} weights are missing")
        if weight.shape != (fan_in, fan_out) or bias.shape != (fan_out,):
            raise ModelFileError(
                f"{path}: layer {index + 1} has shape {weight.shape}, but the architecture "
                f"{'-'.join(map(str, sizes))} needs {(fan_in, fan_out)}")
        if weight.dtype.kind != "f" or not np.all(np.isfinite(weight)) or not np.all(np.isfinite(bias)):
            raise ModelFileError(f"{path}: layer {index + 1} weights are not finite floating-point numbers")
        weights.append((weight, bias.astype(weight.dtype)))
    if f"W{len(sizes) - 1}" in arrays:
        raise ModelFileError(f"{path}: has more layers than its architecture {'-'.join(map(str, sizes))}")
    return weights
