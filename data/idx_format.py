"""MNIST's own IDX files: ``*-images-idx3-ubyte`` with ``*-labels-idx1-ubyte``,
plain or gzipped.

Layout: two zero bytes, a type byte (0x08 = unsigned byte), the number of
dimensions, then each dimension as a big-endian 32-bit count, then the data.
Counts are checked against the data actually present before any large array
is made, so a header that claims a billion images costs nothing.
"""

import gzip
import io
import struct
import zlib

import numpy as np

from core.errors import DataError
from core.text import printable
from core.types import ByteArray

from .dataset import IMAGE_SIDE, Dataset
from .files import Source

MAX_ITEMS = 2_000_000  # far above any MNIST-like set (EMNIST has 814,255)
CHUNK = 16 * 1024 * 1024


def load_idx(images: Source, labels: Source | None = None) -> Dataset:
    """Read an images file and, if given, its labels file: both open
    ``data.files.Source`` objects."""
    pixels = _read_idx(images, expected_dims=3)
    shown = printable(images.path)
    if len(pixels) == 0:
        raise DataError(f"{shown}: has no images")
    values = None
    if labels is not None:
        values = _read_idx(labels, expected_dims=1).astype(np.int64)
        if len(values) != len(pixels):
            raise DataError(f"{printable(labels.path)}: has {len(values)} labels but {shown} has {len(pixels)} images")
        bad = np.flatnonzero(values > 9)
        if bad.size:
            raise DataError(f"{printable(labels.path)}: label {bad[0] + 1} is {values[bad[0]]}, not a digit 0-9")
    return Dataset(pixels.reshape(len(pixels), -1), values, images.path)


def _read_idx(source: Source, expected_dims: int) -> ByteArray:
    path = printable(source.path)
    source.stream.seek(0)
    compressed = source.compressed
    try:
        stream: io.BufferedIOBase = gzip.GzipFile(fileobj=source.stream, mode="rb") if compressed else source.stream
        shape = _read_header(path, stream, expected_dims)
        size = int(np.prod(shape, dtype=np.int64))
        if not compressed:
            available = _size_of(source.stream) - 4 - 4 * expected_dims
            if available < size:
                raise DataError(f"{path}: header promises {size} bytes of data but the file has {max(available, 0)}")
        data = _read_exactly(path, stream, size)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        raise DataError(f"{path}: the gzip data is truncated or corrupt") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read ({error.strerror or error})") from None
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _size_of(stream: io.BufferedIOBase) -> int:
    position = stream.tell()
    size = stream.seek(0, 2)
    stream.seek(position)
    return size


def _read_header(path: str, stream: io.BufferedIOBase, expected_dims: int) -> tuple[int, ...]:
    magic = stream.read(4)
    kind = "images" if expected_dims == 3 else "labels"
    if len(magic) < 4 or magic[:2] != b"\x00\x00" or magic[2] != 0x08 or magic[3] != expected_dims:
        raise DataError(
            f"{path}: not an IDX {kind} file (wrong magic number {magic.hex() or 'none'}, "
            f"expected 000008{expected_dims:02x})"
        )
    raw = stream.read(4 * expected_dims)
    if len(raw) < 4 * expected_dims:
        raise DataError(f"{path}: the IDX header is truncated")
    shape = struct.unpack(f">{expected_dims}I", raw)
    if shape[0] > MAX_ITEMS:
        raise DataError(f"{path}: header claims {shape[0]:,} items, more than the {MAX_ITEMS:,} allowed")
    if expected_dims == 3 and shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):  # before a byte of data is read
        raise DataError(f"{path}: images are {shape[1]}x{shape[2]}, expected 28x28")
    return shape


def _read_exactly(path: str, stream: io.BufferedIOBase, size: int) -> bytes:
    """Read ``size`` bytes in chunks, so memory follows the real data, not
    the header's claim; a short file is an error, so is trailing data."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        part = stream.read(min(CHUNK, remaining))
        if not part:
            raise DataError(f"{path}: the data ends early ({size - remaining} of {size} bytes)")
        parts.append(part)
        remaining -= len(part)
    if stream.read(1):
        raise DataError(f"{path}: has data after the {size} bytes its header announces")
    return b"".join(parts)
