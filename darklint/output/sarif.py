"""The ``sarif`` format: SARIF 2.1.0, for GitHub code scanning and IDEs.

The output must validate against the OASIS schema (tests check it).  Paths
under the run's root are written relative to the ``SRCROOT`` base id so the
log is portable between machines; others fall back to absolute file URIs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from darklint import REPOSITORY_URL
from darklint.diagnostics import Diagnostic, Fix, Related, RuleDescriptor, Severity
from darklint.output import OutputContext
from darklint.output.fingerprints import Fingerprints

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "darklint/v1"
# The project's home page.
INFORMATION_URI = REPOSITORY_URL

_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}


def _rule_to_sarif(rule: RuleDescriptor) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": ["keras", *(["fixable"] if rule.fixable else [])]}
    if rule.reference is not None:
        properties["reference"] = rule.reference
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.description, "markdown": rule.description},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": properties,
    }


def artifact_location(path: str, root: Path) -> dict[str, str]:
    """``{uri, uriBaseId}`` relative to ``root``, or an absolute file URI."""
    root_abs = os.path.normpath(root.absolute())
    # normpath, not resolve(): the file may be gone and symlinks must not
    # move a path out of the root the user named.
    full = os.path.normpath(os.path.join(root_abs, path))
    try:
        relative = PurePath(full).relative_to(root_abs)
    except ValueError:
        return {"uri": Path(full).as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": "SRCROOT"}


def root_uri(root: Path) -> str:
    uri = Path(os.path.normpath(root.absolute())).as_uri()
    # A base URI must end in "/" or RFC 3986 resolution drops its last segment.
    return uri if uri.endswith("/") else uri + "/"


def _region(diagnostic: Diagnostic) -> dict[str, int]:
    if diagnostic.cell is None:
        return {
            "startLine": diagnostic.line,
            "startColumn": diagnostic.column,
            "endLine": diagnostic.end_line,
            "endColumn": diagnostic.end_column,
        }
    # Viewers show the raw .ipynb, where in-cell columns mean nothing: point
    # at the whole raw line when it is known, else at the top of the file
    # (the in-cell position is in the result's properties either way).
    line = diagnostic.file_line if diagnostic.file_line is not None else 1
    return {"startLine": line, "endLine": line}


def _fix_to_sarif(fix: Fix, location: dict[str, str], help_text: str | None) -> dict[str, Any]:
    return {
        # The help says what to do; the fix title what the edit does.
        "description": {"text": help_text or fix.title},
        "artifactChanges": [
            {
                "artifactLocation": location,
                "replacements": [
                    {
                        "deletedRegion": {
                            "startLine": edit.line,
                            "startColumn": edit.column,
                            "endLine": edit.end_line,
                            "endColumn": edit.end_column,
                        },
                        "insertedContent": {"text": edit.content},
                    }
                    for edit in fix.edits
                ],
            }
        ],
        # SARIF has no notion of fix safety; keep ours for consumers that care.
        "properties": {"applicability": "safe" if fix.safe else "unsafe"},
    }


def _result(
    diagnostic: Diagnostic,
    ctx: OutputContext,
    rule_index: dict[str, int],
    fingerprint: Fingerprints,
) -> dict[str, Any]:
    location = artifact_location(diagnostic.path, ctx.root)
    result: dict[str, Any] = {"ruleId": diagnostic.code}
    if diagnostic.code in rule_index:
        result["ruleIndex"] = rule_index[diagnostic.code]
    result["level"] = _LEVELS[diagnostic.severity]
    result["message"] = {"text": diagnostic.message}
    result["locations"] = [
        {
            "physicalLocation": {
                "artifactLocation": location,
                "region": _region(diagnostic),
            }
        }
    ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(diagnostic, location["uri"])}
    # Notebook edits are in cell coordinates, which SARIF cannot express.
    if diagnostic.fix is not None and diagnostic.fix.edits and diagnostic.cell is None:
        result["fixes"] = [_fix_to_sarif(diagnostic.fix, location, diagnostic.help)]
    if diagnostic.related:
        result["relatedLocations"] = [
            _related_location(index, item, ctx) for index, item in enumerate(diagnostic.related)
        ]
    properties: dict[str, Any] = {}
    if diagnostic.help:
        # SARIF has no help per result; a fix's description holds it when
        # there is a fix, and this property always.
        properties["help"] = diagnostic.help
    if diagnostic.cell is not None:
        properties.update(
            cell=diagnostic.cell, cellLine=diagnostic.line, cellColumn=diagnostic.column
        )
    if properties:
        result["properties"] = properties
    return result


def _related_location(index: int, related: Related, ctx: OutputContext) -> dict[str, Any]:
    region: dict[str, int] = {
        "startLine": related.line,
        "startColumn": related.column,
        "endLine": related.end_line,
        "endColumn": related.end_column,
    }
    location: dict[str, Any] = {
        "id": index,
        "physicalLocation": {
            "artifactLocation": artifact_location(related.path, ctx.root),
            # In-cell coordinates mean nothing in the raw .ipynb (see _region).
            "region": region if related.cell is None else {"startLine": 1},
        },
        "message": {"text": related.message},
    }
    if related.cell is not None:
        location["properties"] = {
            "cell": related.cell,
            "cellLine": related.line,
            "cellColumn": related.column,
        }
    return location


def _invocation(ctx: OutputContext) -> dict[str, Any]:
    """Whether the run succeeded: a failed run's results are incomplete, not clean."""
    invocation: dict[str, Any] = {"executionSuccessful": not ctx.errors}
    if ctx.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": error}} for error in ctx.errors
        ]
    return invocation


def build_sarif(ctx: OutputContext) -> dict[str, Any]:
    rule_index = {rule.code: index for index, rule in enumerate(ctx.rules)}
    fingerprint = Fingerprints(ctx)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "darklint",
                "version": ctx.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_to_sarif(rule) for rule in ctx.rules],
            }
        },
        "originalUriBaseIds": {"SRCROOT": {"uri": root_uri(ctx.root)}},
        # Columns count code points (Python string indices), not UTF-16 units.
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, ctx, rule_index, fingerprint) for d in ctx.diagnostics],
        "invocations": [_invocation(ctx)],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(ctx: OutputContext) -> str:
    return json.dumps(build_sarif(ctx), indent=2) + "\n"
