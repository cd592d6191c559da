"""Run a fixture-driving snippet in a fresh interpreter and return its JSON.

Keras picks its backend once, at import, and TensorFlow / torch are slow and heavy
to import, so the evidence tests never import them in the pytest process: each
snippet runs in a subprocess with ``KERAS_BACKEND`` set, imports the helpers of
``probe.py``, drives a fixture and ends with ``emit({...})``, which prints one
marker line of JSON that :func:`run_snippet` parses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

EVIDENCE_DIR = Path(__file__).resolve().parent
ROOT = EVIDENCE_DIR.parents[1]
MARKER = "DARKLINT-EVIDENCE-JSON:"  # same as probe.MARKER (probe is not importable here)
DEFAULT_TIMEOUT_S = 120.0


class EvidenceRunError(AssertionError):
    """The snippet crashed, timed out, or printed no observations."""


def subprocess_env(backend: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "CUDA_VISIBLE_DEVICES": "",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            # tiny models: one thread each avoids oversubscribing a small machine
            "OMP_NUM_THREADS": "1",
            "TF_NUM_INTRAOP_THREADS": "1",
            "TF_NUM_INTEROP_THREADS": "1",
        }
    )
    return env


def run_snippet(
    code: str, backend: str | None, *, timeout: float = DEFAULT_TIMEOUT_S
) -> dict[str, Any]:
    """Run ``code`` with ``KERAS_BACKEND=backend`` (``None``: unset, no Keras).

    Returns the dict the snippet passed to ``probe.emit`` (with a ``versions``
    entry added). Raises :class:`EvidenceRunError` with the output's tail when the
    snippet fails before emitting.
    """
    prelude = f"import sys\nsys.path.insert(0, {str(EVIDENCE_DIR)!r})\n"
    program = prelude + textwrap.dedent(code)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", program],
            cwd=ROOT,
            env=subprocess_env(backend),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise EvidenceRunError(
            f"evidence snippet (backend={backend}) timed out after {timeout:.0f} s"
        ) from exc
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise EvidenceRunError(
        f"evidence snippet (backend={backend}) exited {proc.returncode} without "
        f"observations\n--- stdout (tail) ---\n{proc.stdout[-3000:]}"
        f"\n--- stderr (tail) ---\n{proc.stderr[-3000:]}"
    )


def describe_versions(obs: dict[str, Any]) -> str:
    """``keras 3.15.1 / tensorflow 2.21.0 / torch None, backend tensorflow``."""
    v = obs.get("versions", {})
    return (
        f"keras {v.get('keras')} / tensorflow {v.get('tensorflow')} / "
        f"torch {v.get('torch')}, backend {v.get('backend')}"
    )
