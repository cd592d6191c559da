"""Apply the fixes carried by diagnostics to source text, and show them as diffs.

Fixes are text edits (the engine turned libcst node replacements into
ranges), so applying them keeps everything the rule did not touch: comments,
formatting, encoding, line endings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from darklint.diagnostics import Diagnostic, Edit
from darklint.source import line_starts, offset

if TYPE_CHECKING:
    import libcst as cst


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


# Building replacements (for rules) ---------------------------------------------


def call_keeping(
    call: cst.Call, kept: Sequence[cst.Arg], *, method: str | None = None
) -> cst.Call | None:
    """``call`` with only the ``kept`` arguments (and ``method`` for its attribute).

    Every comment of the call stays.  The dropped arguments go with their
    commas and whitespace, so a comment among them (``verbose=0,  # quiet``,
    or on its own line above one) is about what goes: None (no fix) then.  A
    comment after the last kept argument's comma (``x,  # the batch``) is
    about that argument: the comma stays, with it.  Only libcst nodes are
    built: the engine writes them out where the call is.
    """
    import libcst as cst

    dropped = [arg for arg in call.args if arg not in kept]
    if not kept or any(_has_comment(arg) for arg in dropped):
        return None
    *before, last = kept
    comma = last.comma
    if isinstance(comma, cst.Comma) and _has_comment(comma):
        after = comma.whitespace_after
        if dropped and isinstance(after, cst.ParenthesizedWhitespace):
            if any(line.comment is not None for line in after.empty_lines):
                return None  # on its own line above a dropped argument: about it
            # The comment's line ends the arguments: `)` goes on the next
            # line, at the statement's indentation (if that line had it).
            after = after.with_changes(empty_lines=(), last_line=cst.SimpleWhitespace(""))
        last = last.with_changes(comma=comma.with_changes(whitespace_after=after))
    else:
        last = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    func = call.func
    if method is not None:
        if not isinstance(func, cst.Attribute):
            return None
        func = func.with_changes(attr=cst.Name(method))
    return call.with_changes(func=func, args=[*before, last])


def _has_comment(node: cst.CSTNode) -> bool:
    import libcst as cst

    return any(isinstance(inner, cst.Comment) for inner in _walk(node))


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and every node inside it (no recursion: any depth)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))
