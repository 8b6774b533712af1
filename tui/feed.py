"""Turn the core's event stream into few, throttled messages for the app.

One message per batch would flood the UI (the seed preset does hundreds of
iterations a second), so progress goes out at most ``interval`` seconds
apart, finished epochs are batched together, and the end is always sent.
"""

import time
from collections import deque
from dataclasses import replace

from core import BatchDone, Diverged, EpochDone, Finished, RunStarted
from core.events import ThreadsChanged

from .messages import BatchProgress, EpochsDone, RunBegan, RunEnded, ThreadsSwitched

RECENT_LOSSES = 300


def throttled_messages(events, interval=0.2, clock=time.monotonic, cancelled=lambda: False, paused=lambda: False):
    """Yield messages for ``events``; stop as soon as ``cancelled()`` is true
    (checked after every batch). While ``paused()`` is true everything held
    goes out at once: the run is about to wait, and its latest numbers
    must not wait with it."""
    recent = deque(maxlen=RECENT_LOSSES)
    pending_epochs, last_batch, last_sent = [], None, clock() - interval
    diverged = None
    for event in events:
        if isinstance(event, BatchDone):
            recent.append(event.loss)
            last_batch = event
            if cancelled():
                return
        elif isinstance(event, EpochDone):
            pending_epochs.append(event)
        elif isinstance(event, RunStarted):
            yield RunBegan(event.config, event.epochs, event.batches_per_epoch, event.snapshot)
        elif isinstance(event, Diverged):
            diverged = event
        elif isinstance(event, ThreadsChanged):
            yield ThreadsSwitched(event.step, event.threads, event.reason)
        elif isinstance(event, Finished):
            yield from _flush(pending_epochs, last_batch, recent)
            yield RunEnded(event, diverged)
            return
        if clock() - last_sent >= interval or paused():
            yield from _flush(pending_epochs, last_batch, recent)
            pending_epochs, last_batch, last_sent = [], None, clock()


def _flush(epochs, batch, recent):
    if batch is not None:
        yield BatchProgress(
            batch.epoch,
            batch.batch,
            batch.batches_per_epoch,
            batch.step,
            batch.loss,
            batch.lr,
            batch.elapsed,
            tuple(recent),
        )
    if epochs:
        records = [replace(epoch, snapshot=None, val_probabilities=None) for epoch in epochs]
        yield EpochsDone(records, epochs[-1].snapshot, epochs[-1].val_probabilities)
