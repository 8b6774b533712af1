"""Benchmark: what a browser or confusion key costs with a large validation set.

    python bench/browse_large.py [--sizes 1000 10000 60000] [--repeats 50] [--json out.json]

Each key's handler and the redraw of what it changed (the digit, the
prediction, the confusion grid), inside the app (Textual's headless driver
at 120x40), called directly so that the driver's own frame pacing is not
counted: milliseconds a key at each size, and the ratio to the smallest.
A key that walked the rows in Python would grow with the set (60x from
1,000 to 60,000 digits); one NumPy pass grows a little, a fixed cost not
at all. Also the cost of new data and of new predictions (once an epoch).
"""

import argparse
import asyncio
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core import TrainConfig  # noqa: E402
from tui.app import DigitApp  # noqa: E402
from tui.run_state import Phase  # noqa: E402
from tui.views import BrowserView  # noqa: E402
from tui.widgets import ConfusionGrid, DigitArt, Prediction  # noqa: E402


class IdleApp(DigitApp):
    """The app without a training run: the data is put in by hand."""

    def start_training(self, config):
        pass


def large_set(count, seed=0):
    """``count`` random digits, labels cycling 0-9, predictions 90% right."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 784), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.int64)
    predicted = np.where(rng.random(count) < 0.9, labels, rng.integers(0, 10, count))
    probabilities = rng.random((count, 10)).astype(np.float32) * 0.1
    probabilities[np.arange(count), predicted] += 1.0
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return images, labels, probabilities


def timed(action, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        action()
    return (time.perf_counter() - start) / repeats * 1000


async def measure(count, repeats):
    images, labels, probabilities = large_set(count)
    app = IdleApp(TrainConfig(), show_timing=False)
    results = {}
    async with app.run_test(size=(120, 40)) as pilot:
        app.state.val_images, app.state.val_labels, app.state.phase = images, labels, Phase.COMPLETED
        results["new data"] = timed(lambda: app.show_run({"data"}), 1)
        app.state.val_probabilities = probabilities
        results["new predictions"] = timed(lambda: app.show_run({"predictions"}), 1)
        await pilot.pause()
        browser, grid = app.query_one(BrowserView), app.query_one(ConfusionGrid)

        def redrawn(action):
            def key():
                action()
                browser.query_one(DigitArt).render()
                browser.query_one(Prediction).render()

            return key

        keys = {
            "-> next": lambda: browser.action_move(1),
            "end": lambda: browser.action_jump(-1),
            "g: go to N": lambda: browser._go_to(count // 2),
            "m: next wrong": lambda: browser.action_next_wrong(1),
            "3: next of class": lambda: browser.action_next_class(3),
            "f: filter": browser.action_cycle_filter,
        }
        for name, action in keys.items():
            results[name] = timed(redrawn(action), repeats)

        def cursor():
            grid.action_move(0, 1)
            grid.render()

        results["confusion cursor"] = timed(cursor, repeats)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 60000])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", metavar="PATH", help="also write {size: {key: ms}} as JSON")
    args = parser.parse_args()
    table = {count: asyncio.run(measure(count, args.repeats)) for count in args.sizes}
    smallest = args.sizes[0]
    print("ms a key (ratio to " + f"{smallest:,} digits)")
    print(f"{'':18}" + "".join(f"{count:>18,}" for count in args.sizes))
    for name in table[smallest]:
        cells = "".join(
            f"{table[count][name]:>9.2f} ({table[count][name] / table[smallest][name]:4.1f}x)" for count in args.sizes
        )
        print(f"{name:18}{cells}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(
                {str(count): {name: round(ms, 2) for name, ms in keys.items()} for count, keys in table.items()}, stream
            )


if __name__ == "__main__":
    main()
