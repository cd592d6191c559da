"""The ``json`` format: a list of flat objects, one per diagnostic.

The key names and their order are a contract that tools rely on; add keys
only at the end and never rename one.  (The module is ``json_`` so that it
does not shadow the standard library's ``json``.)
"""

from __future__ import annotations

import json
from typing import Any

from darklint.diagnostics import Diagnostic, Fix, Related
from darklint.output import OutputContext


def fix_to_json(fix: Fix) -> dict[str, Any]:
    return {
        "title": fix.title,
        "applicability": "safe" if fix.safe else "unsafe",
        "edits": [
            {
                "line": edit.line,
                "column": edit.column,
                "end_line": edit.end_line,
                "end_column": edit.end_column,
                "content": edit.content,
            }
            for edit in fix.edits
        ],
    }


def diagnostic_to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end_line": diagnostic.end_line,
        "end_column": diagnostic.end_column,
        "code": diagnostic.code,
        "name": diagnostic.name,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "fix": None if diagnostic.fix is None else fix_to_json(diagnostic.fix),
        "reference": diagnostic.reference,
        "url": diagnostic.url,
        # ``docs`` duplicates ``url`` for tools that look for either name.
        "docs": diagnostic.url,
        "cell": diagnostic.cell,
        "help": diagnostic.help,
        "related": [related_to_json(item) for item in diagnostic.related],
    }


def related_to_json(related: Related) -> dict[str, Any]:
    return {
        "message": related.message,
        "path": related.path,
        "line": related.line,
        "column": related.column,
        "end_line": related.end_line,
        "end_column": related.end_column,
        "cell": related.cell,
    }


def render_json(ctx: OutputContext) -> str:
    if ctx.errors and not ctx.diagnostics:
        # "[]" would read as a clean result; the errors are on standard error.
        return ""
    records = [diagnostic_to_json(d) for d in ctx.diagnostics]
    # ASCII-only output cannot fail on a console with a narrow encoding.
    return json.dumps(records, indent=2) + "\n"
