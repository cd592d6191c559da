"""Lint one file: gate, parse once, one traversal for all rules, suppressions.

The order of the steps is what makes darklint both exact and fast:

1. CPython's own parser (``ast.parse``) decides what is a syntax error, so a
   file gets DK001 if and only if Python rejects it.
2. The gate (:mod:`darklint.gate`): a rule is only run on a file whose text
   mentions Keras and the tokens the rule cannot fire without, and whose
   ``ast`` (kept from step 1) imports Keras and has those tokens as
   identifiers of its code.  Most files of a real repository stop here and
   are never parsed by libcst (which is not even imported until one passes).
3. libcst parses the file once; every remaining rule runs in one batched
   traversal, then queries the shared semantic model in ``finish()``.
4. Positions are computed only when something was reported
   (:mod:`darklint.reporting` turns reports into diagnostics).

The engine knows nothing about Keras; the gate knows its vocabulary.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from darklint import gate
from darklint.cells import to_cells
from darklint.config import SRC_KEY, Target
from darklint.diagnostics import Diagnostic
from darklint.placement import Signature
from darklint.positions import statement_starts
from darklint.registry import all_rules, rules_by_code, rules_by_name
from darklint.reporting import to_diagnostics
from darklint.rule import (
    Elsewhere,
    FileContext,
    Rule,
    RuleCrashed,
)
from darklint.rules.dk001_syntax_error import SyntaxErrorInFile
from darklint.rules.dk002_unused_suppression import UnusedSuppression
from darklint.rules.dk003_unsupported_syntax import UnsupportedSyntax
from darklint.source import Unreadable, decode, read_bytes
from darklint.startup import first_import_of
from darklint.suppressions import EMPTY, Suppressions, is_ours, may_suppress, scan

if TYPE_CHECKING:
    import libcst as cst

    from darklint.notebook import Notebook
    from darklint.project import ProjectView


@dataclass(frozen=True)
class FileOutcome:
    diagnostics: tuple[Diagnostic, ...]
    crashes: tuple[str, ...] = ()
    # Whether libcst analysed the file (benchmarks report how many did).
    analysed: bool = False
    # The project's modules the result depends on, with their content's
    # digests (the results cache is stale when one changes).
    dependencies: tuple[tuple[str, str], ...] = ()


def rules_to_run(
    enabled: frozenset[str],
    text: str,
    tree: ast.AST | None = None,
    also: Sequence[tuple[str, gate.CodeFacts]] = (),
    imports: Sequence[gate.ImportNode] | None = None,
) -> list[type[Rule]]:
    """The enabled rules that may fire on ``text`` (``tree``: its ``ast``, for the code gate;
    ``also``: the project's modules it imports; ``imports``: the tree's import statements)."""
    return gate.filter_rules(_candidates(enabled), text, tree, also, imports)


def _candidates(enabled: frozenset[str]) -> list[type[Rule]]:
    return [rule for rule in all_rules() if rule.code in enabled and not rule.engine_rule]


def _engine_diagnostic(
    rule: type[Rule],
    path: str,
    line: int,
    column: int,
    end: tuple[int, int] | None = None,
    **fields: str,
) -> Diagnostic:
    # Each engine rule's message has its own fields (DK001/DK003 ``{detail}``,
    # DK002 ``{codes}``), so they are passed by name.
    end_line, end_column = end if end else (line, column + 1)
    return Diagnostic(
        path=path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        code=rule.code,
        name=rule.name,
        severity=rule.severity,
        message=rule.message.format(**fields),
        url=rule.docs_url(),
    )


def _syntax_error(text: str, path: str) -> ast.Module | Diagnostic:
    """The file's ``ast`` (the gate reads it), or its DK001."""
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like are the user's business.
            warnings.simplefilter("ignore")
            # Not filename=path: CPython re-reads the error's line from the
            # file of that name to turn the byte offset into a column, which
            # gives wrong columns for a notebook (the file is the JSON) and for
            # an editor buffer piped with --stdin-filename.  "" is never a file.
            return ast.parse(text, filename="")
    except SyntaxError as error:
        line = error.lineno or 1
        column = error.offset or 1
        end = None
        if (
            error.end_lineno
            and error.end_offset
            and (error.end_lineno, error.end_offset) > (line, column)
        ):
            end = (error.end_lineno, error.end_offset)
        return _engine_diagnostic(
            SyntaxErrorInFile, path, line, column, end, detail=f"syntax error: {error.msg}"
        )
    except (ValueError, RecursionError, MemoryError) as error:
        detail = str(error) or type(error).__name__
        return _engine_diagnostic(SyntaxErrorInFile, path, 1, 1, detail=f"syntax error: {detail}")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while one file is linted.

    Its trees (the ``ast``, then libcst's, hundreds of thousands of objects)
    hold no cycles: every collection during the lint walks them for nothing
    (a fifth of the time ``ast.parse`` takes, a third of the time of a big
    file's analysis).  What the analysis leaves in cycles is collected once
    the file is done.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _parse(text: str) -> cst.Module | str:
    """The libcst module, or why libcst could not give one."""
    with first_import_of("libcst"):
        import libcst as cst

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        return f"libcst cannot parse this valid Python ({error.message.strip()}, line {error.raw_line})"
    except RecursionError:
        return "the code is nested too deeply for libcst"


def _run_rules(context: FileContext, rules: Sequence[type[Rule]]) -> tuple[list[str], list[str]]:
    """The rules' crashes, and the codes of the rules the code was nested too deeply for.

    A ``RecursionError`` is the input's depth (``a.b.c...`` a thousand
    times), not a bug of the rule: it becomes DK003, and the run goes on.
    """
    import libcst as cst

    instances = [rule(context) for rule in rules]
    visiting = [rule for rule in instances if rule.has_visitors()]
    if visiting:
        # A rule is a batchable visitor by duck typing: libcst only calls
        # ``get_visitors()`` (so that rule.py need not import libcst).
        cst.visit_batched(context.module, cast("list[cst.BatchableCSTVisitor]", visiting))
    crashes: list[str] = []
    too_deep: list[str] = []
    for rule in instances:
        if rule.crash is None:
            try:
                rule.finish()
            except Exception as error:  # one rule must not stop the run
                rule.crash = RuleCrashed(rule.code, error)
        if rule.crash is not None:
            if isinstance(rule.crash.error, RecursionError):
                too_deep.append(rule.code)
            else:
                crashes.append(str(rule.crash))
    return crashes, too_deep


# What linting a module of the project alone reports, by its text, with the
# modules that answer read (None: being linted).
_ALONE: dict[
    tuple[str, str, frozenset[str], Target],
    tuple[frozenset[Signature], tuple[tuple[str, str], ...]] | None,
] = {}


def _reported_alone(
    enabled: frozenset[str], target: Target, place: Elsewhere, signature: Signature
) -> bool:
    """Whether the module ``place`` is in, linted alone, reports the finding ``signature``.

    A finding suppressed there counts as reported: the author saw it there.
    """
    from darklint.project import digest_of

    key = (place.path, place.source, enabled, target)
    known = _ALONE.get(key)
    # The answer read other modules: it stands while they are unchanged (a
    # language server lives across edits).
    if known is not None and any(digest_of(path) != digest for path, digest in known[1]):
        del _ALONE[key]
    if key not in _ALONE:
        if len(_ALONE) > 1_024:
            _ALONE.clear()
        _ALONE[key] = None  # a module importing the linted file back asks again: not reported
        outcome = lint_text(place.source, place.path, enabled, target=target, suppress=False)
        signatures = frozenset(Signature.of_diagnostic(d) for d in outcome.diagnostics)
        _ALONE[key] = (signatures, outcome.dependencies)
    found = _ALONE[key]
    return found is not None and signature in found[0]


def _apply_suppressions(
    diagnostics: list[Diagnostic], suppressions: Suppressions, enabled: frozenset[str], path: str
) -> list[Diagnostic]:
    kept = []
    for diagnostic in diagnostics:
        rule = rules_by_code()[diagnostic.code]
        suppressed = False
        for line in {diagnostic.line, diagnostic.end_line}:
            for suppression in suppressions.by_line.get(line, ()):
                token = suppression.matches(diagnostic.code, rule.slug_names())
                if token is not None:
                    suppression.used.add(token)
                    suppressed = True
        if not suppressed:
            kept.append(diagnostic)
    if UnusedSuppression.code in enabled:
        kept.extend(_unused(suppressions, enabled, path))
    return kept


def _unused(suppressions: Suppressions, enabled: frozenset[str], path: str) -> list[Diagnostic]:
    names = frozenset(rules_by_name())
    unused_diagnostics = []
    for suppression in suppressions.all:
        unused = []
        for token in suppression.tokens:
            if token in suppression.used or not is_ours(token, names):
                continue
            rule = rules_by_code().get(token.upper()) or rules_by_name().get(token)
            if rule is None:
                unused.append(f"{token} (unknown code)")
            elif rule.code in enabled and not rule.engine_rule:
                unused.append(token)
        if unused:
            unused_diagnostics.append(
                _engine_diagnostic(
                    UnusedSuppression,
                    path,
                    suppression.line,
                    suppression.column,
                    (suppression.line, suppression.end_column),
                    codes=", ".join(unused),
                )
            )
    return unused_diagnostics


def lint_text(
    text: str,
    path: str,
    enabled: frozenset[str],
    *,
    notebook: Notebook | None = None,
    target: Target = (),
    location: Path | None = None,
    suppress: bool = True,
) -> FileOutcome:
    """Lint Python source already decoded (``notebook`` maps lines back to cells).

    The stages, in order: ``skip-file``; CPython's parser (DK001); the gate;
    libcst and the rules (DK003 when libcst cannot take valid Python);
    suppressions (DK002); the notebook's cells.  ``target`` holds the file's
    target settings (``backend``...), which rules read to say only what
    applies.  ``location`` is where the file is on disk, when ``path`` (how
    messages name it) does not say: the project's modules it imports are
    found from there.
    """
    with _gc_paused():
        # Everything the lint builds dies when ``_lint_text`` returns, still
        # inside the pause: were the trees alive when collection resumed, its
        # next pass would walk them all.
        return _lint_text(text, path, enabled, notebook, target, location, suppress)


def _lint_text(
    text: str,
    path: str,
    enabled: frozenset[str],
    notebook: Notebook | None,
    target: Target,
    location: Path | None,
    suppress: bool,
) -> FileOutcome:
    # Suppressions are found by tokenizing, which costs more than parsing:
    # only when they can matter (``_needs_suppressions``).
    suppressions = scan(text) if _may_skip_file(text) else None
    if suppressions is not None and suppressions.skip_file:
        return FileOutcome(())
    tree = _syntax_error(text, path)
    if isinstance(tree, Diagnostic):
        found = [tree] if SyntaxErrorInFile.code in enabled else []
        return FileOutcome(tuple(to_cells(found, notebook)))
    project = _project(location or path, target)
    rules = _rules_for(enabled, text, tree, location or Path(path), project)
    analysis = _Analysis()
    if rules:
        # Where each statement starts is all positions need of the ast; the
        # libcst tree is big enough without the whole ast alongside.
        starts = statement_starts(tree)
        del tree
        analysis = _analyse(text, path, rules, starts, target, project, enabled)
    diagnostics = analysis.diagnostics
    if analysis.unsupported is not None and UnsupportedSyntax.code in enabled:
        diagnostics.append(
            _engine_diagnostic(UnsupportedSyntax, path, 1, 1, detail=analysis.unsupported)
        )
    if suppressions is None:
        suppressions = scan(text) if _needs_suppressions(text, diagnostics, enabled) else EMPTY
    if suppress:  # (not: what another file asks of this one, ``_reported_alone``)
        diagnostics = _apply_suppressions(diagnostics, suppressions, enabled, path)
    diagnostics = to_cells(diagnostics, notebook)
    return FileOutcome(
        tuple(sorted(diagnostics, key=Diagnostic.sort_key)),
        tuple(analysis.crashes),
        analysis.analysed,
        project.dependencies() if project is not None else (),
    )


def _project(path: str | Path, target: Target) -> ProjectView | None:
    """The project the file at ``path`` belongs to, which its analysis may follow imports into.

    None for text that is no file (stdin without ``--stdin-filename``).
    """
    if path in ("", "-"):
        return None
    from darklint.project import view_for

    configured = dict(target).get(SRC_KEY, ())
    folders = [Path(str(folder)) for folder in configured]  # type: ignore[attr-defined]
    return view_for(Path(path), folders)


def _rules_for(
    enabled: frozenset[str],
    text: str,
    tree: ast.Module,
    path: Path,
    project: ProjectView | None,
) -> list[type[Rule]]:
    """The rules that may fire: on the file alone, or with the project's modules it imports."""
    imports = gate.import_statements(tree)
    rules = rules_to_run(enabled, text, tree, (), imports)
    if project is None or len(rules) == len(_candidates(enabled)) or gate.disabled():
        return rules
    reached = project.reachable(imports, path)
    if not reached:
        return rules
    also = [(module.source, module.facts) for module in reached]
    return rules_to_run(enabled, text, tree, also, imports)


@dataclass
class _Analysis:
    """What libcst and the rules made of a file."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    # Why libcst could not analyse (all or part of) valid Python: DK003's detail.
    unsupported: str | None = None
    analysed: bool = False


def _analyse(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    starts: Sequence[tuple[int, int]],
    target: Target,
    project: ProjectView | None = None,
    enabled: frozenset[str] = frozenset(),
) -> _Analysis:
    """Parse with libcst once, run the rules, turn their reports into diagnostics."""
    analysis = _Analysis()
    parsed = _parse(text)
    if isinstance(parsed, str):
        analysis.unsupported = parsed
        return analysis
    analysis.analysed = True
    context = FileContext(
        module=parsed,
        source=text,
        path=path,
        statement_starts=starts,
        target=dict(target),
        project=project,
    )
    try:
        crashes, too_deep = _run_rules(context, rules)
        if too_deep:
            analysis.unsupported = f"the code is nested too deeply for {', '.join(too_deep)}"
        found, bad_reports = to_diagnostics(
            context,
            context.reports,
            functools.partial(_reported_alone, enabled, tuple(sorted(context.target.items()))),
        )
    except RecursionError:
        analysis.unsupported = "the code is nested too deeply to analyse"
        return analysis
    analysis.diagnostics.extend(found)
    analysis.crashes = [f"{path}: {crash}" for crash in (*crashes, *bad_reports)]
    return analysis


# What a `# darklint: skip-file` comment, and one naming a code of ours, must
# contain, searched in the case-folded text: a case-insensitive regular
# expression scans six times slower, and this runs on every file.
_MAY_NAME_A_CODE = re.compile(r"dk\d")


def _may_skip_file(text: str) -> bool:
    return "skip-file" in text.casefold()


def _needs_suppressions(text: str, diagnostics: list[Diagnostic], enabled: frozenset[str]) -> bool:
    """Whether suppressions can change the result: a finding to suppress, or a DK002 to report.

    DK002 only reports darklint's own codes and slugs, so with no finding a
    file with no suppression comment, or one that names none of them, has
    nothing to report.
    """
    if diagnostics:
        return True
    return (
        UnusedSuppression.code in enabled
        and may_suppress(text)
        and (
            bool(_MAY_NAME_A_CODE.search(text.casefold()))
            or any(name in text for name in rules_by_name())
        )
    )


def lint_bytes(
    raw: bytes,
    display: str,
    enabled: frozenset[str],
    target: Target = (),
    *,
    location: Path | None = None,
) -> FileOutcome:
    """Decode and lint one file's bytes; what cannot be read or decoded becomes DK001."""
    try:
        text = decode(raw).text
        if display.endswith(".ipynb"):
            from darklint.notebook import NotebookError, load_notebook

            try:
                notebook = load_notebook(text)
            except NotebookError as error:
                raise Unreadable(str(error)) from None
            return lint_text(
                notebook.code,
                display,
                enabled,
                notebook=notebook,
                target=target,
                location=location,
            )
        return lint_text(text, display, enabled, target=target, location=location)
    except Unreadable as error:
        return _unreadable(display, error, enabled)


def lint_path(
    path: Path, display: str, enabled: frozenset[str], target: Target = ()
) -> FileOutcome:
    try:
        raw = read_bytes(path)
    except Unreadable as error:
        return _unreadable(display, error, enabled)
    return lint_bytes(raw, display, enabled, target, location=path)


def _unreadable(display: str, error: Unreadable, enabled: frozenset[str]) -> FileOutcome:
    if SyntaxErrorInFile.code not in enabled:
        return FileOutcome(())
    diagnostic = _engine_diagnostic(
        SyntaxErrorInFile, display, error.line, error.column, detail=str(error)
    )
    return FileOutcome((diagnostic,))
