"""Benchmark: where one training step of 784-256-128-10 spends its time.

    python bench/step_profile.py [--threads 1] [--batch 128]

Makes the same calls as core.train (gather a shuffled batch with
core.batches.BatchGather, Network.loss_and_gradients, Adam.step) on the bundled sample's training
digits repeated to 16,000, times each phase with perf_counter over two
epochs after one warm-up epoch, and times the step's matrix products alone
on the same shapes (compare_torch.products_alone), so the rest can be read
off as the difference.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from compare_torch import products_alone  # noqa: E402

from core import TrainConfig  # noqa: E402
from core.batches import BatchGather  # noqa: E402
from core.blas import set_blas_threads  # noqa: E402
from core.network import Network  # noqa: E402
from core.optim import make_optimizer  # noqa: E402
from data import load_dataset, split_dataset  # noqa: E402

HIDDEN = (256, 128)


def phase_times(batch, epochs=2):
    """Mean milliseconds per step of each phase."""
    config = TrainConfig(hidden=HIDDEN, optimizer="adam", lr=0.001, batch_size=batch, schedule="constant", l2=0.0)
    split = split_dataset(load_dataset(), 0.2, 0)
    x, y = np.tile(split.x_train, (4, 1)), np.tile(split.y_train, 4)
    network = Network.create(config.architecture, config.init, np.random.default_rng(0))
    optimizer = make_optimizer("adam", network)
    rng = np.random.default_rng(0)
    gather = BatchGather(x, y, batch)
    totals, steps = {"gather": 0.0, "forward and backward": 0.0, "Adam": 0.0}, 0
    for epoch in range(epochs + 1):
        order = rng.permutation(len(x))
        for start in range(0, len(x) - batch + 1, batch):
            t0 = time.perf_counter()
            x_batch, y_batch = gather.take(order[start : start + batch])
            t1 = time.perf_counter()
            network.loss_and_gradients(x_batch, y_batch, config.l2)
            t2 = time.perf_counter()
            optimizer.step(config.lr)
            t3 = time.perf_counter()
            if epoch:  # the first epoch warms caches up
                steps += 1
                totals["gather"] += t1 - t0
                totals["forward and backward"] += t2 - t1
                totals["Adam"] += t3 - t2
    return {phase: seconds / steps * 1000 for phase, seconds in totals.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    set_blas_threads(args.threads)
    phases = phase_times(args.batch)
    step = sum(phases.values())
    products = args.batch / products_alone(HIDDEN, args.batch) * 1000
    print(f"784-256-128-10, batch {args.batch}, {args.threads} BLAS thread(s): one step {step:.2f} ms")
    for phase, ms in phases.items():
        print(f"  {phase:22} {ms:.3f} ms ({ms / step:.0%})")
    print(f"  matrix products alone  {products:.3f} ms ({products / step:.0%}), the same shapes with nothing else")
    print(
        f"  everything else        {step - products - phases['Adam'] - phases['gather']:.3f} ms "
        f"(bias, activations, softmax, Python)"
    )


if __name__ == "__main__":
    main()
