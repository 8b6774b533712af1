"""Benchmark: does MNIST-style preprocessing make drawings readable?

    python bench/preprocess_accuracy.py

Trains the `deep` preset on the bundled sample (seed 0), then scores its
1,000 validation digits four ways: as they are; through ``mnist_style``; and
transformed as a drawing might be (scaled up 2-5x by whole pixels, placed at
a random spot on a larger page, inverted for half of them, binarised for
half), once through ``mnist_style`` and once only resized to 28x28 by area
averaging (no preprocessing). Seeded: the same numbers every run.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from core import Finished, preset, train  # noqa: E402
from core.inference import predict  # noqa: E402
from data import load_dataset, normalise, split_dataset  # noqa: E402
from data.preprocess import _area_matrix, mnist_style  # noqa: E402


def as_drawn(image, rng):
    """A digit as a user's drawing or photo might hold it."""
    factor = int(rng.integers(2, 6))
    page = np.zeros((28 * factor + 60, 28 * factor + 80))
    top, left = rng.integers(0, 60), rng.integers(0, 80)
    page[top : top + 28 * factor, left : left + 28 * factor] = np.kron(image, np.ones((factor, factor)))
    if rng.random() < 0.5:
        page = 255 - page  # dark ink on a light page
    if rng.random() < 0.5:
        page = np.where(page > 127, 255.0, 0.0)  # binarised
    return page


def resized_only(page):
    height, width = page.shape
    return np.clip(_area_matrix(height, 28) @ page @ _area_matrix(width, 28).T, 0, 255).astype(np.uint8)


def main():
    config = preset("deep")
    split = split_dataset(load_dataset(), config.val_fraction, config.seed)
    events = train(config, split.x_train, split.y_train, split.x_val, split.y_val)
    snapshot = next(event for event in events if isinstance(event, Finished)).snapshot
    digits, labels = split.val_images.reshape(-1, 28, 28).astype(np.float64), split.y_val
    rng = np.random.default_rng(0)
    pages = [as_drawn(digit, rng) for digit in digits]

    def accuracy(images):
        return float(np.mean(predict(snapshot, normalise(np.stack(images).reshape(-1, 784))) == labels))

    rows = [
        ("validation digits as they are", accuracy(split.val_images)),
        ("the same through mnist_style", accuracy([mnist_style(d) for d in digits])),
        ("transformed, through mnist_style", accuracy([mnist_style(p) for p in pages])),
        ("transformed, only resized to 28x28", accuracy([resized_only(p) for p in pages])),
    ]
    print(f"deep preset, seed 0, {len(labels)} validation digits of the bundled sample")
    for name, value in rows:
        print(f"  {name:<38} {value:6.1%}")


if __name__ == "__main__":
    main()
