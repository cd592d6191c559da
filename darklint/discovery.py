"""Which files to lint: walk the paths given, honouring excludes and .gitignore.

Rules of the walk (flake8's and ruff's):

* a file named on the command line is always linted, whatever its extension
  or any exclusion: the user asked for it; unless ``force_exclude``
  (``--force-exclude``, ruff's flag), with which the excludes apply to named
  paths too, and an excluded one is skipped silently.  pre-commit names every
  file it hands over, so its hook needs it to honour the project's excludes;
* each directory's excludes are those of its nearest configuration
  (``excludes_for``), anchored at that configuration's directory;
* directories are walked recursively for ``.py`` and ``.ipynb`` files, in
  sorted order, skipping what ``exclude`` / ``extend_exclude`` and the
  ``.gitignore`` files match (an excluded directory is not entered);
* symlinks are followed, but a directory already walked (a loop, or a second
  link to it) is skipped, by (st_dev, st_ino);
* a path that cannot be read gives an error entry, and the walk goes on.

The walk works on plain strings and ``os.scandir``: ``Path`` objects are
built only for the files returned.
"""

from __future__ import annotations

import os
import re
import stat as stat_module
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

__all__ = [
    "DEFAULT_EXCLUDES",
    "LINTED_SUFFIXES",
    "DiscoveryResult",
    "GitIgnore",
    "discover",
    "exclude_patterns",
    "is_excluded",
]

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".darklint_cache",
    ".svn",
    ".tox",
    ".venv",
    "*.egg-info",
    "__pycache__",
    "__pypackages__",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

LINTED_SUFFIXES: tuple[str, ...] = (".py", ".ipynb")

_SEP = os.sep
_by_name = attrgetter("name")


@dataclass(frozen=True)
class DiscoveryResult:
    files: list[Path] = field(default_factory=list)
    # (path as the user would see it, reason), e.g. ("missing.py", "No such file or directory")
    errors: list[tuple[str, str]] = field(default_factory=list)
    # The directories given under which nothing was found (as given).
    empty: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# gitignore patterns


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool
    anchored: bool  # matched against the path from the base, else against the name


class GitIgnore:
    """The patterns of one ignore file, with git's semantics.

    Paths given to ``match`` are relative to ``base`` (the directory of the
    .gitignore), with ``/`` separators.  Within one file the last matching
    pattern decides; a pattern without a slash (but for a trailing one)
    matches a name at any depth, one with a slash is anchored to ``base``.
    """

    def __init__(self, lines: Iterable[str], base: str = "") -> None:
        self.base = base
        self.prefix = _as_prefix(base) if base else ""
        rules: list[_Rule] = []
        for line in lines:
            rule = _parse_rule(line)
            if rule is not None:
                rules.append(rule)
        self._rules = tuple(rules)
        # One combined regex per kind of target answers the common question
        # "does any rule match?" in one call; only a hit walks the rules.
        self._any_name = _combine(r.regex.pattern for r in rules if not r.anchored)
        self._any_path = _combine(r.regex.pattern for r in rules if r.anchored)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], base: str | None = None) -> GitIgnore:
        """Read an ignore file; ``base`` defaults to its directory.  A missing file has no rules."""
        path = os.fspath(path)
        try:
            # surrogateescape: a pattern's bytes must meet os.scandir's names.
            with open(path, encoding="utf-8", errors="surrogateescape") as stream:
                lines = stream.read().splitlines()
        except (OSError, UnicodeError):
            lines = []
        return cls(lines, os.path.dirname(path) if base is None else base)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"GitIgnore(base={self.base!r}, rules={len(self._rules)})"

    def match(self, path: str, is_dir: bool = False) -> bool | None:
        """True: ignored; False: re-included by a ``!`` pattern; None: no pattern matches."""
        path = path.strip("/")
        return self._match(path, path.rpartition("/")[2], is_dir)

    def ignores(self, path: str, is_dir: bool = False) -> bool:
        return self.match(path, is_dir) is True

    def _match(self, path: str | None, name: str, is_dir: bool) -> bool | None:
        """``path`` is None when the entry is outside ``base``: only name rules apply."""
        name_hit = self._any_name is not None and self._any_name.match(name) is not None
        path_hit = (
            path is not None
            and self._any_path is not None
            and self._any_path.match(path) is not None
        )
        if not (name_hit or path_hit):
            return None
        for rule in reversed(self._rules):
            if rule.dir_only and not is_dir:
                continue
            if rule.anchored:
                if path is not None and path_hit and rule.regex.match(path):
                    return not rule.negated
            elif name_hit and rule.regex.match(name):
                return not rule.negated
        return None


def _combine(patterns: Iterable[str]) -> re.Pattern[str] | None:
    joined = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(joined, re.DOTALL) if joined else None


def _parse_rule(line: str) -> _Rule | None:
    """One line of a .gitignore, or None for blanks, comments and invalid patterns."""
    line = _strip_trailing_spaces(line.rstrip("\r\n"))
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    # A slash at the start or in the middle anchors the pattern to the
    # directory of the .gitignore; otherwise it matches a name anywhere.
    anchored = "/" in line
    line = line.lstrip("/")
    try:
        regex = re.compile(_translate(line) + r"\Z", re.DOTALL)
    except re.error:  # e.g. a reversed range "[z-a]", which git never matches either
        return None
    return _Rule(regex, negated, dir_only, anchored)


def _strip_trailing_spaces(line: str) -> str:
    """Drop trailing spaces, except one escaped with a backslash (``foo\\ ``)."""
    end = len(line)
    while end and line[end - 1] == " ":
        backslashes = len(line[: end - 1]) - len(line[: end - 1].rstrip("\\"))
        if backslashes % 2:
            break
        end -= 1
    return line[:end]


def _translate(pattern: str) -> str:
    """A gitignore glob to a regex over ``/``-separated paths (git's wildmatch, WM_PATHNAME)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            whole_component = (i == 0 or pattern[i - 1] == "/") and (j == n or pattern[j] == "/")
            if j - i >= 2 and whole_component:
                if j == n:
                    out.append(".*")  # "x/**": everything inside x
                else:
                    out.append("(?:.*/)?")  # "**/": zero or more directories
                    j += 1
            else:
                out.append("[^/]*")  # other runs of stars are plain stars
            i = j
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            bracket = _translate_bracket(pattern, i)
            if bracket is None:
                out.append(re.escape(char))  # an unclosed "[" is literal
                i += 1
            else:
                out.append(bracket[0])
                i = bracket[1]
        elif char == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _translate_bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """``[...]`` at ``start`` as a regex class, and the index after it; None if not closed."""
    i, n = start + 1, len(pattern)
    negated = i < n and pattern[i] in "!^"
    if negated:
        i += 1
    body: list[str] = []
    first = True
    while i < n:
        char = pattern[i]
        if char == "]" and not first:
            # With WM_PATHNAME a class never matches "/".
            return f"(?!/)[{'^' if negated else ''}{''.join(body)}]", i + 1
        first = False
        if char == "\\" and i + 1 < n:
            body.append(re.escape(pattern[i + 1]))
            i += 2
        elif pattern.startswith("[:", i) and (end := pattern.find(":]", i + 2)) != -1:
            posix = _POSIX_CLASSES.get(pattern[i + 2 : end])
            if posix is None:
                return None
            body.append(posix)
            i = end + 2
        elif char == "-" and body and i + 1 < n and pattern[i + 1] != "]":
            body.append("-")  # a range; the bounds are already escaped
            i += 1
        else:
            body.append(re.escape(char))
            i += 1
    return None


# --------------------------------------------------------------------------
# The walk


@dataclass(frozen=True)
class _Dir:
    path: str  # absolute, as walked (symlinks not resolved)
    shown: str  # as the user would see it: the path given, then names
    ignores: tuple[GitIgnore, ...]  # the .gitignore files in force, lowest priority first


ExcludesFor = Callable[[str], GitIgnore]


class _Walker:
    def __init__(self, excludes_for: ExcludesFor, respect_gitignore: bool) -> None:
        self.excludes_for = excludes_for
        self.respect_gitignore = respect_gitignore
        self.files: list[Path] = []
        self.errors: list[tuple[str, str]] = []
        self.seen_files: set[str] = set()
        self.seen_dirs: set[tuple[int, int]] = set()
        self.gitignore_cache: dict[str, GitIgnore | None] = {}

    def add_file(self, path: str, shown: str) -> None:
        if path not in self.seen_files:
            self.seen_files.add(path)
            self.files.append(Path(shown))

    def walk_root(self, path: str, shown: str, stat: os.stat_result) -> None:
        if not self._first_visit(stat):
            return
        ignores = self._parent_ignores(path) if self.respect_gitignore else ()
        # Depth first, in sorted order, without recursion (no depth limit):
        # a directory's entries are pushed in reverse so they pop in order.
        stack: list[_Dir | tuple[str, str]] = [_Dir(path, shown, ignores)]
        while stack:
            item = stack.pop()
            if isinstance(item, _Dir):
                stack.extend(reversed(self._scan(item)))
            else:
                self.add_file(*item)

    def _scan(self, directory: _Dir) -> list[_Dir | tuple[str, str]]:
        try:
            with os.scandir(directory.path) as iterator:
                entries = sorted(iterator, key=_by_name)
        except OSError as error:
            self.errors.append((_shown(directory.shown), _reason(error)))
            return []
        ignores = directory.ignores
        if self.respect_gitignore:
            ignores = self._dir_ignores(directory, {entry.name for entry in entries})
        excludes = self.excludes_for(directory.path)
        prefix = _as_prefix(directory.path)
        shown_prefix = _as_prefix(directory.shown)
        children: list[_Dir | tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
                # Neither a directory nor a regular file: a broken link, a
                # socket...  Nothing to lint, and not worth an error.
                if not is_dir and not (name.endswith(LINTED_SUFFIXES) and entry.is_file()):
                    continue
            except OSError:
                continue
            if is_dir and name == ".git":
                continue  # never Python, and git itself never looks inside
            path = prefix + name
            if self._excluded(excludes, path, name, is_dir, ignores):
                continue
            if not is_dir:
                children.append((path, shown_prefix + name))
                continue
            try:
                stat = entry.stat()
            except OSError as error:
                self.errors.append((_shown(shown_prefix + name), _reason(error)))
                continue
            if self._first_visit(stat):
                children.append(_Dir(path, shown_prefix + name, ignores))
        return children

    def _first_visit(self, stat: os.stat_result) -> bool:
        """Record a directory; False if already walked (a symlink loop or a second link)."""
        key = (stat.st_dev, stat.st_ino)
        if key in self.seen_dirs:
            return False
        self.seen_dirs.add(key)
        return True

    def _excluded(
        self,
        excludes: GitIgnore,
        path: str,
        name: str,
        is_dir: bool,
        ignores: tuple[GitIgnore, ...],
    ) -> bool:
        if excludes._match(_relative(path, excludes.prefix), name, is_dir):
            return True
        # The deepest .gitignore that has an opinion decides.
        for ignore in reversed(ignores):
            verdict = ignore._match(_relative(path, ignore.prefix), name, is_dir)
            if verdict is not None:
                return verdict
        return False

    def named_path_excluded(self, path: str, is_dir: bool) -> bool:
        """Whether the excludes skip a path named on the command line (``--force-exclude``).

        As the walk would have: each component below the root of the
        configuration in force above it is matched by that configuration's
        excludes (``vendor`` excludes ``vendor/gan.py``).  Components above
        that root are not the project's: a default exclude such as ``build``
        must not skip a whole checkout that happens to live in ``~/build/``.
        """
        current = path
        while True:
            parent = os.path.dirname(current)
            if parent == current:
                return False
            excludes = self.excludes_for(parent)
            relative = _relative(current, excludes.prefix)
            if relative is None:
                return False
            if excludes._match(relative, os.path.basename(current), is_dir):
                return True
            current, is_dir = parent, True

    def _dir_ignores(self, directory: _Dir, names: set[str]) -> tuple[GitIgnore, ...]:
        """The .gitignore files in force inside ``directory``."""
        ignores = directory.ignores
        if ".git" in names:
            # A repository (or a submodule) of its own: the ignore files of
            # the directories above belong to another repository.
            ignores = self._repo_excludes(directory.path)
        if ".gitignore" in names:
            ignore = self._gitignore(directory.path)
            if ignore is not None:
                ignores = (*ignores, ignore)
        return ignores

    def _parent_ignores(self, path: str) -> tuple[GitIgnore, ...]:
        """The ignore files of the directories above ``path`` up to its repository root.

        Outside a repository none apply: a .gitignore in a home directory says
        nothing about a project below it that git does not manage.
        """
        parents: list[str] = []
        current = path
        while True:
            parent = os.path.dirname(current)
            if parent == current:
                return ()
            parents.append(parent)
            if os.path.exists(os.path.join(parent, ".git")):
                break
            current = parent
        ignores = list(self._repo_excludes(parents[-1]))
        for parent in reversed(parents):
            ignore = self._gitignore(parent)
            if ignore is not None:
                ignores.append(ignore)
        return tuple(ignores)

    def _repo_excludes(self, repo_root: str) -> tuple[GitIgnore, ...]:
        """``.git/info/exclude``: the lowest-priority rules, relative to the repository root."""
        exclude = GitIgnore.from_file(os.path.join(repo_root, ".git", "info", "exclude"), repo_root)
        return (exclude,) if len(exclude) else ()

    def _gitignore(self, directory: str) -> GitIgnore | None:
        if directory not in self.gitignore_cache:
            ignore = GitIgnore.from_file(os.path.join(directory, ".gitignore"))
            self.gitignore_cache[directory] = ignore if len(ignore) else None
        return self.gitignore_cache[directory]


def _as_prefix(directory: str) -> str:
    return directory if directory.endswith(_SEP) else directory + _SEP


def _relative(path: str, prefix: str) -> str | None:
    """``path`` below the directory ``prefix`` with ``/`` separators; None if not below it."""
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    return rest if _SEP == "/" else rest.replace(_SEP, "/")


def _shown(path: str) -> str:
    """A walked path as it prints in an error: like the files, "./x" is "x"."""
    return str(Path(path))


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def is_excluded(path: str | os.PathLike[str], excludes_for: ExcludesFor) -> bool:
    """Whether the excludes skip ``path`` (a file that need not exist): ``--force-exclude``."""
    absolute = os.path.abspath(path)
    return _Walker(excludes_for, respect_gitignore=False).named_path_excluded(
        absolute, os.path.isdir(absolute)
    )


def exclude_patterns(
    exclude: Sequence[str], extend_exclude: Sequence[str], root: Path | str
) -> GitIgnore:
    """``exclude`` (DEFAULT_EXCLUDES when empty) plus ``extend_exclude``, anchored at ``root``."""
    patterns = [*(exclude or DEFAULT_EXCLUDES), *extend_exclude]
    return GitIgnore((_normalize_exclude(p) for p in patterns), os.path.abspath(root))


def discover(
    paths: Sequence[str],
    *,
    exclude: Sequence[str] = (),
    extend_exclude: Sequence[str] = (),
    config_root: Path | None = None,
    respect_gitignore: bool = True,
    excludes_for: ExcludesFor | None = None,
    force_exclude: bool = False,
) -> DiscoveryResult:
    """The files to lint under ``paths``, in a deterministic order, without duplicates.

    ``exclude`` replaces DEFAULT_EXCLUDES (an empty one keeps them) and
    ``extend_exclude`` adds to them: gitignore-style patterns, anchored at
    ``config_root`` (the working directory when None) when they hold a slash,
    matched against names otherwise; ``excludes_for`` (a directory's
    absolute path to its excludes) replaces the three for per-directory
    configurations.  Files come back as the user wrote the path they were
    found under: ``discover(["src/"])`` gives ``src/a.py``.
    """
    if excludes_for is None:
        root = config_root if config_root is not None else os.curdir
        fixed = exclude_patterns(exclude, extend_exclude, root)

        def excludes_for(directory: str) -> GitIgnore:
            return fixed

    walker = _Walker(excludes_for, respect_gitignore)
    empty: list[str] = []
    for given_path in paths:
        given = os.fspath(given_path)  # a Path from a careless caller still prints right
        path = os.path.abspath(given)
        try:
            stat = os.stat(path)
        except OSError as error:
            walker.errors.append((given, _reason(error)))
            continue
        is_dir = stat_module.S_ISDIR(stat.st_mode)
        if force_exclude and walker.named_path_excluded(path, is_dir):
            continue
        if is_dir:
            before = len(walker.files)
            walker.walk_root(path, given, stat)
            if len(walker.files) == before:
                empty.append(given)
        else:
            walker.add_file(path, given)
    return DiscoveryResult(walker.files, walker.errors, empty)


def _normalize_exclude(pattern: str) -> str:
    """Accept ``./build`` for ``/build``: configs write paths, git writes anchors."""
    return "/" + pattern[2:] if pattern.startswith("./") else pattern
