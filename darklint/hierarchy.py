"""Per-file configuration: each file uses the nearest configuration above it (ruff's hierarchy).

A repository with sub-projects has a ``pyproject.toml`` per project; a file
of ``sub/`` must get ``sub/``'s rules, excludes and target settings whether
darklint was started on the repository, on ``sub/``, on the file itself
(pre-commit names files), on standard input (``--stdin-filename``) or by the
language server.  ``--config`` applies one file to everything, as in ruff.

Every directory's answer is remembered, so a walk over many directories reads
each configuration file once; the command line's selection
(``--select``...) is merged into every configuration.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from darklint.config import Config, ConfigError, Target, find_config_in, load_config, merge_cli
from darklint.discovery import DEFAULT_EXCLUDES, GitIgnore, exclude_patterns
from darklint.selection import Selection, resolve_all


@dataclass(frozen=True)
class FileSettings:
    """What one file is linted with."""

    enabled: frozenset[str]
    target: Target
    # The configuration it comes from (for messages) and the root its
    # relative patterns are anchored at.
    config: Config


@dataclass(frozen=True)
class CommandLine:
    """The selection given on the command line, merged into every configuration."""

    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()


@dataclass
class _Scope:
    """One configuration file (or none) and what it resolves to."""

    config: Config
    selection: Selection
    excludes: GitIgnore | None = None  # built on first use


@dataclass
class Hierarchy:
    """Finds, loads and remembers the configuration of every directory asked about.

    ``explicit`` (``--config``) replaces the search.  Loading raises
    ``ConfigError``/``SelectorError`` naming the file and key; the CLI turns
    them into exit code 2, the language server into a message.
    """

    command_line: CommandLine = field(default_factory=CommandLine)
    explicit: Path | None = None
    _by_directory: dict[str, _Scope] = field(default_factory=dict)
    _by_file: dict[Path | None, _Scope] = field(default_factory=dict)
    _real_directories: dict[str, str] = field(default_factory=dict)

    def scope_of_directory(self, directory: str | os.PathLike[str]) -> _Scope:
        """The configuration in force in ``directory`` (an existing or a would-be one)."""
        key = os.path.abspath(directory)
        scope = self._by_directory.get(key)
        if scope is not None:
            return scope
        if self.explicit is not None:
            if not self.explicit.is_file():
                raise ConfigError(f"{self.explicit}: config file not found")
            scope = self._scope(self.explicit)
        else:
            # Up the tree until a directory already known or a configuration file.
            walked: list[str] = []
            current = key
            while True:
                scope = self._by_directory.get(current)
                if scope is not None:
                    break
                walked.append(current)
                found = find_config_in(Path(current))
                if found is not None:
                    scope = self._scope(found)
                    break
                parent = os.path.dirname(current)
                if parent == current:
                    scope = self._scope(None)
                    break
                current = parent
            for directory_walked in walked:
                self._by_directory[directory_walked] = scope
        self._by_directory[key] = scope
        return scope

    def config_for(self, path: str | os.PathLike[str]) -> Config:
        return self.scope_of_directory(os.path.dirname(os.path.abspath(path))).config

    def settings_for(self, path: str | os.PathLike[str]) -> FileSettings:
        """The rules and target settings of the file at ``path`` (it need not exist)."""
        scope = self.scope_of_directory(os.path.dirname(os.path.abspath(path)))
        relative = self._relative(Path(path), scope.config.root)
        return FileSettings(scope.selection.for_path(relative), scope.config.target, scope.config)

    def excludes_for(self, directory: str) -> GitIgnore:
        """The compiled exclude patterns in force in ``directory`` (for discovery)."""
        scope = self.scope_of_directory(directory)
        if scope.excludes is None:
            config = scope.config
            scope.excludes = exclude_patterns(
                config.exclude if config.exclude is not None else DEFAULT_EXCLUDES,
                config.extend_exclude,
                config.root,
            )
        return scope.excludes

    def _relative(self, path: Path, root: Path) -> str:
        """``path`` relative to ``root``, symlinks resolved (each directory once per run)."""
        try:
            return os.path.relpath(self._resolve(path), root)
        except ValueError:  # another drive on Windows
            return str(path)

    def _resolve(self, path: Path) -> str:
        name = os.path.basename(path)
        if name in ("", ".", "..") or os.path.islink(path):
            return str(path.resolve())
        # Not abspath: it would fold `link/..` before the link is resolved.
        directory = os.path.join(os.getcwd(), os.path.dirname(path))
        resolved = self._real_directories.get(directory)
        if resolved is None:
            resolved = self._real_directories[directory] = str(Path(directory).resolve())
        return os.path.join(resolved, name)

    def _scope(self, path: Path | None) -> _Scope:
        key = path.resolve() if path is not None else None
        scope = self._by_file.get(key)
        if scope is None:
            scope = self._by_file[key] = _load(path, self.command_line)
        return scope


def _load(path: Path | None, command_line: CommandLine) -> _Scope:
    config = load_config(path) if path is not None else Config(path=None, root=Path.cwd().resolve())
    if config.path is not None:
        # Checked key by key so that an unknown code names the key it is in,
        # not just the file (and is caught even when --select overrides it).
        for key, listed in (
            ("select", config.select or ()),
            ("extend-select", config.extend_select),
            ("ignore", config.ignore),
        ):
            resolve_all(listed, f"{config.origin} [tool.darklint] {key}")
    merged = merge_cli(
        config,
        select=command_line.select,
        extend_select=command_line.extend_select,
        ignore=command_line.ignore,
    )
    selection = Selection.build(
        select=merged.select,
        extend_select=merged.extend_select,
        ignore=merged.ignore,
        per_file_ignores=merged.per_file_ignores,
        origin=f"{merged.origin} [tool.darklint]",
    )
    return _Scope(merged, selection)
