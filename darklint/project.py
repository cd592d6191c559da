"""The project's own modules: where an import of the linted file leads, and what is there.

A Keras project builds its networks in one module and trains them in another.
The semantic model follows the project's own imports (never installed
packages), so this module answers two questions, knowing nothing of Keras:

- ``resolve``: which file an import names.  Relative imports from the
  importer's package; absolute ones first next to the importer (the script
  style, ``from models import build_gan`` beside ``train.py``, as Python
  resolves it when the script runs), then under each search root (the
  project root — the nearest folder above the linted file holding
  ``pyproject.toml``, ``setup.py``, ``setup.cfg`` or ``.git`` — its ``src/``,
  and the configured ``src`` folders).  Top-level names the caller says are
  libraries (``keras``, ``tensorflow``...) are never looked for, and nothing
  under ``site-packages`` or a virtual environment is ever read.
- ``load``: the module's text and libcst tree, read and parsed once per run
  (a file that cannot be read, decoded or parsed is simply unknown: the flows
  through it stop, and it gets no diagnostic unless it is itself linted).

Every answer is bounded (``MAX_BYTES`` per file, ``KEPT_MODULES`` parsed
modules kept per process; the interpreter walks at most a fixed number per
linted file) so that a 5,000-module tree or an import cycle cannot make a
lint slow or endless.

A :class:`ProjectIndex` lives for the process (``index_for``): the files of
one run share the modules they import, parsed once.  Each linted file sees
it through a :class:`ProjectView`, which remembers what the file's result
depends on (the results cache keys on it).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import sys
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from darklint.gate import CodeFacts, ImportNode, code_facts, import_statements
from darklint.source import Unreadable, decode, read_bytes

if TYPE_CHECKING:
    import libcst as cst

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# Folders never searched: installed packages, environments, build output.
_NEVER = frozenset(
    {"site-packages", "dist-packages", ".venv", "venv", "__pypackages__", "node_modules", ".tox"}
)
MAX_BYTES = 2_000_000
KEPT_MODULES = 512
# Modules one linted file's imports may lead to: the rest of a huge tree is unknown.
MAX_REACHED = 200
# Never the project's own, whatever the project holds: Keras and the
# frameworks are known by name, not read, and so is the standard library.
FRAMEWORKS = frozenset(
    {
        "keras",
        "tf_keras",
        "tensorflow",
        "tf",
        "torch",
        "jax",
        "flax",
        "numpy",
        "scipy",
        "sklearn",
        "pandas",
        "matplotlib",
        "cv2",
        "PIL",
        "h5py",
        "tqdm",
        "gym",
        "gymnasium",
    }
)
LIBRARIES = FRAMEWORKS | frozenset(sys.stdlib_module_names)


@dataclass(eq=False)
class LoadedModule:
    path: Path
    # How messages name it: relative to the working directory when under it.
    display: str
    source: str
    digest: str
    # What the gate reads (its code's identifiers and imports), and the
    # imports that may lead further into the project: from ``ast``.
    facts: CodeFacts
    imports: tuple[tuple[str, int], ...]
    _module: cst.Module | None = None
    _parsed: bool = False

    @property
    def module(self) -> cst.Module | None:
        """The libcst tree, parsed on first use (None: libcst cannot parse it)."""
        if not self._parsed:
            self._parsed = True
            import libcst as cst

            try:
                self._module = cst.parse_module(self.source)
            except (cst.ParserSyntaxError, RecursionError, MemoryError):
                self._module = None
        return self._module


def project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds a project marker."""
    for folder in [start, *start.parents]:
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return None


def search_roots(linted: Path, configured: Sequence[Path] = ()) -> list[Path]:
    """Where absolute imports of ``linted`` are looked for (besides its own folder)."""
    roots: list[Path] = [*configured]
    root = project_root(linted.parent)
    if root is not None:
        roots.extend([root, root / "src"])
    unique: list[Path] = []
    for candidate in roots:
        if candidate.is_dir() and candidate not in unique:
            unique.append(candidate)
    return unique


@dataclass
class ProjectIndex:
    """The project's modules as seen from the linted files, read lazily."""

    roots: list[Path]
    # Top-level names that are libraries, never the project's own modules.
    libraries: frozenset[str] = LIBRARIES
    _loaded: OrderedDict[Path, tuple[tuple[int, int] | None, LoadedModule | None]] = field(
        default_factory=OrderedDict
    )
    _resolved: dict[tuple[str, int, Path, Path], Path | None] = field(default_factory=dict)

    def resolve(
        self, name: str, level: int, importer: Path, script: Path | None = None
    ) -> Path | None:
        """The file ``import name`` (``level`` leading dots) names, from ``importer``, in a
        run of the script at ``script`` (whose folder is ``sys.path[0]``)."""
        script_folder = script.parent if script is not None else importer.parent
        key = (name, level, importer.parent, script_folder)
        if key not in self._resolved:
            self._resolved[key] = self._find(name, level, importer, script_folder)
        return self._resolved[key]

    def _find(self, name: str, level: int, importer: Path, script_folder: Path) -> Path | None:
        parts = [part for part in name.split(".") if part]
        if level > 0:
            base = importer.parent
            for _ in range(level - 1):
                base = base.parent
            return _module_file(base, parts)
        if not parts or parts[0] in self.libraries:
            return None
        # As Python finds it: the script's folder first (``sys.path[0]``), the
        # importing module's folder (code run from there, or with it on the
        # path), then the project's roots.
        for base in dict.fromkeys((script_folder, importer.parent, *self.roots)):
            found = _module_file(base, parts)
            if found is not None:
                return found
        return None

    def load(self, path: Path) -> LoadedModule | None:
        """The module at ``path`` (a real path), parsed once; None when it cannot be.

        A module changed on disk since it was read is read again (a language
        server lives across edits): the file's size and modification time say so.
        """
        stamp = _stamp(path)
        kept = self._loaded.get(path)
        if kept is not None and kept[0] == stamp:
            self._loaded.move_to_end(path)
            return kept[1]
        loaded = _read(path) if stamp is not None else None
        self._loaded[path] = (stamp, loaded)
        self._loaded.move_to_end(path)
        while len(self._loaded) > KEPT_MODULES:
            self._loaded.popitem(last=False)
        return loaded


@dataclass
class ProjectView:
    """The project as one linted file sees it: what its result depends on is remembered."""

    index: ProjectIndex
    # The linted file, as given (its real path: ``real_entry``).
    entry: Path
    used: dict[Path, str] = field(default_factory=dict)

    @functools.cached_property
    def real_entry(self) -> Path | None:
        """The linted file's real path (an import of it is the file itself): asked only
        when an import is followed, which most files never do."""
        return _real(self.entry)

    def may_be_project(self, qualified: str) -> bool:
        """Whether an imported name can be of the project (not a library known by name)."""
        return qualified.startswith(".") or qualified.split(".")[0] not in self.index.libraries

    def resolve(self, name: str, level: int, importer: Path) -> Path | None:
        return self.index.resolve(name, level, importer.absolute(), self.entry)

    def real(self, path: Path) -> Path | None:
        return _real(path)

    def load(self, path: Path) -> LoadedModule | None:
        loaded = self.index.load(path)
        self.used[path] = loaded.digest if loaded is not None else ""
        return loaded

    def reachable(self, imports: Iterable[ImportNode], importer: Path) -> list[LoadedModule]:
        """The project's modules the file's import statements lead to, transitively
        (breadth first, bounded)."""
        found: list[LoadedModule] = []
        seen: set[Path] = set() if self.real_entry is None else {self.real_entry}
        queue = [(name, level, importer) for name, level in names_imported(imports)]
        while queue and len(found) < MAX_REACHED:
            name, level, origin = queue.pop(0)
            if level == 0 and not self.may_be_project(name):
                continue
            path = self.resolve(name, level, origin)
            real = _real(path) if path is not None else None
            if real is None or real in seen:
                continue
            seen.add(real)
            loaded = self.load(real)
            if loaded is not None:
                found.append(loaded)
                queue.extend((n, lv, real) for n, lv in loaded.imports)
        return found

    def dependencies(self) -> tuple[tuple[str, str], ...]:
        """Each module the result depends on, with the digest of its content ("": unreadable)."""
        return tuple(sorted((str(path), digest) for path, digest in self.used.items()))


_INDEXES: dict[tuple[Path, ...], ProjectIndex] = {}
_ROOTS: dict[tuple[Path, tuple[Path, ...]], tuple[Path, ...]] = {}


def view_for(linted: Path, configured: Sequence[Path] = ()) -> ProjectView:
    """The project of the file at ``linted`` (which need not exist: stdin), as that file sees it.

    Paths are made absolute first: ``train.py`` linted from its own folder
    has a project root above it, and a process that changes directory does
    not reuse another project's answers.
    """
    linted = linted.absolute()
    configured = tuple(folder.absolute() for folder in configured)
    # Each file of a folder has the same roots: looked for once per folder
    # (a dozen `stat` calls up the tree otherwise, for every file linted).
    key = (linted.parent, configured)
    roots = _ROOTS.get(key)
    if roots is None:
        if len(_ROOTS) > 4096:
            _ROOTS.clear()
        roots = _ROOTS[key] = tuple(search_roots(linted, configured))
    index = _INDEXES.get(roots)
    if index is None:
        if len(_INDEXES) > 64:  # a long-lived language server over many projects
            _INDEXES.clear()
        index = _INDEXES[roots] = ProjectIndex(list(roots))
    return ProjectView(index, linted)


def forget() -> None:
    """Drop every module read and root found (the language server, when files change on disk)."""
    _INDEXES.clear()
    _ROOTS.clear()


def digest_of(path: str) -> str:
    """The digest ``ProjectView.dependencies`` records for the file at ``path`` now."""
    try:
        return hashlib.sha256(read_bytes(Path(path))).hexdigest()
    except (OSError, Unreadable):
        return ""


def _module_file(base: Path, parts: list[str]) -> Path | None:
    if not parts:
        init = base / "__init__.py"
        return init if _allowed(init) and init.is_file() else None
    folder = base.joinpath(*parts[:-1])
    for candidate in (folder / f"{parts[-1]}.py", folder / parts[-1] / "__init__.py"):
        if _allowed(candidate) and candidate.is_file():
            return candidate
    return None


def _allowed(path: Path) -> bool:
    return not any(part in _NEVER for part in path.parts)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def _real(path: Path) -> Path | None:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None


def _read(path: Path) -> LoadedModule | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        raw = read_bytes(path)
        text = decode(raw).text
    except (OSError, Unreadable):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename="")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return LoadedModule(
        path,
        _display(path),
        text,
        hashlib.sha256(raw).hexdigest(),
        code_facts(tree),
        tuple(imported_names(tree)),
    )


def _display(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)
    return str(path) if relative.startswith("..") else relative


def imported_names(tree: ast.AST) -> Iterable[tuple[str, int]]:
    """(module, level) of every import statement of an ``ast`` tree, at any depth."""
    return names_imported(import_statements(tree))


def names_imported(imports: Iterable[ImportNode]) -> Iterator[tuple[str, int]]:
    """(module, level) of each import statement: each module it may import."""
    for node in imports:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level
            # `from . import mod`, `from pkg import mod`: each name may be a
            # module of the package.
            for alias in node.names:
                if alias.name != "*":
                    yield f"{node.module or ''}.{alias.name}".lstrip("."), node.level
