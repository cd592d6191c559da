"""Results cached by file content, darklint version and the file's enabled rules.

One JSON file per darklint version under ``.darklint_cache/`` (which carries
its own ``.gitignore``).  It is read once and written once per run, atomically,
so concurrent runs can only lose each other's entries, never corrupt the
file; a cache that fails to load (garbage, truncated, wrong shape) is ignored
and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from darklint import __version__
from darklint.diagnostics import Diagnostic

CACHE_DIR_NAME = ".darklint_cache"


def entry_key(raw: bytes, enabled: frozenset[str]) -> str:
    digest = hashlib.sha256(raw)
    digest.update(b"\0" + ",".join(sorted(enabled)).encode())
    return digest.hexdigest()


class Cache:
    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIR_NAME
        self.file = self.directory / f"v{__version__}.json"
        self._entries: dict[str, Any] = self._load()
        self._dirty = False

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, path: str, key: str) -> tuple[Diagnostic, ...] | None:
        entry = self._entries.get(path)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        try:
            return tuple(Diagnostic.from_dict(item) for item in entry["diagnostics"])
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, path: str, key: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        self._entries[path] = {"key": key, "diagnostics": [d.to_dict() for d in diagnostics]}
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        try:
            self.directory.mkdir(exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by darklint\n*\n")
            handle, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self._entries, out, separators=(",", ":"))
            os.replace(temp, self.file)
        except OSError:
            # A read-only checkout still gets lint results, just no cache.
            pass
