"""The default, human-readable format.

One line per diagnostic (``path:line:col: CODE [slug] message``), an optional
source frame under it, the related places and the help (rustc's and ruff's
``  = note:`` / ``  = help:`` lines), then a summary.  The first line's shape
is a contract: editors and ``grep`` parse it, so change it only with a
changelog entry; the indented lines under it never match that shape.
"""

from __future__ import annotations

from darklint.diagnostics import Diagnostic, Related
from darklint.output import OutputContext


def _has_safe_fix(diagnostic: Diagnostic) -> bool:
    return diagnostic.fix is not None and diagnostic.fix.safe


def format_location(diagnostic: Diagnostic | Related) -> str:
    """``path:line:col`` or, inside a notebook, ``path:cell N:line:col``."""
    position = f"{diagnostic.line}:{diagnostic.column}"
    if diagnostic.cell is None:
        return f"{diagnostic.path}:{position}"
    return f"{diagnostic.path}:cell {diagnostic.cell}:{position}"


def notes(diagnostic: Diagnostic) -> list[str]:
    """The related places, then the help, as indented lines under the finding."""
    lines = [f"  = note: {item.message}: {format_location(item)}" for item in diagnostic.related]
    if diagnostic.help:
        lines.append(f"  = help: {diagnostic.help}")
    return lines


def format_line(diagnostic: Diagnostic) -> str:
    location = format_location(diagnostic)
    line = f"{location}: {diagnostic.code} [{diagnostic.name}] {diagnostic.message}"
    # Only safe fixes are applied by a plain --fix, so only those are advertised.
    if _has_safe_fix(diagnostic):
        line += " (fixable)"
    return line


def source_frame(diagnostic: Diagnostic, source: str) -> list[str]:
    """The source line and a caret line under the reported span."""
    text = source.rstrip("\r\n")
    start = min(max(diagnostic.column - 1, 0), len(text))
    # A multi-line span is underlined to the end of its first line; a span
    # past the line's end (stale source, trailing newline) is clipped to it.
    width = len(text) - start
    if diagnostic.end_line == diagnostic.line:
        width = min(width, diagnostic.end_column - diagnostic.column)
    # Keep tabs in the padding so the carets line up under tab-indented code.
    padding = "".join(ch if ch == "\t" else " " for ch in text[:start])
    return [f"  | {text}", f"  | {padding}{'^' * max(width, 1)}"]


def summary(
    diagnostics: list[Diagnostic], fixable_hint: bool, *, failed: bool = False
) -> list[str]:
    if not diagnostics:
        # A run that failed (or linted nothing) passed no check.
        return [] if failed else ["All checks passed!"]
    count = len(diagnostics)
    lines = [f"Found {count} problem{'' if count == 1 else 's'}."]
    fixable = sum(1 for d in diagnostics if _has_safe_fix(d))
    if fixable_hint and fixable:
        lines.append(f"{fixable} fixable with the --fix option.")
    # Unsafe fixes change behaviour somewhere: never applied unasked (ruff's wording).
    hidden = sum(1 for d in diagnostics if d.fix is not None and not d.fix.safe)
    if fixable_hint and hidden:
        fixes = "fix" if hidden == 1 else "fixes"
        lines.append(f"{hidden} hidden {fixes} can be enabled with the --unsafe-fixes option.")
    return lines


def render_text(ctx: OutputContext) -> str:
    diagnostics = list(ctx.diagnostics)
    lines: list[str] = []
    for diagnostic in diagnostics:
        lines.append(format_line(diagnostic))
        if ctx.show_source and ctx.source_line is not None:
            source = ctx.source_line(diagnostic)
            if source is not None:
                lines.extend(source_frame(diagnostic, source))
        lines.extend(notes(diagnostic))
    closing = summary(diagnostics, ctx.fixable_hint, failed=bool(ctx.errors) or ctx.nothing_linted)
    if lines and closing:
        lines.append("")
    lines.extend(closing)
    return "\n".join(lines) + "\n" if lines else ""
