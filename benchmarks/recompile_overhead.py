"""DK203's claim, measured: what a `compile()` on every training step costs.

Run: python benchmarks/recompile_overhead.py [--steps 30] [--batch 32]
(KERAS_BACKEND picks the backend; tensorflow by default.)

Prints the median milliseconds per `train_on_batch` step without recompiling,
with a recompile per step reusing one optimizer object, and with a recompile
per step given a new optimizer, and the optimizer's step counter at the end
(a new optimizer per compile starts over each time).  This is a benchmark,
not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, 8)).astype("float32")
    y = rng.normal(size=(args.batch, 1)).astype("float32")

    def run(mode: str) -> tuple[float, int]:
        model = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
        )
        optimizer = keras.optimizers.Adam(1e-3)
        model.compile(optimizer=optimizer, loss="mse")
        model.train_on_batch(x, y)  # the first trace is paid by every mode
        times = []
        for _ in range(args.steps):
            start = time.perf_counter()
            if mode == "same optimizer":
                model.compile(optimizer=optimizer, loss="mse")
            elif mode == "new optimizer":
                model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
            model.train_on_batch(x, y)
            times.append(time.perf_counter() - start)
        steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        return statistics.median(times) * 1000, steps

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, {args.steps} steps")
    results = {mode: run(mode) for mode in ("no recompile", "same optimizer", "new optimizer")}
    base = results["no recompile"][0]
    for mode, (ms, steps) in results.items():
        print(f"  {mode:<16} {ms:8.3f} ms/step  {ms / base:6.1f}x   optimizer step counter {steps}")


if __name__ == "__main__":
    main()
