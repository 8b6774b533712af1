"""Small fixture builders shared by the tests: synthetic digits and the
file formats the loaders read. Nothing here touches the bundled sample."""

import gzip
import struct

import numpy as np


def synthetic_digits(count=60, seed=0):
    """uint8 images in which each class lights its own 7x7 block, plus noise,
    so that a network can learn them in a few epochs; labels cycle 0-9."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    images = rng.integers(0, 40, size=(count, 28, 28))
    for index, label in enumerate(labels):
        row, col = divmod(int(label), 4)
        images[index, row * 7 : row * 7 + 7, col * 7 : col * 7 + 7] = 250
    return images.reshape(count, 784).astype(np.uint8), labels.astype(np.int64)


def kaggle_csv_text(images, labels=None):
    header = ([] if labels is None else ["label"]) + [f"pixel{i}" for i in range(784)]
    lines = [",".join(header)]
    for index, row in enumerate(images):
        cells = ([] if labels is None else [str(labels[index])]) + [str(v) for v in row]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def write_csv(path, images, labels=None, compress=False):
    text = kaggle_csv_text(images, labels).encode()
    path.write_bytes(gzip.compress(text) if compress else text)
    return path


def idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_pair(folder, images, labels, compress=False, prefix="train"):
    suffix = ".gz" if compress else ""
    images_path = folder / f"{prefix}-images-idx3-ubyte{suffix}"
    labels_path = folder / f"{prefix}-labels-idx1-ubyte{suffix}"
    for path, array in ((images_path, images.reshape(-1, 28, 28)), (labels_path, labels)):
        data = idx_bytes(array)
        path.write_bytes(gzip.compress(data) if compress else data)
    return images_path, labels_path


async def wait_until(pilot, condition, timeout=60):
    """Let the app run until ``condition()`` holds; fail (never hang) after
    ``timeout`` seconds. A guard against a hang, not a speed requirement:
    the conditions hold within a second on any machine."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


async def settle(app, pilot):
    """Wait for the app's workers to finish and for it to handle their messages."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


# Flags for a run that diverges within its first steps (SGD at a learning rate of 100).
DIVERGING = ["--optimizer", "sgd", "--lr", "100", "--epochs", "5", "--schedule", "constant"]
