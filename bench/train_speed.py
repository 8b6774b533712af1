"""Benchmark: training throughput, validation accuracy, and CSV load cost.

    python bench/train_speed.py [--json results.json]

Prints, on the bundled 5,000-digit sample (4,000 train / 1,000 validation):
samples/s (training samples / time in training steps, evaluation excluded)
and validation accuracy for the default 784-10-10 run and for 784-256-128-10
(Adam, batch 128); then the time and peak memory to load a 42,000-row
Kaggle-layout CSV built by repeating the sample's digits (stated in the output).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from core import Finished, TrainConfig, preset  # noqa: E402
from data import load_dataset, split_dataset  # noqa: E402
from tui.session import train_split  # noqa: E402

RUNS = {
    "784-10-10 (default preset)": preset("default"),
    "784-256-128-10 Adam b128": TrainConfig(
        hidden=(256, 128), optimizer="adam", lr=0.001, batch_size=128, epochs=10, schedule="constant", l2=0.0
    ),
}

# Run in a fresh process; peak memory is VmHWM (the kernel's resident
# high-water mark, in kB), which exec resets, unlike getrusage's ru_maxrss.
LOAD_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[2])
def peak_kb():
    with open('/proc/self/status') as status:
        return next(int(line.split()[1]) for line in status if line.startswith('VmHWM'))
import pandas, numpy
from data import load_dataset
baseline = peak_kb()
started = time.perf_counter()
dataset = load_dataset(sys.argv[1])
seconds = time.perf_counter() - started
peak = peak_kb()
started = time.perf_counter()
load_dataset(sys.argv[1])  # again: now from the cache
cached = time.perf_counter() - started
print(seconds, len(dataset), (peak - baseline) / 1024, peak / 1024, cached)
"""


def training_figures():
    dataset = load_dataset()
    rows = []
    for name, config in RUNS.items():
        split = split_dataset(dataset, config.val_fraction, config.seed)
        events, threads = train_split(config, split)  # as `digit-tui train` runs it
        finished = None
        for event in events:
            if isinstance(event, Finished):
                finished = event
        rows.append(
            {
                "run": name,
                "epochs": finished.epochs_done,
                "blas_threads": threads.threads,  # at the end: the policy may have switched
                "samples_per_second": round(finished.samples_per_second),
                "val_accuracy": round(finished.val_accuracy, 4),
                "train_seconds": round(finished.train_seconds, 3),
            }
        )
    return rows


def csv_load_figures(rows=42_000):
    dataset = load_dataset()
    repeat = -(-rows // len(dataset))
    images = np.tile(dataset.images, (repeat, 1))[:rows]
    labels = np.tile(dataset.labels, repeat)[:rows]
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "train.csv")
        table = np.column_stack([labels, images])
        np.savetxt(path, table, fmt="%d", delimiter=",", header=header, comments="")
        size_mb = os.path.getsize(path) / 1e6
        env = dict(os.environ, DIGIT_TUI_CACHE_DIR=os.path.join(folder, "cache"))  # starts empty
        out = subprocess.run(
            [sys.executable, "-c", LOAD_SCRIPT, path, root], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
    seconds, count, extra_mb, peak_mb, cached = float(out[0]), int(out[1]), float(out[2]), float(out[3]), float(out[4])
    return {
        "rows": count,
        "file_mb": round(size_mb, 1),
        "load_seconds": round(seconds, 2),
        "cached_load_seconds": round(cached, 3),
        "peak_extra_mb": round(extra_mb),
        "peak_rss_mb": round(peak_mb),
        "built_from": "the bundled 5,000 digits repeated to 42,000 rows",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    report = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.system()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "training": training_figures(),
        "csv_load": csv_load_figures(),
    }
    print(
        f"digit-tui benchmark, {report['date']}, {report['machine']}, "
        f"Python {report['python']}, NumPy {report['numpy']}"
    )
    print(f"{'run':30} {'epochs':>6} {'samples/s':>10} {'val acc':>8} {'train s':>8}")
    for row in report["training"]:
        print(
            f"{row['run']:30} {row['epochs']:>6} {row['samples_per_second']:>10,} "
            f"{row['val_accuracy']:>8.2%} {row['train_seconds']:>8.2f}"
        )
    load = report["csv_load"]
    print(
        f"CSV load: {load['rows']:,} rows ({load['file_mb']} MB, {load['built_from']}): "
        f"{load['load_seconds']} s ({load['cached_load_seconds']} s from the cache the next time), "
        f"peak memory +{load['peak_extra_mb']} MB "
        f"over the interpreter with pandas imported ({load['peak_rss_mb']} MB RSS in all)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(report, stream, indent=2)


if __name__ == "__main__":
    main()
