"""Results cached by file content, darklint version and the file's enabled rules.

One JSON file per darklint version and entry format under ``.darklint_cache/`` (which carries
its own ``.gitignore``).  It is read once and written once per run, atomically,
so concurrent runs can only lose each other's entries, never corrupt the
file; a cache that fails to load (garbage, truncated, wrong shape) is ignored
and rewritten.  A ``.darklint_cache`` that is a symlink is neither read nor
written: a checkout must not be able to point darklint's writes elsewhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from darklint import __version__
from darklint.config import Target
from darklint.diagnostics import Diagnostic

CACHE_DIR_NAME = ".darklint_cache"
# The layout of the entries: bumped when a diagnostic gains a field (help and
# related places: 2; the project's modules each result depends on: 3), so that
# an older file is not read as this one.
CACHE_FORMAT = 3


def entry_key(raw: bytes, enabled: frozenset[str], target: Target = ()) -> str:
    """The file's bytes and everything its configuration changes in the result."""
    digest = hashlib.sha256(raw)
    digest.update(b"\0" + ",".join(sorted(enabled)).encode())
    # Target settings change messages (and later which rules apply).
    digest.update(b"\0" + json.dumps(sorted(target), default=str).encode())
    return digest.hexdigest()


class Cache:
    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIR_NAME
        self.file = self.directory / f"v{__version__}-{CACHE_FORMAT}.json"
        self._entries: dict[str, Any] = self._load()
        self._dirty = False

    def _load(self) -> dict[str, Any]:
        if self.directory.is_symlink():
            return {}
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # RecursionError: "[[[[..."
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, path: str, key: str) -> tuple[Diagnostic, ...] | None:
        entry = self._entries.get(path)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        if not _dependencies_unchanged(entry.get("dependencies", [])):
            return None  # a module of the project it imports changed: lint it again
        try:
            diagnostics = tuple(Diagnostic.from_dict(item) for item in entry["diagnostics"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return diagnostics if all(_well_formed(d) for d in diagnostics) else None

    def put(
        self,
        path: str,
        key: str,
        diagnostics: tuple[Diagnostic, ...],
        dependencies: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self._entries[path] = {
            "key": key,
            "diagnostics": [d.to_dict() for d in diagnostics],
            "dependencies": [list(item) for item in dependencies],
        }
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        temp = None
        try:
            self.directory.mkdir(exist_ok=True)
            if self.directory.is_symlink():
                return
            _create_gitignore(self.directory / ".gitignore")
            handle, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self._entries, out, separators=(",", ":"))
            os.replace(temp, self.file)
            temp = None
        except OSError:
            # A read-only checkout still gets lint results, just no cache.
            pass
        finally:
            if temp is not None:  # the write failed (disk full...): no litter
                with contextlib.suppress(OSError):
                    os.unlink(temp)


def _dependencies_unchanged(dependencies: object) -> bool:
    """Each module a result depends on still has the content it had (``project.digest_of``)."""
    from darklint.project import digest_of

    if not isinstance(dependencies, list):
        return False
    for item in dependencies:
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
        ):
            return False
        if digest_of(item[0]) != item[1]:
            return False
    return True


def _create_gitignore(path: Path) -> None:
    """Create the cache's .gitignore unless it exists, never through a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags, 0o644)
    except FileExistsError:  # also a symlink, dangling or not: left alone
        return
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("# Created by darklint\n*\n")


_INT_FIELDS = ("line", "column", "end_line", "end_column")


def _well_formed(diagnostic: Diagnostic) -> bool:
    """Whether a diagnostic read back from the cache has the types the outputs rely on."""
    return (
        all(type(getattr(diagnostic, name)) is int for name in _INT_FIELDS)
        and all(
            isinstance(value, str)
            for value in (diagnostic.path, diagnostic.code, diagnostic.message)
        )
        and (diagnostic.cell is None or type(diagnostic.cell) is int)
        and (diagnostic.help is None or isinstance(diagnostic.help, str))
        and all(
            isinstance(item.message, str)
            and isinstance(item.path, str)
            and all(type(getattr(item, name)) is int for name in _INT_FIELDS)
            for item in diagnostic.related
        )
    )
