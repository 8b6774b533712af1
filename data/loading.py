"""Open any supported dataset: a file or a folder, format told by content.

    load_dataset()                  the bundled sample
    load_dataset("train.csv")       Kaggle CSV (plain or .gz)
    load_dataset("mnist.npz")       Keras-layout .npz
    load_dataset("train-images-idx3-ubyte.gz")  IDX, with its labels file beside it
    load_dataset("some/folder")     the first known file name found inside
"""

import gzip
import os
import zlib

from core.errors import DataError

from . import cache
from .bundled import sample_path
from .csv_format import load_csv
from .idx_format import load_idx
from .npz_format import load_npz

FOLDER_CANDIDATES = {
    "train": ["train.csv", "train.csv.gz", "mnist.npz", "train-images-idx3-ubyte",
              "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte"],
    "test": ["test.csv", "test.csv.gz", "mnist.npz", "t10k-images-idx3-ubyte",
             "t10k-images-idx3-ubyte.gz", "t10k-images.idx3-ubyte"],
}


def load_dataset(path=None, part="train"):
    """A Dataset from ``path`` (the bundled sample when None).

    ``part`` is "train" or "test": which file a folder or an .npz offers.
    Raises DataError, naming the file, for anything unusable."""
    if path is None:
        path = sample_path()
    path = os.fspath(path)
    if os.path.isdir(path):
        path = _file_in_folder(path, part)
    _check_readable(path)
    kind, compressed = detect_format(path)
    if kind == "npz":
        return load_npz(path, part)
    if kind == "idx":
        labels_path = _labels_beside(path)
        labels_compressed = labels_path is not None and detect_format(labels_path)[1]
        return load_idx(path, labels_path, compressed, labels_compressed)
    if kind == "idx-labels":
        raise DataError(f"{path}: is an IDX labels file; give the matching images file instead")
    dataset = cache.load(path)
    if dataset is None:
        dataset = load_csv(path, compressed)
        cache.store(path, dataset)
    return dataset


def detect_format(path):
    """("csv" | "npz" | "idx" | "idx-labels", gzipped?) from the first bytes."""
    with open(path, "rb") as stream:
        head = stream.read(4)
    compressed = head[:2] == b"\x1f\x8b"
    if compressed:
        try:
            with gzip.open(path, "rb") as stream:
                head = stream.read(4)
        except (EOFError, OSError, zlib.error):
            raise DataError(f"{path}: the gzip data is truncated or corrupt") from None
    if not head:
        raise DataError(f"{path}: the file is empty")
    if head[:4] == b"PK\x03\x04" and not compressed:
        return "npz", False
    if head[:4] == b"\x00\x00\x08\x01":
        return "idx-labels", compressed
    if head[:2] == b"\x00\x00":  # text never starts with NUL: an IDX file, maybe a bad one
        return "idx", compressed
    return "csv", compressed


def _check_readable(path):
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file or folder")
    if os.path.isdir(path):
        raise DataError(f"{path}: is a folder, expected a file")
    if not os.access(path, os.R_OK):
        raise DataError(f"{path}: permission denied")


def _file_in_folder(folder, part):
    for name in FOLDER_CANDIDATES[part]:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    raise DataError(f"{folder}: no dataset found in this folder (looked for "
                    f"{', '.join(FOLDER_CANDIDATES[part])})")


def _labels_beside(images_path):
    """The labels file that MNIST's naming pairs with an images file, or None."""
    folder, name = os.path.split(images_path)
    for images_part, labels_part in (("images-idx3", "labels-idx1"), ("images.idx3", "labels.idx1")):
        if images_part in name:
            base = name.replace(images_part, labels_part)
            stem = base[:-3] if base.endswith(".gz") else base
            for candidate in (stem, stem + ".gz"):
                if os.path.isfile(os.path.join(folder, candidate)):
                    return os.path.join(folder, candidate)
    return None
