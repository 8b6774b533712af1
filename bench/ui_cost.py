"""Benchmark: what the interface costs the training, and the terminal.

    python bench/ui_cost.py [--repeats 3] [--json out.json]

1. Throughput: the deep preset (784-256-128-10, batch 128) trained for 60
   epochs (about 4 seconds) inside the app (Textual's headless driver at
   120x40, one BLAS thread as the app uses) against the same run headless
   with the same thread count, alternated three times; samples/s from the
   core's Finished event. Shorter runs mostly measure the app's first
   frames, which are drawn once.
2. Event-loop lag: a 10 ms timer inside the app while it trains (in runs of
   their own, since the probe costs a little); its lateness (how long after
   the due time it fired), p50, p99 and max.
3. First frame: the real `digit-tui` in a pseudo-terminal (120x40); seconds
   from starting the process until the tab bar has been written.
4. Terminal output: bytes written to that pseudo-terminal per second while
   the deep preset trains, over 6 seconds, on each of the three views (the
   key that opens it is typed once training shows, and the 2 seconds after
   it, which redraw the whole view, are left out).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from terminal import close_app, launch_in_pty, read_for, wait_for_training  # noqa: E402

from core import Finished, preset, train  # noqa: E402
from core.blas import set_blas_threads  # noqa: E402
from data import load_dataset, split_dataset  # noqa: E402
from tui.app import DigitApp  # noqa: E402
from tui.run_state import Phase  # noqa: E402

CONFIG = preset("deep").with_changes(epochs=60, dropout=0.0)


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
        if self.state.phase is Phase.TRAINING:  # while it trains: not start-up, not data loading
            self.lateness.append(max(now - self._due, 0.0))
        self._due = now + 0.01


def trained_app(app_class):
    """Run the deep preset to the end in ``app_class`` (120x40, headless driver)."""
    app = app_class(CONFIG, blas_threads=1, no_record=True)

    async def run():
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()

    asyncio.run(run())
    return app


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def first_frame_seconds():
    """Seconds from starting digit-tui until its tab bar has been written."""
    started = time.perf_counter()
    process, leader = launch_in_pty(["--preset", "deep", "--no-record"])
    seen = b""
    try:
        while b"Training (t)" not in seen:
            if time.perf_counter() - started > 60:
                raise RuntimeError("the app never drew its first frame")
            seen += read_for(leader, 0.01)
        return time.perf_counter() - started
    finally:
        close_app(process, leader)


def bytes_per_second(key, watch_seconds=6.0, settle_seconds=2.0):
    """Bytes written per second while the deep preset trains, on the view ``key`` opens."""
    process, leader = launch_in_pty(["--preset", "deep", "--epochs", "1000", "--no-record"])
    try:
        wait_for_training(leader)
        os.write(leader, key.encode())
        read_for(leader, settle_seconds)  # the switch itself is drawn whole: leave it out
        return len(read_for(leader, watch_seconds)) / watch_seconds
    finally:
        close_app(process, leader)


VIEWS = {"training": "t", "digits": "b", "confusion": "c", "draw": "d", "inside": "i"}


def ui_figures(repeats=3):
    """Every figure of this benchmark, as a dict."""
    split = split_dataset(load_dataset(), CONFIG.val_fraction, CONFIG.seed)
    headless, in_app, lags = [], [], []
    for _ in range(repeats):  # alternate, so both see the same machine
        headless.append(headless_speed(split))
        in_app.append(trained_app(SpeedApp).finished_speed)
        # a run of its own: the probe timer itself costs the training thread a little
        lags += trained_app(TimedApp).lateness
    return {
        "headless_samples_per_second": round(statistics.median(headless)),
        "in_app_samples_per_second": round(statistics.median(in_app)),
        "in_app_share": round(statistics.median(in_app) / statistics.median(headless), 3),
        "in_app_shares_of_each_pair": [round(a / h, 3) for a, h in zip(in_app, headless)],
        "lag_p50_ms": round(percentile(lags, 0.5) * 1000, 1),
        "lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
        "lag_max_ms": round(max(lags) * 1000, 1),
        "lag_ticks": len(lags),
        "first_frame_seconds": round(first_frame_seconds(), 2),
        "terminal_kib_per_second": {view: round(bytes_per_second(key) / 1024, 1) for view, key in VIEWS.items()},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="headless/app pairs to alternate")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    figures = ui_figures(args.repeats)
    print(
        f"digit-tui UI cost, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"deep preset (784-256-128-10, batch 128), 1 BLAS thread"
    )
    print(
        f"throughput: headless {figures['headless_samples_per_second']:,} samples/s, in the app "
        f"{figures['in_app_samples_per_second']:,} samples/s = {figures['in_app_share']:.0%} (target >= 90%)"
    )
    print(
        f"event-loop lag of a 10 ms timer while training: p50 {figures['lag_p50_ms']} ms, "
        f"p99 {figures['lag_p99_ms']} ms, max {figures['lag_max_ms']} ms over {figures['lag_ticks']} ticks "
        f"(target p99 <= 25 ms)"
    )
    print(f"first frame: {figures['first_frame_seconds']:.2f} s after launch (target <= 0.8 s)")
    views = ", ".join(f"{view} {kib} KiB/s" for view, kib in figures["terminal_kib_per_second"].items())
    print(f"terminal output while training at 120x40: {views} (target < 15 KiB/s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(figures, stream, indent=2)


if __name__ == "__main__":
    main()
