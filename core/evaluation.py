"""An epoch's validation pass: in line, or in a thread of its own while the
next epoch trains.

Every epoch ends with a forward pass over the validation set: with the
bundled sample's 1,000 validation digits that is about a twelfth of an
epoch's work, time during which a second core sits idle when BLAS runs on
one thread. ``Aside`` runs that pass in a thread instead; NumPy lets go of
Python's lock inside its products, so it runs on the spare core while the
next epoch's first steps run on this one. It reads only a snapshot (copies
of the weights), never the arrays being trained, so the run's numbers are
the same either way (see ``core.training`` for how the events keep their
order).
"""

import threading
from dataclasses import dataclass

from . import inference
from .inference import Snapshot
from .losses import cross_entropy, softmax
from .metrics import accuracy
from .types import FloatArray, IntArray


@dataclass(frozen=True)
class Evaluation:
    """One snapshot's numbers on a labelled set."""

    loss: float  # mean cross-entropy; nan for an empty set
    accuracy: float
    probabilities: FloatArray  # (rows, classes)


def evaluate(snapshot: Snapshot, x: FloatArray, labels: IntArray) -> Evaluation:
    """``snapshot``'s loss, accuracy and probabilities on (x, labels)."""
    logits = inference.logits(snapshot, x)
    return Evaluation(loss_of(logits, labels), accuracy_of(logits, labels), softmax(logits))


def loss_of(logits: FloatArray, labels: IntArray) -> float:
    return cross_entropy(logits, labels) if len(labels) else float("nan")


def accuracy_of(logits: FloatArray, labels: IntArray) -> float:
    return accuracy(labels, logits.argmax(axis=1))


class Aside:
    """``evaluate(snapshot, x, labels)`` in a thread of its own.

    ``done()`` never waits; ``result()`` waits for the pass (milliseconds:
    it is one forward pass, with nothing to block on) and raises whatever
    error the thread met, in the reader's thread."""

    def __init__(self, snapshot: Snapshot, x: FloatArray, labels: IntArray) -> None:
        self._result: Evaluation | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(snapshot, x, labels), name="evaluate-aside")
        self._thread.daemon = True  # a consumer that stops iterating leaves it to finish alone
        self._thread.start()

    def _run(self, snapshot: Snapshot, x: FloatArray, labels: IntArray) -> None:
        try:
            self._result = evaluate(snapshot, x, labels)
        except BaseException as error:  # noqa: BLE001 - raised again by result(), in the training thread
            self._error = error

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self) -> Evaluation:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None  # the thread ended without an error, so it set the result
        return self._result
