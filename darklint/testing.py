"""Helpers for testing rules: expectations written on the line they concern.

``# expect: DK101`` (or ``# expect: DK101, DK201``) at the end of a line says
that exactly those codes are reported on that line; a line without a marker
must stay clean.  The same convention serves the rules' embedded cases and the
fixtures, so an expectation never lives apart from its code (bugbear's lesson).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from darklint.diagnostics import Diagnostic
from darklint.engine import lint_text

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>DK\d+(?:\s*,\s*DK\d+)*)")


def expected_reports(source: str, codes: Iterable[str] | None = None) -> set[tuple[int, str]]:
    """(line, code) pairs marked in ``source``, restricted to ``codes`` when given."""
    wanted = set(codes) if codes is not None else None
    found = set()
    for number, line in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for code in re.split(r"\s*,\s*", match.group("codes")):
                if wanted is None or code in wanted:
                    found.add((number, code))
    return found


def actual_reports(diagnostics: Iterable[Diagnostic]) -> set[tuple[int, str]]:
    return {(d.line, d.code) for d in diagnostics}


def lint_case(source: str, codes: Iterable[str], path: str = "case.py") -> list[Diagnostic]:
    """Lint ``source`` with only ``codes`` enabled (ruff's one-rule snapshot habit)."""
    return list(lint_text(source, path, frozenset(codes)).diagnostics)
