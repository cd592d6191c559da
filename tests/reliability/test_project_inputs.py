"""Cross-module analysis on bad and odd projects: no crash, no hang, one answer everywhere.

Linting ``train.py`` follows the project's own imports (``darklint/project.py``
resolves and reads them, ``darklint/keras/interpreter/modules.py`` walks them).
Each test builds its project in ``tmp_path`` and checks:

1. Bad inputs (a module with a syntax error, undecodable, unreadable, too
   big, a symlink loop; import cycles, a module importing the linted file
   back, a symlinked package folder pointing to its parent, two modules of
   one name on different roots, a 5,000-module tree): no crash, no hang, no
   diagnostic in the broken module unless it is itself linted, and the flows
   through it unknown: the linted file gets exactly what it gets when that
   module does not exist (``_without``), so findings that need it are gone
   and the others stay.
2. One answer whatever the entry point: ``lint_path`` on one file, the CLI on
   the folder, standard input with ``--stdin-filename``, and the language
   server's ``lint_python``, compared on (line, column, code, message,
   related places) with the project's folder taken out of paths.
3. Generated projects (a seeded ``random.Random``): random module graphs with
   cycles, re-exports through ``__init__.py``, star, relative and
   script-style imports, and the pieces of a GAN placed across them.

A test that exposed a bug was ``xfail(strict=True)`` until the fix; the
in-process lints run under a time limit (``_within``) so that a hang is a
failure, not a stuck run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import darklint
import darklint.project as project_module
from darklint.diagnostics import Diagnostic
from darklint.engine import FileOutcome, lint_path
from darklint.keras.interpreter.modules import MAX_MODULES_PER_FILE
from darklint.lsp.linting import lint_python, settings_for
from darklint.project import MAX_BYTES, MAX_REACHED
from darklint.source import Unreadable, read_bytes

REPO = Path(__file__).resolve().parents[2]
FIXTURE_PROJECTS = sorted(
    path for path in (REPO / "fixtures" / "projects").iterdir() if path.is_dir()
)
# One lint of one file, in-process: over this is a hang.
LINT_SECONDS = 10.0
SUBPROCESS_SECONDS = 120
# The CLI runs the darklint these tests import (a worktree's, not the installed one).
SUBPROCESS_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(Path(darklint.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep),
}

# --------------------------------------------------------------------------
# Sources

# The networks of a GAN: the discriminator compiled, then frozen for the
# combined model.  Alone it is clean; linting a script that trains what it
# builds reports DK101 at the script's `build_gan(...)` call.
BUILDERS = """\
from keras import Input, Sequential
from keras.layers import Dense
from keras.optimizers import Adam

LATENT_DIM = 4


def build_generator():
    return Sequential([Input((LATENT_DIM,)), Dense(8), Dense(2)])


def build_discriminator():
    model = Sequential([Input((2,)), Dense(8), Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")
    return model


def build_gan(generator, discriminator):
    discriminator.trainable = False
    gan = Sequential([generator, discriminator])
    gan.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")
    return gan
"""

# Trains the GAN of `{module}`; its second loop is a hazard of its own.
TRAIN = """\
import keras
import numpy as np
from {module} import LATENT_DIM, build_discriminator, build_gan, build_generator

generator = build_generator()
discriminator = build_discriminator()
gan = build_gan(generator, discriminator)

noise = np.zeros((16, LATENT_DIM))
for step in range(3):
    discriminator.train_on_batch(generator(noise), np.zeros((16, 1)))
    gan.train_on_batch(noise, np.ones((16, 1)))

local_g = keras.Sequential([keras.layers.Dense(1)])
local_d = keras.Sequential([keras.layers.Dense(1)])
local_d.compile(optimizer="adam", loss="mse")
for step in range(3):
    fake = local_g.predict(noise, verbose=0)
    local_d.train_on_batch(fake, np.zeros((16, 1)))
"""
# Needs the imported module: the discriminator frozen there, trained here.
NEEDS_MODULE = (7, 7, "DK101")
# Needs nothing but train.py: predict() inside its own loop.
LOCAL = (18, 12, "DK202")


def train(module: str = "models") -> str:
    return TRAIN.format(module=module)


def line_of(text: str, start: str) -> int:
    """The number of the first line of ``text`` that starts with ``start``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def shifted(where: tuple[int, int, str], lines: int) -> tuple[int, int, str]:
    """``where`` in a train.py with ``lines`` more lines above it."""
    return (where[0] + lines, where[1], where[2])


# --------------------------------------------------------------------------
# Helpers


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target`` (as written in the link)."""

    target: str


def build(root: Path, files: Mapping[str, str | bytes | Link]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            path.symlink_to(content.target)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


class TookTooLong(BaseException):
    """Raised by the alarm of ``_within`` (not an Exception: no rule may catch it)."""


@contextmanager
def _within(seconds: float, what: str) -> Iterator[None]:
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        # Windows, or a worker thread: no alarm, no limit.
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise TookTooLong

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TookTooLong:
        pytest.fail(f"{what}: still running after {seconds:.0f} s (a hang)")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def lint(root: Path, name: str, seconds: float = LINT_SECONDS) -> FileOutcome:
    """``lint_path`` on ``root/name`` with the settings the CLI uses, modules read afresh."""
    project_module.forget()
    path = root / name
    settings = settings_for(path, root)
    with _within(seconds, f"lint_path({name})"):
        return lint_path(path, name, settings.enabled, settings.target)


def triples(outcome: FileOutcome) -> list[tuple[int, int, str]]:
    return [(d.line, d.column, d.code) for d in outcome.diagnostics]


Key = tuple[int, int, str, str, tuple[tuple[str, int, int, str], ...]]
Json = dict[str, Any]


def _normaliser(root: Path) -> Callable[[str], str]:
    prefixes = [str(root.resolve()) + os.sep, str(root) + os.sep]
    relative = os.path.relpath(root)
    if relative != "." and not relative.startswith(".."):
        prefixes.append(relative + os.sep)

    def normal(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    return normal


def key_of(diagnostic: Diagnostic | Json, root: Path) -> Key:
    """(line, column, code, message, related) with ``root`` taken out of every path."""
    normal = _normaliser(root)
    data = diagnostic if isinstance(diagnostic, dict) else diagnostic.to_dict()
    related = tuple(
        (normal(r["path"]), r["line"], r["column"], normal(r["message"])) for r in data["related"]
    )
    return (data["line"], data["column"], data["code"], normal(data["message"]), related)


def outside_mentions(outcome: FileOutcome, name: str) -> list[str]:
    """What in ``outcome`` points into the module ``name`` (its messages and related places)."""
    found = []
    for diagnostic in outcome.diagnostics:
        if name in diagnostic.message:
            found.append(diagnostic.message)
        found.extend(
            f"{r.path}:{r.line}" for r in diagnostic.related if Path(r.path).name == Path(name).name
        )
    return found


def _without(root: Path, tmp_path: Path, missing: str, linted: str = "train.py") -> FileOutcome:
    """What ``linted`` gets when the module ``missing`` does not exist (unknown, simply)."""
    other = tmp_path / "without"
    shutil.copytree(root, other, symlinks=True)
    target = other / missing
    if target.is_symlink() or target.is_file():
        target.unlink()
    return lint(other, linted)


def _run(args: list[str], cwd: Path, stdin: bytes | None = None) -> list[Json]:
    done = subprocess.run(
        [sys.executable, "-m", "darklint", *args],
        cwd=cwd,
        env=SUBPROCESS_ENV,
        input=stdin,
        capture_output=True,
        timeout=SUBPROCESS_SECONDS,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr.decode(errors="replace")
    found: list[Json] = json.loads(done.stdout or b"[]")
    return found


def cli_folder(root: Path) -> dict[str, list[Json]]:
    """``darklint . --no-cache --format json`` in ``root``: the diagnostics by file."""
    found: dict[str, list[Json]] = {}
    for diagnostic in _run([".", "--no-cache", "--format", "json"], root):
        found.setdefault(Path(diagnostic["path"]).as_posix(), []).append(diagnostic)
    return found


def cli_stdin(root: Path, name: str, cwd: Path | None = None) -> list[Json]:
    cwd = cwd or root
    display = os.path.relpath(root / name, cwd)
    return _run(
        ["-", "--stdin-filename", display, "--format", "json"], cwd, (root / name).read_bytes()
    )


def lsp(root: Path, name: str) -> FileOutcome:
    """What the language server publishes for the open document ``root/name``."""
    path = root / name
    settings = settings_for(path, root)
    with _within(LINT_SECONDS, f"lint_python({name})"):
        return lint_python(path.read_text(encoding="utf-8"), str(path), settings)


def python_files(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if path.is_file() and not any(part.is_symlink() for part in [path, *path.parents])
    )


def by_entry_point(
    root: Path, names: list[str], *, stdin: bool = True, server: bool = True
) -> dict[str, dict[str, list[Key]]]:
    """Each file's diagnostics as each entry point gives them, normalised."""
    answers: dict[str, dict[str, list[Key]]] = {"lint_path": {}, "cli": {}}
    folder = cli_folder(root)
    for name in names:
        answers["lint_path"][name] = sorted(key_of(d, root) for d in lint(root, name).diagnostics)
        answers["cli"][name] = sorted(key_of(d, root) for d in folder.get(name, []))
        if stdin:
            answers.setdefault("stdin", {})[name] = sorted(
                key_of(d, root) for d in cli_stdin(root, name)
            )
        if server:
            project_module.forget()
            answers.setdefault("lsp", {})[name] = sorted(
                key_of(d, root) for d in lsp(root, name).diagnostics
            )
    return answers


def assert_same_everywhere(answers: dict[str, dict[str, list[Key]]]) -> None:
    reference = answers["lint_path"]
    for entry, found in answers.items():
        for name, keys in found.items():
            assert keys == reference[name], (
                f"{name}: {entry} gives {[k[:3] for k in keys]}, "
                f"lint_path gives {[k[:3] for k in reference[name]]}"
            )


# --------------------------------------------------------------------------
# 1. Bad inputs


def test_the_healthy_project_reports_both_findings(tmp_path: Path) -> None:
    """The baseline the bad inputs are measured against: the module known, DK101 found."""
    root = build(tmp_path / "p", {"models.py": BUILDERS, "train.py": train()})
    outcome = lint(root, "train.py")
    assert outcome.crashes == ()
    assert {NEEDS_MODULE, LOCAL} <= set(triples(outcome))
    assert [Path(path).name for path, _ in outcome.dependencies] == ["models.py"]
    # Linted alone, the module is clean: nothing trains there.
    assert lint(root, "models.py").diagnostics == ()


def _undecodable() -> bytes:
    return BUILDERS.encode().replace(b"LATENT_DIM = 4", b'LATENT_DIM = 4\nNAME = "\xff\xfe"')


BROKEN = {
    "syntax-error": BUILDERS + "\n\ndef broken(:\n    pass\n",
    "not-utf8": _undecodable(),
    "null-byte": BUILDERS.encode() + b"\nx = 1\x00\n",
    "bad-cookie": b"# -*- coding: no-such-codec -*-\n" + BUILDERS.encode(),
    "utf16": BUILDERS.encode("utf-16"),
    "too-big": BUILDERS + "#" * (MAX_BYTES + 1) + "\n",
    "directory": None,
    "symlink-loop": Link("models.py"),
}


def _broken_project(root: Path, kind: str, through: bool) -> tuple[Path, str]:
    """train.py importing the builders; ``through``: via ``nets.py``, which imports them."""
    broken = "models.py"
    files: dict[str, str | bytes | Link] = {"train.py": train("nets" if through else "models")}
    if through:
        files["nets.py"] = "from models import *\n"
    content = BROKEN[kind]
    if kind == "symlink-loop":
        files["loop.py"] = Link("models.py")
        files["models.py"] = Link("loop.py")
    elif content is not None:
        files[broken] = content
    build(root, files)
    if kind == "directory":
        (root / broken).mkdir()
        (root / broken / "__init__.py").write_text(BUILDERS)
    return root, broken


@pytest.mark.parametrize("through", [False, True], ids=["direct", "through-a-module"])
@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_module_is_unknown(tmp_path: Path, kind: str, through: bool) -> None:
    root, broken = _broken_project(tmp_path / "p", kind, through)
    started = time.perf_counter()
    outcome = lint(root, "train.py")
    assert time.perf_counter() - started < 5
    assert outcome.crashes == ()
    found = triples(outcome)
    assert NEEDS_MODULE not in found
    assert LOCAL in found
    assert outside_mentions(outcome, broken) == []
    # Exactly what the file gets when the module does not exist.
    expected = _without(root, tmp_path, broken)
    assert [key_of(d, root) for d in outcome.diagnostics] == [
        key_of(d, tmp_path / "without") for d in expected.diagnostics
    ]


# What the broken module gets when it is linted itself.
LINTED_ITSELF = {"syntax-error", "not-utf8", "null-byte", "bad-cookie", "utf16"}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_module_is_dk001_only_when_linted_itself(tmp_path: Path, kind: str) -> None:
    """``darklint .``: the module's own DK001 (if it is a file that does not parse), nothing
    else anywhere but train.py's findings, the same as ``lint_path`` gives."""
    root, broken = _broken_project(tmp_path / "p", kind, through=True)
    folder = cli_folder(root)
    assert sorted(folder) == sorted(["train.py", broken] if kind in LINTED_ITSELF else ["train.py"])
    if kind in LINTED_ITSELF:
        assert [d["code"] for d in folder[broken]] == ["DK001"]
    assert [key_of(d, root) for d in folder["train.py"]] == [
        key_of(d, root) for d in lint(root, "train.py").diagnostics
    ]


def test_a_module_that_cannot_be_read_chmod(tmp_path: Path) -> None:
    root = build(tmp_path / "p", {"models.py": BUILDERS, "train.py": train()})
    (root / "models.py").chmod(0)
    try:
        if os.access(root / "models.py", os.R_OK):
            pytest.skip("running as root: a mode of 000 does not stop reading")
        outcome = lint(root, "train.py")
        assert outcome.crashes == ()
        assert NEEDS_MODULE not in triples(outcome)
        assert LOCAL in triples(outcome)
    finally:
        (root / "models.py").chmod(0o644)


def test_a_module_that_cannot_be_read_simulated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root reads anything: the refusal is simulated where darklint reads modules."""
    root = build(tmp_path / "p", {"models.py": BUILDERS, "train.py": train()})
    denied = (root / "models.py").resolve()

    def denying(path: Path) -> bytes:
        if path.resolve() == denied:
            raise Unreadable("unreadable file: Permission denied")
        return read_bytes(path)

    monkeypatch.setattr(project_module, "read_bytes", denying)
    outcome = lint(root, "train.py")
    assert outcome.crashes == ()
    assert NEEDS_MODULE not in triples(outcome)
    assert LOCAL in triples(outcome)
    assert outside_mentions(outcome, "models.py") == []
    assert dict(outcome.dependencies) == {str(denied): ""}


def test_a_module_in_a_declared_encoding_is_known(tmp_path: Path) -> None:
    """Not UTF-8 but decodable as it says: read, and followed."""
    source = "# -*- coding: latin-1 -*-\n" + BUILDERS.replace(
        "LATENT_DIM = 4", 'LATENT_DIM = 4\nNAME = "café"'
    )
    root = build(tmp_path / "p", {"models.py": source.encode("latin-1"), "train.py": train()})
    outcome = lint(root, "train.py")
    assert outcome.crashes == ()
    assert {NEEDS_MODULE, LOCAL} <= set(triples(outcome))


# Cycles ---------------------------------------------------------------------

# a.py builds the generator and the combined model and imports the
# discriminator's builder from b.py, which imports a's constant back (bound
# before the import, so that Python runs it).
CYCLE_A = """\
from keras import Input, Sequential
from keras.optimizers import Adam

LATENT_DIM = 4

from b import build_discriminator


def build_generator():
    return Sequential([Input((LATENT_DIM,)), keras_layers.Dense(2)])


def build_gan(generator, discriminator):
    discriminator.trainable = False
    gan = Sequential([generator, discriminator])
    gan.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")
    return gan


from keras import layers as keras_layers
"""
CYCLE_B = """\
from keras import Input, Sequential
from keras.layers import Dense

import a
from a import LATENT_DIM


def build_discriminator():
    model = Sequential([Input((2,)), Dense(LATENT_DIM), Dense(1)])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def build_gan_again(generator, discriminator):
    return a.build_gan(generator, discriminator)
"""
CYCLE_TRAIN = train("a").replace(
    "from a import LATENT_DIM, build_discriminator, build_gan, build_generator",
    "from a import LATENT_DIM, build_discriminator, build_gan, build_generator\nimport b",
)


def test_an_import_cycle_between_modules(tmp_path: Path) -> None:
    root = build(tmp_path / "p", {"a.py": CYCLE_A, "b.py": CYCLE_B, "train.py": CYCLE_TRAIN})
    outcome = lint(root, "train.py")
    assert outcome.crashes == ()
    # Both modules known (the cycle is Python's: each sees what is bound so far).
    assert {shifted(NEEDS_MODULE, 1), shifted(LOCAL, 1)} <= set(triples(outcome))
    assert sorted(Path(path).name for path, _ in outcome.dependencies) == ["a.py", "b.py"]
    for name in ("a.py", "b.py"):
        alone = lint(root, name)
        assert alone.crashes == ()
        assert alone.diagnostics == ()


def test_a_cycle_of_re_exports_ends(tmp_path: Path) -> None:
    """a re-exports b's name, b re-exports a's: a name neither defines is unknown, quickly."""
    root = build(
        tmp_path / "p",
        {
            "a.py": "from b import build_gan, LATENT_DIM, build_generator\nimport keras\n",
            "b.py": "from a import build_gan, build_discriminator\nimport keras\n",
            "c.py": "from c import *\nfrom a import *\n",
            "train.py": train("a").replace("from a import", "from c import *\nfrom a import"),
        },
    )
    outcome = lint(root, "train.py", seconds=5)
    assert outcome.crashes == ()
    assert shifted(NEEDS_MODULE, 1) not in triples(outcome)
    assert shifted(LOCAL, 1) in triples(outcome)


@pytest.mark.parametrize("how", ["import train", "from train import noise", "from train import *"])
def test_a_module_importing_the_linted_file_back(tmp_path: Path, how: str) -> None:
    models = BUILDERS.replace("LATENT_DIM = 4", f"LATENT_DIM = 4\n\n{how}\n")
    root = build(tmp_path / "p", {"models.py": models, "train.py": train()})
    outcome = lint(root, "train.py")
    assert outcome.crashes == ()
    assert {NEEDS_MODULE, LOCAL} <= set(triples(outcome))
    alone = lint(root, "models.py")
    assert alone.crashes == ()
    # Linting models.py follows train.py (imported): its findings are placed in models.py.
    assert all(d.path == "models.py" for d in alone.diagnostics)


def _star_mesh(root: Path, size: int) -> Path:
    """``size`` modules, each star-importing all the others; none defines ``build_gan``."""
    files: dict[str, str | bytes | Link] = {
        f"m{i}.py": "".join(f"from m{j} import *\n" for j in range(size) if j != i)
        + f"import keras\nVALUE_{i} = {i}\n"
        for i in range(size)
    }
    files["train.py"] = train("m0")
    return build(root, files)


def test_a_cycle_of_two_star_imports_is_quick(tmp_path: Path) -> None:
    root = _star_mesh(tmp_path / "p", 2)
    started = time.perf_counter()
    outcome = lint(root, "train.py", seconds=5)
    assert time.perf_counter() - started < 2
    assert outcome.crashes == ()
    assert NEEDS_MODULE not in triples(outcome)
    assert LOCAL in triples(outcome)


def test_a_mesh_of_star_imports_is_quick(tmp_path: Path) -> None:
    root = _star_mesh(tmp_path / "p", 4)
    outcome = lint(root, "train.py", seconds=5)
    assert outcome.crashes == ()
    assert LOCAL in triples(outcome)


# Symlinks -------------------------------------------------------------------


def test_a_symlinked_package_folder_pointing_to_its_parent(tmp_path: Path) -> None:
    root = build(
        tmp_path / "p",
        {
            "pkg/__init__.py": "from .up import *\nfrom .up.up.nets import *\n",
            "pkg/nets.py": BUILDERS,
            "pkg/up": Link("."),
            "pkg/top": Link(".."),
            "train.py": train("pkg.up.top.pkg.up.up.nets"),
            "train2.py": train("pkg"),
        },
    )
    for name in ("train.py", "train2.py"):
        outcome = lint(root, name, seconds=5)
        assert outcome.crashes == ()
        assert {NEEDS_MODULE, LOCAL} <= set(triples(outcome))
        # Each module once, by its real path.
        paths = [path for path, _ in outcome.dependencies]
        assert len(paths) == len(set(paths))
        assert all(Path(path) == Path(path).resolve() for path in paths)
    folder = cli_folder(root)
    assert [key_of(d, root) for d in folder["train.py"]] == [
        key_of(d, root) for d in lint(root, "train.py").diagnostics
    ]


# Two modules of one name ------------------------------------------------------


def test_the_script_style_sibling_wins_over_the_project_root(tmp_path: Path) -> None:
    """``scripts/models.py`` next to the script, ``src/models.py`` under the project root."""
    clean = BUILDERS.replace("    discriminator.trainable = False\n", "")
    root = build(
        tmp_path / "p",
        {
            "pyproject.toml": '[project]\nname = "gan"\nversion = "0"\n',
            "src/models.py": clean,
            "models.py": clean,
            "scripts/models.py": BUILDERS,
            "scripts/train.py": train(),
            "other/train.py": train(),
        },
    ).resolve()
    outcome = lint(root, "scripts/train.py")
    assert outcome.crashes == ()
    assert {NEEDS_MODULE, LOCAL} <= set(triples(outcome))
    assert [path for path, _ in outcome.dependencies] == [str(root / "scripts" / "models.py")]
    related = {Path(r.path).resolve() for d in outcome.diagnostics for r in d.related}
    assert root / "scripts" / "models.py" in related
    # Without a sibling: the project root's models.py (before src/), which freezes nothing.
    other = lint(root, "other/train.py")
    assert NEEDS_MODULE not in triples(other)
    assert [path for path, _ in other.dependencies] == [str(root / "models.py")]


def test_the_sibling_that_is_clean_hides_the_src_module(tmp_path: Path) -> None:
    clean = BUILDERS.replace("    discriminator.trainable = False\n", "")
    root = build(
        tmp_path / "p",
        {
            "setup.cfg": "[metadata]\nname = gan\n",
            "src/models.py": BUILDERS,
            "app/models.py": clean,
            "app/train.py": train(),
            "tools/train.py": train(),
        },
    )
    assert NEEDS_MODULE not in triples(lint(root, "app/train.py"))
    # With no sibling, src/ is where the module is found.
    assert NEEDS_MODULE in triples(lint(root, "tools/train.py"))


# A 5,000-module tree ----------------------------------------------------------

TREE_NAMES = "LATENT_DIM, build_discriminator, build_gan, build_generator"


def _tree(root: Path, size: int, hazard: int) -> Path:
    """mod0 ... mod{size-1}: each imports its two children (fan-out); mod{i} re-exports
    the builders of mod{i+1} down to mod{hazard}, which defines them (a chain)."""
    files: dict[str, str | bytes | Link] = {}
    for i in range(size):
        text = "".join(f"import mod{j}\n" for j in (2 * i + 1, 2 * i + 2) if j < size)
        if i < hazard:
            text += f"from mod{i + 1} import {TREE_NAMES}\n"
        elif i + 1 < size:
            text += f"import mod{i + 1}\n"
        text += f"VALUE = {i}\n"
        files[f"mod{i}.py"] = text + (BUILDERS if i == hazard else "")
    files["train.py"] = train("mod0")
    return build(root, files)


@pytest.mark.parametrize("hazard", [4_000, 12], ids=["far", "near"])
def test_a_5000_module_tree(tmp_path: Path, hazard: int) -> None:
    root = _tree(tmp_path / "p", 5_000, hazard)
    started = time.perf_counter()
    outcome = lint(root, "train.py", seconds=30)
    elapsed = time.perf_counter() - started
    assert outcome.crashes == ()
    assert len(outcome.dependencies) <= MAX_REACHED + MAX_MODULES_PER_FILE
    assert LOCAL in triples(outcome)
    # Within the re-export hops the builders are known; 4,000 modules down they are not.
    assert (NEEDS_MODULE in triples(outcome)) == (hazard == 12)
    assert elapsed < 30
    # A module in the middle of the tree, linted alone: bounded too.
    middle = lint(root, "mod2500.py", seconds=30)
    assert middle.crashes == ()
    assert len(middle.dependencies) <= MAX_REACHED + MAX_MODULES_PER_FILE


def test_a_5000_module_tree_of_star_imports_is_bounded(tmp_path: Path) -> None:
    """A chain of star imports (each module one, so no search can fan out)."""
    files: dict[str, str | bytes | Link] = {
        f"mod{i}.py": (f"from mod{i + 1} import *\n" if i + 1 < 5_000 else "")
        + f"import mod{2 * i + 1}\nVALUE_{i} = {i}\n"
        + (BUILDERS if i == 4_999 else "")
        for i in range(5_000)
    }
    files["train.py"] = train("mod0")
    root = build(tmp_path / "p", files)
    outcome = lint(root, "train.py", seconds=30)
    assert outcome.crashes == ()
    assert len(outcome.dependencies) <= MAX_REACHED + MAX_MODULES_PER_FILE
    assert LOCAL in triples(outcome)
    assert NEEDS_MODULE not in triples(outcome)


# --------------------------------------------------------------------------
# 2. One answer whatever the entry point


@pytest.mark.parametrize("project", FIXTURE_PROJECTS, ids=lambda path: path.name)
def test_fixture_projects_give_one_answer_everywhere(project: Path) -> None:
    names = python_files(project)
    answers = by_entry_point(project, names)
    assert_same_everywhere(answers)
    # And the answer is the fixtures' `# expect:` markers.
    for name in names:
        expected = sorted(
            (number, code.strip())
            for number, line in enumerate(
                (project / name).read_text(encoding="utf-8").splitlines(), 1
            )
            if "# expect:" in line
            for code in line.split("# expect:")[1].split(",")
        )
        assert sorted((k[0], k[2]) for k in answers["lint_path"][name]) == expected, name


def _generated_projects() -> dict[str, dict[str, str | bytes | Link]]:
    clean = BUILDERS.replace("    discriminator.trainable = False\n", "")
    return {
        "broken-and-cycle": {
            "models.py": BUILDERS + "\ndef broken(:\n",
            "a.py": CYCLE_A,
            "b.py": CYCLE_B,
            "train.py": CYCLE_TRAIN,
            "train_broken.py": train(),
        },
        "same-name-roots": {
            "pyproject.toml": '[project]\nname = "gan"\nversion = "0"\n',
            "src/models.py": clean,
            "scripts/models.py": BUILDERS,
            "scripts/train.py": train(),
            "tools/train.py": train(),
        },
        "package": {
            "pkg/__init__.py": "from .nets import *\n",
            "pkg/nets.py": BUILDERS,
            "pkg/train.py": train(".nets"),
            "pkg/train_up.py": train("pkg"),
            "train.py": train("pkg"),
            "run.py": train("pkg.nets"),
        },
        "linted-file-imported-back": {
            "models.py": BUILDERS.replace("LATENT_DIM = 4", "LATENT_DIM = 4\nimport train\n"),
            "train.py": train(),
        },
    }


@pytest.mark.parametrize("name", sorted(_generated_projects()))
def test_generated_projects_give_one_answer_everywhere(tmp_path: Path, name: str) -> None:
    root = build(tmp_path / name, _generated_projects()[name])
    assert_same_everywhere(by_entry_point(root, python_files(root)))


# models.py trains at import time what it builds; whether it freezes the
# discriminator is up to helpers.py.  train.py only imports it.
STALE_MODELS = """\
import numpy as np
from keras import Input, Sequential
from keras.layers import Dense

from helpers import freeze

generator = Sequential([Input((4,)), Dense(2)])
discriminator = Sequential([Input((2,)), Dense(1)])
discriminator.compile(optimizer="adam", loss="mse")
freeze(discriminator)
gan = Sequential([generator, discriminator])
gan.compile(optimizer="adam", loss="mse")

for step in range(3):
    discriminator.train_on_batch(np.zeros((16, 2)), np.zeros((16, 1)))
    gan.train_on_batch(np.zeros((16, 4)), np.ones((16, 1)))
"""


def test_the_language_server_after_a_module_is_edited(tmp_path: Path) -> None:
    root = build(
        tmp_path / "p",
        {
            "helpers.py": "def freeze(model):\n    pass\n",
            "models.py": STALE_MODELS,
            "train.py": "import models\n\nmodels.gan.summary()\n",
        },
    )
    before = lsp(root, "train.py")
    assert before.diagnostics == ()
    (root / "helpers.py").write_text("def freeze(model):\n    model.trainable = False\n")
    project_module.forget()  # as the server does when a module is saved
    after = sorted(key_of(d, root) for d in lsp(root, "train.py").diagnostics)
    assert after == sorted(key_of(d, root) for d in cli_folder(root).get("train.py", []))


SRC_LAYOUT = {
    "pyproject.toml": '[project]\nname = "gan"\nversion = "0"\n',
    "src/nets.py": BUILDERS,
    "scripts/train.py": train("nets"),
}


def test_src_layout_from_the_project_folder(tmp_path: Path) -> None:
    root = build(tmp_path / "p", SRC_LAYOUT)
    answers = by_entry_point(root, ["scripts/train.py"])
    assert_same_everywhere(answers)
    assert (NEEDS_MODULE[0], NEEDS_MODULE[2]) in {
        (k[0], k[2]) for k in answers["lint_path"]["scripts/train.py"]
    }


@pytest.mark.parametrize("how", ["path", "folder", "stdin"])
def test_src_layout_from_the_scripts_folder(tmp_path: Path, how: str) -> None:
    root = build(tmp_path / "p", SRC_LAYOUT)
    expected = sorted(key_of(d, root) for d in lint(root, "scripts/train.py").diagnostics)
    scripts = root / "scripts"
    if how == "stdin":
        found = cli_stdin(root, "scripts/train.py", cwd=scripts)
    else:
        target = "train.py" if how == "path" else "."
        found = _run([target, "--no-cache", "--format", "json"], scripts)
    normal = _normaliser(scripts)
    keys = sorted(key_of({**d, "message": normal(d["message"])}, root) for d in found)
    # Messages name src/nets.py relative to the working folder: compare by position and code.
    assert [k[:3] for k in keys] == [k[:3] for k in expected]


def test_a_package_module_importing_a_module_next_to_the_script(tmp_path: Path) -> None:
    nets = BUILDERS.replace(
        "from keras.optimizers import Adam\n",
        "from keras.optimizers import Adam\n\nfrom helpers import freeze\n",
    ).replace("discriminator.trainable = False", "freeze(discriminator)")
    files: dict[str, str | bytes | Link] = {
        "helpers.py": "def freeze(model):\n    model.trainable = False\n",
        "pkg/__init__.py": "",
        "pkg/nets.py": nets,
        "train.py": train("pkg.nets"),
    }
    with_marker = build(tmp_path / "marked", {**files, "setup.py": ""})
    assert NEEDS_MODULE in triples(lint(with_marker, "train.py"))
    root = build(tmp_path / "p", files)
    outcome = lint(root, "train.py")
    assert triples(outcome) == triples(lint(with_marker, "train.py"))


# Functions of one module calling those of another --------------------------

FREEZE_HELPER = "def set_trainable(model, value):\n    model.trainable = value\n"
LOOP_MODULE = """\
import numpy as np


def train_gan(generator, discriminator, gan, steps=3):
    noise = np.zeros((16, 4))
    for _ in range(steps):
        discriminator.train_on_batch(generator(noise), np.zeros((16, 1)))
        gan.train_on_batch(noise, np.ones((16, 1)))
"""
LOOP_IN_MODULE = (
    train()
    .replace(
        "for step in range(3):\n"
        "    discriminator.train_on_batch(generator(noise), np.zeros((16, 1)))\n"
        "    gan.train_on_batch(noise, np.ones((16, 1)))\n",
        "train_gan(generator, discriminator, gan)\n\n\n",
    )
    .replace("import numpy as np\n", "import numpy as np\nfrom loop import train_gan\n", 1)
)


def _freezing_through(where: str) -> str:
    """The builders, freezing with ``set_trainable`` imported from ``where``."""
    return BUILDERS.replace(
        "from keras.optimizers import Adam\n",
        f"from keras.optimizers import Adam\n\nfrom {where} import set_trainable\n",
    ).replace("discriminator.trainable = False", "set_trainable(discriminator, False)")


def test_the_loop_in_a_module_of_its_own(tmp_path: Path) -> None:
    """The baseline of the next test: the freeze in models.py, the loop in loop.py."""
    assert line_of(LOOP_IN_MODULE, "gan = build_gan(") == NEEDS_MODULE[0] + 1
    root = build(
        tmp_path / "p", {"models.py": BUILDERS, "loop.py": LOOP_MODULE, "train.py": LOOP_IN_MODULE}
    )
    outcome = lint(root, "train.py")
    assert outcome.crashes == ()
    assert shifted(NEEDS_MODULE, 1) in triples(outcome)


def test_a_freeze_helper_in_a_third_module(tmp_path: Path) -> None:
    root = build(
        tmp_path / "p",
        {
            "helpers.py": FREEZE_HELPER,
            "models.py": _freezing_through("helpers"),
            "loop.py": LOOP_MODULE,
            "train.py": train(),
            "train_with_loop_module.py": LOOP_IN_MODULE,
        },
    )
    found = {name: lint(root, name) for name in ("train.py", "train_with_loop_module.py")}
    assert [outcome.crashes for outcome in found.values()] == [(), ()]
    assert NEEDS_MODULE in triples(found["train.py"])
    assert shifted(NEEDS_MODULE, 1) in triples(found["train_with_loop_module.py"])


def test_a_module_calling_back_into_the_linted_file(tmp_path: Path) -> None:
    script = train().replace(
        "\ngenerator = build_generator()", f"\n\n{FREEZE_HELPER}\n\ngenerator = build_generator()"
    )
    root = build(tmp_path / "p", {"models.py": _freezing_through("train"), "train.py": script})
    outcome = lint(root, "train.py")
    assert outcome.crashes == ()
    assert (line_of(script, "gan = build_gan("), 7, "DK101") in triples(outcome)


# --------------------------------------------------------------------------
# 3. Generated projects


PIECES: dict[str, tuple[str, str]] = {
    "generator": (
        "build_generator",
        "def build_generator():\n"
        "    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n",
    ),
    "discriminator": (
        "build_discriminator",
        "def build_discriminator():\n"
        "    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
        '    model.compile(optimizer="adam", loss="binary_crossentropy")\n'
        "    return model\n",
    ),
    "freeze": (
        "set_trainable",
        "def set_trainable(model, value):\n    model.trainable = value\n",
    ),
    "combined": (
        "build_gan",
        "def build_gan(generator, discriminator):\n"
        "    {freeze}(discriminator, False)\n"
        "    gan = keras.Sequential([generator, discriminator])\n"
        '    gan.compile(optimizer="adam", loss="binary_crossentropy")\n'
        "    return gan\n",
    ),
    "loop": (
        "train_gan",
        "def train_gan(generator, discriminator, gan, steps=3):\n"
        "    noise = np.zeros((16, 4))\n"
        "    for _ in range(steps):\n"
        "        fake = generator.predict(noise, verbose=0)\n"
        "        discriminator.train_on_batch(fake, np.zeros((16, 1)))\n"
        "        gan.train_on_batch(noise, np.ones((16, 1)))\n",
    ),
}
ENTRY = "train.py"


@dataclass
class Module:
    name: str  # m3
    in_package: bool
    imports: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    star: bool = False  # one star import at most (see test_a_mesh_of_star_imports_is_quick)
    # name -> the expression that reaches it here
    reach: dict[str, str] = field(default_factory=dict)

    @property
    def dotted(self) -> str:
        return f"pkg.{self.name}" if self.in_package else self.name

    @property
    def file(self) -> str:
        return f"pkg/{self.name}.py" if self.in_package else f"{self.name}.py"


class Generated:
    """A random project: modules, their imports among them, the GAN pieces across them.

    ``helper_anywhere``: ``set_trainable`` in any module, not only beside
    ``build_gan`` (see ``test_a_freeze_helper_in_a_third_module``).
    """

    def __init__(self, seed: int, *, helper_anywhere: bool = False) -> None:
        rng = self.rng = random.Random(seed)
        count = rng.randint(5, 15)
        self.modules = [Module(f"m{i}", rng.random() < 0.5) for i in range(count)]
        self.entry = Module("train", False)
        self.init: list[str] = []  # pkg/__init__.py
        self.init_names: set[str] = set()
        self.marker = rng.random() < 0.5
        self.home: dict[str, Module] = {
            function: rng.choice([*self.modules, self.entry]) for function, _ in PIECES.values()
        }
        if not helper_anywhere:
            self.home["set_trainable"] = self.home["build_gan"]
        for module in self.modules:
            module.body.append(f"CONST_{module.name} = {module.name[1:]}\n")
        # Random imports among the modules, cycles included.
        for module in self.modules:
            for other in rng.sample(self.modules, rng.randint(0, 3)):
                if other is not module:
                    self.use(module, f"CONST_{other.name}", other)
        # The pieces: the combined model's freeze through wherever set_trainable is.
        for function, home in self.home.items():
            if function == "build_gan":
                freeze = self.use(home, "set_trainable", self.home["set_trainable"])
                source = PIECES["combined"][1].format(freeze=freeze)
            else:
                source = next(text for name, text in PIECES.values() if name == function)
            home.body.append("\n\n" + source)
        calls = {
            name: self.use(self.entry, name, self.home[name])
            for name in ("build_generator", "build_discriminator", "build_gan", "train_gan")
        }
        self.entry.body.append(
            f"\n\ngenerator = {calls['build_generator']}()\n"
            f"discriminator = {calls['build_discriminator']}()\n"
            f"gan = {calls['build_gan']}(generator, discriminator)\n"
            f"{calls['train_gan']}(generator, discriminator, gan)\n"
        )

    def use(self, importer: Module, name: str, home: Module) -> str:
        """Import ``name`` of ``home`` into ``importer`` by a random route; how it reads there."""
        if importer is home:
            return name
        if name in importer.reach:
            return importer.reach[name]
        rng = self.rng
        routes = ["from", "import"]
        if not importer.star:
            routes.append("star")
        if home.in_package:
            routes.append("reexport")
            if importer.in_package:
                routes += ["relative", "relative-module"]
        route = rng.choice(routes)
        if route == "from":
            importer.imports.append(f"from {home.dotted} import {name}\n")
            reach = name
        elif route == "import":
            importer.imports.append(f"import {home.dotted}\n")
            reach = f"{home.dotted}.{name}"
        elif route == "star":
            importer.star = True
            importer.imports.append(f"from {home.dotted} import *\n")
            reach = name
        elif route == "relative":
            importer.imports.append(f"from .{home.name} import {name}\n")
            reach = name
        elif route == "relative-module":
            importer.imports.append(f"from . import {home.name}\n")
            reach = f"{home.name}.{name}"
        else:  # re-exported by pkg/__init__.py
            if name not in self.init_names:
                self.init_names.add(name)
                self.init.append(
                    rng.choice(
                        [f"from .{home.name} import {name}\n", f"from .{home.name} import *\n"]
                    )
                )
            if importer.in_package and rng.random() < 0.5:
                importer.imports.append(f"from . import {name}\n")
                reach = name
            elif rng.random() < 0.5:
                importer.imports.append(f"from pkg import {name}\n")
                reach = name
            else:
                importer.imports.append("import pkg\n")
                reach = f"pkg.{name}"
        importer.reach[name] = reach
        return reach

    def files(self) -> dict[str, str | bytes | Link]:
        out: dict[str, str | bytes | Link] = {}
        for module in [*self.modules, self.entry]:
            header = "import keras\nimport numpy as np\n" if self.rng.random() < 0.8 else ""
            if any(home is module for home in self.home.values()):
                header = "import keras\nimport numpy as np\n"
            # The module's constant first: a cycle importing it back finds it bound.
            constant = [line for line in module.body if line.startswith("CONST_")]
            rest = [line for line in module.body if not line.startswith("CONST_")]
            out[module.file] = "".join([header, *constant, *module.imports, *rest])
        if any(module.in_package for module in self.modules) or self.init:
            out["pkg/__init__.py"] = "".join(self.init)
        if self.marker:
            out["pyproject.toml"] = '[project]\nname = "generated"\nversion = "0"\n'
        return out


SEEDS = range(30)


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) or 1


def check_places(root: Path, name: str, outcome: FileOutcome) -> None:
    """No crash; every finding in the linted file; related places in files that exist."""
    assert outcome.crashes == (), name
    lines = _line_count(root / name)
    for diagnostic in outcome.diagnostics:
        assert diagnostic.path == name
        assert 1 <= diagnostic.line <= diagnostic.end_line <= lines, (name, diagnostic)
        for related in diagnostic.related:
            place = Path(related.path)
            place = place if place.is_absolute() else root / place
            assert place.is_file(), (name, related)
            assert 1 <= related.line <= related.end_line <= _line_count(place), (name, related)


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_project_properties(tmp_path: Path, seed: int) -> None:
    root = build(tmp_path / f"seed{seed}", Generated(seed).files())
    names = python_files(root)
    for name in names:
        check_places(root, name, lint(root, name))
    answers = by_entry_point(root, names, stdin=False)
    assert_same_everywhere(answers)
    # Standard input too, for the script (a process per file would be slow).
    assert sorted(key_of(d, root) for d in cli_stdin(root, ENTRY)) == answers["lint_path"][ENTRY]


def test_generated_projects_with_the_freeze_helper_anywhere(tmp_path: Path) -> None:
    """All seeds in one test (in-process entry points only): any failure fails it."""
    for seed in SEEDS:
        root = build(tmp_path / f"seed{seed}", Generated(seed, helper_anywhere=True).files())
        for name in python_files(root):
            outcome = lint(root, name)
            check_places(root, name, outcome)
            project_module.forget()
            assert sorted(key_of(d, root) for d in lsp(root, name).diagnostics) == sorted(
                key_of(d, root) for d in outcome.diagnostics
            ), (seed, name)
