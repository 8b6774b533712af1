"""A 60,000 + 10,000 digit set for bench/scale.py, on disk in two layouts.

The full MNIST when `digit-tui download mnist` has fetched it; otherwise
made from the bundled 5,000 digits with the project's own augmentation
(data/augment.py, elastic: rotation, scale, shear, a sub-pixel shift and a
smooth distortion, seeded), so that no two digits are the same, as in a
real set of that size. Written as MNIST's four gzipped IDX files (what
`digit-tui download` leaves) and as Kaggle-layout CSVs (train.csv with
60,000 rows, a labelled test.csv with 10,000), the format the loader caches.
"""

import gzip
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from core.errors import DataError  # noqa: E402
from data import load_dataset  # noqa: E402
from data.augment import Augmenter  # noqa: E402
from data.datasets import downloaded_folder  # noqa: E402
from data.loading import load_test_part  # noqa: E402

TRAIN, TEST = 60_000, 10_000
SIDE = 28


def full_mnist():
    """(train images, labels, test images, labels, where from) of a
    downloaded MNIST, or None if it is not there."""
    try:
        folder = downloaded_folder("mnist")
    except DataError:
        return None
    train, test = load_dataset(folder), load_test_part(folder)
    if test is None or len(train) < TRAIN or len(test) < TEST:
        return None
    return train.images, train.labels, test.images, test.labels, f"the full MNIST in {folder}"


def augmented(count, seed, batch=2048):
    """``count`` digits made from the bundled sample's, each an elastic
    version of one of them (cycling through the sample): uint8 and labels."""
    sample = load_dataset()
    rng = np.random.default_rng(seed)
    augmenter = Augmenter("elastic")
    rows = np.arange(count) % len(sample)
    images = np.empty((count, SIDE * SIDE), np.uint8)
    for start in range(0, count, batch):
        chosen = rows[start : start + batch]
        made = augmenter(sample.images[chosen].astype(np.float32) / 255.0, rng)
        images[start : start + len(chosen)] = np.rint(made * 255.0)
    return images, sample.labels[rows].astype(np.uint8)


def made_from_sample():
    train_images, train_labels = augmented(TRAIN, seed=1)
    test_images, test_labels = augmented(TEST, seed=2)
    where = "made from the bundled 5,000 digits with data/augment.py (elastic): the full MNIST is not downloaded"
    return train_images, train_labels, test_images, test_labels, where


def write_idx(path, array):
    """One gzipped IDX file: images (n, 28, 28) or labels (n,), unsigned bytes."""
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb", compresslevel=6) as stream:
        stream.write(header)
        stream.write(np.ascontiguousarray(array, np.uint8).tobytes())


def csv_rows(labels, images):
    """Rows in Kaggle's layout (label,pixel0,...,pixel783) as bytes, made
    with array operations: each value's decimal digits are scattered into
    one byte array (np.savetxt takes about a minute for 60,000 rows)."""
    values = np.column_stack([labels, images]).astype(np.int32)
    widths = np.where(values >= 100, 3, np.where(values >= 10, 2, 1))
    ends = np.cumsum(widths + 1).reshape(values.shape)  # each value, then its separator
    text = np.empty(int(ends[-1, -1]), np.uint8)
    for position in range(3):  # hundreds, tens, units, right-aligned against the separator
        present = widths >= 3 - position
        digit = (values[present] // 10 ** (2 - position)) % 10 + ord("0")
        text[ends[present] - 1 - (3 - position)] = digit
    text[ends - 1] = ord(",")
    text[ends[:, -1] - 1] = ord("\n")
    return text.tobytes()


def write_csv(path, labels, images, rows=5000):
    """A Kaggle-layout CSV with a header, written ``rows`` rows at a time."""
    with open(path, "wb") as stream:
        stream.write(("label," + ",".join(f"pixel{i}" for i in range(SIDE * SIDE)) + "\n").encode())
        for start in range(0, len(labels), rows):
            stream.write(csv_rows(labels[start : start + rows], images[start : start + rows]))


def write_sets(folder):
    """Both layouts under ``folder`` (idx/ and csv/); what the digits are."""
    found = full_mnist() or made_from_sample()
    train_images, train_labels, test_images, test_labels, where = found
    idx, csv = os.path.join(folder, "idx"), os.path.join(folder, "csv")
    os.makedirs(idx)
    os.makedirs(csv)
    for part, images, labels in (("train", train_images, train_labels), ("t10k", test_images, test_labels)):
        write_idx(os.path.join(idx, f"{part}-images-idx3-ubyte.gz"), images.reshape(-1, SIDE, SIDE))
        write_idx(os.path.join(idx, f"{part}-labels-idx1-ubyte.gz"), labels)
    for name, images, labels in (("train.csv", train_images, train_labels), ("test.csv", test_images, test_labels)):
        write_csv(os.path.join(csv, name), labels, images)
    return {"idx": idx, "csv": csv, "train": len(train_labels), "test": len(test_labels), "digits": where}
