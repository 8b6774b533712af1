"""An epoch's mini-batches: the rows copied out of the training set (into
arrays reused from batch to batch), augmented, and perhaps made one batch
ahead in a thread.

``x[rows]`` makes a new (batch, 784) array every step; ``np.take`` with
``out=`` writes the same rows into one kept array instead. ``mode="clip"``
matters: by default ``take`` checks every index and, so that a bad one half
way cannot leave ``out`` half written, first gathers into a temporary array
and copies that (9 times slower here). The rows of a shuffled epoch are all
in range by construction, so there is nothing to check.
"""

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import numpy as np

from .types import FloatArray, IntArray

T = TypeVar("T")


class BatchGather:
    """``take(rows)`` gives the inputs and labels of ``rows`` of (x, y), in
    arrays that the next ``take`` overwrites: read them before then."""

    def __init__(self, x: FloatArray, y: IntArray, batch_size: int) -> None:
        self.x, self.y = x, y
        self._x_batch: FloatArray = np.empty((batch_size, *x.shape[1:]), x.dtype)
        self._y_batch: IntArray = np.empty(batch_size, y.dtype)

    def take(self, rows: IntArray) -> tuple[FloatArray, IntArray]:
        """Rows ``rows`` (at most batch_size of them, each in range) of x and y."""
        n = len(rows)
        if n > len(self._y_batch):
            raise ValueError(f"{n} rows for a batch of {len(self._y_batch)}")
        x_batch, y_batch = self._x_batch[:n], self._y_batch[:n]
        np.take(self.x, rows, axis=0, out=x_batch, mode="clip")
        np.take(self.y, rows, out=y_batch, mode="clip")
        return x_batch, y_batch


def epoch_batches(
    x: FloatArray,
    y: IntArray,
    order: IntArray | None,
    batch_size: int,
    transform: Callable[[FloatArray], FloatArray] | None,
    gather: BatchGather | None,
) -> Iterator[tuple[FloatArray, IntArray]]:
    """One epoch's batches, in ``order`` (None: the whole set as one batch,
    no copy), each transformed (augmented) when ``transform`` is given.
    With ``gather`` they are written into its kept arrays; without, each
    batch is a new array (what a batch made ahead in a thread needs)."""
    if order is None:
        yield (x if transform is None else transform(x)), y
        return
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        x_batch, y_batch = gather.take(rows) if gather is not None else (x[rows], y[rows])
        yield (x_batch if transform is None else transform(x_batch)), y_batch


class Ahead(Generic[T]):
    """Runs an iterator in a thread of its own, one item ahead of its reader:
    the next batch is augmented while this one trains. NumPy lets go of
    Python's lock inside its array loops, so the two run on two cores.

    The items arrive in the iterator's order, whatever the timing, so a
    seeded run is the same run with or without it. ``close`` (or leaving a
    ``with`` block) stops the thread after the item it is making; the
    reader never waits on a thread that has stopped: the thread always ends
    by posting the end, or the error it met."""

    def __init__(self, items: Iterator[T]) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(items,), name="batches-ahead", daemon=True)
        self._thread.start()

    def _fill(self, items: Iterator[T]) -> None:
        try:
            for item in items:
                if not self._post(("item", item)):
                    return
            self._post(("end", None))
        except BaseException as error:  # noqa: BLE001 - handed to the reader, who raises it
            self._post(("error", error))

    def _post(self, entry: tuple[str, Any]) -> bool:
        """Queue ``entry`` unless closed first; whether it was queued."""
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[T]:
        while True:
            kind, value = self._queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)  # a batch takes milliseconds; a daemon thread never holds up an exit

    def __enter__(self) -> "Ahead[T]":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
