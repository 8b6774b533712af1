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
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from .batches import Ahead, BatchGather, epoch_batches
from .blas import blas_threads, set_blas_threads
from .config import TrainConfig
from .control import RunControl
from .evaluation import Evaluation, accuracy_of, evaluate, evaluate_in_thread, logits_of, loss_of
from .events import BatchDone, Diverged, EpochDone, Event, Finished, RunStarted, ThreadsChanged
from .inference import Snapshot
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
    evaluate_aside: bool = False,
) -> Iterator[Event]:
    """Train a network (a new one from ``config`` unless given); yield events.

    ``threads``, a ``core.threads.ThreadPolicy`` made for this run, sets the
    BLAS thread count at the start and revises it after every step; without
    one the count is left as the caller set it. ``ahead`` makes each
    augmented batch in a thread while the one before trains (worth it with a
    core to spare: see ``core.batches.Ahead``); the run is the same.
    ``evaluate_aside`` runs each epoch's validation pass in a thread while
    the next epoch trains, whenever BLAS is on one thread (worth it with a
    core to spare: see ``core.evaluation``); the run and its events are the
    same, each EpochDone only comes a few steps later."""
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
    run.evaluate_aside = evaluate_aside
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
        steps = _epoch(run, epoch, lr, order, optimizer, x_train, y_train)
        # Only an epoch that starts with a pass aside needs its events watched.
        tally = yield from (steps if run.aside is None else _behind_aside(run, steps))
        if tally is None:  # the epoch before, evaluated aside, ended the run: this one was undone
            yield _finished("early stopped", run, x_train, y_train, x_val, y_val)
            return
        if tally.diverged is not None:
            network.set_weights(run.snapshot.weights)  # back to the end of the last good epoch
            yield tally.diverged
            yield _finished("diverged", run, x_train, y_train, x_val, y_val)
            return
        ended = _end_epoch(run, epoch, lr, tally)
        if _core_spare(run) and epoch < config.epochs and not control.stop_requested:
            run.aside = (ended, evaluate_in_thread(ended.snapshot, x_val, y_val))  # reported during the next epoch
            continue
        yield _report(run, ended, evaluate(ended.snapshot, x_val, y_val, two_cores=_core_spare(run)))
        if control.stop_requested:
            yield _finished("stopped", run, x_train, y_train, x_val, y_val)
            return
        if _patience_ends(run, epoch):
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
        self.snapshot_step = 0  # training steps done when ``snapshot`` was taken
        self.last_epoch: EpochDone | None = None  # the latest EpochDone
        self.best: EpochDone | None = None  # the EpochDone with the best validation accuracy so far
        self.augment: Callable[[FloatArray], FloatArray] | None = None
        self.threads: ThreadPolicy | None = None
        self.gather: BatchGather | None = None  # mini-batches' rows copied into kept arrays
        self.ahead = False
        self.evaluate_aside = False  # the train(evaluate_aside=) flag: a core to spare for evaluations
        self.aside: tuple[_Ended, Future[Evaluation]] | None = None  # the epoch being evaluated in a thread
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
            yield from _revise_threads(run.threads, seconds, len(y_batch), run.aside is not None)
        yield BatchDone(epoch, batch, run.batches, run.step, loss, lr, run.elapsed())
        run.control.wait_while_paused()
        if run.control.stop_requested:
            break
    return tally


def _behind_aside(
    run: _Run, steps: Generator[BatchDone | ThreadsChanged, None, _Tally]
) -> Generator[Event, None, _Tally | None]:
    """Pass on an epoch's events (``steps``, from ``_epoch``), and return
    its tally. While the epoch before is still being evaluated aside, its
    events are held back and follow that epoch's EpochDone once its numbers
    are in (a few steps later), so consumers see events in the order of a
    run evaluated in line. If those numbers end the run (patience), this
    epoch's steps are undone, as if it had never started, and None returned.
    A pause seen between two steps, and the epoch's end, wait for the
    numbers (milliseconds), so that they do not wait behind the pause."""
    held: list[BatchDone | ThreadsChanged] = []
    while True:
        catch_up_now = run.aside is not None and (run.aside[1].done() or run.control.paused)
        if catch_up_now and (yield from _catch_up(run, held)):
            steps.close()
            return None
        try:
            event = next(steps)
        except StopIteration as end:
            tally: _Tally = end.value
            break
        except Exception:
            # An error in this epoch (a batch transform's, say) comes after
            # the epoch before is reported, as in line; and never at all if
            # that epoch's numbers end the run, since in line this epoch
            # would not have started.
            if (yield from _catch_up(run, held)):
                return None
            raise
        if run.aside is None:
            yield event
        else:
            held.append(event)
    if (yield from _catch_up(run, held)):
        return None
    return tally


def _catch_up(run: _Run, held: list[BatchDone | ThreadsChanged]) -> Generator[Event, None, bool]:
    """Report the epoch evaluated aside, if any, then the events ``held``
    behind it (emptying the list); or, if that epoch's numbers end the run,
    undo the steps held instead and return True."""
    if run.aside is not None and (yield from _report_aside(run)):
        yield from _undo_epoch(run, held)
        return True
    yield from held
    held.clear()
    return False


def _report_aside(run: _Run) -> Generator[EpochDone, None, bool]:
    """Yield the EpochDone of the epoch evaluated aside (waiting for its
    numbers); return whether patience ends the run there."""
    assert run.aside is not None
    ended, aside = run.aside
    evaluation = aside.result()
    run.aside = None
    yield _report(run, ended, evaluation)
    return _patience_ends(run, ended.epoch)


def _undo_epoch(run: _Run, held: list[BatchDone | ThreadsChanged]) -> Generator[ThreadsChanged, None, None]:
    """Take the run back to its last snapshot, dropping the steps taken
    since (their BatchDone events too; BLAS thread changes stand, so they
    are still reported)."""
    run.network.set_weights(run.snapshot.weights)
    run.step = run.snapshot_step
    yield from (event for event in held if isinstance(event, ThreadsChanged))


def _revise_threads(policy: ThreadPolicy, seconds: float, rows: int, aside: bool) -> list[ThreadsChanged]:
    """Tell the thread policy about a step (and whether an evaluation runs
    aside), apply its switch if it makes one, and return its decisions
    since (none, as a rule)."""
    known = len(policy.decisions)
    switch = policy.after_step(seconds, rows, core_in_use=aside)
    if switch is not None:
        set_blas_threads(switch)
    return policy.decisions[known:]


@dataclass(frozen=True)
class _Ended:
    """An epoch's end, before its validation numbers: what its EpochDone
    says besides them, taken when it ended."""

    epoch: int
    lr: float
    tally: _Tally
    elapsed: float
    snapshot: Snapshot


def _end_epoch(run: _Run, epoch: int, lr: float, tally: _Tally) -> _Ended:
    """Count the epoch's steps and snapshot the weights they left."""
    run.train_seconds += tally.seconds
    run.samples_seen += tally.samples
    run.snapshot, run.snapshot_step = run.network.snapshot(), run.step
    if tally.batches_done == run.batches:
        run.epochs_done = epoch
    return _Ended(epoch, lr, tally, run.elapsed(), run.snapshot)


def _report(run: _Run, ended: _Ended, evaluation: Evaluation) -> EpochDone:
    """The epoch's EpochDone, from its end and its snapshot's evaluation;
    the best epoch so far updated."""
    # The best epoch: the highest validation accuracy; between equal ones, the
    # lower validation loss (accuracy moves in steps of one digit, and a
    # small set often ties; the loss says which of them is surer).
    best = run.best
    gained = best is None or evaluation.accuracy > best.val_accuracy
    tied = best is not None and evaluation.accuracy == best.val_accuracy and evaluation.loss < best.val_loss
    if gained:
        run.gain_epoch = ended.epoch
    if gained or tied:
        run.best_val_accuracy, run.best_epoch = evaluation.accuracy, ended.epoch
    tally = ended.tally
    run.last_epoch = EpochDone(
        epoch=ended.epoch,
        epochs=run.config.epochs,
        batches_done=tally.batches_done,
        batches_per_epoch=run.batches,
        running_loss=tally.loss_sum / tally.samples,
        running_accuracy=tally.correct / tally.samples,
        val_loss=evaluation.loss,
        val_accuracy=evaluation.accuracy,
        best_val_accuracy=run.best_val_accuracy,
        best_epoch=run.best_epoch,
        lr=ended.lr,
        samples_per_second=tally.samples / tally.seconds if tally.seconds else 0.0,
        elapsed=ended.elapsed,
        snapshot=ended.snapshot,
        val_probabilities=evaluation.probabilities,
    )
    if gained or tied:
        run.best = run.last_epoch
    return run.last_epoch


def _patience_ends(run: _Run, epoch: int) -> bool:
    """Whether ``config.patience`` epochs without a gain end the run after ``epoch``."""
    patience = run.config.patience
    return bool(patience) and epoch - run.gain_epoch >= patience and epoch < run.config.epochs


def _core_spare(run: _Run) -> bool:
    """Whether evaluations may use a thread of their own: asked for, and
    BLAS on one thread now (two would be using the spare core already)."""
    return run.evaluate_aside and (run.threads.threads if run.threads is not None else blas_threads()) == 1


def _finished(
    reason: str, run: _Run, x_train: FloatArray, y_train: IntArray, x_val: FloatArray, y_val: IntArray
) -> Finished:
    kept = run.best if run.config.keep == "best" and run.best is not None else run.last_epoch
    snapshot = run.snapshot if kept is None or kept.snapshot is None else kept.snapshot
    train_logits = logits_of(snapshot, x_train, two_cores=_core_spare(run))
    # The same weights: the same numbers. (This loop's EpochDone always has its
    # probabilities; only the app's history copies drop them.)
    if kept is not None and kept.snapshot is snapshot and kept.val_probabilities is not None:
        val = Evaluation(kept.val_loss, kept.val_accuracy, kept.val_probabilities)
    else:  # no epoch ended yet: the initial weights
        val = evaluate(snapshot, x_val, y_val, two_cores=_core_spare(run))
    speed = run.samples_seen / run.train_seconds if run.train_seconds else 0.0
    return Finished(
        reason=reason,
        snapshot=snapshot,
        epochs_done=run.epochs_done,
        train_seconds=run.train_seconds,
        samples_per_second=speed,
        train_loss=loss_of(train_logits, y_train),
        train_accuracy=accuracy_of(train_logits, y_train),
        val_loss=val.loss,
        val_accuracy=val.accuracy,
        val_probabilities=val.probabilities,
        kept_epoch=0 if kept is None else kept.epoch,
        last_epoch=0 if run.last_epoch is None else run.last_epoch.epoch,
    )
