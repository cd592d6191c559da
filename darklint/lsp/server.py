"""The language server: documents in; diagnostics, code actions and hovers out.

Linting runs in one worker thread so that a large file never blocks the
JSON-RPC loop (cancellations, hovers and new edits keep flowing), and one
lint at a time so results arrive in order.  Each result is published only if
the document is still at the version that was linted: a slower, older lint
never overwrites a newer one.  Edits are debounced (``debounce`` seconds of
quiet, 0.3 by default, settable through ``initializationOptions``); opening
and saving lint at once.

Every failure inside the server is logged with ``window/logMessage`` and the
server goes on: an editor plugin that dies on one odd file is worse than one
that misses that file's diagnostics.
"""

from __future__ import annotations

import asyncio
import sys
import traceback
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from darklint import __version__
from darklint.diagnostics import Diagnostic, Related
from darklint.engine import FileOutcome
from darklint.fixes import fixable
from darklint.lsp.convert import (
    SOURCE,
    LineIndex,
    diff_edits,
    fix_edits,
    hover_markdown,
    same_document,
    to_lsp,
)
from darklint.lsp.linting import (
    NotebookCellText,
    Settings,
    fix_all,
    lint_notebook,
    lint_python,
    settings_for,
    suppression_insert,
)
from darklint.project import forget as forget_project

DEFAULT_DEBOUNCE = 0.3
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"
PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")
CONFIG_NAMES = frozenset({"pyproject.toml", "darklint.toml"})

# Python cells of any notebook type (Jupyter in VS Code is "jupyter-notebook").
NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithNotebook(
            notebook="*", cells=[types.NotebookCellLanguage(language="python")]
        )
    ],
    save=True,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Linted:
    """One text document's last published result (a notebook cell is one too)."""

    version: int | None
    text: str
    index: LineIndex
    diagnostics: tuple[Diagnostic, ...]
    published: tuple[types.Diagnostic, ...]
    # For a cell: the notebook it belongs to (the server offers no fixes in cells).
    notebook: str | None = None
    # For a document: what it was linted as, to lint its fixed text alike.
    display: str = ""
    settings: Settings | None = None


def _path_of(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(path) if path else None


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether ``kind`` is asked for: ``only`` lists kinds and their parents (LSP 3.17)."""
    if not only:
        # Without `only`, clients want what fits the cursor: not source actions
        # of the whole file, except ours, which editors list as "Fix all".
        return True
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def _contains(outer: types.Range, position: types.Position) -> bool:
    at = (position.line, position.character)
    return (outer.start.line, outer.start.character) <= at <= (outer.end.line, outer.end.character)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        b.start.line,
        b.start.character,
    ) <= (a.end.line, a.end.character)


class DarklintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "darklint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=NOTEBOOK_SYNC,
        )
        self.debounce = DEFAULT_DEBOUNCE
        self.linted: dict[str, Linted] = {}
        self._documents: set[str] = set()
        # Notebook URI -> the cell URIs its last result was published to.
        self._notebooks: dict[str, set[str]] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._linter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="darklint-lint")
        self._shown: set[str] = set()

    # Messages

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def log_exception(self, what: str) -> None:
        self.log(f"darklint: {what} failed:\n{traceback.format_exc()}", types.MessageType.Error)

    def _show_once(self, message: str) -> None:
        self.log(message, types.MessageType.Error)
        if message not in self._shown:
            self._shown.add(message)
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Error,
                    message=f"darklint: {message} (using the default rules)",
                )
            )

    # Lifecycle

    def configure(self, options: Any) -> None:
        """Read ``initializationOptions``: ``{"debounce": seconds}``."""
        if not isinstance(options, dict):
            return
        debounce = options.get("debounce")
        if debounce is None:
            return
        if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
            self.debounce = float(debounce)
        else:
            self.log(
                f"darklint: ignoring initializationOptions.debounce={debounce!r} "
                "(a number of seconds >= 0 is expected)",
                types.MessageType.Warning,
            )

    def stop_linting(self) -> None:
        for task in self._pending.values():
            task.cancel()
        self._pending.clear()
        self._linter.shutdown(wait=False, cancel_futures=True)

    def root(self) -> Path:
        try:
            root = self.workspace.root_path
        except RuntimeError:  # not initialized yet
            root = None
        return Path(root) if root else Path.cwd()

    # Scheduling

    def schedule(self, key: str, delay: float) -> None:
        """Lint a document or notebook after ``delay`` seconds, replacing any pending lint."""
        previous = self._pending.pop(key, None)
        if previous is not None:
            previous.cancel()
        self._pending[key] = asyncio.ensure_future(self._lint_later(key, delay))

    async def _lint_later(self, key: str, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            await self.lint(key)
        finally:
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]

    def relint_all(self) -> None:
        for key in (*self._documents, *self._notebooks):
            self.schedule(key, 0)

    async def _in_worker(self, job: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._linter, job)

    async def lint(self, key: str) -> None:
        try:
            if key in self._notebooks:
                await self._lint_notebook(key)
            elif key in self._documents:
                await self._lint_document(key)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log_exception(f"linting {key}")

    def _report(self, settings: Settings, crashes: Iterable[str]) -> None:
        if settings.config_error is not None:
            self._show_once(settings.config_error)
        for crash in crashes:
            self.log(f"darklint: rule crashed: {crash}", types.MessageType.Warning)

    def _publish(self, uri: str, linted: Linted | None) -> None:
        if linted is None:
            self.linted.pop(uri, None)
        else:
            self.linted[uri] = linted
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                diagnostics=list(linted.published) if linted else [],
                version=linted.version if linted else None,
            )
        )

    async def _lint_document(self, uri: str) -> Linted | None:
        document = self.workspace.get_text_document(uri)
        text, version = document.source, document.version
        path = _path_of(uri)
        root = self.root()
        display = str(path) if path else uri

        def job() -> tuple[Settings, FileOutcome]:
            settings = settings_for(path, root)
            return settings, lint_python(text, display, settings)

        settings, outcome = await self._in_worker(job)
        if uri not in self._documents or self.workspace.get_text_document(uri).version != version:
            return None  # closed or edited meanwhile: a newer lint is on its way
        self._report(settings, outcome.crashes)
        index = LineIndex(text, self.workspace.position_codec)
        linted = Linted(
            version=version,
            text=text,
            index=index,
            diagnostics=outcome.diagnostics,
            published=tuple(
                to_lsp(d, index, same_document(uri, index, display)) for d in outcome.diagnostics
            ),
            display=display,
            settings=settings,
        )
        self._publish(uri, linted)
        return linted

    async def _lint_notebook(self, uri: str) -> None:
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is None:
            return
        version = notebook.version
        cells = []
        versions: dict[str, int | None] = {}
        for cell in notebook.cells:
            document = self.workspace.get_text_document(cell.document)
            versions[cell.document] = document.version
            python = cell.kind == types.NotebookCellKind.Code and document.language_id == "python"
            cells.append(NotebookCellText(cell.document, document.source, python))
        path = _path_of(uri)
        root = self.root()
        display = str(path) if path else uri

        def job() -> tuple[Settings, dict[str, list[Diagnostic]]]:
            settings = settings_for(path, root)
            return settings, lint_notebook(cells, display, settings)

        settings, by_cell = await self._in_worker(job)
        current = self.workspace.get_notebook_document(notebook_uri=uri)
        if uri not in self._notebooks or current is None or current.version != version:
            return
        self._report(settings, ())
        indices = {item.uri: LineIndex(item.text, self.workspace.position_codec) for item in cells}

        def locate(related: Related) -> types.Location | None:
            # A related place may be in another cell: that cell's document.
            if related.cell is None or not 1 <= related.cell <= len(cells):
                return None
            cell_uri = cells[related.cell - 1].uri
            return same_document(cell_uri, indices[cell_uri])(related)

        for item in cells:
            index = indices[item.uri]
            found = tuple(by_cell.get(item.uri, ()))
            linted = Linted(
                version=versions[item.uri],
                text=item.text,
                index=index,
                diagnostics=found,
                published=tuple(to_lsp(d, index, locate) for d in found),
                notebook=uri,
            )
            self._publish(item.uri, linted)
        for gone in self._notebooks[uri] - set(by_cell):
            self._publish(gone, None)
        self._notebooks[uri] = set(by_cell)

    # Documents

    def open_document(self, item: types.TextDocumentItem) -> None:
        path = _path_of(item.uri)
        if item.language_id != "python" and (path is None or path.suffix not in PYTHON_SUFFIXES):
            return
        self._documents.add(item.uri)
        self.schedule(item.uri, 0)

    def change_document(self, uri: str) -> None:
        if uri in self._documents:
            self.schedule(uri, self.debounce)

    def save_document(self, uri: str) -> None:
        path = _path_of(uri)
        if path is not None and (path.name in CONFIG_NAMES or path.suffix == ".py"):
            # The rules every open document gets may have changed, or a module
            # other documents import (their findings follow it): lint all again,
            # finding the project's modules afresh.
            forget_project()
            self.relint_all()
        elif uri in self._documents:
            self.schedule(uri, 0)

    def close_document(self, uri: str) -> None:
        if uri not in self._documents:
            return
        self._documents.discard(uri)
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self._publish(uri, None)

    def open_notebook(self, uri: str) -> None:
        self._notebooks.setdefault(uri, set())
        self.schedule(uri, 0)

    def change_notebook(self, uri: str) -> None:
        if uri in self._notebooks:
            self.schedule(uri, self.debounce)

    def close_notebook(self, uri: str) -> None:
        cells = self._notebooks.pop(uri, set())
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        for cell in cells:
            self._publish(cell, None)

    # Requests

    def _version(self, uri: str) -> int | None:
        return self.workspace.get_text_document(uri).version

    async def current(self, uri: str) -> Linted | None:
        """The result for the document as it is now, linting it now if an edit is pending.

        Code actions must be computed on the current text: "fix all" runs on
        save, typically less than a debounce after the last keystroke.
        """
        linted = self.linted.get(uri)
        if linted is not None and linted.version == self._version(uri):
            return linted
        if uri not in self._documents:
            return None  # a notebook cell: its notebook is relinted on its own
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        return await self._lint_document(uri)

    def _workspace_edit(
        self, uri: str, version: int | None, edits: Sequence[types.TextEdit]
    ) -> types.WorkspaceEdit:
        capabilities = self.client_capabilities.workspace
        edit_capabilities = capabilities.workspace_edit if capabilities else None
        if edit_capabilities is not None and edit_capabilities.document_changes:
            # Versioned: a client whose document moved on refuses the edit
            # instead of applying it at the wrong place.
            return types.WorkspaceEdit(
                document_changes=[
                    types.TextDocumentEdit(
                        text_document=types.OptionalVersionedTextDocumentIdentifier(
                            uri=uri, version=version
                        ),
                        edits=list(edits),
                    )
                ]
            )
        return types.WorkspaceEdit(changes={uri: list(edits)})

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        linted = await self.current(uri)
        if linted is None:
            return None
        only = params.context.only
        actions: list[types.CodeAction] = []
        if _wanted(types.CodeActionKind.QuickFix.value, only):
            for diagnostic, published in self._targets(linted, params):
                actions.extend(self._quick_fixes(uri, linted, diagnostic, published))
        if _wanted(FIX_ALL_KIND, only):
            fix_everything = await self._fix_all(uri, linted)
            if fix_everything is not None:
                actions.append(fix_everything)
        return actions

    def _targets(
        self, linted: Linted, params: types.CodeActionParams
    ) -> list[tuple[Diagnostic, types.Diagnostic]]:
        """Our diagnostics the request is about: those the client sent, else those in range."""
        pairs = list(zip(linted.diagnostics, linted.published, strict=True))
        sent = [d for d in params.context.diagnostics if d.source == SOURCE]
        if sent:
            return [
                (ours, published)
                for ours, published in pairs
                if any(d.code == published.code and d.range == published.range for d in sent)
            ]
        return [
            (ours, published)
            for ours, published in pairs
            if _overlaps(published.range, params.range)
        ]

    def _quick_fixes(
        self, uri: str, linted: Linted, diagnostic: Diagnostic, published: types.Diagnostic
    ) -> list[types.CodeAction]:
        actions = []
        if diagnostic.fix is not None and linted.notebook is None:
            actions.append(
                types.CodeAction(
                    title=f"{diagnostic.code}: {diagnostic.fix.title}"
                    + ("" if diagnostic.fix.safe else " (unsafe)"),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[published],
                    is_preferred=diagnostic.fix.safe,
                    edit=self._workspace_edit(
                        uri, linted.version, fix_edits([diagnostic], linted.index)
                    ),
                )
            )
        lines = dict.fromkeys((diagnostic.line, diagnostic.end_line))
        insert = next(
            (
                found
                for line in lines
                if (found := suppression_insert(linted.text, line, diagnostic.code)) is not None
            ),
            None,
        )
        if insert is not None:
            line, column, text = insert
            actions.append(
                types.CodeAction(
                    title=f"{diagnostic.code}: suppress on this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[published],
                    edit=self._workspace_edit(
                        uri, linted.version, [linted.index.insertion(line, column, text)]
                    ),
                )
            )
        return actions

    async def _fix_all(self, uri: str, linted: Linted) -> types.CodeAction | None:
        settings = linted.settings
        if (
            linted.notebook is not None
            or settings is None
            or not any(fixable(d, False) for d in linted.diagnostics)
        ):
            return None
        # What `darklint --fix` writes: the safe fixes, the text linted again
        # and fixed again until no fix applies (in the worker: it lints).
        fixed = await self._in_worker(
            lambda: fix_all(linted.text, linted.diagnostics, linted.display, settings)
        )
        if fixed == linted.text:
            return None
        return types.CodeAction(
            title="darklint: fix all auto-fixable problems",
            kind=FIX_ALL_KIND,
            edit=self._workspace_edit(
                uri, linted.version, diff_edits(linted.text, fixed, linted.index)
            ),
        )

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        linted = self.linted.get(params.text_document.uri)
        if linted is None:
            return None
        hits = [
            (diagnostic, published)
            for diagnostic, published in zip(linted.diagnostics, linted.published, strict=True)
            if _contains(published.range, params.position)
        ]
        if not hits:
            return None
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value=hover_markdown([d for d, _ in hits])
            ),
            range=hits[0][1].range,
        )


def _guarded(
    server: DarklintServer, what: str, handler: Callable[..., Awaitable[T | None]]
) -> Callable[..., Awaitable[T | None]]:
    """Log a failing request and answer None rather than an error the editor shows."""

    async def run(*args: Any) -> T | None:
        try:
            return await handler(*args)
        except Exception:
            server.log_exception(what)
            return None

    return run


def create_server() -> DarklintServer:
    """A server with darklint's features registered (not started)."""
    server = DarklintServer()

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.configure(params.initialization_options)

    @server.feature(types.SHUTDOWN)
    def shutdown(params: None) -> None:
        server.stop_linting()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        server.open_document(params.text_document)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        server.change_document(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        server.save_document(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.close_document(params.text_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(params: types.DidOpenNotebookDocumentParams) -> None:
        server.open_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(params: types.DidChangeNotebookDocumentParams) -> None:
        server.change_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(params: types.DidSaveNotebookDocumentParams) -> None:
        if params.notebook_document.uri in server._notebooks:
            server.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(params: types.DidCloseNotebookDocumentParams) -> None:
        server.close_notebook(params.notebook_document.uri)

    code_actions = _guarded(server, "code actions", server.code_actions)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        return await code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(params: types.HoverParams) -> types.Hover | None:
        try:
            return server.hover(params)
        except Exception:
            server.log_exception("hover")
            return None

    return server


def serve() -> None:
    """Run the server over stdin/stdout until the client says exit."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # stdout is the JSON-RPC channel: a stray print() anywhere would corrupt
    # it, so the Python-level stdout goes to stderr (the client's log).
    sys.stdout = sys.stderr
    create_server().start_io(stdin, stdout)
