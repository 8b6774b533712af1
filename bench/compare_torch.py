"""Benchmark: digit-tui's NumPy training against PyTorch on the CPU.

    pip install torch==2.13.0     # a benchmark extra, never a runtime dependency
    python bench/compare_torch.py [--epochs 5] [--threads 1,2] [--json out.json]

For 784-10-10, 784-128-10 and 784-256-128-10 at batch 32, 128 and 512, with
Adam (lr 0.001) and the same thread count on both sides, it alternates one
epoch of digit-tui's own training loop (core.train) with one epoch of the
same network in PyTorch (same initial weights, same batches' sizes), and
reports the median samples/s of each. An epoch here is 16,000 digits: the
bundled sample's 4,000 training digits repeated four times.

The BLAS ceiling is the measured float32 matrix-product rate (a 2048^3
product, same threads, same run) divided by 6 x parameters, the FLOPs of one
sample's forward and backward pass; "% ceiling" is NumPy's share of it.
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
    return 2 * size ** 3 / best / 1e9


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
            rows = order[start:start + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x[rows]), y[rows])
            loss.backward()
            optimizer.step()
        yield n / (time.perf_counter() - started)


def compare(torch, hidden, batch, threads, split, epochs):
    set_blas_threads(threads)
    torch.set_num_threads(threads)
    config = TrainConfig(hidden=hidden, optimizer="adam", lr=0.001, batch_size=batch,
                         epochs=epochs + 1, schedule="constant", l2=0.0, seed=0)
    ours = numpy_epochs(config, split)
    network = Network.create(config.architecture, config.init, np.random.default_rng(0))
    theirs = torch_epochs(torch, network, config, split)
    next(ours), next(theirs)  # the first epoch warms caches up on both sides
    numpy_speed, torch_speed = [], []
    for _ in range(epochs):  # interleaved, so both see the same machine load
        numpy_speed.append(next(ours))
        torch_speed.append(next(theirs))
    return statistics.median(numpy_speed), statistics.median(torch_speed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    import torch

    dataset = load_dataset()
    split = split_dataset(dataset, 0.2, 0)
    split.x_train = np.tile(split.x_train, (4, 1))
    split.y_train = np.tile(split.y_train, 4)
    rows = []
    print(f"digit-tui vs PyTorch {torch.__version__} (CPU), NumPy {np.__version__}, "
          f"{platform.machine()} with {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    print(f"{'network':16}{'batch':>6}{'thr':>4}{'numpy/s':>10}{'torch/s':>10}{'ratio':>7}"
          f"{'GFLOP/s':>9}{'ceiling/s':>11}{'% ceil':>8}")
    for threads in [int(t) for t in args.threads.split(",")]:
        set_blas_threads(threads)
        gflops = matmul_gflops()
        for hidden in NETWORKS:
            architecture = Architecture(hidden=hidden)
            ceiling = gflops * 1e9 / (6 * architecture.parameter_count)
            for batch in BATCHES:
                ours, theirs = compare(torch, hidden, batch, threads, split, args.epochs)
                row = {"network": architecture.describe(), "batch": batch, "threads": threads,
                       "numpy_samples_per_second": round(ours), "torch_samples_per_second": round(theirs),
                       "ratio": round(ours / theirs, 2), "matmul_gflops": round(gflops, 1),
                       "ceiling_samples_per_second": round(ceiling), "share_of_ceiling": round(ours / ceiling, 3)}
                rows.append(row)
                print(f"{row['network']:16}{batch:>6}{threads:>4}{ours:>10,.0f}{theirs:>10,.0f}"
                      f"{ours / theirs:>6.2f}x{gflops:>9.1f}{ceiling:>11,.0f}{ours / ceiling:>8.0%}", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump({"torch": torch.__version__, "numpy": np.__version__, "rows": rows}, stream, indent=2)


if __name__ == "__main__":
    main()
