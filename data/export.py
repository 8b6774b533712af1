"""Saving your own digits: a 28x28 digit as a PGM image, and as a labelled
row appended to a Kaggle-layout CSV, so drawings can be collected and used
for training or evaluation (``--data my-digits.csv``)."""

import os

import numpy as np
import numpy.typing as npt

from core.atomic import atomic_write
from core.errors import DataError
from core.text import printable

from .csv_format import PIXEL_COLUMNS

KAGGLE_HEADER = ",".join(["label", *PIXEL_COLUMNS])


def write_pgm(path: str, digit: npt.NDArray[np.uint8]) -> None:
    """The digit as a binary PGM (P5, 8-bit), written atomically."""
    image = np.asarray(digit, dtype=np.uint8).reshape(28, 28)
    with atomic_write(path) as stream:
        stream.write(b"P5\n28 28\n255\n" + image.tobytes())


def append_row(path: str, digit: npt.NDArray[np.uint8], label: int) -> int:
    """Append ``label`` and the digit's 784 pixels to the CSV at ``path``
    (made with Kaggle's header if new); the file is replaced atomically, so
    a crash leaves the old rows intact. Returns how many digits it holds."""
    if not 0 <= int(label) <= 9:
        raise DataError(f"{printable(path)}: the label must be a digit 0-9")
    row = ",".join(map(str, [int(label), *np.asarray(digit, dtype=np.uint8).reshape(784).tolist()]))
    old = _existing(path)
    text = (old if old.endswith("\n") else old + "\n") if old else KAGGLE_HEADER + "\n"
    with atomic_write(path, "w") as stream:
        stream.write(text + row + "\n")
    return text.count("\n")


def next_free_name(stem: str, suffix: str) -> str:
    """``stem-0001.pgm``, or the first number not taken yet."""
    number = 1
    while os.path.exists(f"{stem}-{number:04d}{suffix}"):
        number += 1
    return f"{stem}-{number:04d}{suffix}"


def _existing(path: str) -> str:
    if not os.path.exists(path):
        return ""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except UnicodeDecodeError:
        raise DataError(f"{printable(path)}: is not a text CSV: refusing to append to it") from None
    if not text.startswith(KAGGLE_HEADER):
        raise DataError(f"{printable(path)}: is not a Kaggle train.csv (label,pixel0,...): refusing to append to it")
    return text
