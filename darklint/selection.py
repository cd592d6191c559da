"""Which codes are enabled for a file: select / extend-select / ignore / per-file-ignores.

Selectors follow ruff: a full code (``DK101``), a prefix (``DK``, ``DK1``),
a slug (``trainable-toggled-around-compile``) or ``ALL``. ``select`` replaces
the default set (which leaves out the opinionated DK9xx rules), ``extend-select``
adds to it, ``ignore`` removes; an explicitly selected prefix enables
default-off rules too.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from darklint.registry import all_rules, rules_by_name


class SelectorError(ValueError):
    """An unknown code, prefix or slug; the message names it and where it came from."""


def resolve_selector(selector: str, origin: str) -> frozenset[str]:
    text = selector.strip()
    if text.upper() == "ALL":
        return frozenset(rule.code for rule in all_rules())
    by_name = rules_by_name()
    if text in by_name:
        return frozenset({by_name[text].code})
    prefix = text.upper()
    codes = frozenset(rule.code for rule in all_rules() if rule.code.startswith(prefix))
    if not codes:
        raise SelectorError(f"{origin}: unknown rule code or name {selector!r}")
    return codes


def resolve_all(selectors: Iterable[str], origin: str) -> frozenset[str]:
    result: frozenset[str] = frozenset()
    for selector in selectors:
        result |= resolve_selector(selector, origin)
    return result


def default_codes() -> frozenset[str]:
    return frozenset(rule.code for rule in all_rules() if rule.default_enabled)


@dataclass(frozen=True)
class Selection:
    enabled: frozenset[str]
    # (glob relative to the config root, codes ignored for matching files)
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = field(default=())

    @classmethod
    def build(
        cls,
        *,
        select: Sequence[str] | None,
        extend_select: Sequence[str],
        ignore: Sequence[str],
        per_file_ignores: Mapping[str, Sequence[str]],
        origin: str,
    ) -> Selection:
        enabled = default_codes() if select is None else resolve_all(select, origin)
        enabled |= resolve_all(extend_select, origin)
        enabled -= resolve_all(ignore, origin)
        per_file = tuple(
            (pattern, resolve_all(codes, f"{origin} per-file-ignores[{pattern!r}]"))
            for pattern, codes in per_file_ignores.items()
        )
        return cls(enabled, per_file)

    def for_path(self, relative_path: str) -> frozenset[str]:
        """The enabled codes for a file, given its path relative to the config root."""
        enabled = self.enabled
        posix = PurePosixPath(relative_path.replace("\\", "/"))
        for pattern, codes in self.per_file_ignores:
            if _matches(posix, pattern):
                enabled = enabled - codes
        return enabled


def _matches(path: PurePosixPath, pattern: str) -> bool:
    # A pattern without a slash matches the file name anywhere (ruff/flake8).
    if "/" not in pattern:
        return fnmatch.fnmatchcase(path.name, pattern)
    # Drop a leading "./" or "/" (both mean "at the config root"), not every
    # leading "." and "/" character: ".github/*.py" must keep its dot.
    anchored = pattern[2:] if pattern.startswith("./") else pattern.lstrip("/")
    return fnmatch.fnmatchcase(str(path), anchored) or path.match(pattern)
