"""``--fix`` and ``--diff``: fixes applied to files and to standard input's text.

The fixes themselves are text edits (:mod:`darklint.fixes`); here they are
applied until none applies, to a ``.py`` file's text or a notebook's cells
(:mod:`darklint.notebook_fix`), and written back atomically.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from darklint.config import Target
from darklint.diagnostics import Diagnostic


class FixOutcome:
    """What ``--fix``/``--diff`` did to the files of a run."""

    def __init__(self) -> None:
        self.remaining: list[Diagnostic] = []
        self.crashes: list[str] = []
        # (path, reason): a fix that could not be written (exit 2).
        self.errors: list[tuple[str, str]] = []
        self.fixed = 0
        self.changed = False


def fix_files(
    tasks: Sequence[object],
    diagnostics: list[Diagnostic],
    *,
    unsafe: bool,
    diff: bool,
    out: IO[str],
) -> FixOutcome:
    """Fix every file with a fixable finding; with ``diff``, write diffs to ``out`` instead."""
    from darklint.engine import lint_bytes
    from darklint.fixes import fixable
    from darklint.runner import FileTask
    from darklint.source import Unreadable, decode, encode, read_bytes, write_atomic

    by_display = {task.display: task for task in tasks if isinstance(task, FileTask)}
    grouped: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        grouped[diagnostic.path].append(diagnostic)
    outcome = FixOutcome()
    for display, found in grouped.items():
        task = by_display.get(display)
        if task is None or not any(fixable(d, unsafe) for d in found):
            outcome.remaining.extend(found)
            continue
        try:
            raw = read_bytes(task.path)
            source = decode(raw)
        except Unreadable:
            outcome.remaining.extend(found)
            continue
        if source.lossy:  # writing the text back would change its undecodable bytes
            outcome.remaining.extend(found)
            continue
        # Fixes are positions: they are recomputed from the very bytes being
        # rewritten, in case the file changed since the run linted it (an
        # editor saved it meanwhile).
        found = list(lint_bytes(raw, display, task.enabled, task.target).diagnostics)
        fixed = fix_text(source.text, display, task.enabled, task.target, found, unsafe)
        if not fixed.applied:
            outcome.remaining.extend(found)
            continue
        outcome.changed = True
        if diff:
            out.write(fixed.diff)
            continue
        try:
            write_atomic(task.path, encode(fixed.text, source.encoding))
        except OSError as error:  # the original is intact: write_atomic renames last
            outcome.errors.append((display, f"cannot write: {error.strerror or error}"))
            outcome.remaining.extend(found)
            continue
        outcome.fixed += fixed.applied
        # The diagnostics of the text written (the fixing linted it).
        outcome.remaining.extend(fixed.remaining)
        outcome.crashes.extend(fixed.crashes)
    outcome.remaining.sort(key=Diagnostic.sort_key)
    return outcome


@dataclass
class Fixed:
    """A text after its fixes: how many applied, what remains, and the diff."""

    text: str
    applied: int
    remaining: list[Diagnostic]
    crashes: list[str]
    diff: str


def fix_text(
    text: str,
    display: str,
    enabled: frozenset[str],
    target: Target,
    diagnostics: Sequence[Diagnostic],
    unsafe: bool,
) -> Fixed:
    """Apply the fixes until none applies: a .py file's text, or a notebook's cells."""
    from darklint.fixes import fix_until_stable, unified_diff

    if display.endswith(".ipynb"):
        from darklint.notebook import NotebookError
        from darklint.notebook_fix import fix_notebook

        try:
            done = fix_notebook(text, display, enabled, target, unsafe=unsafe)
        except (NotebookError, ValueError):  # changed since it was linted: nothing to fix
            return Fixed(text, 0, list(diagnostics), [], "")
        return Fixed(
            done.text, len(done.applied), done.remaining, list(done.crashes), done.diff(display)
        )
    crashes: list[str] = []
    fixed, left = fix_until_stable(
        text, diagnostics, _relinter(display, enabled, target, crashes), unsafe=unsafe
    )
    return Fixed(
        fixed.text, len(fixed.applied), left, crashes, unified_diff(text, fixed.text, display)
    )


def _relinter(
    display: str, enabled: frozenset[str], target: Target, crashes: list[str]
) -> Callable[[str], Sequence[Diagnostic]]:
    """Lint fixed text as ``display``; the crashes of the last call go to ``crashes``."""
    from darklint.engine import lint_text

    def relint(text: str) -> Sequence[Diagnostic]:
        outcome = lint_text(text, display, enabled, target=target)
        crashes[:] = outcome.crashes
        return outcome.diagnostics

    return relint
