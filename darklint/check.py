"""``darklint check``: configuration, discovery, the run, fixes, and the report."""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from darklint import __version__
from darklint.config import Config, ConfigError, merge_cli, resolve_config
from darklint.diagnostics import Diagnostic
from darklint.selection import Selection, SelectorError, resolve_all

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class OutputError(Exception):
    """The report cannot be written (``--output-file``); a usage error (exit 2)."""


def _flatten(groups: Iterable[list[str]] | None) -> list[str]:
    return [code for group in groups or () for code in group]


def _error(message: str) -> None:
    print(f"darklint: error: {message}", file=sys.stderr)


def _report_crashes(crashes: Iterable[str]) -> None:
    for crash in crashes:
        _error(f"rule crashed: {crash}")


def _relative_to_root(path: Path, root: Path, directories: dict[str, str] | None = None) -> str:
    try:
        return os.path.relpath(_resolve(path, {} if directories is None else directories), root)
    except ValueError:  # another drive on Windows
        return str(path)


def _resolve(path: Path, directories: dict[str, str]) -> str:
    """``path.resolve()``, each directory resolved once (``directories``, for one run)."""
    name = os.path.basename(path)
    if name in ("", ".", "..") or os.path.islink(path):
        return str(path.resolve())
    # Not abspath: it would fold `link/..` before the link is resolved.
    directory = os.path.join(os.getcwd(), os.path.dirname(path))
    resolved = directories.get(directory)
    if resolved is None:
        resolved = directories[directory] = str(Path(directory).resolve())
    return os.path.join(resolved, name)


def _load(args: argparse.Namespace, start: Path) -> tuple[Config, Selection]:
    select = _flatten(args.select) if args.select is not None else None
    extend_select, ignore = _flatten(args.extend_select), _flatten(args.ignore)
    # Command-line selectors are checked on their own first, so that an
    # unknown code names the option it came from, not the config file.
    for option, values in (
        ("--select", select or ()),
        ("--extend-select", extend_select),
        ("--ignore", ignore),
    ):
        resolve_all(values, option)
    file_config = resolve_config(args.config, start)
    if file_config.path is not None:
        # Checked key by key so that an unknown code names the key it is in,
        # not just the file (and is caught even when --select overrides it).
        for key, listed in (
            ("select", file_config.select or ()),
            ("extend-select", file_config.extend_select),
            ("ignore", file_config.ignore),
        ):
            resolve_all(listed, f"{file_config.origin} [tool.darklint] {key}")
    config = merge_cli(file_config, select=select, extend_select=extend_select, ignore=ignore)
    selection = Selection.build(
        select=config.select,
        extend_select=config.extend_select,
        ignore=config.ignore,
        per_file_ignores=config.per_file_ignores,
        origin=f"{config.origin} [tool.darklint]",
        keras_version=config.keras_version,
    )
    return config, selection


def run_check(args: argparse.Namespace) -> int:
    reading_stdin = args.paths == ["-"]
    if reading_stdin:
        start = Path(args.stdin_filename).parent if args.stdin_filename else Path.cwd()
    else:
        start = Path(args.paths[0])
    if args.jobs is not None and args.jobs < 1:
        _error("--jobs must be at least 1")
        return EXIT_ERROR
    try:
        config, selection = _load(args, start if start.exists() else Path.cwd())
    except (ConfigError, SelectorError) as error:
        _error(str(error))
        return EXIT_ERROR
    try:
        if reading_stdin:
            return _check_stdin(args, config, selection)
        return _check_paths(args, config, selection)
    except OutputError as error:
        _error(str(error))
        return EXIT_ERROR


def _check_stdin(args: argparse.Namespace, config: Config, selection: Selection) -> int:
    from darklint.engine import lint_bytes
    from darklint.fixes import fix_until_stable, unified_diff
    from darklint.source import Unreadable, decode

    display = args.stdin_filename or "-"
    enabled = selection.for_path(_relative_to_root(Path(display), config.root))
    raw = sys.stdin.buffer.read()
    outcome = lint_bytes(raw, display, enabled)
    diagnostics = list(outcome.diagnostics)
    try:
        source = decode(raw)
        text, rewritable = source.text, not source.lossy
    except Unreadable:
        text, rewritable = "", False
    if args.fix and not args.diff and (display.endswith(".ipynb") or not rewritable):
        # Nothing darklint can rewrite: the input goes back to the editor,
        # which replaces its buffer with standard output, byte for byte.
        _write_bytes(raw)
        _report(args, diagnostics, selection, sys.stderr, {display: text})
        _report_crashes(outcome.crashes)
        return _exit_code(args, diagnostics, outcome.crashes)
    if (args.fix or args.diff) and not display.endswith(".ipynb"):
        fixed, remaining = fix_until_stable(
            text,
            diagnostics if rewritable else (),
            _relinter(display, enabled, []),
            unsafe=args.unsafe_fixes,
        )
        if args.diff:
            sys.stdout.write(unified_diff(text, fixed.text, display))
            _report_crashes(outcome.crashes)
            if fixed.applied and not outcome.crashes:
                return EXIT_FINDINGS
            return _exit_code(args, diagnostics, outcome.crashes)
        # Editors pipe a buffer through `darklint --fix -`: the fixed code goes
        # to standard output and what remains to standard error.
        sys.stdout.write(fixed.text)
        _report(args, remaining, selection, sys.stderr, {display: fixed.text})
        _report_crashes(outcome.crashes)
        return _exit_code(args, remaining, outcome.crashes, fixed=bool(fixed.applied))
    _report(args, diagnostics, selection, None, {display: text})
    # Without this a crash on standard input exits 2 under "All checks passed!".
    _report_crashes(outcome.crashes)
    return _exit_code(args, diagnostics, outcome.crashes)


def _check_paths(args: argparse.Namespace, config: Config, selection: Selection) -> int:
    from darklint.cache import Cache
    from darklint.discovery import DEFAULT_EXCLUDES, discover
    from darklint.runner import FileTask, default_jobs, run

    found = discover(
        args.paths,
        exclude=config.exclude if config.exclude is not None else DEFAULT_EXCLUDES,
        extend_exclude=config.extend_exclude,
        config_root=config.root,
    )
    for given, reason in found.errors:
        _error(f"{given}: {reason}")
    errors: list[tuple[str, str]] = list(found.errors)
    directories: dict[str, str] = {}
    tasks = [
        FileTask(
            path, str(path), selection.for_path(_relative_to_root(path, config.root, directories))
        )
        for path in found.files
    ]
    cache = None if args.no_cache else Cache(config.root)
    result = run(tasks, jobs=args.jobs or default_jobs(), cache=cache)
    if getattr(args, "stats", False):
        print(
            f"darklint: analysed {result.analysed}/{result.files} files"
            f" ({result.cached} from the cache)",
            file=sys.stderr,
        )
    diagnostics = result.diagnostics
    crashes = list(result.crashes)
    changed = False
    write_errors: list[tuple[str, str]] = []  # fixes that could not be written
    if args.fix or args.diff:
        fix_outcome = _fix_files(args, tasks, diagnostics)
        if args.diff:
            # A missing path or a crashed rule is still an error (2): the diff
            # may be incomplete.
            _report_crashes(crashes)
            if fix_outcome.changed and not (crashes or errors):
                return EXIT_FINDINGS
            return _exit_code(args, diagnostics, crashes, errors)
        diagnostics = fix_outcome.remaining
        crashes.extend(fix_outcome.crashes)
        changed = fix_outcome.changed
        write_errors = fix_outcome.errors
        if fix_outcome.fixed:
            print(
                f"Fixed {fix_outcome.fixed} problem{'s' if fix_outcome.fixed != 1 else ''}.",
                file=sys.stderr,
            )
    _report(args, diagnostics, selection, None, {})
    _report_crashes(crashes)
    for path, reason in write_errors:
        _error(f"{path}: {reason}")
    return _exit_code(args, diagnostics, crashes, [*errors, *write_errors], fixed=changed)


class _FixOutcome:
    def __init__(self) -> None:
        self.remaining: list[Diagnostic] = []
        self.crashes: list[str] = []
        # (path, reason): a fix that could not be written (exit 2).
        self.errors: list[tuple[str, str]] = []
        self.fixed = 0
        self.changed = False


def _fix_files(
    args: argparse.Namespace, tasks: Sequence[object], diagnostics: list[Diagnostic]
) -> _FixOutcome:
    from darklint.engine import lint_bytes
    from darklint.fixes import fix_until_stable, fixable, unified_diff
    from darklint.runner import FileTask
    from darklint.source import Unreadable, decode, encode, read_bytes, write_atomic

    by_display = {task.display: task for task in tasks if isinstance(task, FileTask)}
    grouped: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        grouped[diagnostic.path].append(diagnostic)
    outcome = _FixOutcome()
    for display, found in grouped.items():
        task = by_display.get(display)
        if (
            task is None
            or task.path.suffix == ".ipynb"
            or not any(fixable(d, args.unsafe_fixes) for d in found)
        ):
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
        found = list(lint_bytes(raw, display, task.enabled).diagnostics)
        relint_crashes: list[str] = []
        fixed, left = fix_until_stable(
            source.text,
            found,
            _relinter(display, task.enabled, relint_crashes),
            unsafe=args.unsafe_fixes,
        )
        if not fixed.applied:
            outcome.remaining.extend(found)
            continue
        outcome.changed = True
        if args.diff:
            sys.stdout.write(unified_diff(source.text, fixed.text, display))
            continue
        try:
            write_atomic(task.path, encode(fixed.text, source.encoding))
        except OSError as error:  # the original is intact: write_atomic renames last
            outcome.errors.append((display, f"cannot write: {error.strerror or error}"))
            outcome.remaining.extend(found)
            continue
        outcome.fixed += len(fixed.applied)
        # The diagnostics of the text written (fix_until_stable linted it).
        outcome.remaining.extend(left)
        outcome.crashes.extend(relint_crashes)
    outcome.remaining.sort(key=Diagnostic.sort_key)
    return outcome


def _relinter(
    display: str, enabled: frozenset[str], crashes: list[str]
) -> Callable[[str], Sequence[Diagnostic]]:
    """Lint fixed text as ``display``; the crashes of the last call go to ``crashes``."""
    from darklint.engine import lint_text

    def relint(text: str) -> Sequence[Diagnostic]:
        outcome = lint_text(text, display, enabled)
        crashes[:] = outcome.crashes
        return outcome.diagnostics

    return relint


def _write_bytes(raw: bytes) -> None:
    """``raw`` to standard output unchanged (as text where there is no byte stream)."""
    stdout = sys.stdout
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        stdout.write(raw.decode("utf-8", errors="replace"))
        return
    stdout.flush()
    buffer.write(raw)
    buffer.flush()


def _source_line_reader(sources: dict[str, str]) -> object:
    from darklint.source import Unreadable, decode, read_bytes

    lines: dict[tuple[str, int | None], list[str]] = {}

    def source_line(diagnostic: Diagnostic) -> str | None:
        key = (diagnostic.path, diagnostic.cell)
        if key not in lines:
            try:
                text = sources.get(diagnostic.path)
                if text is None:
                    text = decode(read_bytes(Path(diagnostic.path))).text
                lines[key] = _cell_or_file(text, diagnostic.cell).splitlines()
            except (Unreadable, IndexError, KeyError):
                lines[key] = []
        found = lines[key]
        return found[diagnostic.line - 1] if 0 < diagnostic.line <= len(found) else None

    return source_line


def _cell_or_file(text: str, cell: int | None) -> str:
    """The file's text, or its cell's (notebook support is imported only for notebooks)."""
    if cell is None:
        return text
    from darklint.notebook import NotebookError, load_notebook

    try:
        return load_notebook(text).cell_source(cell)
    except NotebookError:
        return ""


def _report(
    args: argparse.Namespace,
    diagnostics: list[Diagnostic],
    selection: Selection,
    stream: IO[str] | None,
    sources: dict[str, str],
) -> None:
    from darklint.output import OutputContext, render, render_statistics
    from darklint.registry import all_rules

    if args.statistics:
        text = render_statistics(diagnostics)
    else:
        context = OutputContext(
            diagnostics=diagnostics,
            rules=[rule.descriptor() for rule in all_rules() if rule.code in selection.enabled],
            root=Path.cwd(),
            tool_version=__version__,
            show_source=args.show_source,
            source_line=_source_line_reader(sources),  # type: ignore[arg-type]
            fixable_hint=not args.fix,
        )
        text = render(args.format, context)
    if args.output_file is not None and stream is None:
        try:
            args.output_file.write_text(text, encoding="utf-8")
        except OSError as error:
            raise OutputError(
                f"{args.output_file}: cannot write: {error.strerror or error}"
            ) from None
    else:
        (stream or sys.stdout).write(text)


def _exit_code(
    args: argparse.Namespace,
    diagnostics: Sequence[Diagnostic],
    crashes: Sequence[str],
    errors: Sequence[object] = (),
    *,
    fixed: bool = False,
) -> int:
    if crashes or errors:
        return EXIT_ERROR
    # --exit-non-zero-on-fix (ruff's flag): a fix hook must stop the commit
    # when it rewrote a file, even if nothing is left to report.
    on_fix = fixed and getattr(args, "exit_non_zero_on_fix", False)
    if (diagnostics or on_fix) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN
