"""The whole benchmark suite: every performance figure in one table.

    python bench/run_all.py [--json bench/results.json] [--quick]

Runs, in this order: training speed against PyTorch and the BLAS ceiling
(compare_torch.py; the PyTorch columns need the bench extra), the
equivalence tests against PyTorch, the interface's cost (ui_cost.py), the
time `q` takes (quit_latency.py), preset accuracy and CSV loading
(train_speed.py). Prints the machine, the versions, the date, the speed
table and one table of every target, and writes all of it as JSON.
--quick runs fewer epochs and repeats: a check that the suite works, not
figures to quote. Takes about 2.5 minutes on a 2-core machine.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

import compare_torch  # noqa: E402  (its table format; it runs in a process of its own)
import numpy as np  # noqa: E402

from core.blas import threads_for  # noqa: E402
from core.network import Architecture  # noqa: E402

DEEP = "784-256-128-10"


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


def thread_rule_check(rows):
    """For each network and batch: does core.blas's rule pick the thread
    count that was measured faster (within 5%)?"""
    checks = []
    speeds = {(r["network"], r["batch"], r["threads"]): r["numpy_samples_per_second"] for r in rows}
    for (network, batch, threads), _ in speeds.items():
        if threads != 1 or (network, batch, 2) not in speeds:
            continue
        hidden = tuple(int(size) for size in network.split("-")[1:-1])
        chosen = threads_for(Architecture(hidden=hidden).parameter_count, batch, cores=2)
        best = max(speeds[(network, batch, 1)], speeds[(network, batch, 2)])
        checks.append(
            {
                "network": network,
                "batch": batch,
                "chosen_threads": chosen,
                "one_thread": speeds[(network, batch, 1)],
                "two_threads": speeds[(network, batch, 2)],
                "good": speeds[(network, batch, chosen)] >= 0.95 * best,
            }
        )
    return checks


def target_rows(report):
    """(figure, measured, target, met) for every target of the performance issue."""
    rows = []
    speed = report["speed"]
    by_key = {(r["network"], r["batch"], r["threads"]): r for r in speed}
    for threads in sorted({r["threads"] for r in speed}):
        deep = by_key.get((DEEP, 128, threads))
        if deep and deep["ratio"] is not None:
            rows.append(
                (f"{DEEP} b128, {threads} thr: x PyTorch", f"{deep['ratio']:.2f}x", ">= 2.0x", deep["ratio"] >= 2.0)
            )
    ratios = [r["ratio"] for r in speed if r["ratio"] is not None]
    if ratios:
        rows.append(
            (
                f"slowest of {len(ratios)} configurations: x PyTorch",
                f"{min(ratios):.2f}x",
                ">= 1.0x",
                min(ratios) >= 1.0,
            )
        )
    for threads in sorted({r["threads"] for r in speed}):
        deep = by_key.get((DEEP, 512, threads))
        if deep:
            rows.append(
                (
                    f"{DEEP} b512, {threads} thr: BLAS ceiling",
                    f"{deep['share_of_ceiling']:.0%} (products alone {deep['products_alone_share_of_ceiling']:.0%})",
                    ">= 85%",
                    deep["share_of_ceiling"] >= 0.85,
                )
            )
    tests = report["equivalence"]
    rows.append(
        (
            "equivalence with PyTorch (tests)",
            f"{tests['passed']} passed, {tests['failed']} failed, {tests['skipped']} skipped",
            "all pass",
            tests["passed"] > 0 and tests["failed"] == 0,
        )
    )
    checks = report["thread_rule"]
    if checks:
        good = sum(check["good"] for check in checks)
        rows.append(
            (
                "BLAS thread rule picks the faster count",
                f"{good} of {len(checks)}",
                "all (within 5%)",
                good == len(checks),
            )
        )
    ui = report["ui"]
    rows.append(("in-app throughput / headless", f"{ui['in_app_share']:.0%}", ">= 90%", ui["in_app_share"] >= 0.9))
    rows.append(("event-loop lag p99 while training", f"{ui['lag_p99_ms']} ms", "<= 25 ms", ui["lag_p99_ms"] <= 25))
    rows.append(
        ("first frame after launch", f"{ui['first_frame_seconds']:.2f} s", "<= 0.8 s", ui["first_frame_seconds"] <= 0.8)
    )
    for view, kib in ui["terminal_kib_per_second"].items():
        rows.append((f"terminal output at 120x40, {view} view", f"{kib} KiB/s", "< 15 KiB/s", kib < 15))
    quit_ms = report["quit_ms"]
    rows.append(
        (
            "q to exit while deep trains (median)",
            f"{statistics.median(quit_ms):.0f} ms",
            "< 1000 ms",
            statistics.median(quit_ms) < 1000,
        )
    )
    load = report["csv_load"]
    rows.append(("42,000-row CSV, first load", f"{load['load_seconds']} s", "<= 1.5 s", load["load_seconds"] <= 1.5))
    rows.append(
        (
            "42,000-row CSV, from the cache",
            f"{load['cached_load_seconds']} s",
            "<= 0.1 s",
            load["cached_load_seconds"] <= 0.1,
        )
    )
    rows.append(
        ("42,000-row CSV, peak memory (RSS)", f"{load['peak_rss_mb']} MB", "< 400 MB", load["peak_rss_mb"] < 400)
    )
    return rows


def print_report(report):
    print(f"digit-tui benchmarks, {report['date']}, {report['machine']}")
    print(
        ", ".join(f"{name} {value}" for name, value in report["versions"].items() if value)
        + ("" if report["versions"]["torch"] else ", torch not installed")
    )
    print()
    print(compare_torch.HEADER)
    for row in report["speed"]:
        print(compare_torch.format_row(row))
    print()
    for row in report["training"]:
        print(
            f"{row['run']}: {row['epochs']} epochs, {row['samples_per_second']:,} samples/s, "
            f"val acc {row['val_accuracy']:.2%}"
        )
    print()
    width = max(len(row["figure"]) for row in report["targets"])
    print(f"{'figure':{width}}  {'measured':>32}  {'target':>15}  met")
    for row in report["targets"]:
        print(f"{row['figure']:{width}}  {row['measured']:>32}  {row['target']:>15}  {'yes' if row['met'] else 'NO'}")


def run_script(name, *args):
    """Run one benchmark script in a process of its own (so that no library's
    idle threads from one benchmark spin through the next); its JSON figures.
    Its own printout goes to stderr, as progress."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "figures.json")
        subprocess.run(
            [sys.executable, os.path.join(BENCH, name), *args, "--json", path], cwd=ROOT, stdout=sys.stderr, check=True
        )
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", default=os.path.join(BENCH, "results.json"))
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats: a smoke run")
    args = parser.parse_args()
    quick = args.quick
    report = {"date": datetime.date.today().isoformat(), "machine": machine(), "versions": versions(), "quick": quick}
    report["speed"] = run_script("compare_torch.py", "--epochs", "2" if quick else "5")["rows"]
    report["thread_rule"] = thread_rule_check(report["speed"])
    report["equivalence"] = equivalence_tests()
    report["ui"] = run_script("ui_cost.py", "--repeats", "1" if quick else "3")
    report["quit_ms"] = run_script("quit_latency.py", "--runs", "2" if quick else "5")
    figures = run_script("train_speed.py")
    report["training"], report["csv_load"] = figures["training"], figures["csv_load"]
    report["targets"] = [dict(zip(("figure", "measured", "target", "met"), row)) for row in target_rows(report)]
    print_report(report)
    with open(args.json, "w", encoding="utf-8") as stream:
        json.dump(report, stream, indent=2)
    print(f"written to {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
