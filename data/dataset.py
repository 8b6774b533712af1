"""Datasets in memory, the stratified train/validation split, normalisation."""

from dataclasses import dataclass
from typing import Optional

import numpy as np

from core.errors import DataError

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
CLASSES = 10


@dataclass
class Dataset:
    """Images as uint8 rows of 784 pixels (0-255); labels 0-9, or None for
    unlabelled files such as Kaggle's test.csv."""

    images: np.ndarray
    labels: Optional[np.ndarray]
    source: str

    def __len__(self):
        return len(self.images)

    def require_labels(self):
        if self.labels is None:
            raise DataError(f"{self.source}: has no labels (a Kaggle test.csv?); this needs labelled digits")
        return self


@dataclass
class Split:
    """Normalised float32 pixels in [0, 1] for training and validation, plus
    the validation rows' uint8 images (for drawing them)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    val_images: np.ndarray


def normalise(images, dtype=np.float32):
    """uint8 pixels 0-255 to floats in [0, 1]."""
    return images.astype(dtype) * dtype(1.0 / 255.0)


def split_indices(labels, val_fraction, seed):
    """Seeded stratified split: each class gives the same share to validation.

    Returns (train_rows, val_rows), each shuffled."""
    rng = np.random.default_rng(seed)
    train_rows, val_rows = [], []
    for digit in range(CLASSES):
        rows = rng.permutation(np.flatnonzero(labels == digit))
        n_val = int(round(len(rows) * val_fraction))
        if len(rows) >= 2:
            n_val = min(max(n_val, 1), len(rows) - 1)
        val_rows.append(rows[:n_val])
        train_rows.append(rows[n_val:])
    return rng.permutation(np.concatenate(train_rows)), rng.permutation(np.concatenate(val_rows))


def split_dataset(dataset, val_fraction=0.2, seed=0):
    """Split a labelled dataset for training; needs at least 2 digits."""
    dataset.require_labels()
    if len(dataset) < 2:
        raise DataError(f"{dataset.source}: has {len(dataset)} digit(s); training needs at least 2 "
                        "(one to learn from, one to validate on)")
    train_rows, val_rows = split_indices(dataset.labels, val_fraction, seed)
    if len(train_rows) == 0 or len(val_rows) == 0:
        raise DataError(f"{dataset.source}: too few digits per class to split with validation fraction "
                        f"{val_fraction:g}")
    return Split(
        x_train=normalise(dataset.images[train_rows]), y_train=dataset.labels[train_rows],
        x_val=normalise(dataset.images[val_rows]), y_val=dataset.labels[val_rows],
        val_images=dataset.images[val_rows])
