"""The ``github`` format: GitHub Actions workflow commands (annotations).

Escaping follows @actions/core (``toolkit/packages/core/src/command.ts``):
a runner that meets an unescaped ``::``, ``,`` or newline would cut the
annotation short or drop it.
"""

from __future__ import annotations

from pathlib import PurePath

from darklint.diagnostics import Diagnostic, Severity
from darklint.output import OutputContext

_COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
}


def escape_data(value: str) -> str:
    """Escape the message part (after ``::``)."""
    # ``%`` first, or the escapes themselves would be escaped again.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a ``key=value`` property: data escapes plus the separators."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(diagnostic: Diagnostic) -> str:
    path = PurePath(diagnostic.path).as_posix()
    title = f"{diagnostic.code} [{diagnostic.name}]"
    message = diagnostic.message
    if diagnostic.cell is None:
        props = [
            ("file", path),
            ("line", str(diagnostic.line)),
            ("endLine", str(diagnostic.end_line)),
            ("col", str(diagnostic.column)),
            ("endColumn", str(diagnostic.end_column)),
        ]
    else:
        # GitHub shows the raw .ipynb: only its line is meaningful there, the
        # in-cell columns are not, so the cell position goes in the message.
        line = diagnostic.file_line if diagnostic.file_line is not None else diagnostic.line
        props = [("file", path), ("line", str(line))]
        message = f"cell {diagnostic.cell}: {message}"
    if diagnostic.help:
        # Annotations keep line breaks: the help reads as its own line.
        message = f"{message}\nhelp: {diagnostic.help}"
    props.append(("title", title))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{_COMMANDS[diagnostic.severity]} {rendered}::{escape_data(message)}"


def render_github(ctx: OutputContext) -> str:
    # A failed run (a missing path...) is an annotation too: a job log shows
    # annotations first, and a run with none would look clean.
    errors = "".join(f"::error title=darklint::{escape_data(error)}\n" for error in ctx.errors)
    return errors + "".join(format_command(d) + "\n" for d in ctx.diagnostics)
