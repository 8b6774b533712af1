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
from dataclasses import dataclass

import numpy as np

from . import inference
from .control import RunControl
from .events import BatchDone, Diverged, EpochDone, Finished, RunStarted
from .losses import cross_entropy, softmax
from .metrics import accuracy
from .network import Network
from .optim import make_optimizer
from .schedules import learning_rate

# A mean cross-entropy this large means the logits have blown up: the true
# class gets probability e^-1000. Real runs start near ln(10) = 2.3.
DIVERGENCE_LOSS = 1e3


def train(config, x_train, y_train, x_val, y_val, control=None, network=None):
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

    def __init__(self, config, network, control, batch_size, batches):
        self.config, self.network, self.control = config, network, control
        self.batch_size, self.batches = batch_size, batches
        self.started = time.perf_counter()
        self.snapshot = network.snapshot()
        self.last_epoch = None  # the latest EpochDone
        self.step = self.epochs_done = self.best_epoch = 0
        self.best_val_accuracy = 0.0
        self.train_seconds = 0.0
        self.samples_seen = 0

    def elapsed(self):
        return time.perf_counter() - self.started - self.control.paused_seconds


@dataclass
class _Tally:
    """One epoch's running sums."""

    loss_sum: float = 0.0
    correct: int = 0
    samples: int = 0
    seconds: float = 0.0
    batches_done: int = 0
    diverged: Diverged = None


def _epoch(run, epoch, lr, order, optimizer, x_train, y_train):
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


def _epoch_done(run, epoch, lr, tally, x_val, y_val):
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


def _finished(reason, run, x_train, y_train, x_val, y_val):
    snapshot = run.snapshot
    train_logits = inference.logits(snapshot, x_train)
    last = run.last_epoch
    if last is not None and last.snapshot is snapshot:  # the same weights: the same numbers
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


def _evaluate(snapshot, x, labels):
    """(loss, accuracy, probabilities) of ``snapshot`` on a labelled set."""
    logits = inference.logits(snapshot, x)
    return _loss(logits, labels), _accuracy(logits, labels), softmax(logits)


def _loss(logits, labels):
    return cross_entropy(logits, labels) if len(labels) else float("nan")


def _accuracy(logits, labels):
    return accuracy(labels, logits.argmax(axis=1))
