"""Every target of the performance issues, as rows for bench/run_all.py.

A row: the figure, what it measured on an idle machine and on a busy one
(a competing CPU-bound process keeping one core busy; "-" where a figure
is measured idle only), the target, and whether it is met. The old figure,
from the previous results file, is matched by the row's name.
"""

import statistics

from core.blas import PARALLEL_WORK
from core.network import Architecture

DEEP = "784-256-128-10"
NONE = "-"


def row(figure, target, idle=None, busy=None):
    """``idle`` and ``busy``: (text, met or None for a figure without target)."""
    verdicts = [cell[1] for cell in (idle, busy) if cell is not None and cell[1] is not None]
    return {
        "figure": figure,
        "idle": idle[0] if idle else NONE,
        "busy": busy[0] if busy else NONE,
        "target": target,
        "met": all(verdicts) if verdicts else None,
    }


def speed_rows(report):
    speed, short = report["speed"], report["short"]
    by_key = {(r["network"], r["batch"], r["threads"]): r for r in speed}
    rows = []
    for threads in sorted({r["threads"] for r in speed}):
        deep = by_key.get((DEEP, 128, threads))
        if deep and deep["ratio"] is not None:
            text = f"{deep['ratio']:.2f}x"
            rows.append(row(f"{DEEP} b128, {threads} thr: x PyTorch", ">= 1.5x", (text, deep["ratio"] >= 1.5)))
    for run in short:
        if run["ratio"] is not None:
            figure = f"{DEEP} b128, {run['threads']} thr, 4,000 x 6 epochs: x PyTorch"
            rows.append(row(figure, ">= 1.5x", (f"{run['ratio']:.2f}x", run["ratio"] >= 1.5)))
    ratios = [r["ratio"] for r in speed if r["ratio"] is not None]
    if ratios:
        figure = f"slowest of {len(ratios)} configurations: x PyTorch"
        rows.append(row(figure, ">= 1.0x", (f"{min(ratios):.2f}x", min(ratios) >= 1.0)))
    for run in short:
        epoch_ends = run["overhead_ms"]["epoch ends"] / run["wall_ms"]
        text = f"{epoch_ends:.1%} (all outside steps {run['overhead_share']:.1%})"
        rows.append(
            row(f"per-epoch overhead, 4,000 x 6 epochs, {run['threads']} thr", "< 5%", (text, epoch_ends < 0.05))
        )
    for threads in sorted({r["threads"] for r in speed}):
        deep = by_key.get((DEEP, 512, threads))
        if deep:
            text = f"{deep['share_of_ceiling']:.0%} (products alone {deep['products_alone_share_of_ceiling']:.0%})"
            figure = f"{DEEP} b512, {threads} thr: BLAS ceiling"
            rows.append(row(figure, ">= 85%", (text, deep["share_of_ceiling"] >= 0.85)))
    tests = report["equivalence"]
    text = f"{tests['passed']} passed, {tests['failed']} failed, {tests['skipped']} skipped"
    rows.append(
        row("equivalence with PyTorch (tests)", "all pass", (text, tests["passed"] > 0 and tests["failed"] == 0))
    )
    return rows


def thread_rows(report):
    """The policy's fixed part (one thread for small steps, from the speed
    table) and its choice as it runs (bench/busy_threads.py)."""
    small_good = small = large_faster = large = 0
    speeds = {(r["network"], r["batch"], r["threads"]): r["numpy_samples_per_second"] for r in report["speed"]}
    for network, batch, threads in speeds:
        if threads != 1 or (network, batch, 2) not in speeds:
            continue
        hidden = tuple(int(size) for size in network.split("-")[1:-1])
        one, two = speeds[(network, batch, 1)], speeds[(network, batch, 2)]
        if Architecture(hidden=hidden).parameter_count * batch < PARALLEL_WORK:  # core.threads: 1 thread, fixed
            small += 1
            small_good += one >= 0.95 * max(one, two)
        else:  # core.threads: 1 thread, 2 tried while the machine looks idle
            large += 1
            large_faster += two > one
    text = f"{small_good} of {small}"
    result = [row("1 thread for small steps: within 5% of the faster", "all", (text, small_good == small))]
    if large:
        text = f"{large_faster} of {large}"
        result.append(row("large steps: 2 threads faster than 1 (worth a trial)", NONE, (text, None)))
    runs = [("deep", run) for run in report["threads"]["runs"]]
    runs += [("784-128-10 b32", run) for run in report.get("threads_small", {}).get("runs", [])]
    for name, run in runs:  # idle: of the better fixed count; busy: of one thread
        idle, busy = run["idle_auto_over_best"], run["busy_auto_over_one"]
        figure = f"auto threads, {name}, {run['epochs']} epochs: / best fixed, / 1 thr"
        result.append(row(figure, ">= 95%, >= 80%", (f"{idle:.0%}", idle >= 0.95), (f"{busy:.0%}", busy >= 0.8)))
    return result


def ui_rows(report):
    ui, rows = report["ui"], []
    rows.append(row("in-app throughput / headless", ">= 90%", (f"{ui['in_app_share']:.0%}", ui["in_app_share"] >= 0.9)))
    rows.append(
        row("event-loop lag p99 while training", "<= 25 ms", (f"{ui['lag_p99_ms']} ms", ui["lag_p99_ms"] <= 25))
    )
    first = ui["first_frame_seconds"]
    rows.append(row("first frame after launch", "<= 0.8 s", (f"{first:.2f} s", first <= 0.8)))
    for view, kib in ui["terminal_kib_per_second"].items():
        rows.append(row(f"terminal output at 120x40, {view} view", "< 15 KiB/s", (f"{kib} KiB/s", kib < 15)))
    quit_ms = statistics.median(report["quit_ms"])
    rows.append(row("q to exit while deep trains (median)", "< 1000 ms", (f"{quit_ms:.0f} ms", quit_ms < 1000)))
    load = report["csv_load"]
    rows.append(
        row("42,000-row CSV, first load", "<= 1.5 s", (f"{load['load_seconds']} s", load["load_seconds"] <= 1.5))
    )
    cached = load["cached_load_seconds"]
    rows.append(row("42,000-row CSV, from the cache", "<= 0.1 s", (f"{cached} s", cached <= 0.1)))
    peak = load["peak_rss_mb"]
    rows.append(row("42,000-row CSV, peak memory (RSS)", "< 400 MB", (f"{peak} MB", peak < 400)))
    return rows


def scale_rows(report):
    scale, rows = report["scale"], []
    for kind in ("idx", "csv"):
        first = scale["load"][kind]["first_seconds"]
        figure = f"60,000 + 10,000 digits, first load ({kind.upper()})"
        rows.append(row(figure, "<= 2 s", (f"{first:.2f} s", first <= 2.0)))
    cached = scale["load"]["csv"]["again_seconds"]
    rows.append(row("60,000 + 10,000 digits, from the cache (CSV)", "<= 0.2 s", (f"{cached:.3f} s", cached <= 0.2)))
    cli = {machine: scale[f"cli_{machine}"] for machine in ("idle", "busy")}
    app = {machine: scale[f"app_{machine}"] for machine in ("idle", "busy")}

    def both(figures, key, unit, limit=None):
        return [
            (f"{figures[m][key]}{unit}", None if limit is None else figures[m][key] <= limit) for m in ("idle", "busy")
        ]

    rows.append(row("60,000 digits: seconds an epoch, deep (CLI)", NONE, *both(cli, "seconds_per_epoch", " s")))
    rows.append(row("60,000 digits: peak memory, CLI training", "< 600 MB", *both(cli, "peak_mb", " MB", 599)))
    rows.append(row("60,000 digits: peak memory, app training", "< 600 MB", *both(app, "peak_mb", " MB", 599)))
    rows.append(row("60,000 digits: app's event-loop lag p99", "<= 25 ms", *both(app, "lag_p99_ms", " ms", 25)))
    kib = scale["terminal_kib_per_second"]
    rows.append(row("60,000 digits: terminal output, training view", "< 15 KiB/s", (f"{kib} KiB/s", kib < 15)))
    for size, keys in report["browse"].items():
        slowest = max(keys, key=lambda name: keys[name] if name not in ("new data", "new predictions") else 0.0)
        ms = keys[slowest]
        figure = f"browser and confusion keys, {int(size):,} digits: slowest"
        rows.append(row(figure, "<= 25 ms", (f"{ms:.1f} ms ({slowest})", ms <= 25)))
    return rows


def race_rows(report):
    """The accuracy race (bench/augment_race.py): augmentation's share of a
    step, the best preset's accuracy, its time against the peer's."""
    race = report.get("race")
    if not race:
        return []
    rows = []
    for kind, limit in (("affine", 0.20), ("elastic", 0.35)):
        cost = race["share"][kind]["share"]
        rows.append(
            row(f"{kind} augmentation: its cost beside a step", f"<= {limit:.0%}", (f"{cost:.1%}", cost <= limit))
        )
        for name, share in race["loop_share"].items():
            if name.split()[0] == kind:
                rows.append(
                    row(
                        f"{kind}: share of a step in the loop ({name})",
                        f"<= {limit:.0%}",
                        (f"{share:.1%}", share <= limit),
                    )
                )
    result = race["race"]
    accuracy = result["val_accuracy"]
    rows.append(row("best preset: validation accuracy, seed 0", ">= 97.9%", (f"{accuracy:.2%}", accuracy >= 0.979)))
    if result.get("ratio") is not None:
        text = f"{result['ratio']:.3f} ({result['ours_train_s']:.2f} s vs {result['peer_train_s']:.1f} s)"
        rows.append(
            row("best preset's time / neural-network-digits 1.2.2's", "<= 0.25", (text, result["ratio"] <= 0.25))
        )
    return rows


def target_rows(report):
    return speed_rows(report) + thread_rows(report) + ui_rows(report) + scale_rows(report) + race_rows(report)
