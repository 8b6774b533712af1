"""Everything the workers tell the app, as small message dataclasses.

The workers only ever post these; they never touch a widget, and what they
send about weights is a read-only ``Snapshot``, never the live network.
"""

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class WorkerMessage(Message):
    """Base of the worker's messages (Message.__post_init__ sets them up)."""


@dataclass
class DataReady(WorkerMessage):
    """The data is loaded and split; the validation digits can be browsed."""

    val_images: Any = field(repr=False)
    val_labels: Any = field(repr=False)
    source: str = ""


@dataclass
class RunBegan(WorkerMessage):
    config: Any
    epochs: int
    batches_per_epoch: int


@dataclass
class BatchProgress(WorkerMessage):
    """Where the run is; a newer one replaces an older one still queued."""

    epoch: int
    batch: int
    batches_per_epoch: int
    step: int
    loss: float
    lr: float
    elapsed: float  # seconds, pauses excluded
    recent_losses: tuple  # the last few hundred batch losses, for the sparkline

    def can_replace(self, message):
        return isinstance(message, BatchProgress)


@dataclass
class EpochsDone(WorkerMessage):
    """Every epoch finished since the last message (several, for fast runs),
    without their arrays; the snapshot and validation probabilities of the
    latest one."""

    records: list
    snapshot: Any = field(repr=False)
    val_probabilities: Any = field(repr=False)


@dataclass
class RunEnded(WorkerMessage):
    finished: Any = field(repr=False)
    diverged: Any = None


@dataclass
class ModelOpened(WorkerMessage):
    """A saved model, loaded with its validation predictions."""

    path: str
    snapshot: Any = field(repr=False)
    config: Any
    val_probabilities: Any = field(repr=False)
    val_accuracy: float = 0.0
    data: Any = field(default=None, repr=False)  # its validation digits, a DataReady


@dataclass
class OpenFailed(WorkerMessage):
    """A model could not be opened; whatever was loaded before stays."""

    error: str


@dataclass
class RunFailed(WorkerMessage):
    """The run could not start or broke: one line for the user."""

    error: str
