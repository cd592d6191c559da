"""``# noqa: DK101``, ``# darklint: ignore[DK101]`` and ``# darklint: skip-file``.

Comments are found with :mod:`tokenize`, so a ``"# noqa"`` inside a string is
not a suppression.  Only darklint's own codes and slugs are ours: a bare
``# noqa`` or ``# noqa: E501`` belongs to other tools too, so it is honoured
but never reported as unused.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[\w\-]+(?:[,\s]+[\w\-]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*darklint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_SKIP_FILE = re.compile(r"#\s*darklint:\s*skip-file\b", re.IGNORECASE)
# Cheap pre-check on the raw text: is tokenizing worth it at all?
_MAYBE = re.compile(r"noqa|darklint\s*:", re.IGNORECASE)
_OUR_CODE = re.compile(r"^DK\d+$", re.IGNORECASE)


@dataclass
class Suppression:
    line: int
    column: int  # 1-based column of the comment
    end_column: int
    tokens: tuple[str, ...]  # codes or slugs as written; empty = suppress everything
    used: set[str] = field(default_factory=set)

    def matches(self, code: str, names: tuple[str, ...]) -> str | None:
        """The token that suppresses this code, '' for a bare suppression, or None."""
        if not self.tokens:
            return ""
        for token in self.tokens:
            if token.upper() == code or token in names:
                return token
        return None


@dataclass(frozen=True)
class Suppressions:
    by_line: dict[int, list[Suppression]]
    skip_file: bool

    @property
    def all(self) -> list[Suppression]:
        return [s for line in sorted(self.by_line) for s in self.by_line[line]]


EMPTY = Suppressions({}, skip_file=False)


def _split_codes(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(token for token in re.split(r"[,\s]+", raw.strip()) if token)


def _comments(source: str) -> list[tuple[int, int, str]]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    return [(t.start[0], t.start[1], t.string) for t in tokens if t.type == tokenize.COMMENT]


def may_suppress(source: str) -> bool:
    """Whether ``source`` may hold a suppression: it names ``noqa`` or ``darklint:``.

    Every file is asked (DK002 looks for unused ones), and the
    case-insensitive search is five times slower than case-folding the text
    and looking for the words; the two agree on ASCII text, where ``re``'s
    case-insensitive matching has no special cases.
    """
    if source.isascii():
        folded = source.casefold()
        return "noqa" in folded or "darklint" in folded
    return bool(_MAYBE.search(source))


def scan(source: str) -> Suppressions:
    if not may_suppress(source):
        return EMPTY
    by_line: dict[int, list[Suppression]] = {}
    skip_file = False
    for line, column, text in _comments(source):
        if _SKIP_FILE.search(text):
            skip_file = True
            continue
        for pattern in (_IGNORE, _NOQA):
            match = pattern.search(text)
            if match:
                by_line.setdefault(line, []).append(
                    Suppression(
                        line=line,
                        column=column + match.start() + 1,
                        end_column=column + match.end() + 1,
                        tokens=_split_codes(match.group("codes")),
                    )
                )
                break
    return Suppressions(by_line, skip_file)


def is_ours(token: str, known_names: frozenset[str]) -> bool:
    return bool(_OUR_CODE.match(token)) or token in known_names
