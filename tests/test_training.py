"""The training iterator: learning, events, control, determinism, divergence."""

import threading

import numpy as np
import pytest

from core import BatchDone, Diverged, EpochDone, Finished, RunControl, RunStarted, TrainConfig, preset, train
from core.errors import ConfigError
from data import Dataset, load_dataset, split_dataset


@pytest.fixture(scope="module")
def bundled():
    return load_dataset()


def run(config, split, control=None):
    return list(train(config, split.x_train, split.y_train, split.x_val, split.y_val, control))


def flat(snapshot):
    """Every weight array of a snapshot, in order: W0, b0, W1, b1, ..."""
    return [array for pair in snapshot.weights for array in pair]


def small_split(digits, seed=0):
    images, labels = digits
    return split_dataset(Dataset(images, labels, "synthetic"), 0.2, seed)


def test_default_network_learns_the_bundled_sample(bundled):
    config = preset("default")
    finished = run(config, split_dataset(bundled, config.val_fraction, config.seed))[-1]
    assert finished.reason == "completed"
    assert finished.snapshot.architecture.describe() == "784-10-10"
    assert finished.val_accuracy >= 0.86


def test_seed_preset_reproduces_the_notebook_and_learns(bundled):
    config = preset("seed")
    assert (config.hidden, config.init, config.optimizer, config.lr, config.epochs) == (
        (10,),
        "uniform",
        "gd",
        0.10,
        500,
    )
    events = run(config, split_dataset(bundled, config.val_fraction, config.seed))
    assert sum(isinstance(e, BatchDone) for e in events) == 500  # one full batch per iteration
    assert events[-1].val_accuracy >= 0.80


def test_event_stream_order_and_contents(digits):
    config = TrainConfig(epochs=3, batch_size=16)
    events = run(config, small_split(digits))
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], Finished)
    epochs = [e for e in events if isinstance(e, EpochDone)]
    assert [e.epoch for e in epochs] == [1, 2, 3]
    batches = [e for e in events if isinstance(e, BatchDone)]
    assert len(batches) == 3 * events[0].batches_per_epoch
    assert epochs[-1].val_probabilities.shape == (len(small_split(digits).y_val), 10)
    assert np.allclose(epochs[-1].val_probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert epochs[-1].best_val_accuracy == max(e.val_accuracy for e in epochs)
    assert all(e.samples_per_second > 0 for e in epochs)


def test_same_seed_same_run_bit_for_bit(digits):
    config = TrainConfig(epochs=2, batch_size=8, dropout=0.3, hidden=(16,))
    first, second = run(config, small_split(digits)), run(config, small_split(digits))
    for a, b in zip(flat(first[-1].snapshot), flat(second[-1].snapshot)):
        assert np.array_equal(a, b)
    other = run(config.with_changes(seed=1), small_split(digits))
    assert not np.array_equal(flat(first[-1].snapshot)[0], flat(other[-1].snapshot)[0])


def test_stop_keeps_the_weights_and_ends_within_a_batch(digits):
    control = RunControl()
    events = []
    for event in train(TrainConfig(epochs=50, batch_size=4), *_arrays(small_split(digits)), control):
        events.append(event)
        if isinstance(event, BatchDone) and event.step == 3:
            control.stop()
    assert isinstance(events[-1], Finished) and events[-1].reason == "stopped"
    assert sum(isinstance(e, BatchDone) for e in events) == 3
    assert events[-1].snapshot is not None


def test_pause_holds_the_run_until_resumed(digits):
    control = RunControl()
    stream = train(TrainConfig(epochs=2, batch_size=4), *_arrays(small_split(digits)), control)
    next(stream)  # RunStarted
    control.pause()
    # The first batch's event comes out; the run then waits inside the pause.
    got = [next(stream)]
    assert isinstance(got[0], BatchDone)
    blocked = threading.Thread(target=lambda: got.append(next(stream)), daemon=True)
    blocked.start()
    assert control.holding.wait(timeout=60)  # a hang guard, not a speed check
    assert blocked.is_alive() and len(got) == 1  # held: nothing more came out
    control.resume()
    blocked.join(timeout=60)
    assert not blocked.is_alive() and len(got) == 2 and control.paused_seconds > 0


def test_huge_learning_rate_diverges_and_keeps_the_last_good_weights(digits):
    config = TrainConfig(optimizer="sgd", momentum=0.0, lr=100.0, epochs=5, batch_size=8)
    split = small_split(digits)
    events = run(config, split)
    diverged = next(e for e in events if isinstance(e, Diverged))
    assert diverged.step <= 5 and diverged.lr == 100.0
    assert "learning rate 100" in diverged.message
    finished = events[-1]
    assert finished.reason == "diverged"
    assert all(np.all(np.isfinite(p)) for p in flat(finished.snapshot))
    assert np.isfinite(finished.val_loss)


def test_invalid_settings_are_refused(digits):
    for bad in (
        dict(lr=-1.0),
        dict(epochs=0),
        dict(dropout=1.0),
        dict(val_fraction=1.5),
        dict(optimizer="rmsprop"),
        dict(hidden=(0,)),
    ):
        with pytest.raises(ConfigError):
            run(TrainConfig(**bad), small_split(digits))


def test_l2_and_dropout_and_every_optimiser_train(digits):
    for optimizer in ("gd", "sgd", "adam"):
        config = TrainConfig(
            optimizer=optimizer,
            lr=0.05 if optimizer != "adam" else 0.01,
            epochs=30,
            batch_size=8,
            l2=1e-4,
            dropout=0.1,
            hidden=(32,),
            schedule="step",
            step_every=10,
        )
        finished = run(config, small_split(digits))[-1]
        assert finished.train_loss < 1.0, optimizer


def _arrays(split):
    return split.x_train, split.y_train, split.x_val, split.y_val
