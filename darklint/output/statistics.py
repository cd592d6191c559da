"""The ``--statistics`` table: how often each code fired.

Tab-separated so it stays machine-splittable; the count is right-aligned
so the table also reads well in a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from darklint.diagnostics import Diagnostic


@dataclass
class _Row:
    code: str
    name: str
    count: int = 0
    fixable: bool = False


def _rows(diagnostics: Sequence[Diagnostic]) -> list[_Row]:
    rows: dict[str, _Row] = {}
    for diagnostic in diagnostics:
        row = rows.setdefault(diagnostic.code, _Row(diagnostic.code, diagnostic.name))
        row.count += 1
        if diagnostic.fix is not None and diagnostic.fix.safe:
            row.fixable = True
    return sorted(rows.values(), key=lambda r: (-r.count, r.code))


def render_statistics(diagnostics: Sequence[Diagnostic]) -> str:
    ordered = _rows(diagnostics)
    if not ordered:
        return ""
    width = max(4, len(str(ordered[0].count)))
    lines = []
    for row in ordered:
        marker = "[*]" if row.fixable else ""
        lines.append(f"{row.count:>{width}}\t{row.code}\t{marker}\t{row.name}\n")
    return "".join(lines)


def render_statistics_json(diagnostics: Sequence[Diagnostic]) -> str:
    """The same rows as JSON objects (ruff's keys: code, name, count, fixable)."""
    rows = [
        {"code": row.code, "name": row.name, "count": row.count, "fixable": row.fixable}
        for row in _rows(diagnostics)
    ]
    return json.dumps(rows, indent=2) + "\n"
