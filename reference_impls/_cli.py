"""Shared command line for the reference implementations."""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any


def main(
    train: Callable[..., dict[str, Any]],
    description: str | None,
    default_steps: int,
    argv: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Parse ``--steps/--seed/--device``, train, print one JSON line of metrics."""
    parser = argparse.ArgumentParser(description=(description or "").split("\n")[0])
    parser.add_argument("--steps", type=int, default=default_steps)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    args = parser.parse_args(argv)
    # The loss log goes to stderr so stdout's last line is always the JSON result.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    metrics = train(steps=args.steps, seed=args.seed, device=args.device)
    # Metrics are Python floats (``.item()``), so CUDA work has finished by now.
    result = {**metrics, "seconds": round(time.perf_counter() - start, 2)}
    print(json.dumps(result))
    return result
