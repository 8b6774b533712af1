"""An epoch's validation pass: in line, or in a thread of its own while the
next epoch trains.

Every epoch ends with a forward pass over the validation set: with the
bundled sample's 1,000 validation digits that is about a twelfth of an
epoch's work, time during which a second core sits idle when BLAS runs on
one thread. ``evaluate_in_thread`` runs that pass in a thread instead; NumPy
lets go of Python's lock inside its products, so it runs on the spare core
while the next epoch's first steps run on this one. The passes that nothing
can overlap (the last epoch's, the final one over the training set) are
shared between two threads instead (``logits_on_two_cores``). Both read only
a snapshot (copies of the weights), never the arrays being trained, so the
run's numbers are the same either way (see ``core.training`` for how the
events keep their order).
"""

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from . import inference
from .inference import Snapshot
from .losses import cross_entropy, softmax
from .metrics import accuracy
from .types import FloatArray, IntArray

T = TypeVar("T")


@dataclass(frozen=True)
class Evaluation:
    """One snapshot's numbers on a labelled set."""

    loss: float  # mean cross-entropy; nan for an empty set
    accuracy: float
    probabilities: FloatArray  # (rows, classes)


def evaluate(snapshot: Snapshot, x: FloatArray, labels: IntArray, two_cores: bool = False) -> Evaluation:
    """``snapshot``'s loss, accuracy and probabilities on (x, labels);
    ``two_cores``: the pass shared with a thread (``logits_on_two_cores``)."""
    logits = logits_of(snapshot, x, two_cores)
    return Evaluation(loss_of(logits, labels), accuracy_of(logits, labels), softmax(logits))


def logits_of(snapshot: Snapshot, x: FloatArray, two_cores: bool = False) -> FloatArray:
    """``inference.logits(snapshot, x)``; ``two_cores``: shared with a thread (the same numbers)."""
    return logits_on_two_cores(snapshot, x) if two_cores else inference.logits(snapshot, x)


def loss_of(logits: FloatArray, labels: IntArray) -> float:
    return cross_entropy(logits, labels) if len(labels) else float("nan")


def accuracy_of(logits: FloatArray, labels: IntArray) -> float:
    return accuracy(labels, logits.argmax(axis=1))


def evaluate_in_thread(snapshot: Snapshot, x: FloatArray, labels: IntArray) -> "Future[Evaluation]":
    """``evaluate(snapshot, x, labels)``, started in a thread of its own:
    ``done()`` never waits, ``result()`` waits (milliseconds: a forward
    pass has nothing to block on) and raises the pass's error, if any."""
    return _in_thread(lambda: evaluate(snapshot, x, labels))  # ``evaluate`` looked up as it runs: tests slow it


def logits_on_two_cores(snapshot: Snapshot, x: FloatArray) -> FloatArray:
    """``inference.logits(snapshot, x)``, the first half of its slices in a
    thread of its own while this one does the rest: the very same numbers
    (split where ``inference.logits`` slices anyway), in about half the time
    when a core is spare, and no slower than one pass when none is."""
    slices = -(-len(x) // inference.SLICE_ROWS)
    if slices < 2:
        return inference.logits(snapshot, x)
    half = (slices // 2) * inference.SLICE_ROWS
    first = _in_thread(inference.logits, snapshot, x[:half])
    rest = inference.logits(snapshot, x[half:])
    return np.concatenate([first.result(), rest])


def _in_thread(function: Callable[..., T], *args: Any) -> "Future[T]":
    """``function(*args)`` in a daemon thread of its own, as the standard
    library's Future (``done()``, ``result()``, which raises the call's
    error). Not ``concurrent.futures.ThreadPoolExecutor``: the interpreter
    waits for its threads' work when it exits (a 3 s task held up a
    finished script for 3 s), and ``digit-tui train`` must exit on Ctrl+C
    whatever it was doing. A daemon thread is never waited for; a thread's
    start (about 0.1 ms) is small beside a pass."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(function(*args))
        except BaseException as error:  # noqa: BLE001 - handed to whoever reads the result
            future.set_exception(error)

    threading.Thread(target=run, name="evaluate-aside", daemon=True).start()
    return future
