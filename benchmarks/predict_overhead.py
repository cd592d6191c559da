"""DK202's claim, measured: per-call cost of `predict` vs `predict_on_batch` vs `model(x)`.

Run: python benchmarks/predict_overhead.py [--calls 200] [--batch 64]
(KERAS_BACKEND picks the backend; tensorflow by default.)

Prints the median milliseconds per call of each way to run a model on one
batch inside a training loop, and the ratios DK202's message quotes.  This is
a benchmark, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()

    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(args.batch, 2)).astype("float32")

    ways = {
        "predict(x, verbose=0)": lambda: model.predict(x, verbose=0),
        "predict_on_batch(x)": lambda: model.predict_on_batch(x),
        "model(x, training=False)": lambda: model(x, training=False),
    }
    medians = {}
    for name, call in ways.items():
        for _ in range(5):  # warm-up: tracing, first-call costs
            call()
        times = []
        for _ in range(args.calls):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        medians[name] = statistics.median(times) * 1000

    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}, batch {args.batch}, {args.calls} calls"
    )
    for name, ms in medians.items():
        print(f"  {name:<26} {ms:8.3f} ms/call")
    base = medians["predict(x, verbose=0)"]
    print(
        f"  predict / model(x)           {base / medians['model(x, training=False)']:6.1f}x   (DK202 says 33-72x)"
    )
    print(f"  predict / predict_on_batch   {base / medians['predict_on_batch(x)']:6.1f}x")


if __name__ == "__main__":
    main()
