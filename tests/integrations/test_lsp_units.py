"""The language server's pure parts, case by case: positions, suppressions,
notebooks, and that a failure while linting is logged rather than raised.

The end-to-end behaviour is in ``test_lsp.py``; these cases are the corners
that are slow or awkward to reach through a client.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace import Workspace
from pygls.workspace.position_codec import PositionCodec

from darklint.diagnostics import Diagnostic, Severity
from darklint.fixes import apply_fixes, fix_until_stable
from darklint.lsp.convert import LineIndex, diff_edits, hover_markdown, to_lsp
from darklint.lsp.linting import (
    NotebookCellText,
    Settings,
    lint_notebook,
    lint_python,
    suppression_insert,
)
from darklint.lsp.server import FIX_ALL_KIND, DarklintServer, _guarded, _wanted
from darklint.selection import default_codes

GAN = textwrap.dedent(
    """\
    import keras
    g = keras.Sequential([keras.layers.Dense(2)])
    d = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    d.compile(optimizer="adam", loss="binary_crossentropy")
    for step in range(100):
        fake = g.predict(noise[:16])
        d.train_on_batch(fake, zeros)
    """
)
DEFAULTS = Settings(default_codes())


def _position(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        (types.PositionEncodingKind.Utf16, 7),  # the emoji is a surrogate pair
        (types.PositionEncodingKind.Utf32, 6),  # code points, as darklint counts
        (types.PositionEncodingKind.Utf8, 9),  # 4 bytes
    ],
)
def test_columns_follow_the_negotiated_encoding(
    encoding: types.PositionEncodingKind, expected: int
) -> None:
    index = LineIndex('x = "😀" + y\n', PositionCodec(encoding))
    # darklint column 7 (1-based) is the closing quote, after the emoji.
    assert index.position(1, 7) == _position(0, expected)


def test_lines_break_like_python_not_like_splitlines() -> None:
    # \f and \x1c are line breaks for str.splitlines() but not for Python or LSP.
    index = LineIndex("a = 1\r\nb = '\f\x1c'\rc = 2\n")
    assert index.lines == ["a = 1", "b = '\f\x1c'", "c = 2", ""]
    assert index.position(3, 1) == _position(2, 0)


def test_positions_are_clamped_to_the_text() -> None:
    index = LineIndex("ab\ncd")
    assert index.position(2, 99) == _position(1, 2)
    # Parsers report end-of-file one line down: it becomes the end of the text.
    assert index.position(5, 1) == _position(1, 2)
    # An end before the start (never from darklint, but harmless) collapses.
    assert index.range(2, 2, 1, 1) == types.Range(start=_position(1, 1), end=_position(1, 1))


def test_diagnostic_conversion() -> None:
    [diagnostic] = lint_python(GAN, "gan.py", DEFAULTS).diagnostics
    converted = to_lsp(diagnostic, LineIndex(GAN))
    assert converted.code == "DK202"
    assert converted.source == "darklint"
    assert converted.severity == types.DiagnosticSeverity.Warning
    assert converted.range == types.Range(start=_position(5, 11), end=_position(5, 32))
    assert converted.tags is None
    unused = lint_python("import keras\nx = 1  # noqa: DK101\n", "x.py", DEFAULTS).diagnostics
    assert [d.code for d in unused] == ["DK002"]
    assert to_lsp(unused[0], LineIndex("")).tags == [types.DiagnosticTag.Unnecessary]


def test_hover_lists_every_rule_under_the_cursor() -> None:
    [diagnostic] = lint_python(GAN, "gan.py", DEFAULTS).diagnostics
    text = hover_markdown([diagnostic, diagnostic])
    assert text.count("**DK202**") == 2
    assert "---" in text
    assert (
        "[`reference_impls/gan.py`](https://github.com/darklint/darklint/blob/main/reference_impls/gan.py)"
        in text
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "    fake = g.predict(noise[:16])",
            "    fake = g.predict(noise[:16])  # darklint: ignore[DK202]",
        ),
        (
            "    fake = g.predict(noise[:16])   ",
            "    fake = g.predict(noise[:16])  # darklint: ignore[DK202]   ",
        ),
        (
            "    fake = g.predict(noise[:16])  # darklint: ignore[DK101]",
            "    fake = g.predict(noise[:16])  # darklint: ignore[DK101, DK202]",
        ),
        (
            "    fake = g.predict(noise[:16])  # noqa: E501",
            "    fake = g.predict(noise[:16])  # noqa: E501, DK202",
        ),
        (
            "    fake = g.predict(noise[:16])  # type: ignore",
            "    fake = g.predict(noise[:16])  # type: ignore  # darklint: ignore[DK202]",
        ),
    ],
)
def test_suppression_insert(line: str, expected: str) -> None:
    text = GAN.replace("    fake = g.predict(noise[:16])", line)
    insert = suppression_insert(text, 6, "DK202")
    assert insert is not None
    number, column, content = insert
    assert number == 6
    lines = text.splitlines(keepends=True)
    lines[5] = lines[5][: column - 1] + content + lines[5][column - 1 :]
    assert lines[5].rstrip("\n") == expected
    # And the engine agrees: the finding is gone, and the new code is used
    # (a DK101 in the list is reported unused: it was there before).
    after = lint_python("".join(lines), "gan.py", DEFAULTS).diagnostics
    assert [d.code for d in after if d.code != "DK002"] == []
    assert not [d for d in after if "DK202" in d.message]


def test_suppression_is_refused_where_a_comment_would_not_work() -> None:
    # A comment after a line continuation is a syntax error.
    continued = "import keras\nx = 1 + \\\n    2\n"
    assert suppression_insert(continued, 2, "DK202") is None
    # The end of this line is inside a string: a "comment" there is text.
    in_string = 'import keras\ns = """a\nb"""\n'
    assert suppression_insert(in_string, 2, "DK202") is None
    # Neither the syntax error nor an unused suppression can be suppressed.
    assert suppression_insert(GAN, 6, "DK001") is None
    assert suppression_insert(GAN, 6, "DK002") is None
    assert suppression_insert(GAN, 99, "DK202") is None
    assert suppression_insert(GAN, 6, "DK999") is None


def test_notebook_cells_map_back_to_their_uris() -> None:
    cells = [
        NotebookCellText("cell:0", "# Title\n", python=False),
        NotebookCellText("cell:1", "%matplotlib inline\n" + GAN.split("for step")[0], python=True),
        NotebookCellText("cell:2", "for step" + GAN.split("for step")[1], python=True),
        NotebookCellText("cell:3", "SELECT 1;\n", python=False),  # an SQL cell
    ]
    by_cell = lint_notebook(cells, "nb.ipynb", DEFAULTS)
    assert set(by_cell) == {"cell:0", "cell:1", "cell:2", "cell:3"}
    [diagnostic] = by_cell["cell:2"]
    assert diagnostic.code == "DK202"
    assert (diagnostic.line, diagnostic.column) == (2, 12)
    # The fix is in the cell's coordinates (`darklint --fix` writes it into the cell).
    assert diagnostic.fix is not None
    assert diagnostic.fix.edits[0].line == diagnostic.line


class _RecordingServer(DarklintServer):
    """A server that is never started: what it would log is kept instead."""

    def __init__(self) -> None:
        super().__init__()
        self.logged: list[types.LogMessageParams] = []

    def window_log_message(self, params: types.LogMessageParams) -> None:
        self.logged.append(params)


def test_an_exception_while_linting_is_logged_not_raised() -> None:
    server = _RecordingServer()

    async def broken(uri: str) -> None:
        raise ValueError("boom")

    server._documents.add("file:///x.py")
    server._lint_document = broken  # type: ignore[method-assign,assignment]
    asyncio.run(server.lint("file:///x.py"))
    [logged] = server.logged
    assert logged.type == types.MessageType.Error
    assert "linting file:///x.py failed" in logged.message
    assert "ValueError: boom" in logged.message


def test_a_failing_request_answers_none_and_is_logged() -> None:
    server = _RecordingServer()

    async def broken(params: object) -> list[types.CodeAction]:
        raise KeyError("gone")

    assert asyncio.run(_guarded(server, "code actions", broken)(object())) is None
    [logged] = server.logged
    assert "code actions failed" in logged.message


def test_debounce_option() -> None:
    server = _RecordingServer()
    server.configure({"debounce": 0})
    assert server.debounce == 0
    server.configure({"debounce": "soon"})
    assert server.debounce == 0
    assert "ignoring initializationOptions.debounce='soon'" in server.logged[0].message
    server.configure(None)
    assert server.debounce == 0


@pytest.mark.parametrize(
    ("kind", "only", "wanted"),
    [
        ("quickfix", None, True),
        ("source.fixAll.darklint", None, True),
        ("source.fixAll.darklint", ["source.fixAll"], True),
        ("source.fixAll.darklint", ["source"], True),
        ("source.fixAll.darklint", ["quickfix"], False),
        ("quickfix", ["source.fixAll"], False),
        ("source.fixAll.darklint", ["source.fixAll.darklintx"], False),
    ],
)
def test_code_action_kinds(kind: str, only: list[str] | None, wanted: bool) -> None:
    assert _wanted(kind, only) is wanted


def test_unused_suppression_is_not_offered_on_itself() -> None:
    diagnostic = Diagnostic(
        "x.py", 1, 1, 1, 2, "DK002", "unused-suppression", Severity.WARNING, "m"
    )
    assert suppression_insert("x = 1  # noqa: DK101\n", diagnostic.line, diagnostic.code) is None


# --------------------------------------------------------------------------
# "Fix all": what `darklint --fix` writes, in edits of the document


def _apply(text: str, edits: list[types.TextEdit], codec: PositionCodec | None = None) -> str:
    """Apply LSP edits as a client does: positions in the client's code units."""
    codec = codec or PositionCodec()
    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
    lines = re.split(r"\r\n|\r|\n", text)

    def offset(position: types.Position) -> int:
        line = lines[position.line]
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return starts[position.line] + index
            units += codec.client_num_units(char)
        return starts[position.line] + len(line)

    spans = sorted(
        ((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True
    )
    for (_, end, _), (next_start, _, _) in zip(spans[1:], spans, strict=False):
        assert end <= next_start, "overlapping edits"
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a = g.predict(x)\n", "a = g.predict_on_batch(x)\n"),
        ("a\nb\nc\nd\n", "a\nB\nc\nD\n"),  # two places
        ("a\nb\n", "a\nb\nc\n"),  # a line added at the end
        ("a\nb", "a\nbc"),  # no final line break
        ("a\nb\nc\n", "a\nc\n"),  # a line removed
        ("x = f(\r\n    y,\r\n)\r\n", "x = f(y)\r\n"),  # CRLF kept whole
        ("x = 1\r\n", "x = 1\n"),  # a line break changed
        ("s = '😀'; g.predict(x)\n", "s = '😀'; g.predict_on_batch(x)\n"),  # UTF-16 columns
        ("", "x = 1\n"),
        ("x = 1\n", ""),
        ("same\n", "same\n"),
    ],
)
def test_diff_edits_make_the_new_text(before: str, after: str) -> None:
    for encoding in (types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8):
        codec = PositionCodec(encoding)
        edits = diff_edits(before, after, LineIndex(before, codec))
        assert _apply(before, edits, codec) == after
    if before == after:
        assert edits == []


def test_diff_edits_are_small() -> None:
    before = GAN + "    more = g.predict(noise[:16])\n"
    [edit, other] = diff_edits(
        before, before.replace("predict(", "predict_on_batch("), LineIndex(before)
    )
    assert edit.new_text == other.new_text == "_on_batch"
    assert edit.range.start == edit.range.end == _position(5, 20)


class _Client(_RecordingServer):
    """A server given a workspace and a client's capabilities, as `initialize` would."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.protocol.client_capabilities = types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)
            )
        )
        self.protocol._workspace = Workspace(root.as_uri())
        self.published: list[types.PublishDiagnosticsParams] = []

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.append(params)

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.workspace.put_text_document(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
        self._documents.add(uri)
        return uri

    async def fix_all(self, uri: str) -> str:
        actions = await self.code_actions(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=_position(0, 0), end=_position(0, 0)),
                # As the client's JSON arrives: kinds are strings.
                context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
            )
        )
        assert actions is not None
        [action] = actions
        assert action.kind == FIX_ALL_KIND
        assert action.edit is not None
        assert action.edit.document_changes is not None
        [change] = action.edit.document_changes
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.version == 1
        edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
        return _apply(self.workspace.get_text_document(uri).source, edits)


def test_fix_all_applies_fixes_until_none_applies(tmp_path: Path) -> None:
    """The outer call's fix spans the inner one: one pass fixes one, --fix both."""
    (tmp_path / "pyproject.toml").write_text("[tool.darklint]\n")
    text = GAN.replace("g.predict(noise[:16])", "g.predict(g.predict(noise[:16], verbose=0))")
    one_pass = apply_fixes(text, lint_python(text, "gan.py", DEFAULTS).diagnostics).text
    assert one_pass.count(".predict(") == 1  # what "fix all" used to offer
    cli, _ = fix_until_stable(
        text,
        lint_python(text, "gan.py", DEFAULTS).diagnostics,
        lambda again: lint_python(again, "gan.py", DEFAULTS).diagnostics,
    )
    assert ".predict(" not in cli.text

    server = _Client(tmp_path)
    try:
        uri = server.open(tmp_path / "gan.py", text)
        fixed = asyncio.run(server.fix_all(uri))
    finally:
        server.stop_linting()
    assert fixed == cli.text
    assert lint_python(fixed, "gan.py", DEFAULTS).diagnostics == ()
