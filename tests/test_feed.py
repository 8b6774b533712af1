"""tui.feed: the core's events as few messages, and nothing held back
while the run waits in a pause."""

from helpers import synthetic_digits

from core import TrainConfig, train
from data import Dataset, split_dataset
from tui.feed import throttled_messages
from tui.messages import BatchProgress, EpochsDone, RunEnded


def events():
    images, labels = synthetic_digits(40)
    split = split_dataset(Dataset(images, labels, "synthetic"), 0.25, 0)
    config = TrainConfig(hidden=(8,), epochs=2, batch_size=10)
    return train(config, split.x_train, split.y_train, split.x_val, split.y_val)


def test_progress_within_the_interval_is_held_until_the_end():
    frozen = lambda: 0.0  # noqa: E731 - the clock never moves: only the first message and the end go out
    kinds = [type(message) for message in throttled_messages(events(), 1.0, clock=frozen)]
    assert kinds.count(EpochsDone) == 1 and kinds[-1] is RunEnded


def test_while_paused_every_epoch_goes_out_as_it_ends():
    # A paused run waits inside the core's iterator: whatever the feed still
    # held would wait with it, and the app would show old numbers.
    frozen = lambda: 0.0  # noqa: E731
    messages = list(throttled_messages(events(), 1.0, clock=frozen, paused=lambda: True))
    epochs = [message for message in messages if isinstance(message, EpochsDone)]
    assert [[record.epoch for record in message.records] for message in epochs] == [[1], [2]]
    assert isinstance(messages[-1], RunEnded)
    assert sum(isinstance(message, BatchProgress) for message in messages) >= 6
