"""The training loop, as an iterator of events (see ``events``).

Front ends (the Textual app, the headless CLI) consume the same stream:

    for event in train(config, x_train, y_train, x_val, y_val):
        ...

The loop never prints and waits only while paused; it checks ``control``
after every batch. A consumer that simply stops iterating also ends the run.
Every number it reports about a set of weights (an epoch's validation
accuracy, the final one) is computed from one ``Snapshot`` of those weights,
and that snapshot travels with the numbers.

Two hooks shape a run without the loop knowing images: ``augment`` (see
``data.augment``) is called on every training batch with the run's own
random generator, ``augment(x_batch, rng) -> new x_batch``, so the network
sees new versions of its digits every epoch while the labels stay as they
are; and ``config.keep`` decides which weights the run ends with: those of
the epoch with the best validation accuracy ("best") or the last ("last").
``config.patience`` ends a run early when validation accuracy has not
improved for that many epochs.
"""

import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

import numpy as np

from . import inference
from .batches import Ahead, BatchGather, epoch_batches
from .blas import set_blas_threads
from .config import TrainConfig
from .control import RunControl
from .events import BatchDone, Diverged, EpochDone, Event, Finished, RunStarted, ThreadsChanged
from .inference import Snapshot
from .losses import cross_entropy, softmax
from .metrics import accuracy
from .network import Network
from .optim import SGD, Adam, make_optimizer
from .schedules import learning_rate
from .threads import ThreadPolicy
from .types import FloatArray, IntArray

# A mean cross-entropy this large means the logits have blown up: the true
# class gets probability e^-1000. Real runs start near ln(10) = 2.3.
DIVERGENCE_LOSS = 1e3

# A batch transform: new training inputs from a batch and a random generator.
BatchTransform = Callable[[FloatArray, np.random.Generator], FloatArray]


def train(
    config: TrainConfig,
    x_train: FloatArray,
    y_train: IntArray,
    x_val: FloatArray,
    y_val: IntArray,
    control: RunControl | None = None,
    network: Network | None = None,
    augment: BatchTransform | None = None,
    threads: ThreadPolicy | None = None,
    ahead: bool = False,
) -> Iterator[Event]:
    """Train a network (a new one from ``config`` unless given); yield events.

    ``threads``, a ``core.threads.ThreadPolicy`` made for this run, sets the
    BLAS thread count at the start and revises it after every step; without
    one the count is left as the caller set it. ``ahead`` makes each
    augmented batch in a thread while the one before trains (worth it with a
    core to spare: see ``core.batches.Ahead``); the run is the same."""
    config.validate()
    control = control or RunControl()
    # spawn(3)'s first two children are spawn(2)'s: adding the third kept
    # every run without augmentation exactly as it was.
    network_rng, shuffle_rng, augment_rng = np.random.default_rng(config.seed).spawn(3)
    if network is None:
        network = Network.create(config.architecture, config.init, network_rng)
    optimizer = make_optimizer(config.optimizer, network, config.momentum)
    n_train = len(x_train)
    batch_size = config.batch_for(n_train)
    run = _Run(config, network, control, batch_size, math.ceil(n_train / batch_size))
    if augment is not None:
        run.augment = lambda x: augment(x, augment_rng)
    run.ahead = ahead and augment is not None  # only augmentation is worth a thread of its own
    if not (config.full_batch or run.ahead):  # gd trains on the whole set as it is; ahead, batches are new arrays
        run.gather = BatchGather(x_train, y_train, batch_size)
    yield RunStarted(config, n_train, len(x_val), config.epochs, run.batches, run.snapshot)
    if threads is not None:  # one policy per run: its first choice now, its later decisions as they come
        set_blas_threads(threads.threads)
        yield from threads.decisions
        run.threads = threads

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
        if config.patience and epoch - run.gain_epoch >= config.patience and epoch < config.epochs:
            yield _finished("early stopped", run, x_train, y_train, x_val, y_val)
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
        self.best: EpochDone | None = None  # the EpochDone with the best validation accuracy so far
        self.augment: Callable[[FloatArray], FloatArray] | None = None
        self.threads: ThreadPolicy | None = None
        self.gather: BatchGather | None = None  # mini-batches' rows copied into kept arrays
        self.ahead = False
        self.step = self.epochs_done = self.best_epoch = 0
        self.gain_epoch = 0  # the last epoch that raised the best validation accuracy (for patience)
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
) -> Generator[BatchDone | ThreadsChanged, None, _Tally]:
    """Train one epoch (or until a stop); yield BatchDone (and ThreadsChanged); return its _Tally."""
    if run.ahead:  # augmenting the next batch in a thread while this one trains
        with Ahead(epoch_batches(x_train, y_train, order, run.batch_size, run.augment, None)) as ahead:
            return (yield from _steps(run, epoch, lr, iter(ahead), optimizer))
    batches = epoch_batches(x_train, y_train, order, run.batch_size, run.augment, run.gather)
    return (yield from _steps(run, epoch, lr, batches, optimizer))


def _steps(
    run: _Run, epoch: int, lr: float, batches: Iterator[tuple[FloatArray, IntArray]], optimizer: SGD | Adam
) -> Generator[BatchDone | ThreadsChanged, None, _Tally]:
    """One training step per batch: forward, backward, update; the tally."""
    tally = _Tally()
    for batch in range(1, run.batches + 1):
        started = time.perf_counter()  # a step's time includes making (or waiting for) its batch
        x_batch, y_batch = next(batches)
        loss, logits = run.network.loss_and_gradients(x_batch, y_batch, run.config.l2)
        if not math.isfinite(loss) or loss > DIVERGENCE_LOSS:
            tally.diverged = Diverged(epoch, run.step + 1, lr, loss)
            return tally
        optimizer.step(lr)
        seconds = time.perf_counter() - started
        tally.seconds += seconds
        run.step += 1
        tally.batches_done += 1
        tally.samples += len(y_batch)
        tally.loss_sum += loss * len(y_batch)
        tally.correct += int(np.count_nonzero(logits.argmax(axis=1) == y_batch))
        if run.threads is not None:
            yield from _revise_threads(run.threads, seconds, len(y_batch))
        yield BatchDone(epoch, batch, run.batches, run.step, loss, lr, run.elapsed())
        run.control.wait_while_paused()
        if run.control.stop_requested:
            break
    return tally


def _revise_threads(policy: ThreadPolicy, seconds: float, rows: int) -> list[ThreadsChanged]:
    """Tell the thread policy about a step, apply its switch if it makes
    one, and return its decisions since (none, as a rule)."""
    known = len(policy.decisions)
    switch = policy.after_step(seconds, rows)
    if switch is not None:
        set_blas_threads(switch)
    return policy.decisions[known:]


def _epoch_done(run: _Run, epoch: int, lr: float, tally: _Tally, x_val: FloatArray, y_val: IntArray) -> EpochDone:
    """Snapshot the weights, evaluate that snapshot, and report both."""
    run.train_seconds += tally.seconds
    run.samples_seen += tally.samples
    run.snapshot = run.network.snapshot()
    val_logits = inference.logits(run.snapshot, x_val)
    val_accuracy = _accuracy(val_logits, y_val)
    if tally.batches_done == run.batches:
        run.epochs_done = epoch
    val_loss = _loss(val_logits, y_val)
    # The best epoch: the highest validation accuracy; between equal ones, the
    # lower validation loss (accuracy moves in steps of one digit, and a
    # small set often ties; the loss says which of them is surer).
    best = run.best
    gained = best is None or val_accuracy > best.val_accuracy
    improved = gained or (best is not None and val_accuracy == best.val_accuracy and val_loss < best.val_loss)
    if gained:
        run.gain_epoch = epoch
    if improved:
        run.best_val_accuracy, run.best_epoch = val_accuracy, epoch
    run.last_epoch = EpochDone(
        epoch=epoch,
        epochs=run.config.epochs,
        batches_done=tally.batches_done,
        batches_per_epoch=run.batches,
        running_loss=tally.loss_sum / tally.samples,
        running_accuracy=tally.correct / tally.samples,
        val_loss=val_loss,
        val_accuracy=val_accuracy,
        best_val_accuracy=run.best_val_accuracy,
        best_epoch=run.best_epoch,
        lr=lr,
        samples_per_second=tally.samples / tally.seconds if tally.seconds else 0.0,
        elapsed=run.elapsed(),
        snapshot=run.snapshot,
        val_probabilities=softmax(val_logits),
    )
    if improved:
        run.best = run.last_epoch
    return run.last_epoch


def _finished(
    reason: str, run: _Run, x_train: FloatArray, y_train: IntArray, x_val: FloatArray, y_val: IntArray
) -> Finished:
    kept = run.best if run.config.keep == "best" and run.best is not None else run.last_epoch
    snapshot = run.snapshot if kept is None or kept.snapshot is None else kept.snapshot
    train_logits = inference.logits(snapshot, x_train)
    # The same weights: the same numbers. (This loop's EpochDone always has its
    # probabilities; only the app's history copies drop them.)
    if kept is not None and kept.snapshot is snapshot and kept.val_probabilities is not None:
        val_loss, val_accuracy, val_probabilities = kept.val_loss, kept.val_accuracy, kept.val_probabilities
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
        kept_epoch=0 if kept is None else kept.epoch,
        last_epoch=0 if run.last_epoch is None else run.last_epoch.epoch,
    )


def _evaluate(snapshot: Snapshot, x: FloatArray, labels: IntArray) -> tuple[float, float, FloatArray]:
    """(loss, accuracy, probabilities) of ``snapshot`` on a labelled set."""
    logits = inference.logits(snapshot, x)
    return _loss(logits, labels), _accuracy(logits, labels), softmax(logits)


def _loss(logits: FloatArray, labels: IntArray) -> float:
    return cross_entropy(logits, labels) if len(labels) else float("nan")


def _accuracy(logits: FloatArray, labels: IntArray) -> float:
    return accuracy(labels, logits.argmax(axis=1))
