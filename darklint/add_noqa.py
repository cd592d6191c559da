"""``--add-noqa``: a ``# noqa: DKxxx`` on every reported line (ruff's flag).

A team adopting darklint on a large legacy repository silences today's
findings in place and gates only new code.  For each finding the comment goes
on the line the engine matches suppressions on (``engine._apply_suppressions``:
the finding's first line, else its last), so a rerun reports nothing:

* an existing ``# noqa: ...`` (or ``# darklint: ignore[...]``) on that line
  gets the codes added, its own kept, sorted and without repeats (a second
  suppression comment on one line would not be read);
* a bare ``# noqa`` already silences everything: left alone;
* a line that ends inside a string (a multi-line string literal) or with a
  backslash continuation cannot take a comment: the other candidate line is
  used, and when neither can, the finding is skipped with a warning;
* DK001 and DK002 cannot be suppressed (a file that does not parse; the
  suppressions themselves) and are left to be fixed.

Files are written atomically, as ``--fix`` writes them.
"""

from __future__ import annotations

import io
import tokenize
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from darklint.diagnostics import Diagnostic
from darklint.notebook import Notebook
from darklint.source import line_starts
from darklint.suppressions import Suppression, scan

# The engine's diagnostics no comment can silence.
UNSUPPRESSIBLE = frozenset({"DK001", "DK002"})
# Python 3.12 splits f-strings into tokens; the middle part may span lines.
_FSTRING_MIDDLE = getattr(tokenize, "FSTRING_MIDDLE", -1)


@dataclass
class NoqaEdit:
    """The outcome for one text: the new text and what could not be done."""

    text: str
    # How many lines got a comment or more codes.
    added: int = 0
    # (diagnostic, why) of each finding no comment could be added for.
    skipped: list[tuple[Diagnostic, str]] = field(default_factory=list)


def unsafe_lines(text: str) -> set[int]:
    """Lines whose end no comment may follow: inside a string, or after a ``\\``.

    Found with :mod:`tokenize`, as suppressions are: a string token spanning
    several lines makes every line it does not end on unsafe.
    """
    lines = text.splitlines()
    unsafe = {
        number
        for number, line in enumerate(lines, 1)
        if line.rstrip().endswith("\\") and "#" not in line
    }
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            start, end = token.start[0], token.end[0]
            if end > start and token.type in (tokenize.STRING, _FSTRING_MIDDLE):
                unsafe.update(range(start, end))
    except (tokenize.TokenError, SyntaxError):
        # Not tokenizable: no line is known to be safe.
        return set(range(1, len(lines) + 1))
    return unsafe


def add_noqa(text: str, diagnostics: Iterable[Diagnostic]) -> NoqaEdit:
    """``text`` with a noqa comment for every diagnostic (all of one file, or one cell)."""
    result = NoqaEdit(text)
    unsafe = unsafe_lines(text)
    codes_by_line: dict[int, set[str]] = defaultdict(set)
    for diagnostic in diagnostics:
        if diagnostic.code in UNSUPPRESSIBLE:
            continue
        candidates = dict.fromkeys((diagnostic.line, diagnostic.end_line))
        line = next((number for number in candidates if number not in unsafe), None)
        if line is None:
            result.skipped.append((diagnostic, "the line ends inside a string"))
            continue
        codes_by_line[line].add(diagnostic.code)
    if not codes_by_line:
        return result
    existing = scan(text).by_line
    starts = line_starts(text)
    # From the last line up, so that earlier offsets stay valid.
    for line in sorted(codes_by_line, reverse=True):
        if line > len(starts):
            continue
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(text)
        body = text[start:end]
        content = body.rstrip("\r\n")
        new_content, added = _with_codes(content, existing.get(line, []), codes_by_line[line])
        if added:
            result.text = (
                result.text[:start] + new_content + body[len(content) :] + result.text[end:]
            )
            result.added += added
    return result


def _with_codes(
    content: str, suppressions: Sequence[Suppression], codes: set[str]
) -> tuple[str, int]:
    """The line with ``codes`` suppressed, and how many codes were added."""
    if not suppressions:
        return f"{content.rstrip()}  # noqa: {', '.join(sorted(codes))}", len(codes)
    suppression = suppressions[0]
    if not suppression.tokens:
        return content, 0  # a bare suppression already silences every code
    present = {token.upper() for token in suppression.tokens}
    new = {code for code in codes if code not in present}
    if not new:
        return content, 0
    tokens = sorted(dict.fromkeys([*suppression.tokens, *new]))
    written = content[suppression.column - 1 : suppression.end_column - 1]
    if written.lstrip("#").lstrip().lower().startswith("darklint"):
        replacement = f"# darklint: ignore[{', '.join(tokens)}]"
    else:
        replacement = f"# noqa: {', '.join(tokens)}"
    return (
        content[: suppression.column - 1] + replacement + content[suppression.end_column - 1 :],
        len(new),
    )


def add_noqa_to_notebook(
    raw: str, notebook: Notebook, diagnostics: Iterable[Diagnostic]
) -> NoqaEdit:
    """The notebook's text with the comments added in its cells' sources.

    The comments are placed on the joined code (``Notebook.code``, magics
    masked, so that it tokenizes as Python), then each changed line is
    written into its cell; masked lines never change (no finding is on one).
    """
    from darklint.notebook_fix import replace_cell_sources

    starts = {span.number: span.start_line for span in notebook.cells}
    originals: dict[int, Diagnostic] = {}
    in_code = []
    for diagnostic in diagnostics:
        if diagnostic.cell not in starts:
            continue
        offset = starts[diagnostic.cell] - 1
        moved = replace(
            diagnostic, line=diagnostic.line + offset, end_line=diagnostic.end_line + offset
        )
        originals[id(moved)] = diagnostic
        in_code.append(moved)
    edited = add_noqa(notebook.code, in_code)
    # What was skipped, said in the cell's coordinates.
    skipped = [(originals[id(moved)], why) for moved, why in edited.skipped]
    result = NoqaEdit(raw, edited.added, skipped)
    if not edited.added:
        return result
    sources: dict[int, list[str]] = {}
    old_lines, new_lines = notebook.code.split("\n"), edited.text.split("\n")
    for number, (old, new) in enumerate(zip(old_lines, new_lines, strict=True), 1):
        if old == new:
            continue
        cell, line = notebook.locate(number)
        if cell not in sources:
            sources[cell] = _keepends(notebook.cell_source(cell))
        kept = sources[cell][line - 1]
        sources[cell][line - 1] = new + kept[len(kept.rstrip("\r\n")) :]
    result.text = replace_cell_sources(
        raw, notebook, {cell: "".join(lines) for cell, lines in sources.items()}
    )
    return result


def _keepends(source: str) -> list[str]:
    from darklint.notebook_fix import _lines

    return _lines(source)


def add_noqa_to_files(
    tasks: Iterable[object], diagnostics: Iterable[Diagnostic], warn: Callable[[str], None]
) -> tuple[int, list[tuple[str, str]]]:
    """Add the comments to every file with findings; (how many added, write errors)."""
    from darklint.notebook import NotebookError, load_notebook
    from darklint.runner import FileTask
    from darklint.source import Unreadable, decode, encode, read_bytes, write_atomic

    paths = {task.display: task.path for task in tasks if isinstance(task, FileTask)}
    grouped: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        grouped[diagnostic.path].append(diagnostic)
    added = 0
    errors: list[tuple[str, str]] = []
    for display, found in grouped.items():
        path = paths.get(display)
        if path is None or all(d.code in UNSUPPRESSIBLE for d in found):
            continue
        try:
            source = decode(read_bytes(path))
            if source.lossy:  # writing it back would change its undecodable bytes
                continue
            if display.endswith(".ipynb"):
                edit = add_noqa_to_notebook(source.text, load_notebook(source.text), found)
            else:
                edit = add_noqa(source.text, found)
        except (Unreadable, NotebookError, ValueError):
            continue
        for diagnostic, why in edit.skipped:
            where = f"cell {diagnostic.cell}:" if diagnostic.cell is not None else ""
            warn(f"{display}:{where}{diagnostic.line}: no noqa added for {diagnostic.code}: {why}")
        if not edit.added:
            continue
        try:
            write_atomic(path, encode(edit.text, source.encoding))
        except OSError as error:  # the original is intact: write_atomic renames last
            errors.append((display, f"cannot write: {error.strerror or error}"))
            continue
        added += edit.added
    return added, errors
