"""Weight tiles as one grey image: a grid of tiles, written as a binary PGM
(or as a PNG when Pillow, the ``images`` extra, is installed).

Each tile is scaled on its own, in a diverging way around zero: with m the
tile's largest |w|, grey = 128 + 128 w / m, cut to 0-255 and rounded down, so
a weight of 0 is mid grey 128, +m is white 255 and -m is black 0. The grey
says the sign and the relative size of a weight within its own tile, not
across tiles.
"""

import importlib.util
import math

import numpy as np
import numpy.typing as npt

from core.atomic import atomic_write
from core.errors import DataError
from core.text import printable
from core.types import ByteArray, StrPath

from .images import PILLOW_HINT

# Between tiles, and in the cells a last, partly filled row leaves empty.
BACKGROUND = 0


def tiles_to_grid(tiles: npt.ArrayLike, columns: int | None = None, gap: int = 1) -> ByteArray:
    """Tiles of shape (n, height, width) as one uint8 image, ``columns``
    tiles a row (default: ceil(sqrt(n)), a near-square grid) with ``gap``
    background pixels between neighbouring tiles."""
    stack = np.asarray(tiles, dtype=np.float64)
    if stack.ndim != 3 or 0 in stack.shape:
        raise ValueError(f"tiles must have shape (n, height, width) with n >= 1, not {stack.shape}")
    if not np.all(np.isfinite(stack)):
        raise ValueError("tiles must be finite")
    if gap < 0:
        raise ValueError("the gap cannot be negative")
    count, height, width = stack.shape
    columns = math.ceil(math.sqrt(count)) if columns is None else columns
    if columns < 1:
        raise ValueError("columns must be at least 1")
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    grid = np.full((rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap), BACKGROUND, np.uint8)
    for index, tile in enumerate(stack):
        row, column = divmod(index, columns)
        top, left = row * (height + gap), column * (width + gap)
        grid[top : top + height, left : left + width] = diverging_greys(tile)
    return grid


def diverging_greys(tile: npt.ArrayLike) -> ByteArray:
    """One tile's greys: floor(128 + 128 w / m), cut to 0-255, m = max |w|
    (all 128 when every weight is 0)."""
    values = np.asarray(tile, dtype=np.float64)
    largest = float(np.abs(values).max()) if values.size else 0.0
    if largest == 0:
        return np.full(values.shape, 128, np.uint8)
    greys: ByteArray = np.clip(np.floor(128 + 128 * values / largest), 0, 255).astype(np.uint8)
    return greys


def pgm_bytes(grid: npt.ArrayLike) -> bytes:
    """A 2-D uint8 image as binary PGM: "P5", width, height, 255, then the
    pixels row by row, one byte each."""
    image = _grey_image(grid)
    height, width = image.shape
    return f"P5\n{width} {height}\n255\n".encode("ascii") + image.tobytes()


def write_pgm_grid(path: StrPath, grid: npt.ArrayLike) -> None:
    """The image as a binary PGM at ``path``, written atomically."""
    data = pgm_bytes(grid)
    try:
        with atomic_write(path) as stream:
            stream.write(data)
    except OSError as error:
        raise _write_error(path, error) from None


def png_supported() -> bool:
    """Whether Pillow is installed (found, not imported: that waits for the write)."""
    return importlib.util.find_spec("PIL") is not None


def write_png_grid(path: StrPath, grid: npt.ArrayLike) -> None:
    """The image as a greyscale PNG at ``path``, written atomically; needs Pillow."""
    image = _grey_image(grid)
    try:
        from PIL import Image  # type: ignore[import-not-found, unused-ignore]  # Pillow is an optional extra: absent here, typed when installed
    except ImportError:
        raise DataError(f"PNG output needs Pillow: {PILLOW_HINT}") from None
    picture = Image.fromarray(image)  # a 2-D uint8 array is a greyscale ("L") image
    try:
        with atomic_write(path) as stream:
            picture.save(stream, format="PNG")
    except OSError as error:
        raise _write_error(path, error) from None


def _write_error(path: StrPath, error: OSError) -> DataError:
    return DataError(f"{printable(path)}: cannot write the image: {error.strerror or error}")


def _grey_image(grid: npt.ArrayLike) -> ByteArray:
    image = np.asarray(grid)
    if image.ndim != 2 or image.dtype != np.uint8 or 0 in image.shape:
        raise ValueError("an image is a non-empty 2-D uint8 array")
    contiguous: ByteArray = np.ascontiguousarray(image)
    return contiguous
