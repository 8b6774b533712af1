"""Kaggle's CSV layouts: train.csv (label, pixel0..pixel783) and test.csv
(pixel0..pixel783), plain or gzipped, read with pandas from an open stream.

pandas is imported only when a CSV is read, so that starting the app stays
fast. The header line is read and checked here; pandas parses the rows
after it with no header and no index, so every row must have exactly as
many values as the header (a row with one more is refused, never shifted
into an index column). Cells are parsed as float64, in which 2.9999999 is
not 3; only when a chunk fails does a slower pass find the first bad cell
to name it.
"""

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from typing import NoReturn

import numpy as np
import numpy.typing as npt

from core.errors import DataError
from core.text import printable
from core.types import ByteArray, LabelArray

from .dataset import PIXELS, Dataset
from .files import Source

# A chunk of rows as pandas parses them, every cell a float64.
Table = npt.NDArray[np.float64]

PIXEL_COLUMNS = [f"pixel{i}" for i in range(PIXELS)]
CHUNK_ROWS = 4096
READ_ERRORS = (EOFError, OSError, zlib.error, UnicodeDecodeError, gzip.BadGzipFile)
TRAIN_HEADER_HINT = "Kaggle's 'label,pixel0,...,pixel783' (train.csv) or 'pixel0,...,pixel783' (test.csv)"


def load_csv(source: Source) -> Dataset:
    """Read a Kaggle CSV from an open ``data.files.Source``; raise DataError
    naming the file, row and column."""
    path = printable(source.path)
    stream = _rows_stream(source)
    header = _read_header(path, stream)
    has_label = _check_header(path, header)
    images: list[ByteArray] = []
    labels: list[LabelArray] = []
    rows = 0
    for table in _read_chunks(path, stream, source, len(header)):
        values = _as_bytes(path, table, header, first_row=rows + 1)
        if has_label:
            labels.append(values[:, 0].astype(np.int64))
        images.append(values[:, 1:] if has_label else values)
        rows += len(table)
    if rows == 0:
        raise DataError(f"{path}: has a header but no rows of digits")
    pixels = np.ascontiguousarray(np.concatenate(images))
    return Dataset(pixels, np.concatenate(labels) if has_label else None, source.path)


def _rows_stream(source: Source) -> io.BufferedIOBase:
    """The decompressed bytes, from the start."""
    source.stream.seek(0)
    return gzip.GzipFile(fileobj=source.stream, mode="rb") if source.compressed else source.stream


def _read_header(path: str, stream: io.BufferedIOBase) -> list[str]:
    try:
        first = stream.readline(64 * 1024)
    except READ_ERRORS as error:
        raise DataError(f"{path}: cannot read ({_describe(error)})") from None
    try:
        text = first.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file") from None
    if not text:
        rest = _peek_more(stream)
        raise DataError(
            f"{path}: line 1 is blank; expected {TRAIN_HEADER_HINT}" if rest else f"{path}: the file is empty"
        )
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        raise DataError(f"{path}: not a text CSV file (it holds binary data)")
    return [name.strip().strip('"') for name in text.split(",")]


def _peek_more(stream: io.BufferedIOBase) -> bytes:
    try:
        return stream.read(64 * 1024).strip()
    except READ_ERRORS:
        return b""


def _check_header(path: str, header: list[str]) -> bool:
    """True for train.csv's layout, False for test.csv's; DataError otherwise."""
    if header == ["label", *PIXEL_COLUMNS]:
        return True
    if header == PIXEL_COLUMNS:
        return False
    if header == [*PIXEL_COLUMNS, "label"]:
        raise DataError(
            f"{path}: the label is the last column; Kaggle's layout puts it first ('label,pixel0,...,pixel783')"
        )
    if all(_is_number(name) for name in header):
        raise DataError(f"{path}: no header line; expected {TRAIN_HEADER_HINT}")
    expected = ["label", *PIXEL_COLUMNS] if header[:1] == ["label"] else PIXEL_COLUMNS
    for index, (found, wanted) in enumerate(zip(header, expected)):
        if found != wanted:
            raise DataError(f"{path}: header column {index + 1} is {printable(found, 40)!r}, expected {wanted!r}")
    raise DataError(
        f"{path}: header has {len(header)} columns, expected {len(expected)} "
        f"({'label + ' if expected[0] == 'label' else ''}784 pixels)"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_chunks(path: str, stream: io.BufferedIOBase, source: Source, columns: int) -> Iterator[Table]:
    """float64 tables of at most CHUNK_ROWS rows, each as wide as the header:
    parsing in chunks keeps the peak memory a small multiple of the final
    uint8 images."""
    import pandas as pd

    options = dict(header=None, index_col=False, encoding="utf-8", engine="c", skip_blank_lines=True)
    rows = 0
    try:
        with pd.read_csv(stream, dtype=np.float64, chunksize=CHUNK_ROWS, **options) as reader:
            for chunk in reader:
                if chunk.shape[1] != columns:
                    raise DataError(f"{path}: row {rows + 1} has {chunk.shape[1]} values; the header has {columns}")
                rows += len(chunk)
                yield chunk.to_numpy(np.float64)
        return
    except pd.errors.EmptyDataError:
        return  # a header and nothing after it
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: {_parser_message(error, columns)}") from None
    except READ_ERRORS as error:
        raise DataError(f"{path}: cannot read ({_describe(error)})") from None
    except (ValueError, TypeError):
        pass  # a cell that is not a number: find it for the message
    _raise_first_text_cell(path, source, columns)


def _raise_first_text_cell(path: str, source: Source, columns: int) -> NoReturn:
    """Find the first cell that is not a number, reading the rows again as
    text, chunk by chunk (so memory stays bounded), and name it."""
    import pandas as pd

    stream = _rows_stream(source)
    stream.readline(64 * 1024)  # the header
    header = ["label", *PIXEL_COLUMNS] if columns == PIXELS + 1 else PIXEL_COLUMNS
    options = dict(dtype=str, keep_default_na=False, header=None, index_col=False, encoding="utf-8")
    rows = 0
    try:
        with pd.read_csv(stream, chunksize=CHUNK_ROWS, **options) as reader:
            for cells in reader:
                for column in cells.columns[: len(header)]:
                    numbers = pd.to_numeric(cells[column], errors="coerce")
                    text = cells[column].str.strip() != ""
                    bad = np.flatnonzero(numbers.isna().to_numpy() & text.to_numpy())
                    if bad.size:
                        value = printable(cells[column].iloc[bad[0]], 40)
                        where = f"row {rows + bad[0] + 1}, column {header[column]}"
                        raise DataError(f"{path}: {where}: {value!r} is not a number")
                rows += len(cells)
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: {_parser_message(error, columns)}") from None
    except READ_ERRORS as error:
        raise DataError(f"{path}: cannot read ({_describe(error)})") from None
    raise DataError(f"{path}: could not read the cells as numbers")


def _parser_message(error: Exception, columns: int) -> str:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if found:
        expected, line, saw = (int(group) for group in found.groups())
        if expected != columns:  # pandas took its count from the first row: that row is the odd one
            return f"row 1 has {expected} values; the header has {columns}"
        return f"row {line} has {saw} values; the header has {columns}"
    return f"not a valid CSV ({printable(str(error).strip().splitlines()[-1], 80)})"


def _as_bytes(path: str, table: Table, header: list[str], first_row: int) -> ByteArray:
    """The chunk as uint8 once every cell is known to be a whole number 0-255
    (and every label a digit 0-9).

    The quick test (min, max, then a round trip through uint8) costs a few
    passes over the chunk; the cell-by-cell search that names the first bad
    cell runs only when it fails."""
    if table.size == 0:
        return table.astype(np.uint8)
    labels_fine = header[0] != "label" or (table[:, 0].min() >= 0 and table[:, 0].max() <= 9)
    if labels_fine and table.min() >= 0 and table.max() <= 255:  # False for NaN too
        values = table.astype(np.uint8)
        if np.array_equal(values, table):
            return values
    _raise_first_bad_cell(path, table, header, first_row)


def _raise_first_bad_cell(path: str, table: Table, header: list[str], first_row: int) -> NoReturn:
    label = header[0] == "label"
    checks = (
        (np.isnan, "missing value"),
        (lambda t: ~np.isfinite(t), "{value} is not a finite number"),
        (lambda t: t != np.round(t), "{value} is not a whole number"),
        (lambda t: (t < 0) | (t > 255), "pixel value {value} is outside 0-255"),
        (lambda t: _label_column(t, label) & ((t < 0) | (t > 9)), "{value} is not a digit 0-9"),
    )
    for find, message in checks:
        rows, cols = np.nonzero(find(table))
        if rows.size:
            row, col = rows[0], cols[0]
            text = message.format(value=format(float(table[row, col]), ".10g"))
            if header[col] == "label" and "outside" in text:
                text = f"{format(float(table[row, col]), '.10g')} is not a digit 0-9"
            raise DataError(f"{path}: row {first_row + row}, column {header[col]}: {text}")
    raise DataError(f"{path}: rows {first_row}-{first_row + len(table) - 1} hold values outside 0-255")


def _label_column(table: Table, label: bool) -> npt.NDArray[np.bool]:
    mask = np.zeros(table.shape, dtype=bool)
    if label:
        mask[:, 0] = True
    return mask


def _describe(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return "the gzip data is truncated"
    if isinstance(error, (gzip.BadGzipFile, zlib.error)):
        return "corrupt gzip data"
    if isinstance(error, UnicodeDecodeError):
        return "not a text CSV file"
    return getattr(error, "strerror", None) or printable(str(error), 80)
