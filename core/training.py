"""The training loop, as an iterator of events (see ``events``).

Front ends (the Textual app, the headless CLI) consume the same stream:

    for event in train(config, x_train, y_train, x_val, y_val):
        ...

The loop never prints and waits only while paused; it checks ``control``
after every batch. A consumer that simply stops iterating also ends the run.
Every number it reports about a set of weights (an epoch's validation
accuracy, the final one) is computed from one ``Snapshot`` of those weights,
and that snapshot travels with the numbers.
"""

import math
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import numpy as np

from . import inference
from .config import TrainConfig
from .control import RunControl
from .events import BatchDone, Diverged, EpochDone, Event, Finished, RunStarted
from .inference import Snapshot
from .losses import cross_entropy, softmax
from .metrics import accuracy
from .network import Network
from .optim import SGD, Adam, make_optimizer
from .schedules import learning_rate
from .types import FloatArray, IntArray

# A mean cross-entropy this large means the logits have blown up: the true
# class gets probability e^-1000. Real runs start near ln(10) = 2.3.
DIVERGENCE_LOSS = 1e3


def train(
    config: TrainConfig,
    x_train: FloatArray,
    y_train: IntArray,
    x_val: FloatArray,
    y_val: IntArray,
    control: RunControl | None = None,
    network: Network | None = None,
) -> Iterator[Event]:
    """Train a network (a new one from ``config`` unless given); yield events."""
    config.validate()
    control = control or RunControl()
    network_rng, shuffle_rng = np.random.default_rng(config.seed).spawn(2)
    if network is None:
        network = Network.create(config.architecture, config.init, network_rng)
    optimizer = make_optimizer(config.optimizer, network, config.momentum)
    n_train = len(x_train)
    batch_size = n_train if config.full_batch else min(config.batch_size, n_train)
    run = _Run(config, network, control, batch_size, math.ceil(n_train / batch_size))
    yield RunStarted(config, n_train, len(x_val), config.epochs, run.batches, run.snapshot)

    for epoch in range(1, config.epochs + 1):
        lr = learning_rate(config.schedule, config.lr, epoch - 1, config.epochs, config.step_every, config.gamma)
        order = None if config.full_batch else shuffle_rng.permutation(n_train)
        tally = yield from _epoch(run, epoch, lr, order, optimizer, x_train, y_train)
        if tally.diverged is not None:
            network.set_weights(run.snapshot.weights)  # back to the end of the last good epoch
            yield tally.diverged
            yield _finished("diverged", run, x_train, y_train, x_val, y_val)
            return
        yield _epoch_done(run, epoch, lr, tally, x_val, y_val)
        if control.stop_requested:
            yield _finished("stopped", run, x_train, y_train, x_val, y_val)
            return
    yield _finished("completed", run, x_train, y_train, x_val, y_val)


class _Run:
    """What outlives one epoch: the network, counters, the latest snapshot."""

    def __init__(
        self, config: TrainConfig, network: Network, control: RunControl, batch_size: int, batches: int
    ) -> None:
        self.config, self.network, self.control = config, network, control
        self.batch_size, self.batches = batch_size, batches
        self.started = time.perf_counter()
        self.snapshot = network.snapshot()
        self.last_epoch: EpochDone | None = None  # the latest EpochDone
        self.step = self.epochs_done = self.best_epoch = 0
        self.best_val_accuracy = 0.0
        self.train_seconds = 0.0
        self.samples_seen = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started - self.control.paused_seconds


@dataclass
class _Tally:
    """One epoch's running sums."""

    loss_sum: float = 0.0
    correct: int = 0
    samples: int = 0
    seconds: float = 0.0
    batches_done: int = 0
    diverged: Diverged | None = None


def _epoch(
    run: _Run,
    epoch: int,
    lr: float,
    order: IntArray | None,
    optimizer: SGD | Adam,
    x_train: FloatArray,
    y_train: IntArray,
) -> Generator[BatchDone, None, _Tally]:
    """Train one epoch (or until a stop); yield BatchDone; return its _Tally."""
    tally = _Tally()
    size = run.batch_size
    for batch in range(run.batches):
        started = time.perf_counter()
        if order is None:  # full batch: the whole set, as it is, no copy
            x_batch, y_batch = x_train, y_train
        else:
            rows = order[batch * size : (batch + 1) * size]
            x_batch, y_batch = x_train[rows], y_train[rows]
        loss, logits = run.network.loss_and_gradients(x_batch, y_batch, run.config.l2)
        if not math.isfinite(loss) or loss > DIVERGENCE_LOSS:
            tally.diverged = Diverged(epoch, run.step + 1, lr, loss)
            return tally
        optimizer.step(lr)
        tally.seconds += time.perf_counter() - started
        run.step += 1
        tally.batches_done += 1
        tally.samples += len(y_batch)
        tally.loss_sum += loss * len(y_batch)
        tally.correct += int(np.count_nonzero(logits.argmax(axis=1) == y_batch))
        yield BatchDone(epoch, batch + 1, run.batches, run.step, loss, lr, run.elapsed())
        run.control.wait_while_paused()
        if run.control.stop_requested:
            break
    return tally


def _epoch_done(run: _Run, epoch: int, lr: float, tally: _Tally, x_val: FloatArray, y_val: IntArray) -> EpochDone:
    """Snapshot the weights, evaluate that snapshot, and report both."""
    run.train_seconds += tally.seconds
    run.samples_seen += tally.samples
    run.snapshot = run.network.snapshot()
    val_logits = inference.logits(run.snapshot, x_val)
    val_accuracy = _accuracy(val_logits, y_val)
    if tally.batches_done == run.batches:
        run.epochs_done = epoch
    if val_accuracy > run.best_val_accuracy or run.best_epoch == 0:
        run.best_val_accuracy, run.best_epoch = val_accuracy, epoch
    run.last_epoch = EpochDone(
        epoch=epoch,
        epochs=run.config.epochs,
        batches_done=tally.batches_done,
        batches_per_epoch=run.batches,
        running_loss=tally.loss_sum / tally.samples,
        running_accuracy=tally.correct / tally.samples,
        val_loss=_loss(val_logits, y_val),
        val_accuracy=val_accuracy,
        best_val_accuracy=run.best_val_accuracy,
        best_epoch=run.best_epoch,
        lr=lr,
        samples_per_second=tally.samples / tally.seconds if tally.seconds else 0.0,
        elapsed=run.elapsed(),
        snapshot=run.snapshot,
        val_probabilities=softmax(val_logits),
    )
    return run.last_epoch


def _finished(
    reason: str, run: _Run, x_train: FloatArray, y_train: IntArray, x_val: FloatArray, y_val: IntArray
) -> Finished:
    snapshot = run.snapshot
    train_logits = inference.logits(snapshot, x_train)
    last = run.last_epoch
    # The same weights: the same numbers. (This loop's EpochDone always has its
    # probabilities; only the app's history copies drop them.)
    if last is not None and last.snapshot is snapshot and last.val_probabilities is not None:
        val_loss, val_accuracy, val_probabilities = last.val_loss, last.val_accuracy, last.val_probabilities
    else:  # no epoch ended yet: the initial weights
        val_loss, val_accuracy, val_probabilities = _evaluate(snapshot, x_val, y_val)
    speed = run.samples_seen / run.train_seconds if run.train_seconds else 0.0
    return Finished(
        reason=reason,
        snapshot=snapshot,
        epochs_done=run.epochs_done,
        train_seconds=run.train_seconds,
        samples_per_second=speed,
        train_loss=_loss(train_logits, y_train),
        train_accuracy=_accuracy(train_logits, y_train),
        val_loss=val_loss,
        val_accuracy=val_accuracy,
        val_probabilities=val_probabilities,
    )


def _evaluate(snapshot: Snapshot, x: FloatArray, labels: IntArray) -> tuple[float, float, FloatArray]:
    """(loss, accuracy, probabilities) of ``snapshot`` on a labelled set."""
    logits = inference.logits(snapshot, x)
    return _loss(logits, labels), _accuracy(logits, labels), softmax(logits)


def _loss(logits: FloatArray, labels: IntArray) -> float:
    return cross_entropy(logits, labels) if len(labels) else float("nan")


def _accuracy(logits: FloatArray, labels: IntArray) -> float:
    return accuracy(labels, logits.argmax(axis=1))
