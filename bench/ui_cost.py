"""Benchmark: what the interface costs the training, and the terminal.

    python bench/ui_cost.py

1. Throughput: the deep preset (784-256-128-10, batch 128) trained inside the
   app (Textual's headless driver at 120x40, one BLAS thread as the app uses)
   against the same run headless with the same thread count, alternated three
   times; samples/s from the core's Finished event.
2. Event-loop lag: a 10 ms timer inside the app while it trains (in runs of
   their own, since the probe costs a little); its lateness (how long after
   the due time it fired), p50, p99 and max.
3. First frame: the real `digit-tui` in a pseudo-terminal (120x40); seconds
   from starting the process until the tab bar has been written.
4. Terminal output: bytes written to that pseudo-terminal per second while
   the deep preset trains, over 5 seconds.
"""

import asyncio
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import Finished, preset, train  # noqa: E402
from core.blas import set_blas_threads  # noqa: E402
from data import load_dataset, split_dataset  # noqa: E402
from tui.app import DigitApp  # noqa: E402

CONFIG = preset("deep").with_changes(epochs=15, dropout=0.0)


def headless_speed(split):
    set_blas_threads(1)
    for event in train(CONFIG, split.x_train, split.y_train, split.x_val, split.y_val):
        if isinstance(event, Finished):
            return event.samples_per_second


class SpeedApp(DigitApp):
    """The app, remembering the speed its run ended with."""

    def on_run_ended(self, message):
        self.finished_speed = message.finished.samples_per_second
        super().on_run_ended(message)


class TimedApp(SpeedApp):
    """The app plus a 10 ms timer that records how late it fires."""

    def on_mount(self):
        super().on_mount()
        self.lateness, self._due = [], time.perf_counter() + 0.01
        self.set_interval(0.01, self._tick)

    def _tick(self):
        now = time.perf_counter()
        if self.run_state == "running":  # while it trains: not start-up, not data loading
            self.lateness.append(max(now - self._due, 0.0))
        self._due = now + 0.01


def trained_app(app_class):
    """Run the deep preset to the end in ``app_class`` (120x40, headless driver)."""
    app = app_class(CONFIG, blas_threads=1)

    async def run():
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
    asyncio.run(run())
    return app


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def terminal_figures(columns=120, rows=40, watch_seconds=5.0):
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    env.pop("COLORTERM", None)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "tui", "--preset", "deep", "--epochs", "1000"],
                               cwd=ROOT, stdin=follower, stdout=follower, stderr=follower, env=env,
                               start_new_session=True)
    os.close(follower)
    seen, first_frame, counted, counting_since = b"", None, 0, None
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 0.05)
            chunk = os.read(leader, 65536) if ready else b""
            now = time.perf_counter()
            if first_frame is None:
                seen += chunk
                if b"Training (t)" in seen:
                    first_frame = now - started
            elif counting_since is None:
                seen = (seen + chunk)[-100_000:]
                if b"/1000" in seen:  # the status line counts epochs: the run is under way
                    counting_since = now
            else:
                counted += len(chunk)
                if now - counting_since >= watch_seconds:
                    return first_frame, counted / (now - counting_since)
            if now - started > 120:
                raise RuntimeError("the app never showed training")
    finally:
        process.kill()
        process.wait()
        os.close(leader)


def main():
    split = split_dataset(load_dataset(), CONFIG.val_fraction, CONFIG.seed)
    headless, in_app, lags = [], [], []
    for _ in range(3):  # alternate, so both see the same machine
        headless.append(headless_speed(split))
        in_app.append(trained_app(SpeedApp).finished_speed)
        # a run of its own: the probe timer itself costs the training thread a little
        lags += trained_app(TimedApp).lateness
    first_frame, bytes_per_second = terminal_figures()
    print(f"digit-tui UI cost, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"deep preset (784-256-128-10, batch 128), 1 BLAS thread")
    print(f"throughput: headless {statistics.median(headless):,.0f} samples/s, in the app "
          f"{statistics.median(in_app):,.0f} samples/s = {statistics.median(in_app) / statistics.median(headless):.0%}"
          f" (target >= 90%)")
    print(f"event-loop lag of a 10 ms timer while training: p50 {percentile(lags, 0.5) * 1000:.1f} ms, "
          f"p99 {percentile(lags, 0.99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms over {len(lags)} ticks "
          f"(target p99 <= 25 ms)")
    print(f"first frame: {first_frame:.2f} s after launch (target <= 0.8 s)")
    print(f"terminal output while training at 120x40: {bytes_per_second / 1024:.1f} KiB/s (target < 15 KiB/s)")


if __name__ == "__main__":
    main()
