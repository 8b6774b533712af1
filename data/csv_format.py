"""Kaggle's CSV layouts: train.csv (label, pixel0..pixel783) and test.csv
(pixel0..pixel783), plain or gzipped, read with pandas.

pandas is imported only when a CSV is read, so that starting the app stays
fast. The fast path parses everything as float32 in one call; only when that
fails does a slower pass find the first bad cell to name it.
"""

import gzip
import re
import zlib

import numpy as np

from core.errors import DataError

from .dataset import PIXELS, Dataset

PIXEL_COLUMNS = [f"pixel{i}" for i in range(PIXELS)]
CHUNK_ROWS = 4096
READ_ERRORS = (EOFError, OSError, zlib.error, UnicodeDecodeError, gzip.BadGzipFile)


def load_csv(path, compressed):
    """Read a Kaggle CSV; raise DataError naming the file, row and column."""
    header = _read_header(path, compressed)
    has_label = _check_header(path, header)
    images, labels, rows = [], [], 0
    for table in _read_chunks(path, compressed, len(header)):
        values = _as_bytes(path, table, header, first_row=rows + 1)
        if has_label:
            bad = np.flatnonzero(values[:, 0] > 9)
            if bad.size:
                raise DataError(f"{path}: row {rows + bad[0] + 1}, column label: "
                                f"{values[bad[0], 0]} is not a digit 0-9")
            labels.append(values[:, 0].astype(np.int64))
        images.append(values[:, 1:] if has_label else values)
        rows += len(table)
    if rows == 0:
        raise DataError(f"{path}: has a header but no rows of digits")
    pixels = np.ascontiguousarray(np.concatenate(images))
    return Dataset(pixels, np.concatenate(labels) if has_label else None, path)


def _read_header(path, compressed):
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as stream:
            first = stream.readline(64 * 1024)
    except READ_ERRORS as error:
        raise DataError(f"{path}: cannot read ({_describe(error)})") from None
    try:
        text = first.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file") from None
    if not text:
        raise DataError(f"{path}: the file is empty")
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        raise DataError(f"{path}: not a text CSV file (it holds binary data)")
    return [name.strip().strip('"') for name in text.split(",")]


def _check_header(path, header):
    """True for train.csv's layout, False for test.csv's; DataError otherwise."""
    if header == ["label", *PIXEL_COLUMNS]:
        return True
    if header == PIXEL_COLUMNS:
        return False
    if all(_is_number(name) for name in header):
        raise DataError(f"{path}: no header line; expected Kaggle's 'label,pixel0,...,pixel783' "
                        "(train.csv) or 'pixel0,...,pixel783' (test.csv)")
    expected = ["label", *PIXEL_COLUMNS] if header[:1] == ["label"] else PIXEL_COLUMNS
    for index, (found, wanted) in enumerate(zip(header, expected)):
        if found != wanted:
            raise DataError(f"{path}: header column {index + 1} is {found!r}, expected {wanted!r}")
    raise DataError(f"{path}: header has {len(header)} columns, expected {len(expected)} "
                    f"({'label + ' if expected[0] == 'label' else ''}784 pixels)")


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_chunks(path, compressed, columns):
    """float32 tables of at most CHUNK_ROWS rows: parsing in chunks keeps
    the peak memory a small multiple of the final uint8 images."""
    import pandas as pd

    options = dict(compression="gzip" if compressed else None, encoding="utf-8-sig",
                   header=0, engine="c")
    try:
        with pd.read_csv(path, dtype=np.float32, chunksize=CHUNK_ROWS, **options) as reader:
            for chunk in reader:
                yield chunk.to_numpy(np.float32)
        return
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: {_parser_message(error, columns)}") from None
    except READ_ERRORS as error:
        raise DataError(f"{path}: cannot read ({_describe(error)})") from None
    except (ValueError, TypeError):
        pass  # a cell that is not a number: find it for the message
    cells = pd.read_csv(path, dtype=str, keep_default_na=False, **options)
    for column in cells.columns:
        numbers = pd.to_numeric(cells[column], errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy() & (cells[column].str.strip() != "").to_numpy())
        if bad.size:
            value = cells[column].iloc[bad[0]]
            raise DataError(f"{path}: row {bad[0] + 1}, column {column}: {value!r} is not a number")
    raise DataError(f"{path}: could not read the cells as numbers")


def _parser_message(error, columns):
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if found:
        return f"line {found.group(2)} has {found.group(3)} values, expected {columns}"
    return f"not a valid CSV ({str(error).strip().splitlines()[-1]})"


def _as_bytes(path, table, header, first_row):
    """The chunk as uint8 once every cell is known to be a whole number 0-255.

    The quick test (min, max, then a round trip through uint8) costs a few
    passes over the chunk; the cell-by-cell search that names the first bad
    cell runs only when it fails."""
    if table.size == 0:
        return table.astype(np.uint8)
    if table.min() >= 0 and table.max() <= 255:  # False for NaN too
        values = table.astype(np.uint8)
        if np.array_equal(values, table):
            return values
    _raise_first_bad_cell(path, table, header, first_row)


def _raise_first_bad_cell(path, table, header, first_row):
    checks = (
        (np.isnan, "missing value"),
        (lambda t: ~np.isfinite(t), "{value:g} is not a finite number"),
        (lambda t: (t < 0) | (t > 255), "pixel value {value:g} is outside 0-255"),
        (lambda t: t != np.round(t), "{value:g} is not a whole number"),
    )
    for find, message in checks:
        rows, cols = np.nonzero(find(table))
        if rows.size:
            row, col = rows[0], cols[0]
            text = message.format(value=table[row, col])
            if header[col] == "label" and "outside" in text:
                text = f"{table[row, col]:g} is not a digit 0-9"
            raise DataError(f"{path}: row {first_row + row}, column {header[col]}: {text}")


def _describe(error):
    if isinstance(error, EOFError):
        return "the gzip data is truncated"
    if isinstance(error, (gzip.BadGzipFile, zlib.error)):
        return "corrupt gzip data"
    if isinstance(error, UnicodeDecodeError):
        return "not a text CSV file"
    return getattr(error, "strerror", None) or str(error)
