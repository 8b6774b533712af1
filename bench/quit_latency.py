"""Benchmark: how long `q` takes to end digit-tui while the largest preset trains.

    python bench/quit_latency.py [--runs 5] [--json out.json]

Runs the real `digit-tui --preset deep` in a pseudo-terminal (120x40), waits
until training is under way, types `q`, and times the process until it has
exited. Prints each run and the median; the target is under one second.
"""

import argparse
import json
import os
import statistics
import time

from terminal import close_app, launch_in_pty, read_for, wait_for_training


def one_run():
    process, leader = launch_in_pty(["--preset", "deep", "--epochs", "1000", "--no-record"])
    try:
        wait_for_training(leader)
        read_for(leader, 1.0)  # well into an epoch
        started = time.perf_counter()
        os.write(leader, b"q")
        while process.poll() is None:
            try:
                read_for(leader, 0.01)
            except OSError:  # the app has closed its end
                time.sleep(0.001)
        return time.perf_counter() - started
    finally:
        close_app(process, leader)


def quit_times(runs=5):
    return [one_run() for _ in range(runs)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", metavar="PATH", help="also write the times (ms) as JSON")
    args = parser.parse_args()
    times = quit_times(args.runs)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump([round(seconds * 1000) for seconds in times], stream)
    for index, seconds in enumerate(times, 1):
        print(f"run {index}: q to exit in {seconds * 1000:.0f} ms")
    print(
        f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
        f"(target: under 1000 ms) with --preset deep training, {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
