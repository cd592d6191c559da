"""Jupyter notebooks as Python source.

A notebook's code cells are joined into one Python module (``Notebook.code``)
so that rules see one program, as the kernel does when the cells run in order.
IPython syntax (line and cell magics, shell escapes, ``obj?`` help) is not
Python, so each such line is *masked*: replaced by a line that parses and takes
the same room, never adding or removing a line.  Positions therefore map back
to cells exactly: columns are unchanged and ``locate`` turns a line of
``code`` into (cell, line inside the cell).

Only the standard library is used: no nbformat, which would be a dependency
for the little we need from the format.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

__all__ = [
    "MASK",
    "PYTHON_CELL_MAGICS",
    "CellSpan",
    "Notebook",
    "NotebookError",
    "is_python_notebook",
    "load_notebook",
    "mask_cell",
    "notebook_language",
]

# The comment that marks a masked line: users see it if they dump ``code``.
MASK = "# darklint: masked"
_MASKED_STATEMENT = "pass  " + MASK

# Cell magics that run their body as Python in the kernel's namespace: only
# their first line is IPython syntax.  Every other cell magic (%%bash, %%html,
# %%writefile, %%sql, %%script python, ...) hands the body to something else,
# so the whole cell is masked.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})

# Characters that start an IPython escape at the start of a logical line:
# magics (%), shell (!), help (?), and the autocall escapes (/ , ;).  No
# Python statement can start with any of them, so masking one is never wrong.
_ESCAPES = ("%", "!", "?", "/", ",", ";")

# Python's (and libcst's) line breaks.  str.splitlines() would also split on
# \f, \v, \x1c, \u2028, ... which Python does not, and lines would drift.
_NEWLINE = re.compile(r"\r\n|\r|\n")

# What matters to the line scanner outside strings.
_CODE_EVENT = re.compile(r"[#'\"\\()\[\]{}=]")
# Characters that, just before "=", make it part of another operator
# (==, !=, <=, >=, :=, +=, -=, *=, /=, %=, &=, |=, ^=, @=, **=, //=, >>=, <<=).
_NOT_ASSIGN_BEFORE = frozenset("=!<>:+-*/%&|^@")

_PYTHON_LANGUAGES = frozenset(
    {"python", "python2", "python3", "ipython", "ipython2", "ipython3", "pyspark"}
)


class NotebookError(Exception):
    """The file is not a notebook we can read; the message is user-facing."""


@dataclass(frozen=True)
class CellSpan:
    """Where one code cell sits in ``Notebook.code``.

    ``number`` is the cell's 1-based index over all cells (markdown cells
    count), as users see them in Jupyter.  ``line_count`` is 0 for an empty
    cell, which then takes no room in ``code``.  ``masked`` lists the 1-based
    lines of the cell that were masked: an edit must not touch them, and a
    caller writing ``code`` back into the cell takes those lines from
    ``Notebook.cell_source`` instead.
    """

    number: int
    start_line: int
    line_count: int
    masked: tuple[int, ...] = ()

    @property
    def end_line(self) -> int:
        """The last line of ``code`` that belongs to the cell (``start_line - 1`` when empty)."""
        return self.start_line + self.line_count - 1


@dataclass(frozen=True)
class Notebook:
    """The code cells of a notebook, joined into one Python module."""

    code: str
    cells: tuple[CellSpan, ...] = ()
    # The kernel's language as the metadata gives it ("python" when absent).
    language: str = "python"
    # Every cell's source as stored (a string or the list's elements), by
    # cell number - 1; and the raw .ipynb text, read again only by file_line.
    _parts: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)
    _raw: str = field(default="", repr=False, compare=False)

    @property
    def cell_count(self) -> int:
        """How many cells the notebook has, of every type."""
        return len(self._parts)

    def cell_source(self, cell: int) -> str:
        """The original (unmasked) source of cell number ``cell`` (1-based)."""
        if not 1 <= cell <= len(self._parts):
            raise IndexError(f"no cell {cell} in a notebook of {len(self._parts)} cells")
        return "".join(self._parts[cell - 1])

    def cell_parts(self, cell: int) -> tuple[str, ...]:
        """Cell ``cell``'s source as stored: the strings of its list, or its one string."""
        if not 1 <= cell <= len(self._parts):
            raise IndexError(f"no cell {cell} in a notebook of {len(self._parts)} cells")
        return self._parts[cell - 1]

    def masked_lines(self, cell: int) -> tuple[int, ...]:
        """The 1-based lines of code cell ``cell`` that were masked (magics): never edited."""
        return next((span.masked for span in self.cells if span.number == cell), ())

    def locate(self, line: int) -> tuple[int, int]:
        """Map a 1-based line of ``code`` to (cell number, 1-based line in that cell).

        A line past the end (parsers report end-of-file one line down) maps past
        the end of the last cell that has code.
        """
        starts = self._starts
        if line < 1 or not starts:
            raise ValueError(f"line {line} is not in the notebook's code")
        span = self._spans[bisect_right(starts, line) - 1]
        return span.number, line - span.start_line + 1

    def file_line(self, cell: int, line: int) -> int | None:
        """The 1-based line of the raw .ipynb text holding that source line.

        nbformat writes each source line as its own JSON string on its own
        line, so this points a viewer of the raw file at the right line.  None
        when the line does not exist or the file could not be mapped.
        """
        if not 1 <= cell <= len(self._parts):
            return None
        lines = self._file_lines[cell - 1]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]

    @cached_property
    def _spans(self) -> tuple[CellSpan, ...]:
        return tuple(span for span in self.cells if span.line_count)

    @cached_property
    def _starts(self) -> list[int]:
        return [span.start_line for span in self._spans]

    @cached_property
    def _file_lines(self) -> tuple[tuple[int, ...] | None, ...]:
        # Computed on first use: most notebooks get no diagnostic, and the scan
        # reads the whole file, outputs (often megabytes of images) included.
        found = _source_string_lines(self._raw)
        return tuple(
            _map_source_lines(parts, found.get(index)) for index, parts in enumerate(self._parts)
        )


def notebook_language(data: Mapping[str, Any]) -> str:
    """The kernel language named by a notebook's metadata; "python" when absent.

    ``language_info`` is what the kernel reported when it last ran, so it wins
    over the ``kernelspec`` the notebook was created with.
    """
    metadata = data.get("metadata")
    if not isinstance(metadata, Mapping):
        return "python"
    for key, name_key in (("language_info", "name"), ("kernelspec", "language")):
        section = metadata.get(key)
        if isinstance(section, Mapping):
            name = section.get(name_key)
            if isinstance(name, str) and name.strip():
                return name.strip()
    return "python"


def is_python_notebook(data: Mapping[str, Any]) -> bool:
    """Whether the parsed notebook ``data`` runs Python (or says nothing)."""
    return notebook_language(data).lower() in _PYTHON_LANGUAGES


def load_notebook(raw: str) -> Notebook:
    """Read the text of an .ipynb file; raises NotebookError.

    A notebook for another language (R, Julia, ...) is not an error: it has no
    Python to lint, so its ``code`` is empty.
    """
    # A BOM is legal in a UTF-8 file but json refuses it; it is not a line
    # break, so dropping it moves no line.
    raw = raw.removeprefix("\ufeff")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"invalid notebook JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise NotebookError("invalid notebook JSON: nested too deeply") from None
    cells = _read_cells(data)
    parts = tuple(source for _, source in cells)
    language = notebook_language(data)
    if language.lower() not in _PYTHON_LANGUAGES:
        return Notebook(code="", language=language, _parts=parts, _raw=raw)

    code: list[str] = []
    spans: list[CellSpan] = []
    for number, (cell_type, source) in enumerate(cells, 1):
        if cell_type != "code":
            continue
        lines, masked = mask_cell(_split_lines("".join(source)))
        spans.append(CellSpan(number, len(code) + 1, len(lines), masked))
        code.extend(lines)
    text = "".join(line + "\n" for line in code)
    return Notebook(code=text, cells=tuple(spans), language=language, _parts=parts, _raw=raw)


def _read_cells(data: object) -> list[tuple[str, tuple[str, ...]]]:
    """Check the structure we rely on; return each cell's type and source parts."""
    if not isinstance(data, dict):
        raise NotebookError("not a notebook: the top-level JSON value is not an object")
    cells = data.get("cells")
    if not isinstance(cells, list):
        hint = " (nbformat 3 notebooks are not supported)" if "worksheets" in data else ""
        raise NotebookError(f"not a notebook: missing 'cells' list{hint}")
    result: list[tuple[str, tuple[str, ...]]] = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise NotebookError(f"not a notebook: cell {number} is not an object")
        cell_type = cell.get("cell_type")
        if not isinstance(cell_type, str):
            raise NotebookError(f"not a notebook: cell {number} has no 'cell_type'")
        source = cell.get("source", "")
        if isinstance(source, str):
            result.append((cell_type, (source,)))
        elif isinstance(source, list) and all(isinstance(part, str) for part in source):
            result.append((cell_type, tuple(source)))
        else:
            raise NotebookError(
                f"not a notebook: cell {number} 'source' is not a string or a list of strings"
            )
    return result


def _split_lines(source: str) -> list[str]:
    """The lines of a cell, without their line breaks; a final break ends the last line."""
    lines = _NEWLINE.split(source)
    if lines[-1] == "":
        lines.pop()
    return lines


# --------------------------------------------------------------------------
# Masking


def mask_cell(lines: list[str]) -> tuple[list[str], tuple[int, ...]]:
    """Mask the IPython syntax of one cell's lines.

    Returns the new lines (as many as given) and the 1-based numbers of the
    lines that were masked.
    """
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    # IPython drops leading blank lines and common indentation before it
    # looks for a cell magic, so "%%bash" need not be on the very first line.
    if first is not None and lines[first].lstrip().startswith("%%"):
        header = lines[first].lstrip()[2:].split(maxsplit=1)
        out = list(lines)
        out[first] = _MASKED_STATEMENT
        if header and header[0] in PYTHON_CELL_MAGICS:
            masked = _mask_lines(out, first + 1)
            return out, (first + 1, *masked)
        # The body is bash, HTML, SQL, a file to write...: nothing to lint.
        # Blank lines keep the line count without adding statements.
        rest = range(first + 1, len(lines))
        for i in rest:
            out[i] = ""
        return out, tuple(i + 1 for i in range(first, len(lines)))
    out = list(lines)
    return out, tuple(_mask_lines(out, 0))


def _mask_lines(lines: list[str], start: int) -> list[int]:
    """Mask, in place, the logical lines from ``start`` that are IPython syntax.

    IPython recognises its syntax only at the start (escapes) or the end
    (``?`` help) of a *logical* line, so the scan follows strings, brackets and
    backslash continuations: a ``%`` inside a triple-quoted string or on the
    continuation line of ``(a\\n % b)`` is Python and stays.
    """
    masked: list[int] = []
    state = _LineState()
    logical_start = start
    i = start
    while i < len(lines):
        line = lines[i]
        if state.at_logical_start:
            logical_start = i
            if line.lstrip().startswith(_ESCAPES):
                i = _mask_magic(lines, i, masked)
                continue
        scan = _scan_line(line, state)
        if state.at_logical_start and _assigns_from_magic(line, scan.assign):
            # `x = !ls` / `x = %time f()`: the right side is not Python, so the
            # scanner's view of it (a quote in a shell command...) is dropped.
            i = _mask_magic(lines, i, masked)
            continue
        state = scan.state
        i += 1
        if state.at_logical_start and line[: scan.code_end].rstrip().endswith("?"):
            # `obj?` / `obj??`: help, possibly on a logical line spanning lines.
            _mask_range(lines, logical_start, i, masked)
    return masked


def _mask_magic(lines: list[str], i: int, masked: list[int]) -> int:
    """Mask the magic starting at line ``i`` and its ``\\`` continuations; return the next line."""
    end = i + 1
    while lines[end - 1].endswith("\\") and end < len(lines):
        end += 1
    _mask_range(lines, i, end, masked)
    return end


def _mask_range(lines: list[str], begin: int, end: int, masked: list[int]) -> None:
    """Replace lines[begin:end] (one logical line) by one `pass` and blank lines."""
    first = lines[begin]
    # `pass` at the line's own indentation keeps a block valid when the
    # magic is its only statement: `for x in y:\n    %time f(x)`.
    lines[begin] = first[: len(first) - len(first.lstrip())] + _MASKED_STATEMENT
    for j in range(begin + 1, end):
        lines[j] = ""
    masked.extend(range(begin + 1, end + 1))


@dataclass(frozen=True)
class _LineState:
    """What a physical line inherits from the one before it."""

    quote: str | None = None  # the delimiter of a string still open
    depth: int = 0  # open brackets
    continued: bool = False  # the line before ended with a backslash

    @property
    def at_logical_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued


@dataclass(frozen=True)
class _Scan:
    state: _LineState  # the state after the line
    code_end: int  # where the line's comment starts (its length if none)
    assign: int  # index of the first plain "=" outside brackets, or -1


def _scan_line(line: str, state: _LineState) -> _Scan:
    """Follow strings, comments and brackets through one physical line."""
    quote, depth = state.quote, state.depth
    assign = -1
    i, n = 0, len(line)
    while i < n:
        if quote is not None:
            i = _string_end(line, i, quote)
            if i < 0:
                # Still open: a triple-quoted string, or a one-quote string
                # continued by a backslash.  An unterminated one-quote string
                # is a syntax error; closing it at the line end recovers.
                if len(quote) == 3 or line.endswith("\\"):
                    return _Scan(_LineState(quote, depth), n, assign)
                return _Scan(_LineState(None, depth), n, assign)
            quote = None
            continue
        match = _CODE_EVENT.search(line, i)
        if match is None:
            break
        k = match.start()
        char = line[k]
        i = k + 1
        if char == "#":
            return _Scan(_LineState(None, depth), k, assign)
        if char in "'\"":
            quote = char * 3 if line.startswith(char * 3, k) else char
            i = k + len(quote)
        elif char == "\\":
            if i == n:
                return _Scan(_LineState(None, depth, continued=True), n, assign)
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif (
            depth == 0
            and assign < 0
            and (k == 0 or line[k - 1] not in _NOT_ASSIGN_BEFORE)
            and not line.startswith("=", i)
        ):
            assign = k
    return _Scan(_LineState(quote, depth), n, assign)


def _string_end(line: str, i: int, quote: str) -> int:
    """The index just past the string's closing ``quote`` at or after ``i``; -1 if none."""
    n = len(line)
    while i < n:
        char = line[i]
        if char == "\\":
            i += 2  # whatever follows is escaped, a quote included (raw strings too)
        elif line.startswith(quote, i):
            return i + len(quote)
        else:
            i += 1
    return -1


def _assigns_from_magic(line: str, assign: int) -> bool:
    return assign >= 0 and line[assign + 1 :].lstrip().startswith(("!", "%"))


# --------------------------------------------------------------------------
# Where source lines sit in the raw file

# A JSON string, a structural character, or a line break.  JSON strings hold
# no raw line breaks (json.loads is strict about it), so counting breaks
# between tokens gives every string's line.  Numbers, true/false/null and
# spaces match nothing and are skipped by finditer.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],]|\r\n?|\n')


class _Frame:
    """An open JSON object or array during the scan."""

    __slots__ = ("expect_key", "index", "is_object", "key")

    def __init__(self, is_object: bool) -> None:
        self.is_object = is_object
        self.key: str | None = None
        self.index = 0
        self.expect_key = is_object


@dataclass(frozen=True)
class SourceToken:
    """One token of a cell's ``"source"`` value found by ``source_tokens``.

    ``kind``: ``"string"`` (the source is one string), ``"open"``/``"close"``
    (the brackets of a source list), ``"item"`` (a string of that list), or
    ``"reset"`` (a new top-level ``"cells"`` key: forget what came before, as
    json.loads keeps the last of repeated keys; ``cell`` is -1 then).
    """

    kind: str
    cell: int  # 0-based index of the cell in "cells"
    start: int  # offsets of the token in the raw text
    end: int
    line: int  # 1-based raw line of the token


def source_tokens(raw: str) -> Iterator[SourceToken]:
    """The tokens of every cell's ``"source"`` value in the raw .ipynb text, in order.

    One scan serves both readers: ``file_line`` (which raw line holds a
    source line) and ``notebook_fix`` (where to splice a new source).
    """
    stack: list[_Frame] = []
    line = 1

    def in_source(depth: int) -> bool:
        return len(stack) == depth and _in_cell(stack) and stack[2].key == "source"

    for match in _JSON_TOKEN.finditer(raw):
        token = match.group()
        char = token[0]
        if char == '"':
            top = stack[-1] if stack else None
            if top is not None and top.is_object and top.expect_key:
                top.key = token[1:-1] if "\\" not in token else json.loads(token)
                top.expect_key = False
                if len(stack) == 1 and top.key == "cells":
                    yield SourceToken("reset", -1, match.start(), match.end(), line)
            elif in_source(3):
                yield SourceToken("string", stack[1].index, match.start(), match.end(), line)
            elif in_source(4) and not stack[3].is_object:
                yield SourceToken("item", stack[1].index, match.start(), match.end(), line)
        elif char in "{[":
            stack.append(_Frame(char == "{"))
            if char == "[" and in_source(4):
                yield SourceToken("open", stack[1].index, match.start(), match.end(), line)
        elif char in "}]":
            if char == "]" and in_source(4) and not stack[3].is_object:
                yield SourceToken("close", stack[1].index, match.start(), match.end(), line)
            if stack:
                stack.pop()
        elif char == ",":
            if stack:
                top = stack[-1]
                if top.is_object:
                    top.expect_key = True
                else:
                    top.index += 1
        else:
            line += 1


def _source_string_lines(raw: str) -> dict[int, list[int]]:
    """For each cell index, the 1-based raw line of each string of its ``source``.

    A repeated key is handled as json.loads does (the last one wins), so the
    strings found always line up with the parsed cells.
    """
    found: dict[int, list[int]] = {}
    for token in source_tokens(raw):
        if token.kind == "reset":
            found.clear()
        elif token.kind == "string":
            found[token.cell] = [token.line]
        elif token.kind == "open":
            found[token.cell] = []
        elif token.kind == "item":
            found.setdefault(token.cell, []).append(token.line)
    return found


def _in_cell(stack: list[_Frame]) -> bool:
    """Whether the scan is inside the object of one element of the top-level "cells"."""
    return (
        stack[0].is_object
        and stack[0].key == "cells"
        and not stack[1].is_object
        and stack[2].is_object
    )


def _map_source_lines(
    parts: tuple[str, ...], string_lines: list[int] | None
) -> tuple[int, ...] | None:
    """The raw line of each source line: the line of the JSON string where it begins.

    nbformat stores one line per string, but any split is valid JSON, so the
    mapping goes through character offsets rather than assuming one.
    """
    if string_lines is None or len(string_lines) != len(parts):
        return None
    part_starts: list[int] = []
    offset = 0
    for part in parts:
        part_starts.append(offset)
        offset += len(part)
    source = "".join(parts)
    line_starts = [0, *(match.end() for match in _NEWLINE.finditer(source))]
    if line_starts[-1] == len(source):
        line_starts.pop()  # the final line break starts no line
    # bisect_right picks the last part starting at or before the line start:
    # past any empty parts, which hold no line.
    return tuple(string_lines[bisect_right(part_starts, start) - 1] for start in line_starts)
