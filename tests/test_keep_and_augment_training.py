"""The training loop's batch-transform hook, keeping the best epoch, patience."""

import threading

import numpy as np
import pytest
from helpers import synthetic_digits

from core import BatchDone, EpochDone, Finished, RunControl, TrainConfig, train
from data import Dataset, split_dataset
from data.augment import augmenter_for


def small_split(digits, seed=0):
    images, labels = digits
    return split_dataset(Dataset(images, labels, "synthetic"), 0.2, seed)


def run(config, split, augment=None):
    return list(train(config, split.x_train, split.y_train, split.x_val, split.y_val, augment=augment))


def flat(snapshot):
    return [array for pair in snapshot.weights for array in pair]


def same_weights(first, second):
    return all(np.array_equal(a, b) for a, b in zip(flat(first), flat(second), strict=True))


class Recorder:
    """A batch transform that records what it gets and changes nothing."""

    def __init__(self):
        self.shapes, self.generators = [], set()

    def __call__(self, x, rng):
        self.shapes.append(x.shape)
        self.generators.add(id(rng))
        return x


def test_the_hook_sees_every_batch_with_one_generator_and_changes_nothing_by_itself(digits):
    config = TrainConfig(epochs=2, batch_size=16)
    split = small_split(digits)
    recorder = Recorder()
    with_hook = run(config, split, recorder)[-1]
    without = run(config, split)[-1]
    batches = -(-len(split.y_train) // 16)
    assert len(recorder.shapes) == 2 * batches
    assert recorder.shapes[0] == (16, 784) and len(recorder.generators) == 1
    # Adding the hook's own generator left the run's other random numbers alone.
    assert same_weights(with_hook.snapshot, without.snapshot)


def test_augmented_training_is_seeded_and_differs_from_plain_training(digits):
    config = TrainConfig(epochs=2, batch_size=16, augment="elastic")
    split = small_split(digits)
    first = run(config, split, augmenter_for(config))[-1]
    again = run(config, split, augmenter_for(config))[-1]
    plain = run(config, split)[-1]
    assert same_weights(first.snapshot, again.snapshot)
    assert not same_weights(first.snapshot, plain.snapshot)


def test_the_network_learns_the_transformed_inputs_with_their_own_labels(digits):
    """Trained on inverted digits (1 - x) with the labels untouched, the
    network fits those: high accuracy on its training batches, and worse on
    the plain validation digits it never saw inverted."""
    config = TrainConfig(hidden=(64,), epochs=20, batch_size=8)
    events = run(config, small_split(digits), lambda x, rng: 1.0 - x)
    last = [e for e in events if isinstance(e, EpochDone)][-1]
    assert last.running_accuracy >= 0.9
    assert last.val_accuracy < last.running_accuracy - 0.3


def test_keep_best_ends_with_the_best_epochs_weights_and_says_which():
    images, labels = synthetic_digits(200, seed=1)
    split = split_dataset(Dataset(images, labels, "synthetic"), 0.3, 0)
    # A high constant rate: a noisy run, whose last epoch is not its best.
    config = TrainConfig(epochs=8, batch_size=8, lr=0.1, schedule="constant", keep="best")
    events = run(config, split)
    epochs = [e for e in events if isinstance(e, EpochDone)]
    finished = events[-1]
    best = max(epochs, key=lambda e: (e.val_accuracy, -e.val_loss))  # ties: the surer one
    assert best.epoch != 8  # else this test could not tell best from last
    assert finished.kept_epoch == best.epoch and finished.last_epoch == 8
    assert finished.snapshot is best.snapshot
    assert finished.val_accuracy == best.val_accuracy
    assert np.array_equal(finished.val_probabilities, best.val_probabilities)


def test_keep_last_ends_with_the_last_epochs_weights(digits):
    config = TrainConfig(epochs=5, batch_size=8, lr=0.05, keep="last")
    events = run(config, small_split(digits))
    last = [e for e in events if isinstance(e, EpochDone)][-1]
    assert events[-1].kept_epoch == 5 and events[-1].snapshot is last.snapshot


def test_patience_stops_when_validation_accuracy_stops_improving(digits):
    config = TrainConfig(epochs=200, batch_size=8, patience=3)
    events = run(config, small_split(digits))
    epochs = [e for e in events if isinstance(e, EpochDone)]
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.reason == "early stopped"
    assert len(epochs) < 200
    top = max(e.val_accuracy for e in epochs)
    first_top = next(e.epoch for e in epochs if e.val_accuracy == top)
    assert epochs[-1].epoch == first_top + 3  # three epochs without a gain, then the stop
    assert finished.kept_epoch == epochs[-1].best_epoch >= first_top


def test_patience_zero_never_stops_early(digits):
    config = TrainConfig(epochs=6, batch_size=16, patience=0)
    assert run(config, small_split(digits))[-1].reason == "completed"


def test_making_batches_ahead_in_a_thread_gives_the_same_run(digits):
    config = TrainConfig(epochs=3, batch_size=8, augment="elastic")
    split = small_split(digits)
    plain = run(config, split, augmenter_for(config))[-1]
    events = list(
        train(config, split.x_train, split.y_train, split.x_val, split.y_val, augment=augmenter_for(config), ahead=True)
    )
    assert same_weights(events[-1].snapshot, plain.snapshot)
    assert not any(t.name == "batches-ahead" for t in threading.enumerate())  # every epoch's thread ended


def test_a_stop_ends_the_thread_making_batches_ahead(digits):
    config = TrainConfig(epochs=50, batch_size=4, augment="affine")
    split = small_split(digits)
    control = RunControl()
    events = train(
        config,
        split.x_train,
        split.y_train,
        split.x_val,
        split.y_val,
        control,
        augment=augmenter_for(config),
        ahead=True,
    )
    seen = []
    for event in events:
        seen.append(event)
        if isinstance(event, BatchDone) and event.step == 3:
            control.stop()
    assert seen[-1].reason == "stopped"
    assert sum(isinstance(event, BatchDone) for event in seen) == 3  # it ended within the batch
    assert not any(t.name == "batches-ahead" for t in threading.enumerate())


def test_an_error_while_making_a_batch_ahead_reaches_the_reader(digits):
    def broken(x, rng):
        raise MemoryError("no room for the batch")

    split = small_split(digits)
    config = TrainConfig(epochs=2, batch_size=8)
    events = train(config, split.x_train, split.y_train, split.x_val, split.y_val, augment=broken, ahead=True)
    with pytest.raises(MemoryError, match="no room"):
        list(events)
    assert not any(t.name == "batches-ahead" for t in threading.enumerate())
