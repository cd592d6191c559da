"""darklint's positions, diagnostics and fixes as LSP types.

darklint's positions are what users see: 1-based lines, 1-based columns
counted in characters (code points), ``end_column`` exclusive.  LSP positions
are 0-based and count columns in the client's code units (UTF-16 unless the
client and server agreed on another encoding), so a line holding an emoji or
a CJK character shifts every column after it.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from darklint.diagnostics import Diagnostic, Edit, Related, Severity
from darklint.references import reference_url
from darklint.registry import rules_by_code
from darklint.rules.dk002_unused_suppression import UnusedSuppression

SOURCE = "darklint"

# Python's and LSP's line breaks.  str.splitlines() (and pygls's
# TextDocument.lines) also break on \f, \v, \x1c, \u2028..., which neither
# Python nor LSP do, so lines after such a character would drift.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their line breaks (a final break ends an empty last line)."""
    return _LINE_BREAK.split(text)


class LineIndex:
    """One text's lines, to turn darklint positions into LSP positions."""

    def __init__(self, text: str, codec: PositionCodec | None = None) -> None:
        self.lines = split_lines(text)
        self.codec = codec or PositionCodec()

    def position(self, line: int, column: int) -> types.Position:
        """darklint's 1-based line and column as an LSP position, clamped to the text.

        Parsers report some errors one line past the end of the file; LSP
        leaves such positions undefined, so they become the end of the text.
        """
        last = len(self.lines) - 1
        index = min(max(line - 1, 0), last)
        text = self.lines[index]
        characters = len(text) if line - 1 > last else min(max(column - 1, 0), len(text))
        return types.Position(line=index, character=self.codec.client_num_units(text[:characters]))

    def range(self, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        start = self.position(line, column)
        end = self.position(end_line, end_column)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return types.Range(start=start, end=end)

    def diagnostic_range(self, diagnostic: Diagnostic) -> types.Range:
        return self.range(
            diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column
        )

    def text_edit(self, edit: Edit) -> types.TextEdit:
        return types.TextEdit(
            range=self.range(edit.line, edit.column, edit.end_line, edit.end_column),
            new_text=edit.content,
        )

    def insertion(self, line: int, column: int, text: str) -> types.TextEdit:
        at = self.position(line, column)
        return types.TextEdit(range=types.Range(start=at, end=at), new_text=text)


# Where a related place is, for a client: None when it cannot be located.
Locate = Callable[[Related], "types.Location | None"]


def same_document(uri: str, index: LineIndex, display: str | None = None) -> Locate:
    """Related places of a plain document: in the document itself, or (a path other than
    ``display``) in another module of the project, located in that file as it is on disk."""
    others: dict[str, LineIndex] = {}

    def locate(related: Related) -> types.Location:
        if display is None or related.path == display:
            return types.Location(
                uri=uri,
                range=index.range(
                    related.line, related.column, related.end_line, related.end_column
                ),
            )
        path = Path(related.path).absolute()
        if related.path not in others:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            others[related.path] = LineIndex(text, index.codec)
        other = others[related.path]
        return types.Location(
            uri=path.as_uri(),
            range=other.range(related.line, related.column, related.end_line, related.end_column),
        )

    return locate


def to_lsp(
    diagnostic: Diagnostic, index: LineIndex, locate: Locate | None = None
) -> types.Diagnostic:
    message = diagnostic.message
    if diagnostic.help:
        # The help is what a quick look at the problem panel should give.
        message = f"{message}\nhelp: {diagnostic.help}"
    if diagnostic.reference is not None:
        # After a line break: clients that show one line (virtual text) keep
        # the finding itself, the problem panel shows both.
        message = f"{message}\nPyTorch reference: {diagnostic.reference}"
    return types.Diagnostic(
        range=index.diagnostic_range(diagnostic),
        message=message,
        severity=_SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        code_description=types.CodeDescription(href=diagnostic.url) if diagnostic.url else None,
        source=SOURCE,
        # Editors grey out an unused suppression instead of underlining it.
        tags=[types.DiagnosticTag.Unnecessary]
        if diagnostic.code == UnusedSuppression.code
        else None,
        related_information=_related_information(diagnostic, locate),
    )


def _related_information(
    diagnostic: Diagnostic, locate: Locate | None
) -> list[types.DiagnosticRelatedInformation] | None:
    if locate is None:
        return None
    found = []
    for related in diagnostic.related:
        location = locate(related)
        if location is not None:
            found.append(
                types.DiagnosticRelatedInformation(location=location, message=related.message)
            )
    return found or None


def fix_edits(diagnostics: Iterable[Diagnostic], index: LineIndex) -> list[types.TextEdit]:
    return [
        index.text_edit(edit)
        for diagnostic in diagnostics
        if diagnostic.fix is not None
        for edit in diagnostic.fix.edits
    ]


def diff_edits(before: str, after: str, index: LineIndex) -> list[types.TextEdit]:
    """Edits that turn ``before`` (the text ``index`` is of) into ``after``.

    One edit per run of changed lines, trimmed to the characters that differ
    (a fix that renames a call is one small edit, as the rule's own would
    be), never splitting a ``\\r\\n``.  For a result that is not a set of
    edits of ``before``: fixes applied over several passes, each on the
    previous pass's text.
    """
    starts = [0, *(match.end() for match in _LINE_BREAK.finditer(before))]
    old_lines = _lines(before)
    new_lines = _lines(after)
    edits = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = starts[i1] if i1 < len(old_lines) else len(before)
        end = starts[i2] if i2 < len(old_lines) else len(before)
        old, new = before[start:end], "".join(new_lines[j1:j2])
        prefix = _common_prefix(old, new)
        if prefix and old[prefix - 1 : prefix + 1] == "\r\n":
            prefix -= 1
        suffix = _common_prefix(old[prefix:][::-1], new[prefix:][::-1])
        if suffix and old[len(old) - suffix - 1 : len(old) - suffix + 1] == "\r\n":
            suffix -= 1
        edits.append(
            types.TextEdit(
                range=types.Range(
                    start=_position(index, starts, start + prefix),
                    end=_position(index, starts, end - suffix),
                ),
                new_text=new[prefix : len(new) - suffix],
            )
        )
    return edits


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their line breaks (Python's and LSP's)."""
    ends = [match.end() for match in _LINE_BREAK.finditer(text)]
    lines = [text[a:b] for a, b in zip([0, *ends], ends, strict=False)]
    if not ends or ends[-1] < len(text):
        lines.append(text[ends[-1] if ends else 0 :])
    return [line for line in lines if line]


def _common_prefix(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    length = 0
    while length < limit and a[length] == b[length]:
        length += 1
    return length


def _position(index: LineIndex, starts: list[int], offset: int) -> types.Position:
    line = bisect.bisect_right(starts, offset)
    return index.position(line, offset - starts[line - 1] + 1)


def hover_markdown(diagnostics: Sequence[Diagnostic]) -> str:
    """The rule behind each diagnostic: summary, documentation and PyTorch reference."""
    parts = []
    for diagnostic in diagnostics:
        rule = rules_by_code().get(diagnostic.code)
        summary = rule.summary() if rule is not None else diagnostic.name
        lines = [f"**{diagnostic.code}** `{diagnostic.name}`: {summary}", ""]
        links = []
        if diagnostic.url:
            links.append(f"[Documentation]({diagnostic.url})")
        if diagnostic.reference:
            links.append(
                f"PyTorch reference: [`{diagnostic.reference}`]({reference_url(diagnostic.reference)})"
            )
        if links:
            lines.append(" · ".join(links))
        parts.append("\n".join(lines).rstrip())
    return "\n\n---\n\n".join(parts)
