"""What the server lints, with which rules, and the edits it offers.

Nothing here knows about LSP transport: these functions take text and paths
and return darklint data, so the server can run them in a worker thread.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from darklint.config import ConfigError, Target
from darklint.diagnostics import Diagnostic
from darklint.engine import FileOutcome, lint_text
from darklint.fixes import fix_until_stable
from darklint.hierarchy import Hierarchy
from darklint.notebook import Notebook, load_notebook
from darklint.registry import rules_by_code
from darklint.rules.dk001_syntax_error import SyntaxErrorInFile
from darklint.rules.dk002_unused_suppression import UnusedSuppression
from darklint.selection import SelectorError, default_codes
from darklint.source import line_starts
from darklint.suppressions import scan

# Engine diagnostics that no comment can silence: a file that does not parse
# is never scanned for suppressions, and DK002 is about the comments themselves.
UNSUPPRESSIBLE = frozenset({SyntaxErrorInFile.code, UnusedSuppression.code})


@dataclass(frozen=True)
class Settings:
    """The rules and target settings of one document, and why the defaults are used if they are."""

    enabled: frozenset[str]
    config_error: str | None = None
    target: Target = ()


def settings_for(path: Path | None, fallback: Path) -> Settings:
    """The nearest ``[tool.darklint]`` applied to ``path`` as ``darklint check`` would.

    ``fallback`` (the workspace root) is where an unsaved document looks for
    its configuration.  A broken configuration stops the CLI with exit code 2;
    an editor must keep working, so the defaults are used and the error is
    returned for the server to show.
    """
    # A fresh hierarchy each time: the configuration is read again at every
    # lint, so an edit to it applies from the next one.
    try:
        if path is None:
            scope = Hierarchy().scope_of_directory(fallback)
            return Settings(scope.selection.enabled, target=scope.config.target)
        found = Hierarchy().settings_for(path)
    except (ConfigError, SelectorError) as error:
        return Settings(default_codes(), str(error))
    return Settings(found.enabled, target=found.target)


def lint_python(text: str, display: str, settings: Settings) -> FileOutcome:
    return lint_text(text, display, settings.enabled, target=settings.target)


def fix_all(text: str, diagnostics: Sequence[Diagnostic], display: str, settings: Settings) -> str:
    """``text`` as ``darklint --fix`` writes it: its safe fixes, until none applies.

    One pass applies the first of overlapping fixes; the text is then linted
    again and the fixes it offers applied, until no fix applies
    (``fixes.fix_until_stable``, as the CLI does): ``g.predict(h.predict(x))``
    needs two passes.
    """
    fixed, _ = fix_until_stable(
        text, diagnostics, lambda again: lint_python(again, display, settings).diagnostics
    )
    return fixed.text


@dataclass(frozen=True)
class NotebookCellText:
    """One cell as the client holds it: its kind and language decide whether it is Python."""

    uri: str
    text: str
    python: bool


def build_notebook(cells: Sequence[NotebookCellText]) -> Notebook:
    """The cells as darklint's notebook model, numbered as the client orders them.

    A cell that is not Python (markdown, or a code cell in another language)
    is kept as a non-code cell, so diagnostics' cell numbers index ``cells``.
    """
    data: dict[str, object] = {
        "cells": [
            {"cell_type": "code" if cell.python else "raw", "metadata": {}, "source": cell.text}
            for cell in cells
        ],
        "metadata": {},
    }
    return load_notebook(json.dumps(data))


def lint_notebook(
    cells: Sequence[NotebookCellText], display: str, settings: Settings
) -> dict[str, list[Diagnostic]]:
    """Diagnostics by cell URI (every cell has an entry, so stale ones are cleared)."""
    notebook = build_notebook(cells)
    outcome = lint_text(
        notebook.code, display, settings.enabled, notebook=notebook, target=settings.target
    )
    by_cell: dict[str, list[Diagnostic]] = {cell.uri: [] for cell in cells}
    for diagnostic in outcome.diagnostics:
        if diagnostic.cell is not None and 1 <= diagnostic.cell <= len(cells):
            by_cell[cells[diagnostic.cell - 1].uri].append(diagnostic)
    return by_cell


def suppression_insert(text: str, line: int, code: str) -> tuple[int, int, str] | None:
    """Where to insert what on ``line`` so that ``code`` is suppressed there.

    Returns (1-based line, 1-based column, text to insert), or None when no
    comment on that line would work.  An existing ``# darklint: ignore[...]``
    or ``# noqa: ...`` gets the code added to its list: a second suppression
    comment on the same line would not be read.  The result is checked by
    scanning the edited text the way the engine does, so a line that ends
    inside a string is refused, and so is one that ends with a backslash.
    """
    rule = rules_by_code().get(code)
    if rule is None or code in UNSUPPRESSIBLE:
        return None
    starts = line_starts(text)
    if not 1 <= line <= len(starts):
        return None
    end = starts[line] if line < len(starts) else len(text)
    current = text[starts[line - 1] : end].rstrip("\r\n")
    existing = scan(text).by_line.get(line, [])
    if existing:
        suppression = existing[0]
        if not suppression.tokens:
            return None  # a bare suppression already silences everything
        span = current[suppression.column - 1 : suppression.end_column - 1]
        # The ignore[...] form ends with its bracket, the noqa form with its last code.
        at = suppression.end_column - 2 if span.endswith("]") else suppression.end_column - 1
        insert = f", {code}"
    else:
        at = len(current.rstrip())
        if current[:at].endswith("\\"):
            # Nothing may follow a line continuation, not even a comment
            # (tokenize is lenient about it, the compiler is not).
            return None
        insert = f"  # darklint: ignore[{code}]"
    offset = starts[line - 1] + at
    edited = text[:offset] + insert + text[offset:]
    names = rule.slug_names()
    if not any(s.matches(code, names) is not None for s in scan(edited).by_line.get(line, [])):
        return None
    return line, at + 1, insert
