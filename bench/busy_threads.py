"""Benchmark: the automatic BLAS thread choice on an idle and on a busy machine.

    python bench/busy_threads.py [--rounds 5] [--epochs 15 100] [--train "--preset deep"] [--json out.json]

Runs the real `digit-tui train --preset deep` (784-256-128-10, batch 128:
large enough steps for core.threads to consider a second thread) on the
bundled sample, three ways: the automatic choice (no --blas-threads),
--blas-threads 1 and --blas-threads 2. Each way runs on an idle machine and
on a busy one: busy means a competing CPU-bound process (a Python busy loop,
started by this script before a round's busy runs and stopped after them)
keeps one core busy. The ways and the two machines are interleaved, round
after round (the order of the ways turning each round), so all of them see
the same drift in the machine's own load. On the busy machine
--blas-threads 2 runs once, in the first round of the first length: at a
fifth of the speed or less, it would take most of the benchmark's time, and
no ratio needs it. Throughput is the run's samples/s over its training
steps (core's Finished event, in the --json summary).

Two run lengths: the deep preset as it ships (15 epochs, about 0.7 s of
steps, over before the policy's first look at the load, after 2 s) and a
longer one (100 epochs, about 4.5 s, long enough for a trial).

Reported as ratios, each the median of the rounds' ratios:
- busy: auto / --blas-threads 1 under the same load; target >= 80%.
- idle: auto / the better of --blas-threads 1 and 2; target >= 95%.
``--train`` runs other settings instead of the deep preset (smaller steps,
say: ``--train "--hidden 128 --batch-size 32 --optimizer adam"``).

Also the policy's decisions (from --metrics "blas_threads" entries), and
the load that other processes put on the machine during the "idle" runs
(this machine is shared: an "idle" run is only as idle as the others let it).
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)

from core.threads import CompetingLoad  # noqa: E402

WAYS = {"auto": [], "1 thread": ["--blas-threads", "1"], "2 threads": ["--blas-threads", "2"]}
SETTLE_SECONDS = 0.5  # after starting or stopping the competitor, and between runs
BUSY_TARGET, IDLE_TARGET = 0.80, 0.95


def start_competitor():
    """A CPU-bound process that keeps one core busy until stopped."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def stop(process):
    process.terminate()
    process.wait()


class ChildrenCpu:
    """CPU seconds of this process's children that have been waited for:
    with CompetingLoad, the load of everything but our training run."""

    def __call__(self):
        usage = os.times()
        return usage.children_user + usage.children_system


DEEP = "--preset deep"


def one_run(way, epochs, folder, settings=DEEP):
    """(samples/s, the count at the end, the decisions, cores others kept busy)."""
    metrics = os.path.join(folder, "metrics.jsonl")
    if os.path.exists(metrics):
        os.remove(metrics)
    command = [sys.executable, "-m", "tui", "train", *shlex.split(settings), "--epochs", str(epochs)]
    command += ["--json", "--no-record", "--metrics", metrics, *WAYS[way]]
    others = CompetingLoad(own_cpu=ChildrenCpu())  # the run's own CPU time is taken out once it is waited for
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    load = others()
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[1:])} failed (exit {done.returncode}): {done.stderr[-3000:]}")
    summary = json.loads(done.stdout)
    decisions = []
    with open(metrics, encoding="utf-8") as lines:
        for line in lines:
            decisions += json.loads(line).get("blas_threads", [])
    return summary["samples_per_second"], summary["blas_threads"], decisions, load


def measure(epochs, rounds, busy_two, report=print, settings=DEEP):
    """{machine: {way: [samples/s of each round]}}, the decisions of the auto
    runs, and the load others put on the machine during each idle run.
    ``busy_two``: also run --blas-threads 2 on the busy machine, once."""
    speeds = {machine: {way: [] for way in WAYS} for machine in ("idle", "busy")}
    decisions = {"idle": [], "busy": []}
    idle_load = []
    ways = list(WAYS)
    with tempfile.TemporaryDirectory() as folder:
        for index in range(rounds):
            order = ways[index % len(ways) :] + ways[: index % len(ways)]
            for machine in ("idle", "busy"):
                competitor = start_competitor() if machine == "busy" else None
                try:
                    for way in order:
                        if machine == "busy" and way == "2 threads" and not (busy_two and index == 0):
                            continue
                        time.sleep(SETTLE_SECONDS)
                        speed, final, made, load = one_run(way, epochs, folder, settings)
                        speeds[machine][way].append(speed)
                        if way == "auto":
                            decisions[machine].append({"final_threads": final, "decisions": made})
                        if machine == "idle" and load is not None:
                            idle_load.append(load)
                        report(f"  {epochs} epochs, round {index + 1}, {machine}, {way}: {speed:,.0f} samples/s")
                finally:
                    if competitor is not None:
                        stop(competitor)
    return speeds, decisions, idle_load


def ratios(speeds):
    """Each round's ratios, and their medians."""
    busy = [a / one for a, one in zip(speeds["busy"]["auto"], speeds["busy"]["1 thread"])]
    idle = [
        a / max(one, two)
        for a, one, two in zip(speeds["idle"]["auto"], speeds["idle"]["1 thread"], speeds["idle"]["2 threads"])
    ]
    return {
        "busy_auto_over_one": round(statistics.median(busy), 3),
        "busy_rounds": [round(r, 3) for r in busy],
        "idle_auto_over_best": round(statistics.median(idle), 3),
        "idle_rounds": [round(r, 3) for r in idle],
    }


def switches(decisions):
    """How often the auto runs tried two threads, and how often they kept
    them: core.threads records a trial as a decision for 2 after one for 1,
    and its verdict "kept" as a second decision for 2."""
    tried = kept = 0
    for run in decisions:
        before = 1
        for decision in run["decisions"]:
            if decision["threads"] == 2:
                tried += before == 1
                kept += before == 2
            before = decision["threads"]
    return {"runs": len(decisions), "trials": tried, "kept": kept}


def figures(lengths=(15, 100), rounds=5, report=print, settings=DEEP):
    result = {"settings": settings, "load_average_before": os.getloadavg(), "runs": []}
    for epochs in lengths:
        speeds, decisions, idle_load = measure(epochs, rounds, epochs == lengths[0], report, settings)
        medians = {m: {w: round(statistics.median(v)) for w, v in by_way.items() if v} for m, by_way in speeds.items()}
        result["runs"].append(
            {
                "epochs": epochs,
                "samples_per_second": medians,
                **ratios(speeds),
                "auto_idle": switches(decisions["idle"]),
                "auto_busy": switches(decisions["busy"]),
                "others_cores_during_idle_runs": round(statistics.median(idle_load), 2) if idle_load else None,
                "decisions_idle_first_round": decisions["idle"][0]["decisions"],
            }
        )
    result["load_average_after"] = os.getloadavg()
    return result


def print_figures(result):
    print(
        f"digit-tui BLAS threads on an idle and a busy machine, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores,\n"
        f"{describe(result.get('settings', DEEP))}, bundled sample; load average before "
        f"{result['load_average_before'][0]:.2f}, after {result['load_average_after'][0]:.2f}"
    )
    for run in result["runs"]:
        speeds = run["samples_per_second"]
        print(f"{run['epochs']} epochs (samples/s, median):")
        for machine in ("idle", "busy"):
            cells = ", ".join(f"{way} {speed:,}" for way, speed in speeds[machine].items())
            if machine == "busy" and "2 threads" in speeds[machine]:
                cells += " (one run)"
            auto = run[f"auto_{machine}"]
            print(f"  {machine}: {cells}")
            tries = f"auto tried 2 threads {auto['trials']} times in {auto['runs']} runs"
            print(f"    {tries}, kept them {auto['kept']} times")
        others = run["others_cores_during_idle_runs"]
        if others is not None:
            print(f"  other processes kept {others:.2f} cores busy during the idle runs (median)")
        print(
            f"  busy: auto / 1 thread {run['busy_auto_over_one']:.0%} (target >= {BUSY_TARGET:.0%}: "
            f"{'met' if run['busy_auto_over_one'] >= BUSY_TARGET else 'MISSED'})"
        )
        print(
            f"  idle: auto / the better fixed count {run['idle_auto_over_best']:.0%} (target >= {IDLE_TARGET:.0%}: "
            f"{'met' if run['idle_auto_over_best'] >= IDLE_TARGET else 'MISSED'})"
        )


def describe(settings):
    return "deep preset (784-256-128-10, batch 128)" if settings == DEEP else f"train {settings}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median reported)")
    parser.add_argument("--epochs", type=int, nargs="+", default=[15, 100], help="run lengths, in epochs")
    parser.add_argument("--train", default=DEEP, help="the training settings, as digit-tui train takes them")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    report = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    result = figures(args.epochs, args.rounds, report, args.train)
    print_figures(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(result, stream, indent=2)


if __name__ == "__main__":
    main()
