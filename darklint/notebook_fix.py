"""Fixes written back into a notebook: the cell sources change, no other byte does.

A notebook is JSON that other tools wrote (Jupyter, nbformat, VS Code), each
with its own indentation, key order and escaping, and it holds outputs and
metadata darklint knows nothing about.  Re-serialising it would rewrite all
of that, so the new source of a fixed cell is spliced into the raw text in
place of the old ``"source"`` value, written as the old one was: a list of
lines stays a list (the same separators, and every unchanged line keeps its
original JSON string, escapes included), a string stays a string, and
non-ASCII characters are escaped only in a file whose writer escapes them.

Fixes come from the engine in cell coordinates (``engine._to_cells``), never
touching a masked line (a magic), so they apply to the cell's original source
as they would to a ``.py`` file.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from darklint.config import Target
from darklint.diagnostics import Diagnostic
from darklint.fixes import MAX_FIX_PASSES, apply_fixes, unified_diff
from darklint.notebook import _NEWLINE, Notebook, load_notebook, source_tokens


@dataclass
class _Span:
    """Where a cell's ``"source"`` value is in the raw text; ``items``: a list's strings."""

    start: int
    end: int
    items: list[tuple[int, int]] | None = None


def _source_spans(raw: str) -> dict[int, _Span]:
    """Each cell's (0-based index) ``"source"`` value: its offsets, and a list's strings."""
    spans: dict[int, _Span] = {}
    for token in source_tokens(raw):
        if token.kind == "reset":
            spans.clear()
        elif token.kind == "string":
            spans[token.cell] = _Span(token.start, token.end)
        elif token.kind == "open":
            spans[token.cell] = _Span(token.start, -1, [])
        elif token.kind == "item" and token.cell in spans:
            items = spans[token.cell].items
            if items is not None:
                items.append((token.start, token.end))
        elif token.kind == "close" and token.cell in spans:
            spans[token.cell].end = token.end
    return spans


# A \u escape of a character beyond ASCII: the writer escaped non-ASCII text.
_NON_ASCII_ESCAPE = re.compile(r"\\u(?!00[0-7])[0-9a-fA-F]{4}")


def _escapes_non_ascii(raw: str) -> bool:
    """Whether the file's writer escapes non-ASCII characters (``json.dumps``'s default).

    nbformat writes them as they are, so that is the default when the file
    shows neither.
    """
    return raw.isascii() and _NON_ASCII_ESCAPE.search(raw) is not None


def _lines(source: str) -> list[str]:
    """The source's lines, each with its line break (how nbformat splits a source)."""
    ends = [match.end() for match in _NEWLINE.finditer(source)]
    lines = [source[a:b] for a, b in zip([0, *ends], ends, strict=False)]
    rest = source[ends[-1] if ends else 0 :]
    return [*lines, rest] if rest else lines


def _render_list(
    raw: str, span: _Span, old_parts: Sequence[str], new_source: str, ascii_only: bool
) -> str:
    items = span.items or []
    new_parts = _lines(new_source)
    old_tokens = [raw[start:end] for start, end in items]
    if len(old_tokens) != len(old_parts):  # not the list that was parsed: write it afresh
        old_tokens, old_parts = [], []
    tokens: list[str] = []
    matcher = difflib.SequenceMatcher(None, list(old_parts), new_parts, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            tokens.extend(old_tokens[i1:i2])
        else:
            tokens.extend(json.dumps(part, ensure_ascii=ascii_only) for part in new_parts[j1:j2])
    if not tokens:
        return "[]"
    if not items:
        return "[" + ", ".join(tokens) + "]"
    # The writer's own layout: what follows "[", separates two strings, precedes "]".
    opening = raw[span.start + 1 : items[0][0]]
    separator = raw[items[0][1] : items[1][0]] if len(items) > 1 else "," + opening
    closing = raw[items[-1][1] : span.end - 1]
    return "[" + opening + separator.join(tokens) + closing + "]"


def replace_cell_sources(raw: str, notebook: Notebook, sources: Mapping[int, str]) -> str:
    """``raw`` (the notebook's text) with the sources of the cells numbered in ``sources`` replaced."""
    spans = _source_spans(raw)
    ascii_only = _escapes_non_ascii(raw)
    # From the end, so that earlier offsets stay valid.
    for number in sorted(sources, reverse=True):
        span = spans.get(number - 1)
        if span is None or span.end < 0:
            raise ValueError(f"cell {number}: its source was not found in the file")
        if span.items is None:
            text = json.dumps(sources[number], ensure_ascii=ascii_only)
        else:
            old_parts = notebook.cell_parts(number)
            text = _render_list(raw, span, old_parts, sources[number], ascii_only)
        raw = raw[: span.start] + text + raw[span.end :]
    return raw


@dataclass
class NotebookFix:
    """The notebook's text after its fixes, and what they did."""

    text: str
    applied: list[Diagnostic] = field(default_factory=list)
    # The diagnostics of the fixed notebook (``--fix`` reports them).
    remaining: list[Diagnostic] = field(default_factory=list)
    crashes: tuple[str, ...] = ()
    # (cell number, source before, source after) of each changed cell.
    changes: list[tuple[int, str, str]] = field(default_factory=list)

    def diff(self, display: str) -> str:
        """One unified diff per changed cell, named ``path:cell N``."""
        return "".join(
            unified_diff(before, after, f"{display}:cell {number}")
            for number, before, after in self.changes
        )


def fix_notebook(
    text: str, display: str, enabled: frozenset[str], target: Target = (), *, unsafe: bool = False
) -> NotebookFix:
    """Apply the fixes of notebook ``text`` until none applies (as ``fixes.fix_until_stable``)."""
    from darklint.engine import lint_text

    original = notebook = load_notebook(text)
    outcome = lint_text(notebook.code, display, enabled, notebook=notebook, target=target)
    result = NotebookFix(text, remaining=list(outcome.diagnostics), crashes=outcome.crashes)
    for _ in range(MAX_FIX_PASSES):
        by_cell: dict[int, list[Diagnostic]] = defaultdict(list)
        for diagnostic in outcome.diagnostics:
            if diagnostic.fix is not None and diagnostic.cell is not None:
                by_cell[diagnostic.cell].append(diagnostic)
        sources: dict[int, str] = {}
        for number, found in by_cell.items():
            fixed = apply_fixes(notebook.cell_source(number), found, unsafe=unsafe)
            if fixed.applied:
                sources[number] = fixed.text
                result.applied.extend(fixed.applied)
        if not sources:
            break
        result.text = replace_cell_sources(result.text, notebook, sources)
        notebook = load_notebook(result.text)
        outcome = lint_text(notebook.code, display, enabled, notebook=notebook, target=target)
        result.remaining, result.crashes = list(outcome.diagnostics), outcome.crashes
    result.changes = [
        (number, original.cell_source(number), notebook.cell_source(number))
        for number in range(1, original.cell_count + 1)
        if original.cell_source(number) != notebook.cell_source(number)
    ]
    return result
