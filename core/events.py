"""What the training iterator yields: small immutable records, in order

RunStarted, then per batch BatchDone and per epoch EpochDone, then at most one
Diverged, and always a Finished last (unless the consumer stops iterating).
When the run is given a thread policy, ThreadsChanged comes after RunStarted
with its first choice and before a BatchDone whose step led to a decision.

Two kinds of training loss, named apart because they differ: an epoch's
``running_loss`` is the mean of its mini-batch losses, each measured before
that batch's update and with dropout; ``Finished.train_loss`` is one pass
over the training set with the final weights and no dropout, lower as a rule.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

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

    def to_record(self, thread_changes: Sequence["ThreadsChanged"] = ()) -> dict[str, Any]:
        """The epoch's numbers as one JSON-ready line: what ``--metrics``
        and a recorded run's metrics.jsonl hold (the arrays left out), with
        the BLAS thread decisions made during the epoch, if any, and why."""
        record: dict[str, Any] = {
            "epoch": self.epoch,
            "partial": self.partial,
            "batches_done": self.batches_done,
            "running_loss": self.running_loss,
            "running_accuracy": self.running_accuracy,
            "val_loss": self.val_loss,
            "val_accuracy": self.val_accuracy,
            "lr": self.lr,
            "samples_per_second": self.samples_per_second,
            "elapsed": self.elapsed,
        }
        if thread_changes:
            record["blas_threads"] = [
                {"step": change.step, "threads": change.threads, "reason": change.reason} for change in thread_changes
            ]
        return record


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
class ThreadsChanged:
    """A decision of ``core.threads.ThreadPolicy``: its first choice (step 0),
    a switch, or a trial's verdict (the count unchanged); ``reason`` is one
    short sentence for the user."""

    step: int  # the training steps done when it was decided
    threads: int  # BLAS threads from now on
    reason: str


@dataclass(frozen=True)
class Finished:
    """The run's end. Its numbers describe the weights kept: those of the
    EpochDone of ``kept_epoch`` (the same weights), or the initial weights
    when no epoch ended."""

    reason: str  # "completed", "stopped", "early stopped" (patience ran out) or "diverged"
    snapshot: Snapshot = field(repr=False, compare=False)  # the weights kept (see kept_epoch)
    epochs_done: int  # whole epochs
    train_seconds: float  # time in training steps only
    samples_per_second: float
    train_loss: float  # one pass with the final weights, no dropout (see above)
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    val_probabilities: FloatArray = field(repr=False, compare=False)  # (n_val, classes)
    # Whose weights these are: the epoch kept (the best one with keep="best",
    # else the last; 0 for the initial weights), and the last epoch run.
    kept_epoch: int = 0
    last_epoch: int = 0


# Anything ``core.training.train`` yields.
Event: TypeAlias = RunStarted | BatchDone | EpochDone | Diverged | Finished | ThreadsChanged
