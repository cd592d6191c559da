"""``[tool.darklint]`` in the nearest ``pyproject.toml`` (or a ``darklint.toml``).

Every problem names the file and the key: a linter that silently ignores a
misspelt ``selct`` key is worse than one that refuses to start.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """A user-facing configuration problem (exit code 2)."""


LIST_KEYS = ("select", "extend-select", "ignore", "exclude", "extend-exclude")

# Target settings: what the linted code runs on, which rules use to say only
# what applies to it.  Each key's allowed values, the default first.  They
# travel with each file (``Target``) to the rules and into the cache key, so
# a new key is one line here and nothing else in the plumbing.
TARGET_KEYS: dict[str, tuple[object, ...]] = {
    "backend": ("any", "tensorflow", "torch", "jax"),
    # The Keras major version the code is written for: on 2, the Keras 3
    # migration rules (DK5xx) have nothing to say.
    "keras-version": (3, 2),
}

# ``src``: folders (relative to the configuration file) where the project's
# own modules are found besides the linted file's folder and the project
# root (ruff's key).  It travels with the target settings, as the modules
# found change the results.
SRC_KEY = "src"

KNOWN_KEYS = frozenset((*LIST_KEYS, "per-file-ignores", SRC_KEY, *TARGET_KEYS))

# A file's target settings as sorted (key, value) pairs: hashable, picklable
# (it goes to worker processes) and stable in the cache key.  Only the keys
# the configuration sets; ``target_value`` supplies the defaults.
Target = tuple[tuple[str, object], ...]


def target_value(target: Target | Mapping[str, object], key: str) -> object:
    """The value of target setting ``key``, or its default."""
    found = dict(target).get(key)
    return TARGET_KEYS[key][0] if found is None else found


@dataclass(frozen=True)
class Config:
    path: Path | None
    root: Path
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    target: Target = ()

    @property
    def origin(self) -> str:
        return str(self.path) if self.path else "command line"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


def _section(path: Path) -> dict[str, Any] | None:
    """The darklint table of a config file, or None when it has none."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        section = tool.get("darklint") if isinstance(tool, dict) else None
    else:
        section = data.get("tool", {}).get("darklint", data) if "tool" in data else data
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.darklint] must be a table")
    return section


def find_config(start: Path) -> Path | None:
    """The nearest darklint.toml, or pyproject.toml with a [tool.darklint] table."""
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        found = find_config_in(candidate_dir)
        if found is not None:
            return found
    return None


def find_config_in(directory: Path) -> Path | None:
    """The configuration file of ``directory`` itself, if it has one."""
    dedicated = directory / "darklint.toml"
    if dedicated.is_file():
        return dedicated
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file() and _section(pyproject) is not None:
        return pyproject
    return None


def _string_list(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: [tool.darklint] {key} must be a list of strings")
    return tuple(value)


def load_config(path: Path) -> Config:
    section = _section(path) or {}
    unknown = sorted(set(section) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r} in [tool.darklint] "
            f"(known keys: {', '.join(sorted(KNOWN_KEYS))})"
        )
    lists = {key: _string_list(path, key, section[key]) for key in LIST_KEYS if key in section}
    per_file_raw = section.get("per-file-ignores", {})
    if not isinstance(per_file_raw, dict):
        raise ConfigError(f"{path}: [tool.darklint] per-file-ignores must be a table")
    per_file = {
        pattern: _string_list(path, f"per-file-ignores[{pattern!r}]", codes)
        for pattern, codes in per_file_raw.items()
    }
    settings = [
        (key, _target_value(path, key, section[key])) for key in TARGET_KEYS if key in section
    ]
    if SRC_KEY in section:
        folders = _string_list(path, SRC_KEY, section[SRC_KEY])
        base = path.parent.resolve()
        settings.append((SRC_KEY, tuple(str(base / folder) for folder in folders)))
    target = tuple(sorted(settings))
    return Config(
        path=path,
        root=path.parent.resolve(),
        select=lists.get("select"),
        extend_select=lists.get("extend-select", ()),
        ignore=lists.get("ignore", ()),
        per_file_ignores=per_file,
        exclude=lists.get("exclude"),
        extend_exclude=lists.get("extend-exclude", ()),
        target=target,
    )


def _target_value(path: Path, key: str, value: object) -> object:
    allowed = TARGET_KEYS[key]
    # bool is an int: `keras-version = true` must not pass as 1.
    if isinstance(value, bool) or value not in allowed:
        shown = " | ".join(json.dumps(option) for option in allowed)
        raise ConfigError(f"{path}: [tool.darklint] {key} must be one of {shown}, not {value!r}")
    return value


def resolve_config(explicit: Path | None, start: Path) -> Config:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        return load_config(explicit)
    found = find_config(start.resolve())
    return load_config(found) if found else Config(path=None, root=Path.cwd().resolve())


def merge_cli(
    config: Config,
    *,
    select: Sequence[str] | None,
    extend_select: Sequence[str],
    ignore: Sequence[str],
) -> Config:
    """Command-line selection wins over the file's, like ruff's.

    A ``--select`` on the command line starts the selection afresh: the
    file's ``extend-select`` and ``ignore`` are dropped with its ``select``
    (otherwise ``--select DK104`` with ``ignore = ["DK104"]`` in the file
    would silently select nothing).  ``per-file-ignores`` still apply.
    """
    if select is not None:
        return replace(
            config, select=tuple(select), extend_select=tuple(extend_select), ignore=tuple(ignore)
        )
    return replace(
        config,
        extend_select=(*config.extend_select, *extend_select),
        ignore=(*config.ignore, *ignore),
    )
