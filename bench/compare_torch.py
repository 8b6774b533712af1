"""Benchmark: digit-tui's NumPy training against PyTorch on the CPU.

    pip install -e '.[bench]'     # torch==2.13.0: a benchmark extra, never a runtime dependency
    python bench/compare_torch.py [--pairs 5] [--threads 1,2] [--json out.json]

1. Epochs. For 784-10-10, 784-128-10 and 784-256-128-10 at batch 32, 128
   and 512, with Adam (lr 0.001), no L2 and no dropout on either side (like
   with like: PyTorch's loop has neither), and the same thread count on
   both sides, it alternates one epoch of digit-tui's own training loop
   (core.train) with one epoch of the same network in PyTorch (same initial
   weights, same batches' sizes): ``--pairs`` pairs after one warm-up epoch
   each. samples/s is each side's median; the ratio is the median of the
   pairs' ratios. An epoch here is 16,000 digits: the bundled sample's 4,000
   training digits repeated four times.
2. Short runs: whole runs of 784-256-128-10 at batch 128 on the bundled
   sample (4,000 training digits, 1,000 validation, 6 epochs), where
   start-up and each epoch's end count: digit-tui's ``core.train`` from the
   call to its Finished event (the network made, every epoch's validation
   pass, snapshot and probabilities, the final pass over the training set),
   run as the front ends run it: on one BLAS thread with a core to spare,
   each epoch's validation pass runs aside while the next epoch trains
   (``evaluate_aside``, see core/evaluation.py)
   against a PyTorch loop doing the same work (the model made and its
   weights copied in, every epoch a validation pass for loss and accuracy,
   a final pass over the training set), interleaved in ``--pairs`` pairs.
   Samples/s is 24,000 over the wall time.
3. Per-epoch overhead, from digit-tui's short runs: the share of the wall
   time spent outside training steps, and where it goes: start-up (to the
   RunStarted event), the final evaluation (the last EpochDone to Finished),
   and the epoch ends (the rest: each epoch's snapshot and evaluation as far
   as they hold up training, and the loop's own work between steps).

Between a NumPy part and a PyTorch part it sleeps ``PAUSE_SECONDS``:
OpenBLAS's idle worker keeps spinning after a product (a process that
slept after two-thread products used 0.1 s of CPU, however long it slept;
PyTorch's threads, 0.01 s), and a PyTorch epoch started at once ran 16-21%
slower on the 2-core machine, which flattered digit-tui's ratio.

The BLAS ceiling is the measured float32 matrix-product rate (a 2048^3
product, same threads, same run) divided by 6 x parameters, the FLOPs of one
sample's forward and backward pass; "% ceil" is digit-tui's share of it, and
"products" the share that the step's matrix products alone reach at these
shapes (everything else in a step taken away). Without torch installed, the
PyTorch columns show "-" and the rest is measured all the same.
"""

import argparse
import importlib
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from core import EpochDone, Finished, RunStarted, TrainConfig, train  # noqa: E402
from core.blas import available_cores, set_blas_threads  # noqa: E402
from core.network import Architecture, Network  # noqa: E402
from data import load_dataset, split_dataset  # noqa: E402

NETWORKS = [(10,), (128,), (256, 128)]
BATCHES = [32, 128, 512]
PAUSE_SECONDS = 0.25  # between a NumPy part and a PyTorch part: 2.5 times OpenBLAS's spin (see the docstring)
SHORT_HIDDEN, SHORT_BATCH, SHORT_EPOCHS = (256, 128), 128, 6


def matmul_gflops(size=2048, repeats=5):
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    b = a.T.copy()
    a @ b  # warm up
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def numpy_epochs(config, split):
    """Yield samples/s of each epoch of core.train (its own step timing)."""
    for event in train(config, split.x_train, split.y_train, split.x_val[:1], split.y_val[:1]):
        if isinstance(event, EpochDone):
            yield event.samples_per_second


def torch_model(torch, network):
    """The same network in PyTorch, with ``network``'s weights."""
    layers = []
    for weight, bias in network.weights():
        linear = torch.nn.Linear(*weight.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias.copy()))
        layers += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def torch_epochs(torch, network, config, split):
    """Yield samples/s of each PyTorch epoch (shuffle and steps, as numpy_epochs)."""
    model = torch_model(torch, network)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    x, y = torch.from_numpy(split.x_train), torch.from_numpy(split.y_train)
    generator = torch.Generator().manual_seed(0)
    n = len(x)
    while True:
        started = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, config.batch_size):
            rows = order[start : start + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x[rows]), y[rows])
            loss.backward()
            optimizer.step()
        yield n / (time.perf_counter() - started)


def products_alone(hidden, batch, repeats=200):
    """Samples/s if a training step were only its matrix products: the
    forward products, the weight gradients, and the input gradients of every
    layer but the first (which digit-tui skips), on random data."""
    rng = np.random.default_rng(0)
    sizes = Architecture(hidden=hidden).sizes
    weights = [rng.standard_normal((a, b), dtype=np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
    activations = [rng.random((batch, size), dtype=np.float32) for size in sizes]
    deltas = [rng.random((batch, size), dtype=np.float32) for size in sizes[1:]]

    def step():
        for x, w in zip(activations, weights):
            x @ w
        for index, (x, w, d) in enumerate(zip(activations, weights, deltas)):
            x.T @ d
            if index:
                d @ w.T

    step()
    best = min(_timed(step) for _ in range(repeats))
    return batch / best


def adam_config(hidden, batch, epochs):
    """The compared run: Adam at lr 0.001, no L2, no dropout (PyTorch's loop has neither)."""
    return TrainConfig(
        hidden=hidden,
        optimizer="adam",
        lr=0.001,
        batch_size=batch,
        epochs=epochs,
        schedule="constant",
        l2=0.0,
        dropout=0.0,
        seed=0,
    )


def compare(torch, hidden, batch, threads, split, pairs):
    """(median samples/s of digit-tui, of PyTorch, median of the pairs'
    ratios); the last two None without torch."""
    set_blas_threads(threads)
    config = adam_config(hidden, batch, pairs + 1)
    ours = numpy_epochs(config, split)
    next(ours)  # the first epoch warms caches up
    if torch is None:
        return statistics.median(next(ours) for _ in range(pairs)), None, None
    torch.set_num_threads(threads)
    network = Network.create(config.architecture, config.init, np.random.default_rng(0))
    theirs = torch_epochs(torch, network, config, split)
    time.sleep(PAUSE_SECONDS)
    next(theirs)
    numpy_speed, torch_speed = [], []
    for _ in range(pairs):  # interleaved, so both see the same machine load
        time.sleep(PAUSE_SECONDS)
        numpy_speed.append(next(ours))
        time.sleep(PAUSE_SECONDS)
        torch_speed.append(next(theirs))
    ratios = [mine / theirs for mine, theirs in zip(numpy_speed, torch_speed)]
    return statistics.median(numpy_speed), statistics.median(torch_speed), statistics.median(ratios)


def short_run_ours(config, split):
    """One whole core.train run: (wall seconds, seconds in training steps,
    seconds by where they went). The training steps are core's own timing
    (Finished.train_seconds); the epoch ends, whatever else: each epoch's
    snapshot and evaluation in this thread (with the pass aside, waiting
    for it where it is not done yet), the loop's work between steps."""
    aside = available_cores() >= 2  # as tui.session.train_split decides for the CLI
    started = time.perf_counter()
    finished = ran_up = last_epoch = None
    for event in train(config, split.x_train, split.y_train, split.x_val, split.y_val, evaluate_aside=aside):
        now = time.perf_counter()
        if isinstance(event, RunStarted):
            ran_up = now
        elif isinstance(event, EpochDone):
            last_epoch = now
        elif isinstance(event, Finished):
            finished = event
    wall = now - started
    parts = {"start-up": ran_up - started, "final evaluation": now - last_epoch}
    parts["steps"] = finished.train_seconds
    parts["epoch ends"] = wall - sum(parts.values())
    return wall, finished.train_seconds, parts


def short_run_torch(torch, network, config, split):
    """The same run in PyTorch, doing the same work: wall seconds."""
    started = time.perf_counter()
    model = torch_model(torch, network)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    x, y = torch.from_numpy(split.x_train), torch.from_numpy(split.y_train)
    x_val, y_val = torch.from_numpy(split.x_val), torch.from_numpy(split.y_val)
    generator = torch.Generator().manual_seed(0)
    for _ in range(config.epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), config.batch_size):
            rows = order[start : start + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
            optimizer.step()
        with torch.no_grad():  # each epoch's validation loss and accuracy, as core.train reports
            logits = model(x_val)
            torch.nn.functional.cross_entropy(logits, y_val).item()
            (logits.argmax(dim=1) == y_val).float().mean().item()
    with torch.no_grad():  # the final pass over the training set, as core.train's Finished
        logits = model(x)
        torch.nn.functional.cross_entropy(logits, y).item()
        (logits.argmax(dim=1) == y).float().mean().item()
    return time.perf_counter() - started


def short_runs(torch, threads, pairs, split):
    """Whole short runs, interleaved; digit-tui's figures and PyTorch's, and the overhead."""
    set_blas_threads(threads)
    config = adam_config(SHORT_HIDDEN, SHORT_BATCH, SHORT_EPOCHS)
    samples = len(split.y_train) * config.epochs
    network = Network.create(config.architecture, config.init, np.random.default_rng(0))
    if torch is not None:
        torch.set_num_threads(threads)
    ours, theirs, overheads, parts = [], [], [], []
    for index in range(pairs + 1):  # the first pair warms caches up
        wall, train_seconds, where = short_run_ours(config, split)
        torch_wall = None
        if torch is not None:
            time.sleep(PAUSE_SECONDS)
            torch_wall = short_run_torch(torch, network, config, split)
            time.sleep(PAUSE_SECONDS)
        if index:
            ours.append(wall)
            overheads.append(1 - train_seconds / wall)
            parts.append(where)
            if torch_wall is not None:
                theirs.append(torch_wall)
    median_part = {name: statistics.median(p[name] for p in parts) for name in parts[0]}
    return {
        "network": Architecture(hidden=SHORT_HIDDEN).describe(),
        "batch": SHORT_BATCH,
        "threads": threads,
        "samples": samples,
        "numpy_samples_per_second": round(samples / statistics.median(ours)),
        "torch_samples_per_second": round(samples / statistics.median(theirs)) if theirs else None,
        "ratio": round(statistics.median(t / o for o, t in zip(ours, theirs)), 2) if theirs else None,
        "overhead_share": round(statistics.median(overheads), 3),
        "overhead_ms": {name: round(seconds * 1000, 1) for name, seconds in median_part.items()},
        "wall_ms": round(statistics.median(ours) * 1000, 1),
    }


def import_torch():
    """PyTorch, or None where it is not installed (by name, so that type
    checkers need no torch either)."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def epoch_split():
    """The bundled sample's split, its training digits repeated to 16,000."""
    split = split_dataset(load_dataset(), 0.2, 0)
    split.x_train = np.tile(split.x_train, (4, 1))
    split.y_train = np.tile(split.y_train, 4)
    return split


def comparison(pairs=5, thread_counts=(1, 2), report=print):
    """One row per network, batch size and thread count, sorted by thread
    count; ``report`` gets each row as it is measured. A configuration's
    thread counts are measured one after the other, so that the load's drift
    over the minutes this takes does not come between them."""
    torch = import_torch()
    split = epoch_split()
    gflops = {}
    for threads in thread_counts:
        set_blas_threads(threads)
        gflops[threads] = matmul_gflops()
    rows = []
    for hidden in NETWORKS:
        architecture = Architecture(hidden=hidden)
        for batch in BATCHES:
            for threads in thread_counts:
                ceiling = gflops[threads] * 1e9 / (6 * architecture.parameter_count)
                ours, theirs, ratio = compare(torch, hidden, batch, threads, split, pairs)
                row = {
                    "network": architecture.describe(),
                    "batch": batch,
                    "threads": threads,
                    "numpy_samples_per_second": round(ours),
                    "torch_samples_per_second": None if theirs is None else round(theirs),
                    "ratio": None if ratio is None else round(ratio, 2),
                    "matmul_gflops": round(gflops[threads], 1),
                    "ceiling_samples_per_second": round(ceiling),
                    "share_of_ceiling": round(ours / ceiling, 3),
                    "products_alone_share_of_ceiling": round(products_alone(hidden, batch) / ceiling, 3),
                }
                rows.append(row)
                report(row)
    return sorted(rows, key=lambda row: row["threads"])  # stable: networks and batches stay in order


HEADER = (
    f"{'network':16}{'batch':>6}{'thr':>4}{'numpy/s':>10}{'torch/s':>10}{'ratio':>8}"
    f"{'GFLOP/s':>9}{'ceiling/s':>11}{'% ceil':>8}{'products':>9}"
)


def format_row(row):
    torch_speed = "-" if row["torch_samples_per_second"] is None else f"{row['torch_samples_per_second']:,}"
    ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
    return (
        f"{row['network']:16}{row['batch']:>6}{row['threads']:>4}{row['numpy_samples_per_second']:>10,}"
        f"{torch_speed:>10}{ratio:>8}{row['matmul_gflops']:>9.1f}{row['ceiling_samples_per_second']:>11,}"
        f"{row['share_of_ceiling']:>8.0%}{row['products_alone_share_of_ceiling']:>9.0%}"
    )


def format_short(row):
    """Two lines: the speeds, then where the time outside training steps went."""
    torch_speed = "-" if row["torch_samples_per_second"] is None else f"{row['torch_samples_per_second']:,}"
    ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
    parts = ", ".join(f"{name} {ms} ms" for name, ms in row["overhead_ms"].items() if name != "steps")
    return (
        f"{row['network']} b{row['batch']}, {row['threads']} thr, {row['samples']:,} samples in whole runs: "
        f"numpy {row['numpy_samples_per_second']:,}/s, torch {torch_speed}/s, ratio {ratio}\n"
        f"  outside training steps {row['overhead_share']:.1%} of {row['wall_ms']} ms ({parts})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="interleaved NumPy/PyTorch pairs (median reported)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    torch = import_torch()
    thread_counts = [int(t) for t in args.threads.split(",")]
    print(
        f"digit-tui vs {'PyTorch ' + torch.__version__ + ' (CPU)' if torch else 'no PyTorch (not installed)'}, "
        f"NumPy {np.__version__}, {platform.machine()} with {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    )
    print(HEADER)
    rows = comparison(args.pairs, thread_counts, report=lambda row: print(format_row(row), flush=True))
    split = split_dataset(load_dataset(), 0.2, 0)
    short = []
    for threads in thread_counts:
        short.append(short_runs(torch, threads, args.pairs, split))
        print(format_short(short[-1]), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            figures = {"torch": torch and torch.__version__, "numpy": np.__version__, "rows": rows, "short": short}
            json.dump(figures, stream, indent=2)


if __name__ == "__main__":
    main()
