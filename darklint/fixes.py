"""Apply the fixes carried by diagnostics to source text, and show them as diffs.

Fixes are text edits (the engine turned libcst node replacements into
ranges), so applying them keeps everything the rule did not touch: comments,
formatting, encoding, line endings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from darklint.diagnostics import Diagnostic, Edit
from darklint.source import line_starts, offset


@dataclass(frozen=True)
class FixResult:
    text: str
    applied: tuple[Diagnostic, ...]


def fixable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    return diagnostic.fix is not None and (diagnostic.fix.safe or unsafe)


def apply_fixes(text: str, diagnostics: Iterable[Diagnostic], *, unsafe: bool = False) -> FixResult:
    """Apply every non-overlapping fix in one pass (the first one wins an overlap)."""
    starts = line_starts(text)
    chosen: list[tuple[int, int, str]] = []
    applied: list[Diagnostic] = []
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        if not fixable(diagnostic, unsafe) or diagnostic.fix is None:
            continue
        spans = [_span(starts, edit) for edit in diagnostic.fix.edits]
        if any(_overlaps(span, (s, e)) for span in spans for s, e, _ in chosen):
            continue
        chosen.extend(spans)
        applied.append(diagnostic)
    for start, end, content in sorted(chosen, reverse=True):
        text = text[:start] + content + text[end:]
    return FixResult(text, tuple(applied))


# A fix can only be applied once the one it overlaps is (`g.predict(h.predict(x))`:
# the outer call's fix spans the inner one); ruff stops after 100 passes.
MAX_FIX_PASSES = 10


def fix_until_stable(
    text: str,
    diagnostics: Iterable[Diagnostic],
    relint: Callable[[str], Sequence[Diagnostic]],
    *,
    unsafe: bool = False,
) -> tuple[FixResult, list[Diagnostic]]:
    """Apply fixes, re-lint the result and apply again, until no fix applies.

    Returns every fix applied (over all passes) with the final text, and the
    diagnostics of that text: a second ``--fix`` changes nothing.
    """
    applied: list[Diagnostic] = []
    current = list(diagnostics)
    for _ in range(MAX_FIX_PASSES):
        result = apply_fixes(text, current, unsafe=unsafe)
        if not result.applied:
            break
        applied.extend(result.applied)
        text = result.text
        current = list(relint(text))
    return FixResult(text, tuple(applied)), current


def _span(starts: list[int], edit: Edit) -> tuple[int, int, str]:
    return (
        offset(starts, edit.line, edit.column),
        offset(starts, edit.end_line, edit.end_column),
        edit.content,
    )


def _overlaps(a: tuple[int, int, str], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def unified_diff(before: str, after: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
