"""Datasets in memory, the stratified train/validation split, normalisation."""

from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from core.class_names import DIGIT_NAMES
from core.errors import DataError
from core.text import printable
from core.types import ByteArray, FloatArray, IntArray, LabelArray

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
CLASSES = 10


@dataclass
class Dataset:
    """Images as uint8 rows of 784 pixels (0-255); labels 0-9, or None for
    unlabelled files such as Kaggle's test.csv; what the classes 0-9 are
    called (the digits, unless a downloaded dataset names them)."""

    images: ByteArray  # (N, 784)
    labels: LabelArray | None  # (N,)
    source: str
    classes: tuple[str, ...] = DIGIT_NAMES

    def __len__(self) -> int:
        return len(self.images)

    def require_labels(self) -> Self:
        if self.labels is None:
            guess = "no *-labels-idx1-ubyte file beside it?" if "idx3" in self.source else "a Kaggle test.csv?"
            raise DataError(f"{printable(self.source)}: has no labels ({guess}); this needs labelled digits")
        return self


def check_pixels(dataset: Dataset) -> Dataset:
    """Refuse pixel values that would give a silently wrong result.

    Pixels are greys 0-255. A binarised set (every pixel 0 or 1) would be
    read as nearly black digits and train to chance without a word, so it is
    refused with the fix; so is a set whose every pixel is 0."""
    brightest = int(dataset.images.max()) if len(dataset) else 0
    if brightest == 0:
        raise DataError(f"{printable(dataset.source)}: every pixel is 0 (blank images)")
    if brightest == 1:
        raise DataError(
            f"{printable(dataset.source)}: every pixel is 0 or 1 (a binarised dataset?); digit-tui "
            "reads greys 0-255 (ink 255): multiply the pixels by 255 first"
        )
    return dataset


@dataclass
class Split:
    """Normalised float32 pixels in [0, 1] for training and validation, plus
    the validation rows' uint8 images (for drawing them)."""

    x_train: FloatArray  # (n_train, 784)
    y_train: LabelArray  # (n_train,)
    x_val: FloatArray  # (n_val, 784)
    y_val: LabelArray  # (n_val,)
    val_images: ByteArray  # (n_val, 784)


def normalise(images: ByteArray, scale: float = 255.0, dtype: type[np.floating[Any]] = np.float32) -> FloatArray:
    """uint8 pixels 0-255 to floats, divided by ``scale`` (255: [0, 1]; a
    saved model records the scale it was trained with)."""
    pixels: FloatArray = images.astype(dtype) * dtype(1.0 / scale)
    return pixels


def split_indices(labels: IntArray, val_fraction: float, seed: int) -> tuple[IntArray, IntArray]:
    """Seeded stratified split: each class gives the same share to validation.

    Returns (train_rows, val_rows), each shuffled."""
    rng = np.random.default_rng(seed)
    train_rows: list[IntArray] = []
    val_rows: list[IntArray] = []
    for digit in range(CLASSES):
        rows = rng.permutation(np.flatnonzero(labels == digit))
        n_val = int(round(len(rows) * val_fraction))
        if len(rows) >= 2:
            n_val = min(max(n_val, 1), len(rows) - 1)
        val_rows.append(rows[:n_val])
        train_rows.append(rows[n_val:])
    return rng.permutation(np.concatenate(train_rows)), rng.permutation(np.concatenate(val_rows))


def split_dataset(dataset: Dataset, val_fraction: float = 0.2, seed: int = 0) -> Split:
    """Split a labelled dataset for training; needs at least 2 digits."""
    labels = dataset.require_labels().labels
    assert labels is not None  # require_labels() raised otherwise
    if len(dataset) < 2:
        raise DataError(
            f"{printable(dataset.source)}: has {len(dataset)} digit(s); training needs at least 2 "
            "(one to learn from, one to validate on)"
        )
    train_rows, val_rows = split_indices(labels, val_fraction, seed)
    if len(train_rows) == 0 or len(val_rows) == 0:
        raise DataError(
            f"{printable(dataset.source)}: too few digits per class to split with validation fraction {val_fraction:g}"
        )
    return Split(
        x_train=normalise(dataset.images[train_rows]),
        y_train=labels[train_rows],
        x_val=normalise(dataset.images[val_rows]),
        y_val=labels[val_rows],
        val_images=dataset.images[val_rows],
    )
