"""``darklint check``: configuration, discovery, the run, fixes, and the report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from darklint import __version__
from darklint.config import ConfigError
from darklint.diagnostics import Diagnostic
from darklint.fixing import fix_files, fix_text
from darklint.hierarchy import CommandLine, Hierarchy
from darklint.output import STATISTICS_FORMATS
from darklint.selection import SelectorError, resolve_all

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class OutputError(Exception):
    """The report cannot be written (``--output-file``); a usage error (exit 2)."""


def _flatten(groups: Iterable[list[str]] | None) -> list[str]:
    return [code for group in groups or () for code in group]


def _error(message: str) -> None:
    print(f"darklint: error: {message}", file=sys.stderr)


def _warning(message: str) -> None:
    print(f"darklint: warning: {message}", file=sys.stderr)


def _report_crashes(crashes: Iterable[str]) -> None:
    for crash in crashes:
        _error(f"rule crashed: {crash}")


def _command_line(args: argparse.Namespace) -> CommandLine:
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
    return CommandLine(select=select, extend_select=extend_select, ignore=ignore)


def _usage_problem(args: argparse.Namespace) -> str | None:
    """Why these options cannot run together, or None."""
    if args.jobs is not None and args.jobs < 1:
        return "--jobs must be at least 1"
    if args.stdin_filename is not None and args.paths not in ([], ["-"]):
        return "--stdin-filename names the file read from standard input: give no other paths"
    for flag, value in (("--add-noqa", args.add_noqa), ("--write-baseline", args.write_baseline)):
        # Both write files from the findings of the run and report nothing.
        if not value:
            continue
        others = [
            name
            for name, given in (
                ("--fix", args.fix),
                ("--diff", args.diff),
                ("--baseline", args.baseline),
                ("--add-noqa", args.add_noqa and flag != "--add-noqa"),
                ("--statistics", args.statistics),
                ("standard input", args.paths == ["-"] or args.stdin_filename is not None),
            )
            if given
        ]
        if others:
            return f"{flag} cannot be used with {others[0]}"
    if args.statistics and args.format not in STATISTICS_FORMATS:
        return (
            f"--statistics cannot be used with --format {args.format}"
            f" (it has a {' and a '.join(STATISTICS_FORMATS)} form)"
        )
    return None


def run_check(args: argparse.Namespace) -> int:
    problem = _usage_problem(args)
    if problem is not None:
        _error(problem)
        return EXIT_ERROR
    # `--stdin-filename` alone reads standard input, as in ruff and black.
    reading_stdin = args.paths == ["-"] or (args.stdin_filename is not None and not args.paths)
    paths = args.paths or ["."]
    try:
        hierarchy = Hierarchy(_command_line(args), args.config)
        # The configuration the run starts from is loaded first, so that its
        # errors stop the run before anything is read; it also holds the cache.
        if reading_stdin:
            start = Path(args.stdin_filename).parent if args.stdin_filename else Path.cwd()
        else:
            start = Path(paths[0])
            start = start if start.is_dir() else start.parent
        root = hierarchy.scope_of_directory(start if start.exists() else Path.cwd()).config.root
        if reading_stdin:
            return _check_stdin(args, hierarchy)
        return _check_paths(args, paths, hierarchy, root)
    except (ConfigError, SelectorError, OutputError) as error:
        _error(str(error))
        return EXIT_ERROR


def _check_stdin(args: argparse.Namespace, hierarchy: Hierarchy) -> int:
    from darklint.engine import lint_bytes
    from darklint.source import Unreadable, decode

    display = args.stdin_filename or "-"
    if args.force_exclude and args.stdin_filename is not None:
        from darklint.discovery import is_excluded

        if is_excluded(args.stdin_filename, hierarchy.excludes_for):
            # ruff's behaviour: an excluded file is not linted, and a --fix
            # gives the editor its buffer back unchanged.
            raw = sys.stdin.buffer.read()
            if args.fix and not args.diff:
                _write_bytes(raw)
            elif args.format == "json":
                sys.stdout.write("[]\n")
            return EXIT_CLEAN
    settings = hierarchy.settings_for(display)
    enabled, target = settings.enabled, settings.target
    raw = sys.stdin.buffer.read()
    outcome = lint_bytes(raw, display, enabled, target)
    diagnostics = list(outcome.diagnostics)
    baseline = args.baseline
    errors = _crash_errors(outcome.crashes)
    try:
        source = decode(raw)
        text, rewritable = source.text, not source.lossy
    except Unreadable:
        text, rewritable = "", False
    if args.fix and not args.diff and not rewritable:
        # Nothing darklint can rewrite: the input goes back to the editor,
        # which replaces its buffer with standard output, byte for byte.
        _write_bytes(raw)
        _report(args, diagnostics, enabled, sys.stderr, {display: text}, errors)
        _report_crashes(outcome.crashes)
        return _exit_code(args, diagnostics, outcome.crashes)
    if args.fix or args.diff:
        fixed = fix_text(
            text,
            display,
            enabled,
            target,
            diagnostics if rewritable else (),
            args.unsafe_fixes,
        )
        if args.diff:
            sys.stdout.write(fixed.diff)
            _report_crashes(outcome.crashes)
            if fixed.applied and not outcome.crashes:
                return EXIT_FINDINGS
            return _exit_code(args, diagnostics, outcome.crashes)
        # Editors pipe a buffer through `darklint --fix -`: the fixed code goes
        # to standard output and what remains to standard error.
        sys.stdout.write(fixed.text)
        remaining = fixed.remaining
        if baseline is not None:
            remaining = _new_findings(baseline, remaining, {display: fixed.text})
        _report(args, remaining, enabled, sys.stderr, {display: fixed.text}, errors)
        _report_crashes(outcome.crashes)
        return _exit_code(args, remaining, outcome.crashes, fixed=bool(fixed.applied))
    if baseline is not None:
        diagnostics = _new_findings(baseline, diagnostics, {display: text})
    _report(args, diagnostics, enabled, None, {display: text}, errors)
    # Without this a crash on standard input exits 2 under "All checks passed!".
    _report_crashes(outcome.crashes)
    return _exit_code(args, diagnostics, outcome.crashes)


def _check_paths(
    args: argparse.Namespace, paths: list[str], hierarchy: Hierarchy, root: Path
) -> int:
    from darklint.cache import Cache
    from darklint.discovery import discover
    from darklint.runner import FileTask, default_jobs, run

    found = discover(paths, excludes_for=hierarchy.excludes_for, force_exclude=args.force_exclude)
    for given, reason in found.errors:
        _error(f"{given}: {reason}")
    errors: list[tuple[str, str]] = list(found.errors)
    if not found.files and found.empty:
        # ruff warns the same way: a run that linted nothing passed nothing.
        _warning(f"no Python files found under {', '.join(found.empty)}")
    tasks = []
    enabled_anywhere: set[str] = set()
    for path in found.files:
        settings = hierarchy.settings_for(path)
        enabled_anywhere |= settings.enabled
        tasks.append(FileTask(path, str(path), settings.enabled, settings.target))
    cache = None if args.no_cache else Cache(root)
    result = run(tasks, jobs=args.jobs or default_jobs(), cache=cache)
    if getattr(args, "stats", False):
        print(
            f"darklint: analysed {result.analysed}/{result.files} files"
            f" ({result.cached} from the cache)",
            file=sys.stderr,
        )
    diagnostics = result.diagnostics
    crashes = list(result.crashes)
    if args.write_baseline or args.add_noqa:
        return _write_from_findings(args, diagnostics, tasks, crashes, errors)
    changed = False
    write_errors: list[tuple[str, str]] = []  # fixes that could not be written
    if args.fix or args.diff:
        fix_outcome = fix_files(
            tasks, diagnostics, unsafe=args.unsafe_fixes, diff=args.diff, out=sys.stdout
        )
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
    if args.baseline is not None:
        diagnostics = _new_findings(args.baseline, diagnostics, {})
    failures = [
        *(f"{path}: {reason}" for path, reason in [*errors, *write_errors]),
        *_crash_errors(crashes),
    ]
    _report(
        args,
        diagnostics,
        frozenset(enabled_anywhere or hierarchy.settings_for(root / "-").enabled),
        None,
        {},
        failures,
        nothing_linted=not tasks,
    )
    _report_crashes(crashes)
    for display, reason in write_errors:
        _error(f"{display}: {reason}")
    return _exit_code(args, diagnostics, crashes, [*errors, *write_errors], fixed=changed)


def _new_findings(
    path: Path, diagnostics: list[Diagnostic], sources: dict[str, str]
) -> list[Diagnostic]:
    """The findings the baseline at ``path`` does not hold."""
    from darklint.baseline import Baseline, BaselineError

    try:
        baseline = Baseline.read(path)
    except BaselineError as error:
        raise OutputError(str(error)) from None
    return baseline.new_findings(diagnostics, _lines_reader(sources))


def _write_from_findings(
    args: argparse.Namespace,
    diagnostics: list[Diagnostic],
    tasks: Sequence[object],
    crashes: list[str],
    errors: list[tuple[str, str]],
) -> int:
    """``--write-baseline`` and ``--add-noqa``: files written from the findings, no report."""
    _report_crashes(crashes)
    if args.write_baseline is not None:
        from darklint.baseline import BaselineError, write_baseline

        if crashes or errors:
            # A baseline of an incomplete run would hide what the next run finds.
            _error(f"{args.write_baseline}: not written: the run had errors")
            return EXIT_ERROR
        try:
            count = write_baseline(args.write_baseline, diagnostics, _lines_reader({}))
        except BaselineError as error:
            _error(str(error))
            return EXIT_ERROR
        print(
            f"darklint: wrote {count} finding{'' if count == 1 else 's'} to {args.write_baseline}",
            file=sys.stderr,
        )
        return EXIT_ERROR if errors else EXIT_CLEAN
    from darklint.add_noqa import add_noqa_to_files

    added, write_errors = add_noqa_to_files(tasks, diagnostics, _warning)
    for display, reason in write_errors:
        _error(f"{display}: {reason}")
    print(f"Added {added} noqa directive{'' if added == 1 else 's'}.", file=sys.stderr)
    return EXIT_ERROR if crashes or errors or write_errors else EXIT_CLEAN


def _crash_errors(crashes: Iterable[str]) -> list[str]:
    return [f"rule crashed: {crash}" for crash in crashes]


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


def _lines_reader(sources: dict[str, str]) -> Callable[[str, int | None], list[str]]:
    """The lines of a file (or of a notebook's cell), read once; ``sources``: texts already read."""
    from darklint.source import Unreadable, decode, read_bytes

    lines: dict[tuple[str, int | None], list[str]] = {}

    def lines_of(path: str, cell: int | None) -> list[str]:
        key = (path, cell)
        if key not in lines:
            try:
                text = sources.get(path)
                if text is None:
                    text = decode(read_bytes(Path(path))).text
                lines[key] = _cell_or_file(text, cell).splitlines()
            except (Unreadable, IndexError, KeyError):
                lines[key] = []
        return lines[key]

    return lines_of


def _source_line_reader(sources: dict[str, str]) -> Callable[[Diagnostic], str | None]:
    lines_of = _lines_reader(sources)

    def source_line(diagnostic: Diagnostic) -> str | None:
        found = lines_of(diagnostic.path, diagnostic.cell)
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
    enabled: frozenset[str],
    stream: IO[str] | None,
    sources: dict[str, str],
    errors: Sequence[str] = (),
    *,
    nothing_linted: bool = False,
) -> None:
    from darklint.output import OutputContext, render, render_statistics
    from darklint.registry import all_rules

    if args.statistics:
        text = "" if errors and not diagnostics else render_statistics(diagnostics, args.format)
    else:
        context = OutputContext(
            diagnostics=diagnostics,
            rules=[rule.descriptor() for rule in all_rules() if rule.code in enabled],
            root=Path.cwd(),
            tool_version=__version__,
            show_source=args.show_source,
            source_line=_source_line_reader(sources),
            fixable_hint=not args.fix,
            errors=errors,
            nothing_linted=nothing_linted,
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
