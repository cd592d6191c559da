"""Output formats: turn already-sorted diagnostics into text.

Formats know nothing about rules or libcst: they see only the plain data of
:mod:`darklint.diagnostics`.  Each format lives in its own module and is
imported only when used, so that ``import darklint.output`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from darklint.diagnostics import Diagnostic, RuleDescriptor

__all__ = ["FORMATS", "STATISTICS_FORMATS", "OutputContext", "render", "render_statistics"]


@dataclass(frozen=True)
class OutputContext:
    """Everything a format may use; built once per run by the CLI."""

    diagnostics: Sequence[Diagnostic]
    # Every rule enabled in this run (SARIF's tool.driver.rules), findings or not.
    rules: Sequence[RuleDescriptor]
    # The directory diagnostic paths are relative to (the cwd); SARIF's SRCROOT.
    root: Path
    tool_version: str
    show_source: bool = False
    # The text of a diagnostic's line (in-cell for notebooks), or None.
    source_line: Callable[[Diagnostic], str | None] | None = None
    # The text summary mentions --fix only when the CLI could apply fixes.
    fixable_hint: bool = True
    # Why the run failed (exit 2: a missing path, a crashed rule, a fix not
    # written), already on standard error.  A format must then never read as
    # a clean result: no "All checks passed!", no bare empty list.
    errors: Sequence[str] = ()
    # No file was linted at all (the CLI warned on standard error).
    nothing_linted: bool = False


# Thin wrappers keep the import of each format module until it is used.
def _text(ctx: OutputContext) -> str:
    from darklint.output.text import render_text

    return render_text(ctx)


def _json(ctx: OutputContext) -> str:
    from darklint.output.json_ import render_json

    return render_json(ctx)


def _sarif(ctx: OutputContext) -> str:
    from darklint.output.sarif import render_sarif

    return render_sarif(ctx)


def _github(ctx: OutputContext) -> str:
    from darklint.output.github import render_github

    return render_github(ctx)


def _gitlab(ctx: OutputContext) -> str:
    from darklint.output.gitlab import render_gitlab

    return render_gitlab(ctx)


def _junit(ctx: OutputContext) -> str:
    from darklint.output.junit import render_junit

    return render_junit(ctx)


FORMATS: dict[str, Callable[[OutputContext], str]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "github": _github,
    "gitlab": _gitlab,
    "junit": _junit,
}


def render(name: str, ctx: OutputContext) -> str:
    """Render ``ctx`` in the format called ``name`` (a key of :data:`FORMATS`)."""
    try:
        formatter = FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown output format {name!r} (known: {known})") from None
    return formatter(ctx)


# The formats --statistics has a form in; the others are refused (exit 2).
STATISTICS_FORMATS = ("text", "json")


def render_statistics(diagnostics: Sequence[Diagnostic], fmt: str = "text") -> str:
    """The ``--statistics`` table: one line per code, most frequent first (or its JSON)."""
    from darklint.output import statistics

    if fmt == "json":
        return statistics.render_statistics_json(diagnostics)
    return statistics.render_statistics(diagnostics)
