"""The training loop, as an iterator of events (see ``events``).

Front ends (the Textual app, the headless CLI) consume the same stream:

    for event in train(config, x_train, y_train, x_val, y_val):
        ...

The loop never prints and waits only while paused; it checks ``control``
after every batch. A consumer that simply stops iterating also ends the run.
"""

import math
import time

import numpy as np

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
    batches = math.ceil(n_train / batch_size)
    yield RunStarted(config, network, n_train, len(x_val), config.epochs, batches)

    run = _RunState(time.perf_counter(), network.copy_weights())
    for epoch in range(1, config.epochs + 1):
        lr = learning_rate(config.schedule, config.lr, epoch - 1, config.epochs,
                           config.step_every, config.gamma)
        order = None if config.full_batch else shuffle_rng.permutation(n_train)
        epoch_loss, epoch_correct, epoch_seconds = 0.0, 0, 0.0
        for batch in range(batches):
            started = time.perf_counter()
            if order is None:  # full batch: the whole set, as it is, no copy
                x_batch, y_batch = x_train, y_train
            else:
                rows = order[batch * batch_size:(batch + 1) * batch_size]
                x_batch, y_batch = x_train[rows], y_train[rows]
            loss, logits = network.loss_and_gradients(x_batch, y_batch, config.l2)
            if not math.isfinite(loss) or loss > DIVERGENCE_LOSS:
                network.set_weights(run.last_good_weights)
                yield Diverged(epoch, run.step + 1, lr, loss)
                yield _finished("diverged", network, run, x_train, y_train, x_val, y_val)
                return
            optimizer.step(lr)
            epoch_seconds += time.perf_counter() - started
            run.step += 1
            epoch_loss += loss * len(y_batch)
            epoch_correct += int(np.count_nonzero(logits.argmax(axis=1) == y_batch))
            yield BatchDone(epoch, batch + 1, batches, run.step, loss, lr)
            control.wait_while_paused()
            if control.stop_requested:
                run.add_epoch_time(epoch_seconds, min((batch + 1) * batch_size, n_train))
                yield _finished("stopped", network, run, x_train, y_train, x_val, y_val)
                return
        run.add_epoch_time(epoch_seconds, n_train)
        val_logits = network.logits(x_val)
        val_accuracy = _accuracy(val_logits, y_val)
        run.best_val_accuracy = max(run.best_val_accuracy, val_accuracy)
        run.last_good_weights = network.copy_weights()
        run.epochs_done = epoch
        yield EpochDone(
            epoch=epoch, epochs=config.epochs,
            train_loss=epoch_loss / n_train, train_accuracy=epoch_correct / n_train,
            val_loss=_loss(val_logits, y_val), val_accuracy=val_accuracy,
            best_val_accuracy=run.best_val_accuracy, lr=lr,
            samples_per_second=n_train / epoch_seconds if epoch_seconds else 0.0,
            elapsed=run.elapsed(control), val_probabilities=softmax(val_logits))
    yield _finished("completed", network, run, x_train, y_train, x_val, y_val)


class _RunState:
    """Counters that outlive one epoch."""

    def __init__(self, started, weights):
        self.started = started
        self.last_good_weights = weights
        self.step = 0
        self.epochs_done = 0
        self.best_val_accuracy = 0.0
        self.train_seconds = 0.0
        self.samples_seen = 0

    def add_epoch_time(self, seconds, samples):
        self.train_seconds += seconds
        self.samples_seen += samples

    def elapsed(self, control):
        return time.perf_counter() - self.started - control.paused_seconds


def _finished(reason, network, run, x_train, y_train, x_val, y_val):
    train_logits = network.logits(x_train)
    val_logits = network.logits(x_val)
    speed = run.samples_seen / run.train_seconds if run.train_seconds else 0.0
    return Finished(
        reason=reason, network=network, epochs_done=run.epochs_done,
        train_seconds=run.train_seconds, samples_per_second=speed,
        train_loss=_loss(train_logits, y_train), train_accuracy=_accuracy(train_logits, y_train),
        val_loss=_loss(val_logits, y_val), val_accuracy=_accuracy(val_logits, y_val),
        val_probabilities=softmax(val_logits))


def _loss(logits, labels):
    return cross_entropy(logits, labels) if len(labels) else float("nan")


def _accuracy(logits, labels):
    return accuracy(labels, logits.argmax(axis=1))
