"""The whole benchmark suite: every performance figure in one table.

    python bench/run_all.py [--json bench/results.json] [--old bench/results.json] [--quick]

Runs, in this order, each in a process of its own: training speed against
PyTorch, short runs and the per-epoch overhead, the BLAS ceiling
(compare_torch.py; the PyTorch columns need the bench extra), the
equivalence tests against PyTorch, the thread choice on an idle and a busy
machine (busy_threads.py), the interface's cost (ui_cost.py), the time `q`
takes (quit_latency.py), preset accuracy and CSV loading (train_speed.py),
60,000 digits (scale.py) and the browser's keys on large sets
(browse_large.py). Prints the machine, the versions, the date, the load
average, the speed table and one table of every target, with the old
figures (from the results file of the previous run, ``--old``) beside the
new ones, in an idle and a busy column (busy: a competing CPU-bound process
keeps one core busy). Writes all of it as JSON.

--quick runs fewer epochs and repeats: a check that the suite works, not
figures to quote; it writes no results file unless --json is given.
Runs never go to the runs folder (DIGIT_TUI_RECORD=off). Takes 7-9 minutes
on a 2-core machine (--quick: about 3).
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from importlib import metadata

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

import busy_threads  # noqa: E402  (these for their printouts; each runs in a process of its own)
import compare_torch  # noqa: E402
import numpy as np  # noqa: E402
import scale  # noqa: E402
from targets import target_rows  # noqa: E402


def versions():
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    found = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": f"{blas.get('name')} {blas.get('version')}",
    }
    for package in ("pandas", "textual", "rich", "torch"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def equivalence_tests():
    """Run the PyTorch equivalence tests; their pass/skip counts."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_torch_equivalence.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped)", result.stdout)}
    return {"passed": counts.get("passed", 0), "failed": counts.get("failed", 0), "skipped": counts.get("skipped", 0)}


def old_figures(path):
    """("date, machine", {figure: measured}, {(network, batch, threads): ratio}) of a previous run, if any."""
    try:
        with open(path, encoding="utf-8") as stream:
            old = json.load(stream)
    except (OSError, ValueError):
        return None, {}, {}
    if old.get("quick"):
        return None, {}, {}  # a smoke run's figures are not worth comparing with
    figures = {row["figure"]: row.get("idle", row.get("measured")) for row in old.get("targets", [])}
    ratios = {(r["network"], r["batch"], r["threads"]): r["ratio"] for r in old.get("speed", [])}
    return f"{old.get('date')}, {old.get('machine')}", figures, ratios


def wrapped(label, items, width=118):
    """``label`` then the items, comma-separated, on lines of at most
    ``width`` characters, never breaking inside an item."""
    lines, line = [], label
    for index, item in enumerate(items):
        piece = f" {item}" + ("," if index < len(items) - 1 else "")
        if len(line) + len(piece) > width:
            lines.append(line)
            line = " "
        line += piece
    return "\n".join([*lines, line])


def print_report(report, old):
    old_date, old_targets, old_ratios = old
    loads = [f"{part} {load[0]:.2f}" for part, load in report["load_average"].items()]
    print(f"digit-tui benchmarks, {report['date']}, {report['machine']}")
    print(
        ", ".join(f"{name} {value}" for name, value in report["versions"].items() if value)
        + ("" if report["versions"]["torch"] else ", torch not installed")
    )
    seconds = [f"{part} {time_taken} s" for part, time_taken in report["seconds"].items()]
    print(wrapped("load average (1 min) before each part:", loads))
    print(wrapped("time taken:", seconds))
    print(f"old figures: {old_date or 'none'}")
    print()
    print(compare_torch.HEADER + f"{'old':>7}")
    for row in report["speed"]:
        ratio = old_ratios.get((row["network"], row["batch"], row["threads"]))
        print(compare_torch.format_row(row) + f"{'-' if ratio is None else f'{ratio:.2f}x':>7}")
    for row in report["short"]:
        print(compare_torch.format_short(row))
    print()
    for row in report["training"]:
        print(
            f"{row['run']}: {row['epochs']} epochs, {row['samples_per_second']:,} samples/s, "
            f"val acc {row['val_accuracy']:.2%}"
        )
    print()
    busy_threads.print_figures(report["threads"])
    if "threads_small" in report:
        busy_threads.print_figures(report["threads_small"])
    print()
    scale.print_figures(report["scale"])
    print()
    width = max(len(row["figure"]) for row in report["targets"])
    print(f"{'figure':{width}}  {'old':>24}  {'idle':>28}  {'busy':>10}  {'target':>15}  met")
    for row in report["targets"]:
        met = "-" if row["met"] is None else "yes" if row["met"] else "NO"
        before = old_targets.get(row["figure"]) or "-"
        print(
            f"{row['figure']:{width}}  {before:>24}  {row['idle']:>28}  {row['busy']:>10}  {row['target']:>15}  {met}"
        )


def run_script(report, name, *args, label=None):
    """Run one benchmark script in a process of its own (so that no library's
    idle threads from one benchmark spin through the next); its JSON figures.
    Its own printout goes to stderr, as progress. Notes the load average
    first, and the time taken, under ``label`` (the script's name unless given)."""
    label = label or name
    report["load_average"][label] = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "figures.json")
        subprocess.run(
            [sys.executable, os.path.join(BENCH, name), *args, "--json", path], cwd=ROOT, stdout=sys.stderr, check=True
        )
        with open(path, encoding="utf-8") as stream:
            figures = json.load(stream)
    report["seconds"][label] = round(time.perf_counter() - started)
    return figures


# Small steps for the thread policy (3.3 million weight-sample products a step,
# 0.25 ms): measured in runs of steps (core.threads.MEASURE_SECONDS).
SMALL_STEPS = "--hidden 128 --batch-size 32 --optimizer adam --lr 0.001 --l2 0"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="where to write the figures (default bench/results.json)")
    parser.add_argument("--old", metavar="PATH", default=os.path.join(BENCH, "results.json"), help="the old figures")
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats: a smoke run")
    args = parser.parse_args()
    quick = args.quick
    os.environ["DIGIT_TUI_RECORD"] = "off"  # benchmark runs stay out of the runs folder
    old = old_figures(args.old)
    report = {"date": datetime.date.today().isoformat(), "machine": machine(), "versions": versions(), "quick": quick}
    report["load_average"], report["seconds"] = {}, {}
    speed = run_script(report, "compare_torch.py", "--pairs", "2" if quick else "5")
    report["speed"], report["short"] = speed["rows"], speed["short"]
    report["load_average"]["equivalence tests"] = os.getloadavg()
    started = time.perf_counter()
    report["equivalence"] = equivalence_tests()
    report["seconds"]["equivalence tests"] = round(time.perf_counter() - started)
    lengths = ["15", "30"] if quick else ["15", "100"]
    report["threads"] = run_script(report, "busy_threads.py", "--rounds", "1" if quick else "5", "--epochs", *lengths)
    report["threads_small"] = run_script(
        report,
        "busy_threads.py",
        *("--rounds", "1" if quick else "3", "--epochs", "30", "--train", SMALL_STEPS),
        label="busy_threads.py (small steps)",
    )
    report["ui"] = run_script(report, "ui_cost.py", "--repeats", "1" if quick else "3")
    report["quit_ms"] = run_script(report, "quit_latency.py", "--runs", "2" if quick else "5")
    figures = run_script(report, "train_speed.py")
    report["training"], report["csv_load"] = figures["training"], figures["csv_load"]
    report["scale"] = run_script(report, "scale.py", "--epochs", "2" if quick else "3")
    sizes = ["1000", "10000"] if quick else ["1000", "10000", "60000"]
    report["browse"] = run_script(report, "browse_large.py", "--repeats", "10" if quick else "50", "--sizes", *sizes)
    report["race"] = run_script(
        report, "augment_race.py", "--pairs", "1" if quick else "3", *(["--quick"] if quick else [])
    )
    report["load_average"]["end"] = os.getloadavg()
    report["targets"] = target_rows(report)
    report["old"] = {"date": old[0], "figures": old[1]}
    print_report(report, old)
    path = args.json or (None if quick else os.path.join(BENCH, "results.json"))
    if path:
        with open(path, "w", encoding="utf-8") as stream:
            json.dump(report, stream, indent=2)
        print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
