"""Measuring helpers for the evidence snippets; imported only inside the subprocess.

Never imported by pytest itself (it would pull in Keras / TensorFlow / torch).
``harness.run_snippet`` puts this directory on the subprocess's ``sys.path``, so a
snippet starts with ``from probe import ...``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import runpy
import sys
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MARKER = "DARKLINT-EVIDENCE-JSON:"


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow or torch."""
    import random

    random.seed(seed)
    np.random.seed(seed)
    backend = os.environ.get("KERAS_BACKEND")
    if backend == "tensorflow":
        import keras

        keras.utils.set_random_seed(seed)
    else:
        # keras.utils.set_random_seed would import TensorFlow (+2.5 s) on torch too;
        # Keras's own unseeded initializers draw from Python's `random`.
        import torch

        torch.manual_seed(seed)


def fixture_path(name: str) -> str:
    return str(FIXTURES / f"{name}.py")


def load_fixture(name: str, seed: int = 0) -> dict[str, Any]:
    """Execute ``fixtures/<name>.py`` as a module (not ``__main__``); its namespace."""
    seed_everything(seed)
    return runpy.run_path(fixture_path(name), run_name="fixture")


def weights(obj: Any) -> list[np.ndarray]:
    """Copies of a Keras model's / layer's weights or a torch module's parameters."""
    if hasattr(obj, "get_weights"):
        return [np.array(w, copy=True) for w in obj.get_weights()]
    return [p.detach().cpu().numpy().copy() for p in obj.parameters()]


def max_change(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    """max |after - before| over all weights (0.0 means nothing moved)."""
    assert len(before) == len(after), "weight lists of different lengths"
    if not before:
        return 0.0
    return max(float(np.max(np.abs(a - b))) for a, b in zip(before, after, strict=True))


def describe_error(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc)[:400]}


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """Call ``fn``; return ``(result, None)`` or ``(None, {"type", "message"})``."""
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # the exception is the observation
        return None, describe_error(exc)


def iterations(model: Any) -> int | None:
    """The step counter of a compiled Keras model's optimizer."""
    opt = getattr(model, "optimizer", None)
    return None if opt is None else int(np.asarray(opt.iterations))


def slot_names(optimizer: Any, variable: Any) -> list[str]:
    """Names of the optimizer variables (Adam moments, ...) kept for ``variable``.

    Keras 3 names a slot ``<variable path with '/' -> '_'>_<slot>``.
    """
    prefix = variable.path.replace("/", "_") + "_"
    return [v.name for v in optimizer.variables if v.name.startswith(prefix)]


@contextlib.contextmanager
def spy(
    method: str,
    tags: Callable[[Any], str | None],
    watch: Callable[[Any], dict[str, Any]],
) -> Iterator[list[dict[str, Any]]]:
    """Record every ``keras.Model.<method>`` call made while the block runs.

    ``tags(model)`` names the model a call is made on (``None``: not recorded);
    ``watch(model)`` gives the models/layers whose weights are compared around the
    call. Each record: ``{"model", "changes": {name: max |dw|}, "iterations":
    optimizer steps taken by the call, "error"}``. The fixture code runs
    unchanged; only the method is wrapped.
    """
    import keras

    original = getattr(keras.Model, method)
    records: list[dict[str, Any]] = []

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        tag = tags(self)
        if tag is None:
            return original(self, *args, **kwargs)
        watched = watch(self)
        before = {name: weights(obj) for name, obj in watched.items()}
        it_before = iterations(self)
        record: dict[str, Any] = {"model": tag, "error": None}
        records.append(record)
        try:
            return original(self, *args, **kwargs)
        except Exception as exc:
            record["error"] = describe_error(exc)
            raise
        finally:
            record["changes"] = {
                name: max_change(before[name], weights(obj)) for name, obj in watched.items()
            }
            it_after = iterations(self)
            record["iterations"] = (
                None if it_before is None or it_after is None else it_after - it_before
            )

    setattr(keras.Model, method, wrapper)
    try:
        yield records
    finally:
        setattr(keras.Model, method, original)


def by_model(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Summarise spy records per model tag: calls, max change per watched name,
    total optimizer steps, errors."""
    summary: dict[str, dict[str, Any]] = {}
    for rec in records:
        s = summary.setdefault(
            rec["model"], {"calls": 0, "changes": {}, "iterations": 0, "errors": []}
        )
        s["calls"] += 1
        for name, value in rec["changes"].items():
            s["changes"][name] = max(s["changes"].get(name, 0.0), value)
        if rec["iterations"] is not None:
            s["iterations"] += rec["iterations"]
        if rec["error"] is not None:
            s["errors"].append(rec["error"])
    return summary


@contextlib.contextmanager
def count_warnings(text: str) -> Iterator[list[int]]:
    """Count the warnings whose message contains ``text`` (every occurrence)."""
    box = [0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield box
        finally:
            box[0] = sum(text in str(w.message) for w in caught)


def versions() -> dict[str, str | None]:
    """Installed versions (read from package metadata: importing costs seconds)."""
    out: dict[str, str | None] = {
        "python": platform.python_version(),
        "backend": os.environ.get("KERAS_BACKEND"),
    }
    for name, dists in {
        "keras": ("keras",),
        "tensorflow": ("tensorflow-cpu", "tensorflow"),
        "torch": ("torch",),
        "numpy": ("numpy",),
    }.items():
        out[name] = None
        for dist in dists:
            try:
                out[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return out


def emit(observations: dict[str, Any]) -> None:
    """Print the observations (plus versions) as the one line the harness reads."""
    payload = dict(observations, versions=versions())
    sys.stdout.flush()
    print(MARKER + json.dumps(payload, default=float), flush=True)
