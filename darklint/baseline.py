"""Baselines: record today's findings, then report only the new ones.

A team adopting darklint on a legacy repository writes a baseline once
(``--write-baseline FILE``) and gates only what is new (``--baseline FILE``).
A finding is recognised by its fingerprint, not its line: the rule's code,
the file's path (relative to the baseline file, so the run may start from
any directory) and the reported statement's text with its whitespace
normalised, plus an occurrence index among identical ones in the file.  An
edit above a finding, or re-indenting it, keeps it known; changing the
statement itself makes it new, which is what a reviewer wants to see.

The file is JSON with a ``version`` field, sorted so that it diffs well in
review, and written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from darklint.diagnostics import Diagnostic
from darklint.source import write_atomic

VERSION = 1

# The lines of a file (a notebook cell's when ``cell`` is set), or None when unreadable.
LinesOf = Callable[[str, "int | None"], "Sequence[str] | None"]

_SPACE = re.compile(r"\s+")


class BaselineError(Exception):
    """The baseline file cannot be read or written; a usage error (exit 2)."""


def statement_text(diagnostic: Diagnostic, lines: Sequence[str] | None) -> str:
    """The reported statement's text, whitespace-normalised: the lines its range spans.

    Without the source (the file is gone) the message stands in: it names the
    objects involved.
    """
    if not lines or not 0 < diagnostic.line <= len(lines):
        return diagnostic.message
    spanned = lines[diagnostic.line - 1 : max(diagnostic.end_line, diagnostic.line)]
    return _SPACE.sub(" ", " ".join(spanned)).strip()


def fingerprints(
    diagnostics: Iterable[Diagnostic], relative_path: Callable[[str], str], lines_of: LinesOf
) -> list[tuple[Diagnostic, str, str]]:
    """(diagnostic, path as stored, fingerprint) for each, in order."""
    seen: Counter[tuple[str, str, str]] = Counter()
    found = []
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        path = relative_path(diagnostic.path)
        key = (
            diagnostic.code,
            path,
            statement_text(diagnostic, lines_of(diagnostic.path, diagnostic.cell)),
        )
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join([*key, str(occurrence)]).encode("utf-8")).hexdigest()
        found.append((diagnostic, path, digest))
    return found


@dataclass(frozen=True)
class Baseline:
    """The fingerprints recorded in one baseline file."""

    path: Path
    known: frozenset[str]

    @classmethod
    def read(cls, path: Path) -> Baseline:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise BaselineError(
                f"{path}: cannot read the baseline: {error.strerror or error}"
            ) from None
        except ValueError as error:
            raise BaselineError(f"{path}: not a darklint baseline: {error}") from None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise BaselineError(
                f"{path}: not a darklint baseline of version {VERSION} "
                "(write one with --write-baseline)"
            )
        findings = data.get("findings")
        if not isinstance(findings, list) or not all(
            isinstance(item, dict) and isinstance(item.get("fingerprint"), str) for item in findings
        ):
            raise BaselineError(f"{path}: not a darklint baseline: 'findings' is malformed")
        return cls(path, frozenset(item["fingerprint"] for item in findings))

    def new_findings(
        self, diagnostics: Sequence[Diagnostic], lines_of: LinesOf
    ) -> list[Diagnostic]:
        """The diagnostics whose fingerprint the baseline does not hold, in their order."""
        relative = relative_to(self.path.parent)
        unknown = {
            id(diagnostic)
            for diagnostic, _, digest in fingerprints(diagnostics, relative, lines_of)
            if digest not in self.known
        }
        return [diagnostic for diagnostic in diagnostics if id(diagnostic) in unknown]


def relative_to(directory: Path) -> Callable[[str], str]:
    """A diagnostic's path as stored: relative to ``directory``, with ``/``."""
    base = os.path.abspath(directory)

    def relative(path: str) -> str:
        try:
            return PurePath(os.path.relpath(os.path.abspath(path), base)).as_posix()
        except ValueError:  # another drive on Windows
            return PurePath(os.path.abspath(path)).as_posix()

    return relative


def write_baseline(path: Path, diagnostics: Sequence[Diagnostic], lines_of: LinesOf) -> int:
    """Write the baseline of ``diagnostics`` to ``path`` (atomically); return how many."""
    relative = relative_to(path.parent)
    findings: list[dict[str, Any]] = [
        {
            "code": diagnostic.code,
            "path": stored,
            "fingerprint": digest,
            # For the reader of a review; matching ignores both.
            "line": diagnostic.line,
            "message": diagnostic.message,
        }
        for diagnostic, stored, digest in fingerprints(diagnostics, relative, lines_of)
    ]
    findings.sort(key=lambda item: (item["path"], item["line"], item["code"], item["fingerprint"]))
    text = json.dumps({"version": VERSION, "tool": "darklint", "findings": findings}, indent=2)
    try:
        write_atomic(path, (text + "\n").encode("utf-8"))
    except OSError as error:
        raise BaselineError(
            f"{path}: cannot write the baseline: {error.strerror or error}"
        ) from None
    return len(findings)
