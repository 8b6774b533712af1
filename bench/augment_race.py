"""Benchmark: the cost of augmentation, and the accuracy race.

    python bench/augment_race.py [--json results.json] [--pairs 3] [--quick]

1. Augmentation's share of a training step, 784-256-128-10 at batch 128 (one
   BLAS thread), two ways: its cost, the median time to augment a batch of
   128 bundled digits over (that + the median time of one training step:
   forward, backward, Adam), both measured interleaved in this process; and
   in the training loop itself, 1 - (step time without augmentation) / (step
   time with it), sequential and with batches made ahead in a thread.
   Targets: at most 20% for affine, at most 35% for elastic.
2. The race: ``digit-tui train --preset best`` against
   ``neural-network-digits train --hidden 256 128 --no-plot`` (1.2.2, a
   NumPy MLP with per-image Pillow augmentation; in the bench extra), both on
   the bundled 5,000 digits (the peer gets them in its own format: photos in
   an .npz under its data folder), in interleaved pairs. Training is
   timed alike on both sides: the peer's from its "Network:" line (data
   loaded, network made) to its last epoch's line; ours from the run's start
   to its last epoch's end (the last --metrics line's elapsed). The whole
   command's time (start-up and loading included) is printed beside it.
   Target: ours at most a quarter of the peer's; the best preset at least
   97.9% validation accuracy.
3. The table of augmentation variants: the best preset with --augment none,
   shift, affine and elastic: validation accuracy and time.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from core import Finished, preset, train  # noqa: E402
from core.blas import set_blas_threads  # noqa: E402
from core.network import Network  # noqa: E402
from core.optim import make_optimizer  # noqa: E402
from data import load_dataset, split_dataset  # noqa: E402
from data.augment import KINDS, Augmenter, augmenter_for  # noqa: E402

PEER = "neural-network-digits"
PEER_VERSION = "1.2.2"


def augmentation_share(repeats=400):
    """{kind: (augment ms, step ms, share)} for a batch of 128 bundled digits."""
    set_blas_threads(1)
    images = load_dataset().images.astype(np.float32) / 255.0
    labels = load_dataset().labels
    rng = np.random.default_rng(0)
    config = preset("best")
    network = Network.create(config.architecture, config.init, np.random.default_rng(0))
    optimizer = make_optimizer("adam", network, config.momentum)
    augmenters = {kind: Augmenter(kind) for kind in KINDS if kind != "none"}
    times = {kind: [] for kind in ["step", *augmenters]}
    for _ in range(repeats):
        rows = rng.choice(len(images), 128, replace=False)
        for kind, augmenter in augmenters.items():
            started = time.perf_counter()
            augmenter(images[rows], rng)
            times[kind].append(time.perf_counter() - started)
        started = time.perf_counter()
        network.loss_and_gradients(images[rows], labels[rows], 0.0)
        optimizer.step(0.001)
        times["step"].append(time.perf_counter() - started)
    step = statistics.median(times["step"]) * 1000
    result = {}
    for kind in augmenters:
        augment = statistics.median(times[kind]) * 1000
        result[kind] = {"augment_ms": augment, "step_ms": step, "share": augment / (augment + step)}
    return result


def loop_share(rounds=3, epochs=4):
    """{kind: share} in the real training loop, 784-256-128-10 at batch 128
    (the best preset, one BLAS thread): 1 - (step time without augmentation)
    / (step time with it), step times from ``Finished.train_seconds``, which
    include making each batch; sequential, and made ahead in a thread (as
    `digit-tui train` does with a core to spare). Interleaved, medians."""
    set_blas_threads(1)
    split = split_dataset(load_dataset(), 0.2, 0)
    times = {}
    for _ in range(rounds):
        for kind in KINDS:
            for ahead in (False, True) if kind != "none" else (False,):
                config = preset("best").with_changes(augment=kind, epochs=epochs)
                events = train(
                    config,
                    split.x_train,
                    split.y_train,
                    split.x_val,
                    split.y_val,
                    augment=augmenter_for(config),
                    ahead=ahead,
                )
                finished = [e for e in events if isinstance(e, Finished)][-1]
                times.setdefault((kind, ahead), []).append(finished.train_seconds)
    plain = statistics.median(times[("none", False)])
    return {
        f"{kind}{' ahead' if ahead else ''}": 1.0 - plain / statistics.median(seconds)
        for (kind, ahead), seconds in times.items()
        if kind != "none"
    }


def run_ours(extra=()):
    """(wall seconds of the whole command, seconds of training, summary) of
    one `digit-tui train --preset best` run. Training is measured as the
    peer's is: from the run's start to its last epoch's end (the last
    --metrics line's ``elapsed``: steps and each epoch's evaluation)."""
    with tempfile.TemporaryDirectory() as folder:
        metrics = os.path.join(folder, "metrics.jsonl")
        command = [sys.executable, "-m", "tui", "train", "--preset", "best", "--json", "--no-record"]
        command += ["--metrics", metrics, *extra]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
        with open(metrics, encoding="utf-8") as stream:
            training = json.loads(stream.read().splitlines()[-1])["elapsed"]
    return wall, training, json.loads(done.stdout)


def peer_command():
    found = shutil.which(PEER, path=os.path.dirname(sys.executable)) or shutil.which(PEER)
    return [found] if found else None


def prepare_peer_data(home):
    """The bundled digits in the peer's format: photos/train.npz (uint8
    (N, 28, 28) `photos`, `digits`) beside an existing photos/train/ folder,
    newer than it (else the peer looks for PNG files instead)."""
    photos = os.path.join(home, "neural-network-digits", "photos")
    for digit in range(10):
        os.makedirs(os.path.join(photos, "train", str(digit)), exist_ok=True)
    time.sleep(0.05)
    dataset = load_dataset()
    np.savez_compressed(
        os.path.join(photos, "train.npz"), photos=dataset.images.reshape(-1, 28, 28), digits=dataset.labels
    )


def run_peer(command, home):
    """(training seconds, final validation accuracy line) of one peer run."""
    environment = dict(os.environ, XDG_DATA_HOME=home, MPLBACKEND="Agg")
    args = [*command, "train", "--hidden", "256", "128", "--no-plot"]
    process = subprocess.Popen(args, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    began = ended = None
    last = ""
    for line in process.stdout:
        now = time.perf_counter()
        if line.startswith("Network:"):
            began = now
        elif line.startswith("Epoch"):
            ended, last = now, line.strip()
    process.wait()
    if process.returncode or began is None or ended is None:
        raise RuntimeError(f"{PEER} failed (exit {process.returncode}): {last}")
    return ended - began, last


def race(pairs):
    command = peer_command()
    ours, peers, summaries, peer_lines = [], [], [], []
    with tempfile.TemporaryDirectory() as home:
        if command:
            prepare_peer_data(home)
        for _ in range(pairs):
            wall, training, summary = run_ours()
            ours.append((wall, training))
            summaries.append(summary)
            if command:
                time.sleep(2)  # let BLAS threads and caches settle between the two
                seconds, line = run_peer(command, home)
                peers.append(seconds)
                peer_lines.append(line)
                time.sleep(2)
    result = {
        "ours_wall_s": statistics.median(wall for wall, _ in ours),
        "ours_train_s": statistics.median(training for _, training in ours),
        "ours_step_s": statistics.median(s["train_seconds"] for s in summaries),
        "val_accuracy": summaries[0]["val_accuracy"],
        "kept_epoch": summaries[0]["kept_epoch"],
        "peer": f"{PEER} {PEER_VERSION}" if command else None,
        "peer_train_s": statistics.median(peers) if peers else None,
        "peer_last_epoch": peer_lines[-1] if peer_lines else None,
    }
    if peers:
        result["ratio"] = result["ours_train_s"] / result["peer_train_s"]  # training against training
        result["ratio_wall"] = result["ours_wall_s"] / result["peer_train_s"]  # our whole command against it
    return result


def variants():
    rows = {}
    for kind in KINDS:
        wall, training, summary = run_ours(["--augment", kind])
        rows[kind] = {"val_accuracy": summary["val_accuracy"], "wall_s": wall, "train_s": training}
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--pairs", type=int, default=3, help="interleaved race pairs (median reported)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a check, not figures to quote")
    args = parser.parse_args()
    figures = {"share": augmentation_share(60 if args.quick else 400)}
    print("augmentation's cost beside one training step, 784-256-128-10, batch 128, 1 thread (median):")
    for kind, row in figures["share"].items():
        target = {"affine": 0.20, "elastic": 0.35}.get(kind)
        verdict = "" if target is None else f"  target <= {target:.0%}: {'met' if row['share'] <= target else 'MISSED'}"
        print(f"  {kind:8} {row['augment_ms']:6.2f} ms vs step {row['step_ms']:.2f} ms: {row['share']:5.1%}{verdict}")
    figures["loop_share"] = loop_share(1 if args.quick else 3)
    print("in the training loop (share of a step's time, batch making included):")
    for name, share in figures["loop_share"].items():
        target = {"affine": 0.20, "elastic": 0.35}.get(name.split()[0])
        verdict = "" if target is None else f"  target <= {target:.0%}: {'met' if share <= target else 'MISSED'}"
        print(f"  {name:14} {share:5.1%}{verdict}")
    figures["race"] = race(1 if args.quick else args.pairs)
    r = figures["race"]
    print(f"best preset: val acc {r['val_accuracy']:.2%} (epoch {r['kept_epoch']} kept); target >= 97.90%")
    print(
        f"  ours: {r['ours_train_s']:.2f} s of training (run start to last epoch; {r['ours_step_s']:.2f} s in steps), "
        f"{r['ours_wall_s']:.2f} s for the whole command"
    )
    if r["peer"]:
        print(f"  {r['peer']}: {r['peer_train_s']:.1f} s of training; {r['peer_last_epoch']}")
        verdict = "met" if r["ratio"] <= 0.25 else "MISSED"
        print(f"  ratio ours/peer {r['ratio']:.3f} (whole command: {r['ratio_wall']:.3f}); target <= 0.25: {verdict}")
    else:
        print(f"  {PEER} is not installed (pip install -e '.[bench]'): no race")
    figures["variants"] = variants()
    print("the best preset with each augmentation:")
    for kind, row in figures["variants"].items():
        print(
            f"  {kind:8} val acc {row['val_accuracy']:.2%}  "
            f"{row['train_s']:.2f} s training, {row['wall_s']:.2f} s in all"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
