"""The project's own modules: a name imported from one is what that module's code makes it.

``from models import build_gan`` gives ``build_gan`` the value the walk of
``models.py`` bound to it: a function of that module, which the walk then
inlines at its call site exactly as it inlines the linted file's own
functions, so what it builds, freezes or compiles is known where it is used.
A module is walked (its body, once, as importing it runs it; ``if __name__
== "__main__":`` blocks aside) the first time the linted file uses a name
of it, never because it is merely imported.

Where the code of a module runs, its names mean what its own imports and
globals say: the walk switches to that module's environment while one of its
functions runs (``Core.env``).  The nodes of other modules that go into the
facts are recorded with the node of the linted file through which the walk
reached them (``Core._here``).

Which file an import names is :mod:`darklint.project`'s answer; a module it
cannot find, read or parse, and any module beyond ``MAX_MODULES_PER_FILE``,
is simply unknown: its names stay opaque values, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import libcst as cst

from darklint.keras.interpreter.core import BUDGET_PER_LINE, Core, Frame, ModuleEnv
from darklint.keras.interpreter.syntax import import_statements
from darklint.keras.values import KerasRef, ModuleRef, Value
from darklint.keras.vocabulary import kind_of

if TYPE_CHECKING:
    from pathlib import Path

# Modules walked for one linted file, beyond which imports stay unknown.
MAX_MODULES_PER_FILE = 200
# Re-exports followed from one name (``pkg/__init__.py`` importing from
# ``pkg/models.py`` importing from ...): a cycle of re-exports ends here.
MAX_HOPS = 16


class Modules(Core):
    def _may_import_project(self) -> bool:
        """Whether an import of the linted file may name one of the project's modules."""
        if self.project is None:
            return False
        imported = [*self.imports.names.values(), *self.imports.other_stars]
        return any(self.project.may_be_project(name) for name in imported)

    def _project_value(self, qualified: str, node: cst.CSTNode) -> Value | None:
        """What ``qualified`` (as the current module's imports spell it) is in the project."""
        return self._resolve_in(self.env, qualified, node, 0, set())

    def _resolve_in(
        self, env: ModuleEnv, qualified: str, node: cst.CSTNode, hops: int, seen: set[Path]
    ) -> Value | None:
        project = self.project
        if project is None or env.path is None or hops > MAX_HOPS:
            return None
        if not project.may_be_project(qualified):
            return None  # `np.zeros`, `os.path.join`: a library's, known by name
        level = len(qualified) - len(qualified.lstrip("."))
        parts = [part for part in qualified[level:].split(".") if part]
        # The longest prefix that is a module: `pkg.mod.f` is `f` of `pkg/mod.py`
        # if there is one, else the attribute `mod` of `pkg/__init__.py`.
        for cut in range(len(parts), -1, -1):
            if cut == 0 and level == 0:
                break
            path = project.resolve(".".join(parts[:cut]), level, env.path)
            if path is None:
                continue
            if cut == len(parts):
                return ModuleRef(qualified)
            module = self._module_env(path, node)
            if module is None or cut + 1 < len(parts):
                return None
            return self._member(module, parts[cut], node, hops + 1, seen)
        return None

    def _member(
        self, env: ModuleEnv, name: str, node: cst.CSTNode, hops: int, seen: set[Path]
    ) -> Value | None:
        """The value ``name`` has in the module ``env`` (bound there, or imported into it).

        ``seen``: the modules whose star imports this lookup searched already
        (a mesh of star imports is searched once, not once per path through it).
        """
        if name in env.globals:
            return env.globals[name]
        imported = env.imports.names.get(name)
        if imported is not None:
            keras = kind_of(imported)
            if keras is not None:
                return KerasRef(*keras)
            return self._resolve_in(env, imported, node, hops, seen)
        keras_star = env.imports.qualify(cst.Name(name))
        if keras_star is not None:
            keras = kind_of(keras_star)
            return KerasRef(*keras) if keras is not None else None
        return self._from_stars(env, name, node, hops, seen)

    def _from_stars(
        self, env: ModuleEnv, name: str, node: cst.CSTNode, hops: int, seen: set[Path]
    ) -> Value | None:
        """``name`` from the modules ``env`` star-imports (``from models import *``)."""
        project = self.project
        if project is None or env.path is None or hops > MAX_HOPS or env.path in seen:
            return None
        seen.add(env.path)
        for star in env.imports.other_stars:
            level = len(star) - len(star.lstrip("."))
            path = project.resolve(star[level:], level, env.path)
            anchor = env.imports.statements.get(star, node)
            module = self._module_env(path, anchor) if path is not None else None
            if module is not None:
                found = self._member(module, name, node, hops + 1, seen)
                if found is not None:
                    return found
        return None

    def _star_value(self, name: str, node: cst.CSTNode) -> Value | None:
        return self._from_stars(self.env, name, node, 0, set())

    # Walking a module -----------------------------------------------------------

    def _module_env(self, path: Path, node: cst.CSTNode) -> ModuleEnv | None:
        """The module at ``path``, walked on first use (None: unknown)."""
        project = self.project
        if project is None:
            return None
        real = project.real(path)
        if real is None:
            return None
        if real == project.real_entry:
            return self.entry  # the linted file imported back (a cycle through it)
        if real in self.envs:
            # Being walked already (an import cycle): what is bound so far, as in Python.
            return self.envs[real]
        if len(self.envs) >= MAX_MODULES_PER_FILE:
            return None
        loaded = project.load(real)
        module = loaded.module if loaded is not None else None
        if loaded is None or module is None:
            self.envs[real] = None
            return None
        env = ModuleEnv(real, loaded.display, module, loaded.source)
        for statement in import_statements(module):
            env.imports.add(statement)  # type: ignore[arg-type]
        self.envs[real] = env
        self.budget += BUDGET_PER_LINE * (loaded.source.count("\n") + 1)
        self._run_module(env, node)
        return env

    def _run_module(self, env: ModuleEnv, node: cst.CSTNode) -> None:
        """Run the module's body as importing it would (not its ``__main__`` block)."""
        frame = Frame(function=None, call_site=node, depth=len(self.frames), env=env)
        frame.locals = env.globals
        saved = (self.loops, self.guards, self.conditions)
        # Importing runs the module once, outside the importer's loops.
        self.loops, self.guards, self.conditions = [], [], []
        self.frames.append(frame)
        try:
            with self._inside(env, node):
                self._block([s for s in env.module.body if not _main_block(s)])
        finally:
            self.frames.pop()
            self.loops, self.guards, self.conditions = saved

    @contextmanager
    def _inside(self, env: ModuleEnv, node: cst.CSTNode | None) -> Iterator[None]:
        """Run code of ``env``: its names mean what that module's imports and globals say."""
        if env is self.env:
            yield
            return
        saved = (self.env, self.module, self.source, self.imports, self.globals)
        crossed = self.env is self.entry and node is not None
        if crossed:
            self.crossing.append(node)  # type: ignore[arg-type]
        self.env, self.module, self.source = env, env.module, env.source
        self.imports, self.globals = env.imports, env.globals
        try:
            yield
        finally:
            self.env, self.module, self.source, self.imports, self.globals = saved
            if crossed:
                self.crossing.pop()


def _main_block(statement: cst.CSTNode) -> bool:
    """``if __name__ == "__main__":``: the part of a module that importing it does not run."""
    if type(statement) is not cst.If:
        return False
    test = statement.test
    return (
        type(test) is cst.Comparison
        and type(test.left) is cst.Name
        and test.left.value == "__name__"
    )
