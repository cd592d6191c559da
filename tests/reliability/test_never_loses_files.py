"""darklint never loses a file: --fix writes atomically, and nothing else writes at all.

Already proven elsewhere, not repeated here:

* --fix keeps the permission bits, a BOM, a latin-1 cookie and CRLF, and
  leaves no temporary file: ``tests/engine/test_fix_plumbing.py::
  test_fix_keeps_line_endings_encoding_and_mode`` (here: the owner, and
  symlinks);
* ``write_atomic`` keeps the original when ``os.replace`` raises:
  ``tests/engine/test_fix_plumbing.py::
  test_write_atomic_leaves_the_original_when_the_write_fails`` (here: the
  process killed at write time, and every failure through the CLI);
* a garbage, truncated, empty, wrong-shape or binary cache is ignored and
  rewritten; a file in the cache directory's place: ``tests/engine/test_cache.py``
  (here: nesting that breaks ``json``, wrong types, symlinks, concurrency).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from darklint import __version__
from darklint.cache import CACHE_DIR_NAME, CACHE_FORMAT
from darklint.cli import main

DK202_SOURCE = """\
import keras
generator = keras.Sequential([keras.layers.Dense(1)])
discriminator = keras.Sequential([keras.layers.Dense(1)])
discriminator.compile(optimizer="adam", loss="mse")
for step in range(10):
    fake = generator.predict(noise[:16])
    discriminator.train_on_batch(fake, zeros)
"""
DK202_FIXED = DK202_SOURCE.replace("generator.predict(", "generator.predict_on_batch(")
DK104_SOURCE = """\
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam()
a = Sequential([layers.Dense(1)])
b = Sequential([layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")
"""

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--jobs", "1", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int, int]]:
    """Every path under ``root``: (content of a file, mtime in ns, mode)."""
    found = {}
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(directory, name)
            status = path.lstat()
            content = path.read_bytes() if stat.S_ISREG(status.st_mode) else None
            found[str(path.relative_to(root))] = (content, status.st_mtime_ns, status.st_mode)
    return found


# --------------------------------------------------------------------------
# Killed or failing at write time


KILLED = """\
import os, signal, sys
from darklint.cli import main
where = sys.argv[1]
if where == "before-rename":
    os.replace = lambda src, dst: os._exit(7)
elif where == "during-fsync":
    os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
elif where == "after-rename":
    real = os.replace
    def replace(src, dst):
        real(src, dst)
        os._exit(7)
    os.replace = replace
raise SystemExit(main(["--no-cache", "--jobs", "1", "--fix", "m.py"]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("where", ["during-fsync", "before-rename", "after-rename"])
def test_killed_while_fixing_the_file_is_whole(tmp_path: Path, where: str) -> None:
    path = tmp_path / "m.py"
    path.write_text(DK202_SOURCE)
    result = subprocess.run(
        [sys.executable, "-c", KILLED, where],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (7, -9), result.stderr
    # Before the rename the original is intact, after it the fix is complete:
    # never anything in between.
    assert path.read_text() == (DK202_FIXED if where == "after-rename" else DK202_SOURCE)
    # A killed process cannot clean up: its temporary file may stay, under a
    # name no run ever lints.
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "m.py"]
    assert all(name.startswith(".m.py.") and name.endswith(".darklint-tmp") for name in leftovers)
    rerun = subprocess.run(
        [sys.executable, "-m", "darklint", "--no-cache", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert {d["path"] for d in json.loads(rerun.stdout)} <= {"m.py"}


def _fail(error: int) -> Callable[..., None]:
    def raise_(*args: object, **kwargs: object) -> None:
        raise OSError(error, os.strerror(error))

    return raise_


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("os.fsync", errno.ENOSPC),  # disk full
        ("os.replace", errno.EXDEV),
        ("os.chmod", errno.EPERM),
        ("tempfile.mkstemp", errno.EACCES),  # a read-only directory
    ],
)
def test_a_failed_write_is_an_error_and_the_original_stays(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, target: str, error: int
) -> None:
    (tmp_path / "a.py").write_text(DK202_SOURCE)
    (tmp_path / "b.py").write_text(DK202_SOURCE)
    module, name = target.split(".")
    real = getattr(__import__(module), name)
    calls: list[int] = []

    def first_call_fails(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            _fail(error)()
        return real(*args, **kwargs)

    monkeypatch.setattr(f"{module}.{name}", first_call_fails)
    code, out, err = cli("--no-cache", "--fix", "a.py", "b.py")
    # a.py could not be written: reported (exit 2), its finding still shown;
    # b.py is fixed all the same.
    assert code == 2
    assert err == f"Fixed 1 problem.\ndarklint: error: a.py: cannot write: {os.strerror(error)}\n"
    assert out.startswith("a.py:6:12: DK202 ")
    assert (tmp_path / "a.py").read_text() == DK202_SOURCE
    assert (tmp_path / "b.py").read_text() == DK202_FIXED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_fix_keeps_the_owner(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "m.py"
    path.write_text(DK202_SOURCE)
    os.chown(path, 12345, 23456)
    path.chmod(0o640)
    assert cli("--no-cache", "--fix", "m.py")[0] == 0
    status = path.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (12345, 23456, 0o640)
    assert path.read_text() == DK202_FIXED


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_fix_writes_through_a_symlink(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.py"
    target.write_text(DK202_SOURCE)
    link = tmp_path / "m.py"
    link.symlink_to(Path("real") / "model.py")
    assert cli("--no-cache", "--fix", "m.py") == (0, "All checks passed!\n", "Fixed 1 problem.\n")
    assert link.is_symlink()
    assert os.readlink(link) == str(Path("real") / "model.py")
    assert target.read_text() == DK202_FIXED
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["model.py"]


def test_fix_uses_the_file_as_it_is_when_written(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file changed between the lint and the fix (an editor saved it): no stale edit."""
    import darklint.runner

    path = tmp_path / "m.py"
    path.write_text(DK202_SOURCE)
    real_run = darklint.runner.run

    def run_then_edit(*args: object, **kwargs: object) -> object:
        result = real_run(*args, **kwargs)  # type: ignore[arg-type]
        path.write_text(
            "# a new first line, and the call moves right\n"
            + DK202_SOURCE.replace("fake = generator", "fake = 0 or generator")
        )
        return result

    monkeypatch.setattr(darklint.runner, "run", run_then_edit)
    assert cli("--no-cache", "--fix", "m.py")[0] == 0
    assert (
        path.read_text()
        == "# a new first line, and the call moves right\n"
        + DK202_FIXED.replace("fake = generator", "fake = 0 or generator")
    )


# --------------------------------------------------------------------------
# Runs that must not write


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for name, source in {
        "fixable.py": DK202_SOURCE,
        "crlf.py": DK202_SOURCE.replace("\n", "\r\n"),
        "unfixable.py": DK104_SOURCE,
        "clean.py": "x = 1\n",
        "broken.py": "def f(:\n",
        "pkg/nested.py": DK202_SOURCE,
        "nb.ipynb": json.dumps(
            {
                "cells": [{"cell_type": "code", "metadata": {}, "source": DK202_SOURCE}],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        ),
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(source.encode())
    return root


@pytest.mark.parametrize(
    "args",
    [
        ("--no-cache",),
        ("--no-cache", "--diff"),
        ("--no-cache", "--diff", "--unsafe-fixes"),
        # (--statistics has no SARIF form: refused; JSON is one of its forms.)
        ("--no-cache", "--format", "sarif"),
        ("--no-cache", "--format", "json", "--statistics"),
        # (A notebook with a fixable finding is fixed now: not "nothing to fix".)
        ("--no-cache", "--fix", "unfixable.py", "clean.py", "broken.py"),
    ],
    ids=["plain", "diff", "diff-unsafe", "sarif", "statistics", "fix-with-nothing-to-fix"],
)
def test_runs_without_fix_write_nothing(
    tree: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tree)
    before = snapshot(tree)
    code, _, _ = cli(*args)
    assert code == 1
    assert snapshot(tree) == before


def test_cached_runs_write_only_the_cache(
    tree: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    before = snapshot(tree)
    for args in ((), ("--diff",), ()):
        assert cli(*args)[0] == 1
        after = snapshot(tree)
        assert {k: v for k, v in after.items() if not k.startswith(CACHE_DIR_NAME)} == before
    assert sorted(p for p in after if p.startswith(CACHE_DIR_NAME)) == [
        CACHE_DIR_NAME,
        f"{CACHE_DIR_NAME}/.gitignore",
        f"{CACHE_DIR_NAME}/v{__version__}-{CACHE_FORMAT}.json",
    ]


# --------------------------------------------------------------------------
# The cache


def cache_file(root: Path) -> Path:
    return root / CACHE_DIR_NAME / f"v{__version__}-{CACHE_FORMAT}.json"


@pytest.mark.parametrize(
    "garbage",
    [
        "[" * 100_000,  # json.loads: RecursionError, not ValueError
        '{"a.py": ' * 50_000 + "1" + "}" * 50_000,
    ],
    ids=["nested-list", "nested-object"],
)
def test_cache_nested_too_deeply_is_ignored_and_rewritten(
    tmp_path: Path, cli: Cli, garbage: str
) -> None:
    (tmp_path / "a.py").write_text(DK104_SOURCE)
    expected = cli("--no-cache", "--format", "json", ".")
    cache_file(tmp_path).parent.mkdir()
    cache_file(tmp_path).write_text(garbage)
    assert cli("--format", "json", ".") == expected
    assert set(json.loads(cache_file(tmp_path).read_text())) == {"a.py"}


def test_cache_entry_of_the_wrong_types_is_a_miss(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "a.py").write_text(DK104_SOURCE)
    expected = cli("--format", "json", ".")
    data = json.loads(cache_file(tmp_path).read_text())
    good = data["a.py"]["diagnostics"][0]
    for broken in (
        [{**good, "line": "7"}],
        [{**good, "column": None}],
        [{**good, "message": 5}],
        [{**good, "cell": "1"}],
        [[1, 2]],  # not an object: was an AttributeError
        "not a list",
    ):
        data["a.py"]["diagnostics"] = broken
        cache_file(tmp_path).write_text(json.dumps(data))
        assert cli("--format", "json", ".") == expected, broken


def test_cache_write_failure_leaves_no_temporary_file(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import darklint.cache

    (tmp_path / "a.py").write_text(DK104_SOURCE)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(darklint.cache.json, "dump", disk_full)
    assert cli("--format", "json", ".")[0] == 1
    assert sorted(p.name for p in (tmp_path / CACHE_DIR_NAME).iterdir()) == [".gitignore"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_cache_directory_that_is_a_symlink_is_not_used(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text(DK104_SOURCE)
    (project / CACHE_DIR_NAME).symlink_to(elsewhere)
    monkeypatch.chdir(project)
    assert cli("--format", "json", ".")[0] == 1
    assert list(elsewhere.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_cache_gitignore_is_never_written_through_a_symlink(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "a.py").write_text(DK104_SOURCE)
    (tmp_path / CACHE_DIR_NAME).mkdir()
    victim = tmp_path / "victim"
    (tmp_path / CACHE_DIR_NAME / ".gitignore").symlink_to(victim)  # dangling
    assert cli("--format", "json", ".")[0] == 1
    assert not victim.exists()
    assert cache_file(tmp_path).is_file()


def test_concurrent_runs_on_the_same_tree(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text(DK104_SOURCE if i % 2 else "x = 1\n")
    command = [sys.executable, "-m", "darklint", "--format", "json", "--jobs", "1", "."]
    expected = subprocess.run(
        [*command, "--no-cache"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert expected.returncode == 1

    def run(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
        )

    for round_ in range(4):
        if round_ % 2:  # half the rounds start from a cold cache
            cache_file(tmp_path).unlink(missing_ok=True)
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(run, range(2)))
        for result in results:
            assert (result.returncode, result.stdout, result.stderr) == (
                1,
                expected.stdout,
                "",
            )
        data = json.loads(cache_file(tmp_path).read_text())
        assert set(data) == {f"m{i:02}.py" for i in range(40)}
        assert sorted(p.name for p in (tmp_path / CACHE_DIR_NAME).iterdir()) == [
            ".gitignore",
            f"v{__version__}-{CACHE_FORMAT}.json",
        ]


def test_fix_after_a_killed_fix_ignores_the_leftover(tmp_path: Path) -> None:
    """A leftover temporary file from a killed run is neither linted nor fixed."""
    (tmp_path / "m.py").write_text(DK202_SOURCE)
    leftover = tmp_path / ".m.py.abc123.darklint-tmp"
    leftover.write_text(DK202_SOURCE[:40])
    result = subprocess.run(
        [sys.executable, "-m", "darklint", "--no-cache", "--fix", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "Fixed 1 problem.\n")
    assert leftover.read_text() == DK202_SOURCE[:40]
    assert (tmp_path / "m.py").read_text() == DK202_FIXED
