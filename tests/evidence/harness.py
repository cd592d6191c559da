"""Run fixture-driving snippets in fresh interpreters and return their JSON.

Keras picks its backend once, at import, and TensorFlow / torch are slow and heavy
to import, so the evidence tests never import them in the pytest process: each
snippet runs in a subprocess with ``KERAS_BACKEND`` set, imports the helpers of
``probe.py``, drives a fixture and ends with ``emit({...})``, which prints one
marker line of JSON that :func:`run_snippet` parses.

A test names the subprocess it needs as a :class:`Run` parameter
(``@pytest.mark.parametrize("run", [Run(...)], ids=str)``) and reads
``run.result()``. ``conftest.py`` starts the runs of all selected tests in the
background when collection ends (``DARKLINT_EVIDENCE_JOBS`` at a time, default:
up to 2), so the subprocesses overlap while pytest still reports them one test at
a time; without it ``result()`` simply runs the snippet there and then.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
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
            # tiny models: one thread each keeps parallel runs off each other's cores
            "OMP_NUM_THREADS": "1",
            "TF_NUM_INTRAOP_THREADS": "1",
            "TF_NUM_INTEROP_THREADS": "1",
        }
    )
    return env


_live: set[subprocess.Popen[str]] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


def run_snippet(
    code: str, backend: str | None, *, timeout: float = DEFAULT_TIMEOUT_S
) -> dict[str, Any]:
    """Run ``code`` with ``KERAS_BACKEND=backend`` (``None``: unset, no Keras).

    Returns the dict the snippet passed to ``probe.emit`` (with a ``versions``
    entry added). Raises :class:`EvidenceRunError` with the output's tail when the
    snippet fails before emitting or runs past ``timeout`` seconds.
    """
    if _stopping.is_set():
        raise EvidenceRunError("evidence runs were stopped (session ending)")
    prelude = f"import sys\nsys.path.insert(0, {str(EVIDENCE_DIR)!r})\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        cwd=ROOT,
        env=subprocess_env(backend),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with _live_lock:
        _live.add(proc)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.communicate()
        raise EvidenceRunError(
            f"evidence snippet (backend={backend}) timed out after {timeout:.0f} s"
        ) from exc
    finally:
        with _live_lock:
            _live.discard(proc)
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise EvidenceRunError(
        f"evidence snippet (backend={backend}) exited {proc.returncode} without "
        f"observations\n--- stdout (tail) ---\n{stdout[-3000:]}"
        f"\n--- stderr (tail) ---\n{stderr[-3000:]}"
    )


@dataclass(frozen=True)
class Run:
    """One subprocess: a snippet driving ``fixture`` on one Keras ``backend``."""

    fixture: str
    code: str = field(repr=False)
    backend: str | None
    timeout: float = DEFAULT_TIMEOUT_S

    def __str__(self) -> str:
        return f"{self.fixture}-{self.backend or 'no-keras'}"

    def result(self) -> dict[str, Any]:
        return start(self).result()


_executor: ThreadPoolExecutor | None = None
_futures: dict[Run, Future[dict[str, Any]]] = {}
_futures_lock = threading.Lock()


def jobs() -> int:
    default = min(2, os.cpu_count() or 1)
    return max(1, int(os.environ.get("DARKLINT_EVIDENCE_JOBS", default)))


def start(run: Run) -> Future[dict[str, Any]]:
    """Queue ``run`` (once) on the background pool; its future."""
    global _executor
    with _futures_lock:
        if run not in _futures:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=jobs(), thread_name_prefix="evidence")
            _futures[run] = _executor.submit(
                run_snippet, run.code, run.backend, timeout=run.timeout
            )
        return _futures[run]


def stop() -> None:
    """Cancel queued runs and kill running subprocesses (end of session)."""
    _stopping.set()
    with _futures_lock:
        for future in _futures.values():
            future.cancel()
    with _live_lock:
        for proc in list(_live):
            proc.kill()
    if _executor is not None:
        _executor.shutdown(wait=True)


def describe_versions(obs: dict[str, Any]) -> str:
    """``keras 3.15.1 / tensorflow 2.21.0 / torch None, backend tensorflow``."""
    v = obs.get("versions", {})
    return (
        f"keras {v.get('keras')} / tensorflow {v.get('tensorflow')} / "
        f"torch {v.get('torch')}, backend {v.get('backend')}"
    )
