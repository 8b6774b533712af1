"""Benchmark: digit-tui at MNIST's size, 60,000 training and 10,000 test digits.

    python bench/scale.py [--epochs 3] [--json out.json]

The digits are the full MNIST if `digit-tui download mnist` has fetched it,
else made from the bundled sample with data/augment.py (bench/scale_data.py;
the output says which). Each figure comes from a fresh process:

1. Loading, both parts (60,000 + 10,000), from MNIST's gzipped IDX files and
   from Kaggle-layout CSVs: seconds the first time (empty cache) and again
   (CSVs from the cache; IDX files have none: they are read whole each
   time), and the peak memory of the load.
2. `digit-tui train --data FOLDER --preset deep --epochs N` (784-256-128-10,
   batch 128, 48,000 training and 12,000 validation digits, the automatic
   thread choice) on the IDX files: seconds an epoch (wall, evaluation
   included, the median of its epochs), samples/s in training steps, and
   the peak memory (VmHWM) of the whole command.
3. The app (Textual's headless driver at 120x40) training the same run: the
   peak memory of its process, and the event-loop lag of a 10 ms timer
   while it trains (as bench/ui_cost.py measures it, p50, p99, max).
4. Bytes the real app writes to a pseudo-terminal per second while it
   trains on these digits, training view (as ui_cost.py, 120x40).

2 and 3 run on an idle and on a busy machine: busy means a competing
CPU-bound process (a Python busy loop, started and stopped here) keeps one
core busy. The load average is printed with the figures.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

from busy_threads import start_competitor, stop  # noqa: E402  (the same busy loop as the thread benchmark)

LOAD_TARGET, CACHED_TARGET, MEMORY_TARGET_MB, LAG_TARGET_MS = 2.0, 0.2, 600, 25

PEAK_KB = """
def peak_kb():  # the kernel's resident high-water mark; exec resets it, unlike ru_maxrss
    with open('/proc/self/status') as status:
        return next(int(line.split()[1]) for line in status if line.startswith('VmHWM'))
"""

LOAD_SCRIPT = (
    PEAK_KB
    + """
import json, sys, time
sys.path.insert(0, sys.argv[2])
import pandas, numpy
from data import load_dataset
from data.loading import load_test_part
baseline = peak_kb()
times = []
for _ in range(2):  # the first time, then again (from the cache, for CSVs)
    started = time.perf_counter()
    train, test = load_dataset(sys.argv[1]), load_test_part(sys.argv[1])
    times.append(time.perf_counter() - started)
print(json.dumps({"train": len(train), "test": len(test), "first_seconds": times[0], "again_seconds": times[1],
                  "peak_mb": peak_kb() / 1024, "peak_extra_mb": (peak_kb() - baseline) / 1024}))
"""
)

# `digit-tui train` itself, then its peak memory on stderr's last line.
CLI_SCRIPT = (
    PEAK_KB
    + """
import sys
sys.path.insert(0, sys.argv[1])
from tui.cli import main
try:
    code = main(sys.argv[2:])
finally:
    sys.stderr.write(f"\\nVmHWM {peak_kb()}\\n")
sys.exit(code)
"""
)


def fresh_process(args, env=None):
    """Run ``args`` (after the interpreter) with recording off; its stdout and stderr."""
    environment = dict(os.environ, DIGIT_TUI_RECORD="off", **(env or {}))
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=environment)
    if done.returncode:
        raise RuntimeError(f"{args[:3]} failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return done.stdout, done.stderr


def load_figures(folder, cache):
    stdout, _ = fresh_process(["-c", LOAD_SCRIPT, folder, ROOT], {"DIGIT_TUI_CACHE_DIR": cache})
    figures = json.loads(stdout)
    return {key: round(value, 3) if isinstance(value, float) else value for key, value in figures.items()}


def cli_figures(folder, epochs, busy):
    """`digit-tui train` on ``folder``: seconds an epoch, samples/s, peak memory, thread decisions."""
    competitor = start_competitor() if busy else None
    try:
        with tempfile.TemporaryDirectory() as work:
            metrics = os.path.join(work, "metrics.jsonl")
            command = ["train", "--data", folder, "--preset", "deep", "--epochs", str(epochs), "--json"]
            stdout, stderr = fresh_process(["-c", CLI_SCRIPT, ROOT, *command, "--metrics", metrics])
            with open(metrics, encoding="utf-8") as lines:
                epochs_done = [json.loads(line) for line in lines]
    finally:
        if competitor is not None:
            stop(competitor)
    summary = json.loads(stdout)
    ends = [0.0] + [line["elapsed"] for line in epochs_done]
    per_epoch = sorted(b - a for a, b in zip(ends, ends[1:]))
    return {
        "seconds_per_epoch": round(per_epoch[len(per_epoch) // 2], 2),
        "samples_per_second": round(summary["samples_per_second"]),
        "blas_threads_at_end": summary["blas_threads"],
        "thread_decisions": [d["reason"] for line in epochs_done for d in line.get("blas_threads", [])],
        "peak_mb": round(int(stderr.rsplit("VmHWM", 1)[1].split()[0]) / 1024),
        "val_accuracy": summary["val_accuracy"],
        "test_accuracy": summary.get("test_accuracy"),
    }


def app_figures(folder, epochs, busy):
    """The app training on ``folder`` in a fresh process: peak memory and lag."""
    competitor = start_competitor() if busy else None
    try:
        stdout, _ = fresh_process([os.path.join(BENCH, "scale.py"), "--in-app", folder, "--epochs", str(epochs)])
    finally:
        if competitor is not None:
            stop(competitor)
    return json.loads(stdout)


def run_in_app(folder, epochs):
    """In this (fresh) process: the app trains the deep preset on ``folder``
    with a 10 ms timer; print peak memory and the timer's lateness as JSON."""
    from ui_cost import TimedApp, percentile

    from core import preset

    config = preset("deep").with_changes(epochs=epochs)
    app = TimedApp(config, data_path=folder, no_record=True)  # the app's own thread choice

    async def run():
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()

    asyncio.run(run())
    lags = app.lateness
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(
        json.dumps(
            {
                "peak_mb": round(peak / 1024),
                "lag_p50_ms": round(percentile(lags, 0.5) * 1000, 1),
                "lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
                "lag_max_ms": round(max(lags) * 1000, 1),
                "lag_ticks": len(lags),
                "samples_per_second": round(app.finished_speed),
            }
        )
    )


def terminal_kib_per_second(folder):
    from terminal import close_app, launch_in_pty, read_for, wait_for_training

    process, leader = launch_in_pty(["--data", folder, "--preset", "deep", "--epochs", "1000", "--no-record"])
    try:
        wait_for_training(leader)
        read_for(leader, 2.0)  # the first frames of the run are drawn whole: leave them out
        return round(len(read_for(leader, 6.0)) / 6.0 / 1024, 1)
    finally:
        close_app(process, leader)


def scale_figures(epochs=3, report=print):
    from scale_data import write_sets

    result = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as folder:
        sets = write_sets(folder)
        result["digits"] = sets["digits"]
        report(f"digits: {sets['train']:,} + {sets['test']:,}, {sets['digits']}")
        result["load"] = {kind: load_figures(sets[kind], os.path.join(folder, "cache")) for kind in ("idx", "csv")}
        report(f"load: {result['load']}")
        for machine in ("idle", "busy"):
            result[f"cli_{machine}"] = cli_figures(sets["idx"], epochs, machine == "busy")
            report(f"CLI, {machine}: {result[f'cli_{machine}']}")
            result[f"app_{machine}"] = app_figures(sets["idx"], epochs, machine == "busy")
            report(f"app, {machine}: {result[f'app_{machine}']}")
        result["terminal_kib_per_second"] = terminal_kib_per_second(sets["idx"])
    result["load_average_after"] = os.getloadavg()
    return result


def print_figures(result):
    print(
        f"digit-tui at scale, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores; load average before "
        f"{result['load_average_before'][0]:.2f}, after {result['load_average_after'][0]:.2f}"
    )
    print(f"digits: {result['digits']}")
    for kind, load in result["load"].items():
        again = "from the cache" if kind == "csv" else "again (no cache for IDX)"
        print(
            f"load {kind}: {load['train']:,} + {load['test']:,} digits in {load['first_seconds']} s "
            f"(target <= {LOAD_TARGET} s), {again} {load['again_seconds']} s"
            + (f" (target <= {CACHED_TARGET} s)" if kind == "csv" else "")
            + f", peak {load['peak_mb']:.0f} MB"
        )
    for machine in ("idle", "busy"):
        cli, app = result[f"cli_{machine}"], result[f"app_{machine}"]
        print(
            f"{machine}: CLI {cli['seconds_per_epoch']} s an epoch, {cli['samples_per_second']:,} samples/s, "
            f"{cli['blas_threads_at_end']} BLAS thread(s) at the end, peak {cli['peak_mb']} MB"
        )
        print(
            f"  app: peak {app['peak_mb']} MB, {app['samples_per_second']:,} samples/s, "
            f"lag p50 {app['lag_p50_ms']} ms, p99 {app['lag_p99_ms']} ms (target <= {LAG_TARGET_MS} ms), "
            f"max {app['lag_max_ms']} ms"
        )
    print(f"terminal output while training, training view: {result['terminal_kib_per_second']} KiB/s (< 15)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each training run")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--in-app", metavar="FOLDER", help=argparse.SUPPRESS)  # one app run, in a fresh process
    args = parser.parse_args()
    if args.in_app:
        run_in_app(args.in_app, args.epochs)
        return
    result = scale_figures(args.epochs, report=lambda line: print(line, file=sys.stderr, flush=True))
    print_figures(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(result, stream, indent=2)


if __name__ == "__main__":
    main()
