"""Start the evidence subprocesses of the selected tests as soon as collection ends.

Each evidence test takes a ``harness.Run`` parameter; queuing all of them at once
lets the subprocesses overlap (``DARKLINT_EVIDENCE_JOBS`` at a time) while the
tests still run, report and fail one by one. Deselected tests start nothing.
"""

from __future__ import annotations

import pytest
from harness import Run, start, stop


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        run = callspec.params.get("run") if callspec is not None else None
        if isinstance(run, Run):
            start(run)


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop()
