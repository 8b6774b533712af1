"""Pause, resume and stop a run from another thread.

The training iterator checks this object after every batch, so a stop takes
effect within one batch and a pause holds the run between two batches.
"""

import threading
import time


class RunControl:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.holding = threading.Event()  # set while the run waits inside a pause
        self.paused_seconds = 0.0

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused run so that it can end

    def wait_while_paused(self) -> None:
        """Block while paused; add the time spent to ``paused_seconds``."""
        if self._running.is_set():
            return
        started = time.perf_counter()
        self.holding.set()
        while not self._running.wait(0.1):
            pass
        self.holding.clear()
        self.paused_seconds += time.perf_counter() - started
