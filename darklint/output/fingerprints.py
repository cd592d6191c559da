"""Line-number-free fingerprints of findings, for the formats that track them (SARIF, GitLab).

The hash covers the code, the file and the stripped source line; the
occurrence index tells apart identical lines in one file, so inserting lines
above a finding keeps its fingerprint.  Without the source line the message
stands in (it names the objects involved).  SARIF results are matched across
runs by these values: the recipe must not change.
"""

from __future__ import annotations

import hashlib

from darklint.diagnostics import Diagnostic
from darklint.output import OutputContext


class Fingerprints:
    """Call with each diagnostic of a run in order: its fingerprint."""

    def __init__(self, ctx: OutputContext) -> None:
        self._source_line = ctx.source_line
        self._seen: dict[tuple[str, str, str], int] = {}

    def __call__(self, diagnostic: Diagnostic, path: str) -> str:
        source = self._source_line(diagnostic) if self._source_line is not None else None
        text = source.strip() if source is not None else diagnostic.message
        key = (diagnostic.code, path, text)
        occurrence = self._seen.get(key, 0)
        self._seen[key] = occurrence + 1
        payload = "\0".join([*key, str(occurrence)])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
