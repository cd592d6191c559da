"""``darklint lsp`` end to end: a real LSP client (pytest-lsp) talks to
``python -m darklint lsp`` over stdio, as an editor would.

One server serves the whole module (starting one costs seconds: lsprotocol
and libcst are large imports); each test opens its own files in its own
folder of the workspace, whose ``pyproject.toml`` has a ``[tool.darklint]``
table so that no configuration above the temporary directory can leak in.
The debounce is set to 50 ms through ``initializationOptions`` so that edits
are linted quickly.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

# pytest-asyncio runs in strict mode: the tests are marked here, not globally,
# and share the module's event loop because they share its server.
pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT = 15.0

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
FIXED_GAN = GAN.replace("g.predict(", "g.predict_on_batch(")

OPTIMIZER_REUSED = textwrap.dedent(
    """\
    import keras

    opt = keras.optimizers.Adam()
    a = keras.Sequential([keras.layers.Dense(1)])
    b = keras.Sequential([keras.layers.Dense(1)])
    a.compile(optimizer=opt, loss="mse")
    b.compile(optimizer=opt, loss="mse")
    """
)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workspace")
    (root / "pyproject.toml").write_text("[tool.darklint]\n")
    return root


@pytest.fixture
def workspace(root: Path, request: pytest.FixtureRequest) -> Path:
    """This test's own folder of the shared workspace."""
    folder = root / request.node.name
    folder.mkdir()
    return folder


def _capabilities() -> types.ClientCapabilities:
    capabilities = client_capabilities("visual-studio-code")
    # The recorded VS Code 1.65 predates notebook sync (LSP 3.17); today's has it.
    capabilities.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities()
    )
    return capabilities


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "darklint", "lsp"]),
)
async def client(lsp_client: LanguageClient, root: Path) -> AsyncIterator[None]:
    params = types.InitializeParams(
        capabilities=_capabilities(),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="workspace")],
        initialization_options={"debounce": 0.05},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll: the client records every publishDiagnostics and logMessage it receives."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def _diagnostics(client: LanguageClient, uri: str, count: int) -> list[types.Diagnostic]:
    await _until(
        lambda: uri in client.diagnostics and len(client.diagnostics[uri]) == count,
        f"{count} diagnostic(s) for {uri}, have {client.diagnostics.get(uri)}",
    )
    return list(client.diagnostics[uri])


def _open(client: LanguageClient, path: Path, text: str, language: str = "python") -> str:
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )
    return uri


def _change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _offset(text: str, position: types.Position) -> int:
    """An LSP position (UTF-16 columns) as an index into ``text``."""
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return start + index
        units += 2 if ord(char) > 0xFFFF else 1
    return start + len(line.rstrip("\r\n"))


def _apply(text: str, uri: str, version: int, edit: types.WorkspaceEdit) -> str:
    """Apply a workspace edit to one document the way a client does."""
    assert edit.document_changes, edit  # the client said it supports them
    edits: list[types.TextEdit] = []
    for change in edit.document_changes:
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        assert change.text_document.version == version
        edits.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    spans = sorted(
        ((_offset(text, e.range.start), _offset(text, e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def _cli_json(path: Path, text: str) -> list[dict[str, Any]]:
    """What ``darklint - --stdin-filename PATH --format json`` reports for ``text``."""
    proc = subprocess.run(
        [sys.executable, "-m", "darklint", "-", "--stdin-filename", str(path), "--format", "json"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    data: list[dict[str, Any]] = json.loads(proc.stdout)  # the json format is a flat list
    return data


async def _actions(
    client: LanguageClient,
    uri: str,
    diagnostics: Sequence[types.Diagnostic],
    only: Sequence[str] | None = None,
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
        )
    )
    assert result is not None
    assert all(isinstance(action, types.CodeAction) for action in result)
    return [action for action in result if isinstance(action, types.CodeAction)]


async def test_diagnostics_match_the_cli(client: LanguageClient, workspace: Path) -> None:
    path = workspace / "gan.py"
    uri = _open(client, path, GAN)
    [diagnostic] = await _diagnostics(client, uri, 1)
    [expected] = _cli_json(path, GAN)

    assert diagnostic.code == "DK202"
    assert diagnostic.source == "darklint"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    # darklint: 1-based lines and columns, end exclusive; LSP: 0-based.
    assert diagnostic.range == types.Range(
        start=types.Position(line=expected["line"] - 1, character=expected["column"] - 1),
        end=types.Position(line=expected["end_line"] - 1, character=expected["end_column"] - 1),
    )
    assert diagnostic.range.start == types.Position(line=5, character=11)
    assert GAN.splitlines()[5][11:32] == "g.predict(noise[:16])"
    assert diagnostic.range.end == types.Position(line=5, character=32)
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href == expected["url"]
    assert diagnostic.code_description.href.endswith(
        "/docs/rules/DK202-predict-in-training-loop.md"
    )
    assert diagnostic.message.startswith(str(expected["message"]))
    assert diagnostic.message.endswith("PyTorch reference: reference_impls/gan.py")
    # The help line follows the message; the loop is a related place.
    assert f"\nhelp: {expected['help']}\n" in diagnostic.message
    [related] = diagnostic.related_information or []
    assert related.message == "training loop"
    assert related.location.uri == uri
    assert related.location.range.start.line == expected["related"][0]["line"] - 1


async def test_columns_are_utf16_code_units(client: LanguageClient, workspace: Path) -> None:
    # "😀" is one character for Python (and darklint) but two UTF-16 code units.
    text = GAN.replace(
        "    fake = g.predict(noise[:16])", '    s = "😀"; fake = g.predict(noise[:16])'
    )
    path = workspace / "emoji.py"
    uri = _open(client, path, text)
    [diagnostic] = await _diagnostics(client, uri, 1)
    [expected] = _cli_json(path, text)
    # `g` is character 21 (1-based) for darklint, UTF-16 unit 21 (0-based) for LSP.
    assert expected["column"] == 21
    assert diagnostic.range.start == types.Position(line=5, character=21)
    assert diagnostic.range.end == types.Position(line=5, character=42)


async def test_quick_fix_applied_clears_the_diagnostic(
    client: LanguageClient, workspace: Path
) -> None:
    uri = _open(client, workspace / "gan.py", GAN)
    diagnostics = await _diagnostics(client, uri, 1)

    actions = await _actions(client, uri, diagnostics)
    [fix] = [action for action in actions if action.is_preferred]
    assert fix.kind == types.CodeActionKind.QuickFix
    assert list(fix.diagnostics or ()) == diagnostics
    assert "predict_on_batch" in fix.title
    assert fix.edit is not None
    fixed = _apply(GAN, uri, 1, fix.edit)
    assert fixed == FIXED_GAN

    _change(client, uri, 2, fixed)
    await _diagnostics(client, uri, 0)


async def test_suppression_action_clears_the_diagnostic(
    client: LanguageClient, workspace: Path
) -> None:
    uri = _open(client, workspace / "gan.py", GAN)
    diagnostics = await _diagnostics(client, uri, 1)

    actions = await _actions(client, uri, diagnostics)
    [suppress] = [action for action in actions if "suppress" in action.title]
    assert suppress.kind == types.CodeActionKind.QuickFix
    assert not suppress.is_preferred
    assert suppress.edit is not None
    suppressed = _apply(GAN, uri, 1, suppress.edit)
    assert (
        suppressed.splitlines()[5] == "    fake = g.predict(noise[:16])  # darklint: ignore[DK202]"
    )

    _change(client, uri, 2, suppressed)
    # Gone, and the new comment is used (no DK002 "unused suppression").
    await _diagnostics(client, uri, 0)


async def test_suppression_extends_an_existing_noqa(
    client: LanguageClient, workspace: Path
) -> None:
    # A second suppression comment on the line would not be read: the code
    # must join the existing list.
    text = GAN.replace("fake = g.predict(noise[:16])", "fake = g.predict(noise[:16])  # noqa: E501")
    uri = _open(client, workspace / "gan.py", text)
    diagnostics = await _diagnostics(client, uri, 1)
    [suppress] = [a for a in await _actions(client, uri, diagnostics) if "suppress" in a.title]
    assert suppress.edit is not None
    suppressed = _apply(text, uri, 1, suppress.edit)
    assert suppressed.splitlines()[5].endswith("# noqa: E501, DK202")
    _change(client, uri, 2, suppressed)
    await _diagnostics(client, uri, 0)


async def test_fix_all_source_action(client: LanguageClient, workspace: Path) -> None:
    text = GAN + "    more = g.predict(noise[:16])\n"
    uri = _open(client, workspace / "gan.py", text)
    diagnostics = await _diagnostics(client, uri, 2)

    # What an editor asks for on save ("editor.codeActionsOnSave": {"source.fixAll": ...}).
    [fix_all] = await _actions(client, uri, diagnostics, only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind == "source.fixAll.darklint"
    assert fix_all.edit is not None
    fixed = _apply(text, uri, 1, fix_all.edit)
    assert "predict(" not in fixed
    assert fixed.count("predict_on_batch(") == 2

    # Asked only for quick fixes, no source action comes back.
    quick = await _actions(client, uri, diagnostics, only=[types.CodeActionKind.QuickFix])
    assert quick
    assert all(a.kind == types.CodeActionKind.QuickFix for a in quick)

    _change(client, uri, 2, fixed)
    await _diagnostics(client, uri, 0)


async def test_syntax_error_is_dk001_and_the_server_goes_on(
    client: LanguageClient, workspace: Path
) -> None:
    logged = len(client.log_messages)
    uri = _open(client, workspace / "broken.py", "import keras\ndef f(:\n    pass\n")
    [diagnostic] = await _diagnostics(client, uri, 1)
    assert diagnostic.code == "DK001"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.range.start.line == 1
    assert "syntax error" in diagnostic.message
    # No crash: the next version is linted as usual.
    _change(client, uri, 2, GAN)
    [diagnostic] = await _diagnostics(client, uri, 1)
    await _until(lambda: client.diagnostics[uri][0].code == "DK202", "DK202 after the fix")
    assert not [m for m in client.log_messages[logged:] if m.type == types.MessageType.Error]


async def test_hover_shows_the_rule(client: LanguageClient, workspace: Path) -> None:
    uri = _open(client, workspace / "gan.py", GAN)
    [diagnostic] = await _diagnostics(client, uri, 1)

    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=5, character=15),
        )
    )
    assert hover is not None
    assert hover.range == diagnostic.range
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    value = hover.contents.value
    assert "**DK202** `predict-in-training-loop`" in value
    assert "`model.predict()` runs on every step of a loop that trains a Keras model." in value
    assert diagnostic.code_description is not None
    assert f"[Documentation]({diagnostic.code_description.href})" in value
    assert "reference_impls/gan.py" in value

    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=0),
        )
    )
    assert nothing is None


async def test_settings_come_from_the_nearest_pyproject(
    client: LanguageClient, workspace: Path
) -> None:
    ignoring = workspace / "ignoring"
    ignoring.mkdir()
    (ignoring / "pyproject.toml").write_text('[tool.darklint]\nignore = ["DK202"]\n')
    per_file = workspace / "per_file"
    per_file.mkdir()
    (per_file / "pyproject.toml").write_text(
        '[tool.darklint]\nper-file-ignores = { "legacy_*.py" = ["DK104"] }\n'
    )

    ignored = _open(client, ignoring / "gan.py", GAN)
    legacy = _open(client, per_file / "legacy_train.py", OPTIMIZER_REUSED)
    current = _open(client, per_file / "train.py", OPTIMIZER_REUSED)
    await _diagnostics(client, ignored, 0)
    await _diagnostics(client, legacy, 0)
    [diagnostic] = await _diagnostics(client, current, 1)
    assert diagnostic.code == "DK104"


async def test_broken_config_is_logged_and_defaults_are_used(
    client: LanguageClient, workspace: Path
) -> None:
    broken = workspace / "broken"
    broken.mkdir()
    (broken / "pyproject.toml").write_text('[tool.darklint]\nselct = ["DK1"]\n')
    uri = _open(client, broken / "gan.py", GAN)
    [diagnostic] = await _diagnostics(client, uri, 1)
    assert diagnostic.code == "DK202"
    await _until(
        lambda: any("unknown key 'selct'" in m.message for m in client.log_messages),
        "the configuration error in window/logMessage",
    )
    [logged] = [m for m in client.log_messages if "selct" in m.message]
    assert logged.type == types.MessageType.Error
    assert any("selct" in m.message for m in client.messages)  # window/showMessage, once


async def test_other_languages_are_left_alone(client: LanguageClient, workspace: Path) -> None:
    text_uri = _open(client, workspace / "notes.md", "g.predict(x)\n", language="markdown")
    python_uri = _open(client, workspace / "gan.py", GAN)
    await _diagnostics(client, python_uri, 1)
    assert text_uri not in client.diagnostics


async def test_closing_clears_diagnostics(client: LanguageClient, workspace: Path) -> None:
    uri = _open(client, workspace / "gan.py", GAN)
    await _diagnostics(client, uri, 1)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await _diagnostics(client, uri, 0)


async def test_notebook_cells_get_their_own_diagnostics(
    client: LanguageClient, workspace: Path
) -> None:
    notebook_uri = (workspace / "train.ipynb").as_uri()
    setup, loop_cell = OPTIMIZER_REUSED.split("a.compile", 1)
    cells = [
        ("markdown", "# Two models, one optimizer\n"),
        ("python", setup),
        ("python", "a.compile" + loop_cell),
    ]
    cell_uris = [f"vscode-notebook-cell:{notebook_uri[5:]}#cell{i}" for i in range(len(cells))]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=notebook_uri,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    types.NotebookCell(
                        kind=types.NotebookCellKind.Markup
                        if language == "markdown"
                        else types.NotebookCellKind.Code,
                        document=cell_uri,
                    )
                    for (language, _), cell_uri in zip(cells, cell_uris, strict=True)
                ],
            ),
            cell_text_documents=[
                types.TextDocumentItem(uri=cell_uri, language_id=language, version=1, text=text)
                for (language, text), cell_uri in zip(cells, cell_uris, strict=True)
            ],
        )
    )
    # Line 2 of the third cell (b.compile), in the cell's own coordinates.
    [diagnostic] = await _diagnostics(client, cell_uris[2], 1)
    assert diagnostic.code == "DK104"
    assert diagnostic.range.start == types.Position(line=1, character=0)
    assert list(client.diagnostics[cell_uris[1]]) == []
    # The first compile, a related place, in its own cell's coordinates.
    [related] = diagnostic.related_information or []
    assert related.location.uri == cell_uris[2]
    assert related.location.range.start == types.Position(line=0, character=0)

    # Suppressing works in a cell too (darklint has no fixes for notebooks).
    actions = await _actions(client, cell_uris[2], [diagnostic])
    assert [a.title for a in actions] == ["DK104: suppress on this line"]
    assert actions[0].edit is not None
    suppressed = _apply(cells[2][1], cell_uris[2], 1, actions[0].edit)
    client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(
                uri=notebook_uri, version=2
            ),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(
                                uri=cell_uris[2], version=2
                            ),
                            changes=[types.TextDocumentContentChangeWholeDocument(text=suppressed)],
                        )
                    ]
                )
            ),
        )
    )
    await _diagnostics(client, cell_uris[2], 0)
