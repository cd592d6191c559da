"""The command-line pieces the integrations rely on: ``--exit-non-zero-on-fix``
(the pre-commit fix hook) and ``darklint lsp``'s start-up errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PREDICT_IN_LOOP = textwrap.dedent(
    """\
    import keras
    g = keras.Sequential([keras.layers.Dense(2)])
    d = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    d.compile(optimizer="adam", loss="binary_crossentropy")
    for step in range(100):
        fake = g.predict(noise[:16])
        d.train_on_batch(fake, zeros)
    """
)
FIXED = PREDICT_IN_LOOP.replace("g.predict(", "g.predict_on_batch(")


def _darklint(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "darklint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.darklint]\n")
    (tmp_path / "gan.py").write_text(PREDICT_IN_LOOP)
    return tmp_path


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        # Plain --fix: everything fixed, nothing left: success.
        ((), 0),
        # ruff's flag: a changed file is a failure even with nothing left.
        (("--exit-non-zero-on-fix",), 1),
        # --exit-zero wins, as in ruff.
        (("--exit-non-zero-on-fix", "--exit-zero"), 0),
    ],
)
def test_exit_non_zero_on_fix(project: Path, flags: tuple[str, ...], expected: int) -> None:
    first = _darklint(project, "--no-cache", "--fix", *flags, "gan.py")
    assert first.returncode == expected, first.stderr
    assert (project / "gan.py").read_text() == FIXED
    assert "Fixed 1 problem." in first.stderr
    # Nothing left to change: success whatever the flags.
    second = _darklint(project, "--no-cache", "--fix", *flags, "gan.py")
    assert second.returncode == 0, second.stdout + second.stderr


def test_exit_non_zero_on_fix_without_fix_changes_nothing(project: Path) -> None:
    clean = project / "clean.py"
    clean.write_text(FIXED)
    assert _darklint(project, "--no-cache", "--exit-non-zero-on-fix", "clean.py").returncode == 0
    found = _darklint(project, "--no-cache", "--exit-non-zero-on-fix", "gan.py")
    assert found.returncode == 1
    assert (project / "gan.py").read_text() == PREDICT_IN_LOOP


def test_exit_non_zero_on_fix_with_stdin(project: Path) -> None:
    args = ("--fix", "--exit-non-zero-on-fix", "-", "--stdin-filename", "gan.py")
    fixed = _darklint(project, *args, stdin=PREDICT_IN_LOOP)
    assert fixed.returncode == 1, fixed.stderr
    assert fixed.stdout == FIXED
    unchanged = _darklint(project, *args, stdin=FIXED)
    assert unchanged.returncode == 0, unchanged.stderr
    assert unchanged.stdout == FIXED


def test_lsp_without_pygls_says_which_extra_to_install() -> None:
    # A None entry in sys.modules makes `import pygls` fail as if it were absent.
    code = (
        "import sys; sys.modules['pygls'] = None\n"
        "from darklint.cli import main\n"
        "raise SystemExit(main(['lsp']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    assert "darklint lsp needs the 'lsp' extra (pygls): pip install 'pygls>=2,<3'" in proc.stderr
    assert proc.stdout == ""


def test_lsp_accepts_stdio_and_ends_with_its_input(tmp_path: Path) -> None:
    # vscode-languageclient appends --stdio; a closed stdin ends the server.
    proc = subprocess.run(
        [sys.executable, "-m", "darklint", "lsp", "--stdio"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
