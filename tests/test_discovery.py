"""Which files get linted: the walk, excludes, .gitignore, symlinks, errors."""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from darklint.discovery import DEFAULT_EXCLUDES, DiscoveryResult, GitIgnore, discover


def make(root: Path, *files: str) -> None:
    """Create empty files (and their directories); a name ending in / is a directory."""
    for name in files:
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def found(result: DiscoveryResult) -> list[str]:
    return [path.as_posix() for path in result.files]


def run(paths: Iterable[str] = (".",), **kwargs: Any) -> list[str]:
    result = discover(list(paths), **kwargs)
    assert result.errors == []
    return found(result)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


needs_symlinks = pytest.mark.skipif(
    sys.platform == "win32", reason="symlinks need privileges on Windows"
)


# --------------------------------------------------------------------------
# The walk


def test_recursive_walk_in_sorted_order(tree: Path) -> None:
    make(tree, "b.py", "a.py", "pkg/z.ipynb", "pkg/m.py", "pkg/sub/x.py", "c.txt", "d.pyi", "e.pyc")
    assert run() == ["a.py", "b.py", "pkg/m.py", "pkg/sub/x.py", "pkg/z.ipynb"]


def test_paths_keep_the_prefix_the_user_typed(tree: Path) -> None:
    make(tree, "src/pkg/a.py")
    assert run(["src/"]) == ["src/pkg/a.py"]
    assert run(["./src"]) == ["src/pkg/a.py"]
    assert run(["src/pkg/../pkg"]) == ["src/pkg/../pkg/a.py"]
    assert run([str(tree / "src")]) == [(tree / "src/pkg/a.py").as_posix()]


def test_default_excludes(tree: Path) -> None:
    make(
        tree,
        "keep.py",
        ".venv/lib/x.py",
        "venv/x.py",
        "build/x.py",
        "dist/x.py",
        "__pycache__/x.py",
        "pkg.egg-info/x.py",
        "node_modules/x.py",
        ".tox/py311/x.py",
        ".ipynb_checkpoints/x-checkpoint.ipynb",
        "lib/site-packages/x.py",
        "src/build/x.py",  # a name pattern matches at any depth
        ".hidden/kept.py",  # hidden directories are walked
    )
    assert run() == [".hidden/kept.py", "keep.py"]
    assert "*.egg-info" in DEFAULT_EXCLUDES


def test_explicit_file_is_always_linted(tree: Path) -> None:
    make(tree, "build/gen.py", "notes.txt", "ignored.py")
    write(tree / ".gitignore", "ignored.py\n")
    assert run(["build/gen.py", "notes.txt", "ignored.py"], extend_exclude=["notes.txt"]) == [
        "build/gen.py",
        "notes.txt",
        "ignored.py",
    ]


def test_explicit_excluded_directory_is_walked(tree: Path) -> None:
    make(tree, "build/gen.py", "build/__pycache__/x.py")
    assert run(["build"]) == ["build/gen.py"]


def test_directory_named_like_a_python_file(tree: Path) -> None:
    make(tree, "x.py/inner.py", "x.py/data.txt")
    assert run() == ["x.py/inner.py"]
    assert run(["x.py"]) == ["x.py/inner.py"]


def test_missing_path_is_an_error_and_the_rest_continues(tree: Path) -> None:
    make(tree, "a.py")
    result = discover(["missing.py", "a.py", "nodir/"])
    assert found(result) == ["a.py"]
    assert result.errors == [
        ("missing.py", "No such file or directory"),
        ("nodir/", "No such file or directory"),
    ]


def test_no_duplicates(tree: Path) -> None:
    make(tree, "src/a.py", "src/sub/b.py")
    assert run([".", "src", "src/a.py", "./src/sub/"]) == ["src/a.py", "src/sub/b.py"]
    # Named first, a file keeps its place and its spelling.
    assert run(["src/sub/b.py", "src"]) == ["src/sub/b.py", "src/a.py"]


def test_deterministic_order(tree: Path) -> None:
    names = [f"d{i % 7}/f{(i * 37) % 101}.py" for i in range(60)]
    make(tree, *names)
    first = run()
    assert first == sorted(first, key=lambda p: p.split("/"))
    assert run() == first
    assert len(first) == len(set(names))


def test_unreadable_directory_is_an_error(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tree, "a.py", "locked/b.py", "z.py")
    # chmod 0 would not stop root (the tests run as root in CI): the refusal
    # is simulated where the walk meets it, in os.scandir.
    locked = str(tree / "locked")
    real_scandir = os.scandir

    def scandir(path: str) -> Any:
        if os.path.abspath(path) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = discover(["."])
    assert found(result) == ["a.py", "z.py"]
    assert result.errors == [("locked", "Permission denied")]


# --------------------------------------------------------------------------
# Symlinks


@needs_symlinks
def test_symlink_loop_does_not_hang(tree: Path) -> None:
    make(tree, "pkg/a.py", "pkg/sub/b.py")
    (tree / "pkg/sub/loop").symlink_to(tree / "pkg")
    (tree / "pkg/self").symlink_to(".")
    assert run() == ["pkg/a.py", "pkg/sub/b.py"]


@needs_symlinks
def test_symlinked_directory_is_walked_once(tree: Path) -> None:
    make(tree, "real/a.py")
    (tree / "link").symlink_to(tree / "real")
    (tree / "z_link").symlink_to(tree / "real")
    # "link" sorts before "real": the first path to the directory wins.
    assert run() == ["link/a.py"]


@needs_symlinks
def test_symlinked_file_is_linted_and_broken_links_are_skipped(tree: Path) -> None:
    make(tree, "elsewhere/code.txt")
    (tree / "src").mkdir()
    (tree / "src/a.py").symlink_to(tree / "elsewhere/code.txt")
    (tree / "src/broken.py").symlink_to(tree / "nowhere.py")
    assert run(["src"]) == ["src/a.py"]
    result = discover(["src/broken.py"])
    assert result.errors == [("src/broken.py", "No such file or directory")]


# --------------------------------------------------------------------------
# exclude / extend_exclude


def test_exclude_replaces_the_defaults(tree: Path) -> None:
    make(tree, "a.py", ".venv/x.py", "gen/y.py")
    assert run(exclude=["gen"]) == [".venv/x.py", "a.py"]


def test_empty_exclude_keeps_the_defaults(tree: Path) -> None:
    make(tree, "a.py", ".venv/x.py")
    assert run(exclude=[]) == ["a.py"]


def test_git_directory_is_never_walked(tree: Path) -> None:
    make(tree, "a.py", ".git/hooks/x.py")
    assert run(exclude=["nothing"]) == ["a.py"]


def test_extend_exclude_adds_to_the_defaults(tree: Path) -> None:
    make(tree, "a.py", "a_pb2.py", ".venv/x.py", "tests/data/t.py", "tests/test_a.py")
    assert run(extend_exclude=["*_pb2.py", "tests/data"]) == ["a.py", "tests/test_a.py"]


def test_exclude_anchored_at_config_root(tree: Path) -> None:
    make(tree, "proj/data/a.py", "proj/src/data/b.py", "proj/src/c.py")
    root = tree / "proj"
    # A pattern with a slash is relative to config_root, whatever the cwd.
    assert run(["proj"], extend_exclude=["/data", "src/data/"], config_root=root) == [
        "proj/src/c.py"
    ]
    assert run(["proj"], extend_exclude=["./data"], config_root=root) == [
        "proj/src/c.py",
        "proj/src/data/b.py",
    ]
    # A name pattern matches anywhere, also outside config_root.
    assert run(["proj"], extend_exclude=["data"], config_root=root / "src") == ["proj/src/c.py"]


def test_exclude_negation_reincludes_a_default(tree: Path) -> None:
    make(tree, "build/a.py", "dist/b.py")
    assert run(extend_exclude=["!build"]) == ["build/a.py"]


# --------------------------------------------------------------------------
# .gitignore


def test_nested_gitignore_with_negation(tree: Path) -> None:
    make(tree, ".git/", "a.py", "gen_a.py", "sub/gen_b.py", "sub/gen_keep.py", "sub/deep/gen_c.py")
    write(tree / ".gitignore", "gen_*.py\n")
    write(tree / "sub/.gitignore", "# keep one\n!gen_keep.py\n")
    assert run() == ["a.py", "sub/gen_keep.py"]


def test_deeper_gitignore_wins_and_last_match_wins(tree: Path) -> None:
    make(tree, "a.py", "b.py", "c.py", "sub/a.py")
    write(tree / ".gitignore", "*.py\n!b.py\n!c.py\nc.py\n")
    write(tree / "sub/.gitignore", "!a.py\n")
    assert run() == ["b.py", "sub/a.py"]


def test_anchored_patterns(tree: Path) -> None:
    make(tree, "top.py", "sub/top.py", "docs/gen/x.py", "sub/docs/gen/y.py")
    write(tree / ".gitignore", "/top.py\ndocs/gen\n")
    assert run() == ["sub/docs/gen/y.py", "sub/top.py"]


def test_anchored_pattern_in_a_nested_gitignore(tree: Path) -> None:
    make(tree, "sub/x.py", "sub/inner/x.py", "x.py")
    write(tree / "sub/.gitignore", "/x.py\n")
    assert run() == ["sub/inner/x.py", "x.py"]


def test_directory_only_patterns(tree: Path) -> None:
    make(tree, "out/a.py", "src/out.py/b.py", "src/out.py.txt", "out.py")
    write(tree / ".gitignore", "out/\nout.py/\n")
    # "out.py/" matches the directory, not the file of that name.
    assert run() == ["out.py"]


def test_double_star_patterns(tree: Path) -> None:
    make(
        tree,
        "a/gen/x.py",
        "gen/y.py",
        "b/c/gen/z.py",
        "lib/x/y/skip.py",
        "lib/keep.py",
        "m/n/tmp_1.py",
        "m/tmp.py",
        "t/x/u/v.py",
        "t/u/v.py",
        "t/v.py",
    )
    write(tree / ".gitignore", "**/gen/\nlib/**/skip.py\nm/**\n!m/n/\nt/**/u/v.py\n")
    # m/** ignores everything inside m; "!m/n/" re-includes the directory
    # but not its files, which "m/**" still matches.
    assert run() == ["lib/keep.py", "t/v.py"]


def test_gitignore_of_parents_up_to_the_repository_root(tree: Path) -> None:
    make(tree, "repo/.git/info/", "repo/src/pkg/a.py", "repo/src/pkg/gen.py", "repo/src/pkg/x.py")
    write(tree / ".gitignore", "a.py\n")  # above the repository: not honoured
    write(tree / "repo/.gitignore", "gen.py\n")
    write(tree / "repo/src/.gitignore", "/pkg/x.py\n")
    write(tree / "repo/.git/info/exclude", "# local\n")
    assert run(["repo/src/pkg"]) == ["repo/src/pkg/a.py"]
    write(tree / "repo/.git/info/exclude", "a.py\n")
    assert run(["repo/src/pkg"]) == []
    # .gitignore beats info/exclude.
    write(tree / "repo/src/pkg/.gitignore", "!a.py\n")
    assert run(["repo/src/pkg"]) == ["repo/src/pkg/a.py"]


def test_gitignore_outside_a_repository_applies_below_the_walk_root_only(tree: Path) -> None:
    make(tree, "proj/a.py", "proj/b.py")
    write(tree / ".gitignore", "a.py\n")
    write(tree / "proj/.gitignore", "b.py\n")
    assert run(["proj"]) == ["proj/a.py"]


def test_nested_repository_does_not_inherit_the_outer_gitignore(tree: Path) -> None:
    make(tree, ".git/", "vendor/lib/.git/", "vendor/lib/gen.py", "gen.py")
    write(tree / ".gitignore", "gen.py\n")
    assert run() == ["vendor/lib/gen.py"]


def test_respect_gitignore_false(tree: Path) -> None:
    make(tree, ".git/", "a.py")
    write(tree / ".gitignore", "*.py\n")
    assert run() == []
    assert run(respect_gitignore=False) == ["a.py"]


# --------------------------------------------------------------------------
# GitIgnore itself


def matcher(*lines: str) -> GitIgnore:
    return GitIgnore(lines)


@pytest.mark.parametrize(
    ("lines", "path", "is_dir", "expected"),
    [
        (["*.py"], "a/b/c.py", False, True),
        (["*.py"], "a/b/c.pyc", False, None),
        (["a?c.py"], "abc.py", False, True),
        (["a?c.py"], "a/c.py", False, None),  # ? never matches /
        (["[a-c]x.py"], "bx.py", False, True),
        (["[a-c]x.py"], "dx.py", False, None),
        (["[!a-c]x.py"], "dx.py", False, True),
        (["[^a-c]x.py"], "bx.py", False, None),
        (["[]]x"], "]x", False, True),
        (["[[:digit:]]*.py"], "1a.py", False, True),
        (["[[:digit:]]*.py"], "a1.py", False, None),
        (["[ab"], "[ab", False, True),  # unclosed: a literal bracket
        (["\\#notes.py"], "#notes.py", False, True),
        (["#notes.py"], "#notes.py", False, None),  # a comment
        (["\\!important.py"], "!important.py", False, True),
        (["trailing.py   "], "trailing.py", False, True),
        (["space\\ "], "space ", False, True),
        (["", "   ", "# only comments"], "x.py", False, None),
        (["build/"], "build", True, True),
        (["build/"], "build", False, None),
        (["build/"], "src/build", True, True),
        (["/build"], "src/build", True, None),
        (["doc/frotz"], "doc/frotz", True, True),
        (["doc/frotz"], "a/doc/frotz", True, None),
        (["**/foo"], "foo", False, True),
        (["**/foo"], "a/b/foo", False, True),
        (["**/foo/bar"], "x/foo/bar", False, True),
        (["abc/**"], "abc/x/y.py", False, True),
        (["abc/**"], "abc", True, None),
        (["a/**/b"], "a/b", False, True),
        (["a/**/b"], "a/x/y/b", False, True),
        (["a/**/b"], "a/xb", False, None),
        (["**"], "anything/at/all", False, True),
        (["a**b.py"], "axxb.py", False, True),  # not a whole component: a plain star
        (["a**b.py"], "ax/b.py", False, None),
        (["*.py", "!keep.py"], "keep.py", False, False),
        (["*.py", "!keep.py", "keep.py"], "keep.py", False, True),
        (["[z-a]", "ok.py"], "ok.py", False, True),  # an invalid range is dropped
    ],
)
def test_gitignore_matching(
    lines: list[str], path: str, is_dir: bool, expected: bool | None
) -> None:
    assert matcher(*lines).match(path, is_dir) is expected


def test_gitignore_from_file(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "*.log\r\n!keep.log\r\n")
    ignore = GitIgnore.from_file(tmp_path / ".gitignore")
    assert ignore.base == str(tmp_path)
    assert len(ignore) == 2
    assert ignore.ignores("x.log")
    assert not ignore.ignores("keep.log")
    assert len(GitIgnore.from_file(tmp_path / "missing")) == 0


# --------------------------------------------------------------------------
# Speed


def test_thousand_files_are_fast(tree: Path) -> None:
    make(tree, ".git/")
    write(tree / ".gitignore", "*.log\n/generated/\n!important.log\n")
    for package in range(50):
        make(tree, *(f"pkg{package}/sub{package % 5}/m{i}.py" for i in range(20)))
        write(tree / f"pkg{package}/.gitignore", "tmp_*.py\n")
    discover(["."])  # warm the file system cache
    best = min(_timed(lambda: discover(["."])) for _ in range(3))
    assert len(discover(["."]).files) == 1000
    # The target is well under 50 ms; the bound leaves room for slow CI disks.
    assert best < 0.25, f"discover took {best * 1000:.0f} ms for 1,000 files"


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start
