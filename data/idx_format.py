"""MNIST's own IDX files: ``*-images-idx3-ubyte`` with ``*-labels-idx1-ubyte``,
plain or gzipped.

Layout: two zero bytes, a type byte (0x08 = unsigned byte), the number of
dimensions, then each dimension as a big-endian 32-bit count, then the data.
Counts are checked against the data actually present before any large array
is made, so a header that claims a billion images costs nothing.
"""

import gzip
import os
import struct
import zlib

import numpy as np

from core.errors import DataError

from .dataset import IMAGE_SIDE, Dataset

MAX_ITEMS = 2_000_000  # far above any MNIST-like set (EMNIST has 814,255)
CHUNK = 16 * 1024 * 1024


def load_idx(images_path, labels_path, images_compressed, labels_compressed):
    """Read an images file and, if given, its labels file."""
    images = _read_idx(images_path, images_compressed, expected_dims=3)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28")
    labels = None
    if labels_path is not None:
        labels = _read_idx(labels_path, labels_compressed, expected_dims=1).astype(np.int64)
        if len(labels) != len(images):
            raise DataError(f"{labels_path}: has {len(labels)} labels but {images_path} has "
                            f"{len(images)} images")
        bad = np.flatnonzero(labels > 9)
        if bad.size:
            raise DataError(f"{labels_path}: label {bad[0] + 1} is {labels[bad[0]]}, not a digit 0-9")
    return Dataset(images.reshape(len(images), -1), labels, images_path)


def _read_idx(path, compressed, expected_dims):
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as stream:
            shape = _read_header(path, stream, expected_dims)
            size = int(np.prod(shape, dtype=np.int64))
            if not compressed:
                available = os.path.getsize(path) - 4 - 4 * expected_dims
                if available < size:
                    raise DataError(f"{path}: header promises {size} bytes of data but the file has "
                                    f"{max(available, 0)}")
            data = _read_exactly(path, stream, size)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        raise DataError(f"{path}: the gzip data is truncated or corrupt") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read ({error.strerror or error})") from None
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _read_header(path, stream, expected_dims):
    magic = stream.read(4)
    kind = "images" if expected_dims == 3 else "labels"
    if len(magic) < 4 or magic[:2] != b"\x00\x00" or magic[2] != 0x08 or magic[3] != expected_dims:
        raise DataError(f"{path}: not an IDX {kind} file (wrong magic number {magic.hex() or 'none'}, "
                        f"expected 000008{expected_dims:02x})")
    raw = stream.read(4 * expected_dims)
    if len(raw) < 4 * expected_dims:
        raise DataError(f"{path}: the IDX header is truncated")
    shape = struct.unpack(f">{expected_dims}I", raw)
    if shape[0] > MAX_ITEMS:
        raise DataError(f"{path}: header claims {shape[0]:,} items, more than the {MAX_ITEMS:,} allowed")
    if expected_dims == 3 and (shape[1] > 1024 or shape[2] > 1024):
        raise DataError(f"{path}: header claims {shape[1]}x{shape[2]} images, expected 28x28")
    return shape


def _read_exactly(path, stream, size):
    """Read ``size`` bytes in chunks, so memory follows the real data, not
    the header's claim; a short file is an error, so is trailing data."""
    parts, remaining = [], size
    while remaining > 0:
        part = stream.read(min(CHUNK, remaining))
        if not part:
            raise DataError(f"{path}: the data ends early ({size - remaining} of {size} bytes)")
        parts.append(part)
        remaining -= len(part)
    if stream.read(1):
        raise DataError(f"{path}: has data after the {size} bytes its header announces")
    return b"".join(parts)
