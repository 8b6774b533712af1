"""Benchmark: digit-tui's NumPy training against PyTorch on the CPU.

    pip install -e '.[bench]'     # torch==2.13.0: a benchmark extra, never a runtime dependency
    python bench/compare_torch.py [--epochs 5] [--threads 1,2] [--json out.json]

For 784-10-10, 784-128-10 and 784-256-128-10 at batch 32, 128 and 512, with
Adam (lr 0.001) and the same thread count on both sides, it alternates one
epoch of digit-tui's own training loop (core.train) with one epoch of the
same network in PyTorch (same initial weights, same batches' sizes), and
reports the median samples/s of each. An epoch here is 16,000 digits: the
bundled sample's 4,000 training digits repeated four times.

The BLAS ceiling is the measured float32 matrix-product rate (a 2048^3
product, same threads, same run) divided by 6 x parameters, the FLOPs of one
sample's forward and backward pass; "% ceil" is digit-tui's share of it, and
"products" the share that the step's matrix products alone reach at these
shapes (everything else in a step taken away). Without torch installed, the
PyTorch columns show "-" and the rest is measured all the same.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from core import EpochDone, TrainConfig, train  # noqa: E402
from core.blas import set_blas_threads  # noqa: E402
from core.network import Architecture, Network  # noqa: E402
from data import load_dataset, split_dataset  # noqa: E402

NETWORKS = [(10,), (128,), (256, 128)]
BATCHES = [32, 128, 512]


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


def torch_epochs(torch, network, config, split):
    layers = []
    for weight, bias in network.weights():
        linear = torch.nn.Linear(*weight.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias.copy()))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
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


def compare(torch, hidden, batch, threads, split, epochs):
    """Median samples/s of digit-tui and of PyTorch (None without torch)."""
    set_blas_threads(threads)
    config = TrainConfig(
        hidden=hidden,
        optimizer="adam",
        lr=0.001,
        batch_size=batch,
        epochs=epochs + 1,
        schedule="constant",
        l2=0.0,
        seed=0,
    )
    ours = numpy_epochs(config, split)
    next(ours)  # the first epoch warms caches up
    if torch is None:
        return statistics.median(next(ours) for _ in range(epochs)), None
    torch.set_num_threads(threads)
    network = Network.create(config.architecture, config.init, np.random.default_rng(0))
    theirs = torch_epochs(torch, network, config, split)
    next(theirs)
    numpy_speed, torch_speed = [], []
    for _ in range(epochs):  # interleaved, so both see the same machine load
        numpy_speed.append(next(ours))
        torch_speed.append(next(theirs))
    return statistics.median(numpy_speed), statistics.median(torch_speed)


def import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def comparison(epochs=5, thread_counts=(1, 2), report=print):
    """One row per network, batch size and thread count; ``report`` gets
    each row as it is measured."""
    torch = import_torch()
    split = split_dataset(load_dataset(), 0.2, 0)
    split.x_train = np.tile(split.x_train, (4, 1))
    split.y_train = np.tile(split.y_train, 4)
    rows = []
    for threads in thread_counts:
        set_blas_threads(threads)
        gflops = matmul_gflops()
        for hidden in NETWORKS:
            architecture = Architecture(hidden=hidden)
            ceiling = gflops * 1e9 / (6 * architecture.parameter_count)
            for batch in BATCHES:
                ours, theirs = compare(torch, hidden, batch, threads, split, epochs)
                row = {
                    "network": architecture.describe(),
                    "batch": batch,
                    "threads": threads,
                    "numpy_samples_per_second": round(ours),
                    "torch_samples_per_second": None if theirs is None else round(theirs),
                    "ratio": None if theirs is None else round(ours / theirs, 2),
                    "matmul_gflops": round(gflops, 1),
                    "ceiling_samples_per_second": round(ceiling),
                    "share_of_ceiling": round(ours / ceiling, 3),
                    "products_alone_share_of_ceiling": round(products_alone(hidden, batch) / ceiling, 3),
                }
                rows.append(row)
                report(row)
    return rows


HEADER = (
    f"{'network':16}{'batch':>6}{'thr':>4}{'numpy/s':>10}{'torch/s':>10}{'ratio':>7}"
    f"{'GFLOP/s':>9}{'ceiling/s':>11}{'% ceil':>8}{'products':>9}"
)


def format_row(row):
    torch_speed = "-" if row["torch_samples_per_second"] is None else f"{row['torch_samples_per_second']:,}"
    ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
    return (
        f"{row['network']:16}{row['batch']:>6}{row['threads']:>4}{row['numpy_samples_per_second']:>10,}"
        f"{torch_speed:>10}{ratio:>7}{row['matmul_gflops']:>9.1f}{row['ceiling_samples_per_second']:>11,}"
        f"{row['share_of_ceiling']:>8.0%}{row['products_alone_share_of_ceiling']:>9.0%}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    torch = import_torch()
    print(
        f"digit-tui vs {'PyTorch ' + torch.__version__ + ' (CPU)' if torch else 'no PyTorch (not installed)'}, "
        f"NumPy {np.__version__}, {platform.machine()} with {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    )
    print(HEADER)
    rows = comparison(
        args.epochs, [int(t) for t in args.threads.split(",")], report=lambda row: print(format_row(row), flush=True)
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump({"torch": torch and torch.__version__, "numpy": np.__version__, "rows": rows}, stream, indent=2)


if __name__ == "__main__":
    main()
