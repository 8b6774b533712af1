"""Everything the training worker tells the app, as small message dataclasses.

The worker only ever posts these; it never touches a widget.
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


@dataclass
class RunBegan(WorkerMessage):
    config: Any
    network: Any = field(repr=False)
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
    recent_losses: tuple  # the last few hundred batch losses, for the sparkline

    def can_replace(self, message):
        return isinstance(message, BatchProgress)


@dataclass
class EpochsDone(WorkerMessage):
    """Every epoch finished since the last message (several, for fast runs)
    and the validation probabilities after the latest one."""

    records: list
    val_probabilities: Any = field(repr=False)


@dataclass
class RunEnded(WorkerMessage):
    finished: Any = field(repr=False)
    diverged: Any = None


@dataclass
class ModelOpened(WorkerMessage):
    """A saved model, loaded with its validation predictions."""

    path: str
    network: Any = field(repr=False)
    config: Any
    val_probabilities: Any = field(repr=False)


@dataclass
class RunFailed(WorkerMessage):
    """The run could not start or broke: one line for the user."""

    error: str
