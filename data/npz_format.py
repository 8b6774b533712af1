"""NumPy ``.npz`` archives in the Keras layout: ``x_train`` (N, 28, 28) and
``y_train`` (N,), optionally ``x_test`` and ``y_test``.

Loaded with ``allow_pickle=False``: object arrays are refused, never unpickled.
"""

import io
import lzma
import tokenize
import zipfile
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import DataError
from core.text import printable
from core.types import ByteArray, LabelArray

from .dataset import PIXELS, Dataset
from .files import Source

# What reading a hostile archive can raise, from zipfile, zlib, lzma and
# numpy's .npy header parser: all mean "not a readable archive", never a bug here.
ARCHIVE_ERRORS = (
    OSError,
    EOFError,
    KeyError,
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
    zlib.error,
    lzma.LZMAError,
    tokenize.TokenError,
    SyntaxError,
    ValueError,
    TypeError,
)
MAX_MEMBER_BYTES = 8 * 1024**3  # far above 60,000 x 784 bytes; a larger claim is a bomb, not a dataset


def load_npz(source: Source, part: str = "train") -> Dataset:
    """Read the ``part`` ("train" or "test") arrays of an open
    ``data.files.Source``; "test" falls back to train."""
    path = printable(source.path)
    source.stream.seek(0)
    try:
        _check_member_sizes(path, source.stream)
        with np.load(source.stream, allow_pickle=False) as archive:
            names = set(archive.files)
            if part == "test" and "x_test" not in names:
                part = "train"
            x_name, y_name = f"x_{part}", f"y_{part}"
            if x_name not in names:
                raise DataError(
                    f"{path}: has no '{x_name}' array (found: {printable(', '.join(sorted(names)) or 'none', 60)}); "
                    "expected the Keras layout x_train, y_train[, x_test, y_test]"
                )
            images = archive[x_name]
            labels = archive[y_name] if y_name in names else None
    except DataError:
        raise
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise DataError(f"{path}: holds object arrays, which are refused (never unpickled)") from None
        raise DataError(f"{path}: not a readable .npz archive ({error})") from None
    except MemoryError:
        raise DataError(f"{path}: its arrays claim more memory than there is") from None
    except ARCHIVE_ERRORS as error:
        raise DataError(f"{path}: not a readable .npz archive ({printable(error, 80)})") from None
    for name, array in ((x_name, images), (y_name, labels)):
        if array is not None and not isinstance(array, np.ndarray):  # a member that is not an .npy
            raise DataError(f"{path}: '{name}' is not a NumPy array")
    return Dataset(_check_images(path, x_name, images), _check_labels(path, y_name, labels, len(images)), source.path)


def _check_member_sizes(path: str, stream: io.BufferedIOBase) -> None:
    """Refuse before decompressing anything that claims an absurd size."""
    with zipfile.ZipFile(stream) as archive:
        for info in archive.infolist():
            if info.file_size > MAX_MEMBER_BYTES:
                raise DataError(
                    f"{path}: member {printable(info.filename, 40)!r} claims "
                    f"{info.file_size:,} bytes, more than the {MAX_MEMBER_BYTES:,} allowed"
                )
    stream.seek(0)


def _check_images(path: str, name: str, images: npt.NDArray[Any]) -> ByteArray:
    if images.dtype.kind not in "uif" or images.ndim not in (2, 3) or images.size == 0:
        raise DataError(
            f"{path}: '{name}' must be a numeric (N, 28, 28) or (N, 784) array, got {images.dtype} {images.shape}"
        )
    flat = images.reshape(len(images), -1)
    if flat.shape[1] != PIXELS:
        raise DataError(f"{path}: '{name}' images have {flat.shape[1]} pixels, expected 784 (28x28)")
    if images.dtype.kind == "f" and not np.all(np.isfinite(flat)):
        raise DataError(f"{path}: '{name}' holds NaN or infinite pixels")
    if flat.min() < 0 or flat.max() > 255 or (images.dtype.kind == "f" and np.any(flat != np.round(flat))):
        raise DataError(f"{path}: '{name}' pixels must be whole numbers 0-255")
    return flat.astype(np.uint8)


def _check_labels(path: str, name: str, labels: npt.NDArray[Any] | None, count: int) -> LabelArray | None:
    if labels is None:
        return None
    if labels.dtype.kind not in "ui" or labels.ndim != 1:
        raise DataError(f"{path}: '{name}' must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    if len(labels) != count:
        raise DataError(f"{path}: '{name}' has {len(labels)} labels for {count} images")
    if labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: '{name}' holds labels outside 0-9")
    return labels.astype(np.int64)
