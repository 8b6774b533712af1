"""What the training iterator yields: small immutable records, in order

RunStarted, then per batch BatchDone and per epoch EpochDone, then at most one
Diverged, and always a Finished last (unless the consumer stops iterating).

Two kinds of training loss, named apart because they differ: an epoch's
``running_loss`` is the mean of its mini-batch losses, each measured before
that batch's update and with dropout; ``Finished.train_loss`` is one pass
over the training set with the final weights and no dropout, lower as a rule.
"""

from dataclasses import dataclass, field
from typing import TypeAlias

from .config import TrainConfig
from .inference import Snapshot
from .types import FloatArray


@dataclass(frozen=True)
class RunStarted:
    config: TrainConfig
    n_train: int
    n_val: int
    epochs: int
    batches_per_epoch: int
    snapshot: Snapshot = field(repr=False, compare=False)  # the initial weights


@dataclass(frozen=True)
class BatchDone:
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    batches_per_epoch: int
    step: int  # 1-based over the whole run
    loss: float
    lr: float
    elapsed: float  # seconds since the run began, pauses excluded


@dataclass(frozen=True)
class EpochDone:
    """An epoch's end, or where a stop cut it short (``partial``): the
    validation numbers always describe ``snapshot``, the weights at that point."""

    epoch: int  # 1-based
    epochs: int
    batches_done: int
    batches_per_epoch: int
    running_loss: float  # mean over the epoch's batches (with dropout, before each update)
    running_accuracy: float
    val_loss: float  # the whole validation set, with ``snapshot``
    val_accuracy: float
    best_val_accuracy: float
    best_epoch: int
    lr: float
    samples_per_second: float  # this epoch's training samples / its training-step time
    elapsed: float  # seconds since the run began, pauses excluded
    # Both None only in the copies the app keeps in its history (tui.feed drops the arrays).
    snapshot: Snapshot | None = field(repr=False, compare=False)
    val_probabilities: FloatArray | None = field(repr=False, compare=False)  # (n_val, classes)

    @property
    def partial(self) -> bool:
        return self.batches_done < self.batches_per_epoch


@dataclass(frozen=True)
class Diverged:
    epoch: int
    step: int
    lr: float
    loss: float

    @property
    def message(self) -> str:
        return (
            f"training diverged at epoch {self.epoch}, step {self.step}: loss {self.loss:g} "
            f"with learning rate {self.lr:g}; kept the last good weights (try a smaller rate)"
        )


@dataclass(frozen=True)
class Finished:
    """The run's end. Its validation numbers are those of the last EpochDone
    (the same weights), or of the initial weights when no batch was done."""

    reason: str  # "completed", "stopped" or "diverged"
    snapshot: Snapshot = field(repr=False, compare=False)  # the final weights
    epochs_done: int  # whole epochs
    train_seconds: float  # time in training steps only
    samples_per_second: float
    train_loss: float  # one pass with the final weights, no dropout (see above)
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    val_probabilities: FloatArray = field(repr=False, compare=False)  # (n_val, classes)


# Anything ``core.training.train`` yields.
Event: TypeAlias = RunStarted | BatchDone | EpochDone | Diverged | Finished
