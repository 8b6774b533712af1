"""What the training iterator yields: small immutable records, in order

RunStarted, then per batch BatchDone and per epoch EpochDone, then at most one
Diverged, and always a Finished last (unless the consumer stops iterating).
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunStarted:
    config: Any
    network: Any = field(repr=False, compare=False)  # the network being trained
    n_train: int
    n_val: int
    epochs: int
    batches_per_epoch: int


@dataclass(frozen=True)
class BatchDone:
    epoch: int           # 1-based
    batch: int           # 1-based within the epoch
    batches_per_epoch: int
    step: int            # 1-based over the whole run
    loss: float
    lr: float


@dataclass(frozen=True)
class EpochDone:
    epoch: int           # 1-based
    epochs: int
    train_loss: float    # mean over the epoch's batches (with dropout, before each update)
    train_accuracy: float
    val_loss: float      # the whole validation set, after the epoch
    val_accuracy: float
    best_val_accuracy: float
    lr: float
    samples_per_second: float  # this epoch's training samples / its training-step time
    elapsed: float       # seconds since the run began, pauses excluded
    val_probabilities: Any = field(repr=False, compare=False)  # (n_val, 10) float array


@dataclass(frozen=True)
class Diverged:
    epoch: int
    step: int
    lr: float
    loss: float

    @property
    def message(self):
        return (f"training diverged at epoch {self.epoch}, step {self.step}: loss {self.loss:g} "
                f"with learning rate {self.lr:g}; kept the last good weights (try a smaller rate)")


@dataclass(frozen=True)
class Finished:
    reason: str          # "completed", "stopped" or "diverged"
    network: Any = field(repr=False, compare=False)
    epochs_done: int
    train_seconds: float  # time in training steps only
    samples_per_second: float
    train_loss: float     # full evaluation of the final weights, no dropout
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    val_probabilities: Any = field(repr=False, compare=False)
