"""darklint reads the code it lints; it never imports or runs it.

A hostile project: module-level code, a package ``__init__.py``, a
``conftest.py``, a ``setup.py``, a ``.pth`` file, ``sitecustomize.py`` and
modules named like what darklint itself imports (``argparse``, ``json``,
``tomllib``, ``libcst``...), each of which would write a marker file, open a
socket and ``sys.exit(3)`` if it ran; every Python file also holds a Keras
bug, so that the rules read all of it.  After each run the marker directory
is empty and the exit code is the lint result (1: findings), never the
hostile code's 3.

``tests/engine/test_no_heavy_imports.py`` proves that keras, tensorflow and
torch are never imported; here it is the project's own modules, and a scan
of darklint's source for the ways code gets run (``eval``, ``exec``,
``importlib.import_module``...).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import darklint
from darklint.cli import main

DK104_SOURCE = """\
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam()
a = Sequential([layers.Dense(1)])
b = Sequential([layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")
"""

# What the hostile code does if it runs: a marker file, a socket, an exit.
PAYLOAD = """\
import os as _os, socket as _socket, sys as _sys
open(_os.path.join({markers!r}, {name!r}), "w").write("ran")
_socket.socket().bind(("127.0.0.1", 0))
_sys.exit(3)
"""

# The names a project could use to get itself imported.
HOSTILE_MODULES = (
    "evil.py",
    "pkg/__init__.py",
    "pkg/sub/__init__.py",
    "conftest.py",
    "setup.py",
    "sitecustomize.py",
    "usercustomize.py",
    "keras.py",
    "tensorflow.py",
    # Shadows of what darklint and Python import: only `python -m` is exposed.
    "argparse.py",
    "json.py",
    "tomllib.py",
    "libcst.py",
    "typing_extensions.py",
)


def hostile_project(root: Path, markers: Path) -> Path:
    markers.mkdir(exist_ok=True)
    for name in HOSTILE_MODULES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = PAYLOAD.format(markers=str(markers), name=name.replace("/", "_"))
        path.write_text(payload + DK104_SOURCE)
    # A .pth file runs its `import` lines when it sits in a site directory.
    (root / "evil.pth").write_text(
        f"import os; open(os.path.join({str(markers)!r}, 'pth'), 'w').write('ran')\n"
    )
    cell = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": (PAYLOAD.format(markers=str(markers), name="notebook") + DK104_SOURCE).splitlines(
            keepends=True
        ),
    }
    document = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (root / "nb.ipynb").write_text(json.dumps(document))
    return root


EXPECTED_FILES = sorted([*HOSTILE_MODULES, "nb.ipynb"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return hostile_project(tmp_path / "project", tmp_path / "markers")


def markers(project: Path) -> list[str]:
    return sorted(os.listdir(project.parent / "markers"))


def linted(stdout: str) -> list[str]:
    return sorted({d["path"] for d in json.loads(stdout) if d["code"] == "DK104"})


def test_in_process_run_imports_nothing_from_the_project(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    before = set(sys.modules)
    code = main(["--no-cache", "--jobs", "1", "--format", "json", "."])
    out, err = capsys.readouterr()
    assert (code, err) == (1, "")
    assert linted(out) == EXPECTED_FILES
    assert markers(project) == []
    new = set(sys.modules) - before
    from_project = sorted(
        name
        for name in new
        if str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(project))
    )
    assert from_project == []
    assert not {"evil", "pkg", "conftest", "setup", "keras", "tensorflow"} & new


def _console_script() -> list[str]:
    """How pre-commit and a shell run darklint: the installed entry point."""
    script = Path(sys.executable).with_name("darklint")
    if script.is_file():
        return [str(script)]
    # Not installed as a script: the same through -I (no working directory on sys.path).
    return [sys.executable, "-I", "-c", "from darklint.cli import main; raise SystemExit(main())"]


def _run(command: list[str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--no-cache", "--jobs", "1"),
        ("--jobs", "2"),  # worker processes, and the cache written and read back
        ("--fix",),
        ("--diff",),
    ],
    ids=["serial", "pool-and-cache", "fix", "diff"],
)
def test_console_script_runs_nothing_from_the_project(project: Path, args: tuple[str, ...]) -> None:
    for _ in range(2 if "--jobs" in args and "2" in args else 1):
        result = _run(_console_script(), project, "--format", "json", *args, ".")
        assert markers(project) == [], result.stderr
        # The lint result's exit code, not the hostile code's 3.
        assert result.returncode == 1, result.stderr
        if "--diff" not in args:
            assert linted(result.stdout) == EXPECTED_FILES


def test_python_dash_capital_p_runs_nothing(project: Path) -> None:
    result = _run([sys.executable, "-P", "-m", "darklint"], project, "--no-cache", ".")
    assert (markers(project), result.returncode) == ([], 1), result.stderr


# `python -m darklint` would put the project first on sys.path; __main__ drops it.
def test_python_dash_m_in_the_project_runs_nothing(project: Path) -> None:
    result = _run([sys.executable, "-m", "darklint"], project, "--no-cache", ".")
    assert (markers(project), result.returncode) == ([], 1), result.stderr


# --------------------------------------------------------------------------
# darklint's own source


# Calls that run code or start programs.
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint", "execfile"}
FORBIDDEN_ATTRIBUTES = {
    "import_module",
    "run_module",
    "run_path",
    "exec_module",
    "load_module",
    "system",
    "popen",
    "spawnv",
    "execv",
    "execve",
    "startfile",
}
FORBIDDEN_MODULES = {
    "runpy",
    "subprocess",
    "importlib",
    "pickle",
    "marshal",
    "ctypes",
    "code",
    "pty",
    "shelve",
}


def forbidden(source: str, where: str = "<sample>") -> list[str]:
    """Each call or import in ``source`` that could run code, as ``where:line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{where}:{node.lineno}: {func.id}()")
            elif isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_ATTRIBUTES:
                found.append(f"{where}:{node.lineno}: .{func.attr}()")
        elif isinstance(node, ast.Import):
            found.extend(
                f"{where}:{node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] in FORBIDDEN_MODULES
            )
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] in FORBIDDEN_MODULES
        ):
            found.append(f"{where}:{node.lineno}: from {node.module} import")
    return found


def test_darklint_source_has_no_way_to_run_code() -> None:
    package = Path(darklint.__file__).parent
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        where = str(path.relative_to(package.parent))
        found.extend(forbidden(path.read_text(encoding="utf-8"), where))
    assert found == []


def test_the_scan_finds_what_it_looks_for() -> None:
    sample = (
        "import runpy, subprocess\n"
        "from importlib import import_module\n"
        "eval(text)\n"
        "exec(text)\n"
        "compile(text, 'f', 'exec')\n"
        "importlib.import_module(name)\n"
        "__import__(name)\n"
        "os.system(command)\n"
        "re.compile(pattern)\n"  # a regex: fine
        "ast.parse(text)\n"  # parsing: fine
    )
    assert forbidden(sample) == [
        "<sample>:1: import runpy",
        "<sample>:1: import subprocess",
        "<sample>:2: from importlib import",
        "<sample>:3: eval()",
        "<sample>:4: exec()",
        "<sample>:5: compile()",
        "<sample>:6: .import_module()",
        "<sample>:7: __import__()",
        "<sample>:8: .system()",
    ]
