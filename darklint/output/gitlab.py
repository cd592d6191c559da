"""The ``gitlab`` format: a GitLab Code Quality report (``artifacts:reports:codequality``).

GitLab reads a JSON list of issues with the documented fields ``description``,
``check_name``, ``fingerprint``, ``severity`` and ``location`` (``path`` and
``lines.begin``), a subset of the Code Climate spec.  It tells issues apart by
fingerprint, and a merge request shows what is new by comparing them with the
target branch's, so fingerprints must be unique and stable under edits
elsewhere in the file (:mod:`darklint.output.fingerprints`).
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from darklint.diagnostics import Diagnostic, Severity
from darklint.output import OutputContext
from darklint.output.fingerprints import Fingerprints

# GitLab's scale is info, minor, major, critical, blocker.
_SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _path(diagnostic: Diagnostic) -> str:
    """Relative to the repository root, with ``/`` (GitLab links it in the diff)."""
    return PurePath(diagnostic.path).as_posix().removeprefix("./")


def _issue(diagnostic: Diagnostic, fingerprint: Fingerprints) -> dict[str, Any]:
    path = _path(diagnostic)
    description = diagnostic.message
    if diagnostic.help:
        description = f"{description} (help: {diagnostic.help})"
    if diagnostic.cell is None:
        # `lines`, not also `positions`: the Code Climate spec takes one of the two.
        lines = {"begin": diagnostic.line, "end": max(diagnostic.end_line, diagnostic.line)}
        location: dict[str, Any] = {"path": path, "lines": lines}
    else:
        # The widget shows the raw .ipynb: its line, the cell in the text.
        line = diagnostic.file_line if diagnostic.file_line is not None else 1
        location = {"path": path, "lines": {"begin": line}}
        description = f"cell {diagnostic.cell}: {description}"
    return {
        "description": description,
        "check_name": diagnostic.code,
        "fingerprint": fingerprint(diagnostic, path),
        "severity": _SEVERITIES[diagnostic.severity],
        "location": location,
        "categories": ["Bug Risk"],
        "type": "issue",
    }


def render_gitlab(ctx: OutputContext) -> str:
    if ctx.errors and not ctx.diagnostics:
        # "[]" would read as a clean report; the errors are on standard error.
        return ""
    fingerprint = Fingerprints(ctx)
    return json.dumps([_issue(d, fingerprint) for d in ctx.diagnostics], indent=2) + "\n"
