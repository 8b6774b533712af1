"""Each epoch's validation pass run aside (core.evaluation) while the
next epoch trains: the same run, the same events in the same order, only
later; patience, a stop, a pause, a divergence and an error all behave as
they do with the pass in line.

The aside pass is made slow here (``slow_aside``) so that the next epoch's
steps, or all of them, happen before its numbers are in: the cases where
events must be held back, or steps undone."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from helpers import synthetic_digits

import core.evaluation
import core.training
from core import BatchDone, EpochDone, Finished, RunControl, TrainConfig, train
from core.blas import set_blas_threads
from core.events import Diverged, RunStarted, ThreadsChanged
from core.network import Network
from core.threads import ThreadPolicy
from data import Dataset, split_dataset

ONE_THREAD = 1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def split():
    images, labels = synthetic_digits(80)
    return split_dataset(Dataset(images, labels, "synthetic"), 0.25, 0)


@pytest.fixture
def slow_aside(monkeypatch):
    """Make every pass run aside take at least ``delay[0]`` seconds."""
    delay = [0.05]
    real = core.evaluation.evaluate

    def slow(*args):
        time.sleep(delay[0])
        return real(*args)

    monkeypatch.setattr(core.evaluation, "evaluate", slow)
    return delay


def one_thread_policy():
    return ThreadPolicy(2, ONE_THREAD, 1, lambda: 0.0)


def stream(config, split, aside=True, control=None, augment=None, network=None):
    """core.train's iterator over ``split`` on one BLAS thread, with the passes aside or in line."""
    set_blas_threads(1)
    x_train, y_train, x_val, y_val = split.x_train, split.y_train, split.x_val, split.y_val
    return train(
        config,
        x_train,
        y_train,
        x_val,
        y_val,
        control,
        network=network,
        augment=augment,
        threads=one_thread_policy(),
        evaluate_aside=aside,
    )


def events_of(config, split, aside, control=None, augment=None, network=None):
    return list(stream(config, split, aside, control, augment, network))


def summary(event):
    """What an event says, without its timings."""
    if isinstance(event, BatchDone):
        return ("batch", event.epoch, event.batch, event.step, event.loss)
    if isinstance(event, EpochDone):
        return (
            "epoch",
            event.epoch,
            event.batches_done,
            event.running_loss,
            event.val_loss,
            event.val_accuracy,
            event.best_epoch,
            tuple(event.val_probabilities.ravel().round(7)),
        )
    if isinstance(event, Finished):
        return (
            "finished",
            event.reason,
            event.epochs_done,
            event.kept_epoch,
            event.last_epoch,
            event.val_accuracy,
            event.train_loss,
            tuple(w.tobytes() for pair in event.snapshot.weights for w in pair),
        )
    if isinstance(event, ThreadsChanged):
        return ("threads", event.step, event.threads)
    return (type(event).__name__,)


@pytest.fixture
def large_split():
    """Sets of more than one inference slice: the final passes are shared between two threads."""
    images, labels = synthetic_digits(2_400, seed=3)
    return split_dataset(Dataset(images, labels, "synthetic"), 0.25, 0)


def test_a_run_with_its_passes_shared_between_threads_is_the_same_run(large_split):
    config = TrainConfig(epochs=3, batch_size=64, hidden=(16,), optimizer="adam", lr=0.01)
    in_line = [summary(event) for event in events_of(config, large_split, aside=False)]
    aside = [summary(event) for event in events_of(config, large_split, aside=True)]
    assert aside == in_line


def test_a_run_evaluated_aside_is_the_same_run_with_the_same_events(split, slow_aside):
    config = TrainConfig(epochs=4, batch_size=8, hidden=(16,), optimizer="adam", lr=0.01)
    in_line = [summary(event) for event in events_of(config, split, aside=False)]
    aside = [summary(event) for event in events_of(config, split, aside=True)]
    assert aside == in_line
    kinds = [entry[0] for entry in aside]
    assert kinds.count("epoch") == 4 and kinds[-1] == "finished"


def test_events_of_the_next_epoch_never_come_before_the_epoch_before_it_ends(split, slow_aside):
    config = TrainConfig(epochs=3, batch_size=8, hidden=(16,))
    events = events_of(config, split, aside=True)
    ended = 0
    for event in events:
        if isinstance(event, BatchDone):
            assert event.epoch == ended + 1, "a step reported before the epoch before it"
        elif isinstance(event, EpochDone):
            ended = event.epoch
    assert ended == 3


def test_patience_reached_while_the_next_epoch_trained_undoes_that_epoch(split, slow_aside):
    # A rate too small to change any prediction: no gain after epoch 1, so
    # patience 2 ends the run after epoch 3. Each epoch (3 tiny steps) is over
    # long before the slow pass aside is, so epoch 4 trains in full first.
    config = TrainConfig(epochs=6, batch_size=32, hidden=(8,), lr=1e-9, patience=2)
    slow_aside[0] = 0.2
    network_in_line = Network.create(config.architecture, config.init, np.random.default_rng(5))
    network_aside = Network.create(config.architecture, config.init, np.random.default_rng(5))
    in_line = events_of(config, split, aside=False, network=network_in_line)
    aside = events_of(config, split, aside=True, network=network_aside)
    assert [summary(e) for e in aside] == [summary(e) for e in in_line]
    finished = aside[-1]
    assert finished.reason == "early stopped" and finished.last_epoch == 3
    assert not [e for e in aside if isinstance(e, BatchDone) and e.epoch == 4]
    # The network is left as the last epoch that counts left it, not a few steps on.
    for (weight, bias), (kept_weight, kept_bias) in zip(network_aside.weights(), network_in_line.weights()):
        assert np.array_equal(weight, kept_weight) and np.array_equal(bias, kept_bias)


def test_patience_reached_mid_way_through_the_next_epoch_undoes_its_steps(split, monkeypatch):
    # The pass aside for epoch 3 is held until epoch 4's second batch is made,
    # so its numbers (which end the run) come in mid-way through epoch 4.
    config = TrainConfig(epochs=6, batch_size=4, hidden=(8,), lr=1e-9, patience=2)
    batches_per_epoch = -(-len(split.y_train) // 4)
    release, calls, passes, real = threading.Event(), [], [], core.evaluation.evaluate

    def held_for_epoch_three(*args):
        passes.append(1)
        if len(passes) == 3:  # epoch 3's pass (epoch 1's and 2's go through)
            release.wait(10)
        return real(*args)

    def note_batch(x, rng):
        calls.append(1)
        if len(calls) == 3 * batches_per_epoch + 2:
            release.set()
        return x

    monkeypatch.setattr(core.evaluation, "evaluate", held_for_epoch_three)
    network = Network.create(config.architecture, config.init, np.random.default_rng(5))
    aside = events_of(config, split, aside=True, augment=note_batch, network=network)
    assert len(calls) >= 3 * batches_per_epoch + 2  # epoch 4 did train a while: its steps were undone
    calls.clear()
    release.clear()
    same_start = Network.create(config.architecture, config.init, np.random.default_rng(5))
    in_line = events_of(config, split, aside=False, augment=note_batch, network=same_start)
    assert [summary(e) for e in aside] == [summary(e) for e in in_line]
    assert aside[-1].reason == "early stopped" and aside[-1].last_epoch == 3
    last = [e for e in aside if isinstance(e, EpochDone)][-1]
    for (weight, bias), (kept_weight, kept_bias) in zip(network.weights(), last.snapshot.weights):
        assert np.array_equal(weight, kept_weight) and np.array_equal(bias, kept_bias)


def test_a_stop_during_the_next_epoch_reports_the_epoch_before_then_the_one_it_cut(split, slow_aside):
    # The consumer asks for a stop at the first step of epoch 2 it sees; with
    # epoch 2's steps held back behind epoch 1's pass, the run may be further
    # on by then (here all of epoch 2 trains within the pass's 50 ms): the
    # stop ends the epoch in progress, which is reported as far as it went.
    config = TrainConfig(epochs=5, batch_size=4, hidden=(16,))
    control = RunControl()
    seen = []
    for event in stream(config, split, control=control):
        seen.append(event)
        if isinstance(event, BatchDone) and event.epoch == 2:
            control.stop()
    epochs = [e for e in seen if isinstance(e, EpochDone)]
    assert [e.epoch for e in epochs] == [1, 2]
    assert not epochs[0].partial
    assert epochs[1].batches_done == len([e for e in seen if isinstance(e, BatchDone) and e.epoch == 2])
    assert seen[-1].reason == "stopped"


def test_the_epoch_before_is_reported_before_a_pause_holds_the_run(split, slow_aside):
    # The pause comes while the next epoch's first batch is being made, before
    # the pass aside is done; the run must report epoch 1 before it waits.
    config = TrainConfig(epochs=3, batch_size=4, hidden=(16,))
    control = RunControl()
    batches_per_epoch = -(-len(split.y_train) // 4)
    calls = []

    def pause_in_epoch_two(x, rng):
        calls.append(1)
        if len(calls) == batches_per_epoch + 1:
            control.pause()
        return x

    watchdog = threading.Timer(10, control.resume)  # were epoch 1 held behind the pause, this would end it
    watchdog.start()
    try:
        for event in stream(config, split, control=control, augment=pause_in_epoch_two):
            if isinstance(event, EpochDone) and event.epoch == 1:
                assert control.paused, "epoch 1 came only after the pause ended"
                control.resume()
    finally:
        watchdog.cancel()


def test_a_divergence_while_the_epoch_before_is_evaluated_comes_after_its_report(split, slow_aside):
    config = TrainConfig(epochs=4, batch_size=4, hidden=(16,))
    batches_per_epoch = -(-len(split.y_train) // 4)
    calls = []

    def blow_up_in_epoch_two(x, rng):
        calls.append(1)
        return x * np.nan if len(calls) == batches_per_epoch + 2 else x

    in_line = events_of(config, split, aside=False, augment=blow_up_in_epoch_two)
    calls.clear()
    aside = events_of(config, split, aside=True, augment=blow_up_in_epoch_two)
    assert [summary(e) for e in aside] == [summary(e) for e in in_line]
    kinds = [type(e) for e in aside if not isinstance(e, (BatchDone, ThreadsChanged, RunStarted))]
    assert kinds == [EpochDone, Diverged, Finished]
    assert aside[-1].reason == "diverged" and aside[-1].last_epoch == 1


def test_an_error_in_the_pass_aside_is_raised_in_the_training_thread(split, monkeypatch):
    def broken(*args):
        raise MemoryError("no room for the validation pass")

    monkeypatch.setattr(core.evaluation, "evaluate", broken)
    config = TrainConfig(epochs=3, batch_size=8, hidden=(16,))
    with pytest.raises(MemoryError, match="validation pass"):
        events_of(config, split, aside=True)


def test_two_blas_threads_keep_the_pass_in_line(split, monkeypatch):
    started = []
    real = core.training.evaluate_in_thread

    def counted(*args):
        started.append(1)
        return real(*args)

    monkeypatch.setattr(core.training, "evaluate_in_thread", counted)
    config = TrainConfig(epochs=3, batch_size=8, hidden=(16,))
    list(
        train(
            config,
            split.x_train,
            split.y_train,
            split.x_val,
            split.y_val,
            threads=ThreadPolicy(2, 2, 1, lambda: 0.0),
            evaluate_aside=True,
        )
    )
    assert not started
    events_of(config, split, aside=True)  # one thread: the passes of epochs 1 and 2 go aside (3 is the last)
    assert len(started) == 2


def test_logits_shared_between_two_threads_are_the_logits_of_one_pass():
    config = TrainConfig(hidden=(32, 16))
    snapshot = Network.create(config.architecture, config.init, np.random.default_rng(1)).snapshot()
    x = np.random.default_rng(2).random((1_001, 784), dtype=np.float32)
    shared = core.evaluation.logits_on_two_cores(snapshot, x)
    alone = core.evaluation.inference.logits(snapshot, x)
    # Split where one pass slices anyway: the very same numbers, bit for bit
    # (a row's last bits depend on the rows computed with it).
    assert shared.shape == alone.shape == (1_001, 10)
    np.testing.assert_array_equal(shared, alone)
    few = x[: core.evaluation.inference.SLICE_ROWS]  # one slice: nothing to share
    np.testing.assert_array_equal(core.evaluation.logits_on_two_cores(snapshot, few), alone[: len(few)])


def failing_at(batch_number):
    """A batch transform that raises at the ``batch_number``-th batch of the run."""
    calls = []

    def transform(x, rng):
        calls.append(1)
        if len(calls) == batch_number:
            raise ValueError(f"bad batch {batch_number}")
        return x

    return transform


def until_error(config, split, aside, augment, network=None):
    """The events up to the error, and the error."""
    events = []
    with pytest.raises(ValueError) as raised:
        for event in stream(config, split, aside, augment=augment, network=network):
            events.append(event)
    return events, raised.value


def test_an_error_in_the_next_epoch_comes_after_the_epoch_before_is_reported(split, slow_aside):
    config = TrainConfig(epochs=4, batch_size=4, hidden=(16,))
    batches_per_epoch = -(-len(split.y_train) // 4)
    in_line, error = until_error(config, split, False, failing_at(batches_per_epoch + 2))
    aside, error_aside = until_error(config, split, True, failing_at(batches_per_epoch + 2))
    assert str(error) == str(error_aside) == f"bad batch {batches_per_epoch + 2}"
    assert [summary(e) for e in aside] == [summary(e) for e in in_line]
    assert [type(e) for e in aside[-2:]] == [EpochDone, BatchDone]  # epoch 1, then epoch 2's first step


def test_an_error_after_patience_has_ended_the_run_never_happens(split, slow_aside):
    # In line, patience ends the run after epoch 3, so epoch 4, whose first
    # batch is bad, never starts; aside, it starts but is undone.
    config = TrainConfig(epochs=6, batch_size=32, hidden=(8,), lr=1e-9, patience=2)
    slow_aside[0] = 0.2
    batches_per_epoch = -(-len(split.y_train) // 32)
    bad = failing_at(3 * batches_per_epoch + 1)
    first = Network.create(config.architecture, config.init, np.random.default_rng(5))
    events = events_of(config, split, aside=True, augment=bad, network=first)
    same = Network.create(config.architecture, config.init, np.random.default_rng(5))
    in_line = events_of(config, split, aside=False, augment=failing_at(3 * batches_per_epoch + 1), network=same)
    assert [summary(e) for e in events] == [summary(e) for e in in_line]
    assert events[-1].reason == "early stopped" and events[-1].last_epoch == 3


def test_a_pass_in_its_thread_never_holds_up_the_exit():
    # Ctrl+C must end `digit-tui train` whatever it was doing: a pass still
    # running (here one that would take a minute) is not waited for.
    script = (
        "import time, core.evaluation as e\n"
        "e.evaluate = lambda *args: time.sleep(60)\n"
        "e.evaluate_in_thread(None, None, None)\n"
        "print('leaving')\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=50)
    assert done.returncode == 0 and done.stdout.strip() == "leaving"
    assert time.monotonic() - started < 30
