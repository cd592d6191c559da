"""The result cache: hits, invalidation, ``--no-cache``, corruption, location.

Runs ``darklint.cli.main`` in-process with one job and counts the files the
engine actually lints by wrapping ``runner_module.lint_path`` (the name the
runner calls; ``darklint.engine.lint_path`` is bound there at import).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import libcst as cst
import pytest

from darklint import __version__, registry
from darklint import cache as cache_module
from darklint import runner as runner_module
from darklint.cache import CACHE_DIR_NAME, Cache, entry_key
from darklint.cli import main
from darklint.rule import Rule
from darklint.runner import FileTask, run

DK104_SOURCE = """\
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam()
a = Sequential([layers.Dense(1)])
b = Sequential([layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")
"""

Run = Callable[..., tuple[int, str, list[str]]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text(DK104_SOURCE)
    (tmp_path / "b.py").write_text(
        DK104_SOURCE.replace("opt = Adam()", "opt = Adam()  # noqa: DK101")
    )
    (tmp_path / "clean.py").write_text("x = 1\n")
    return tmp_path


@pytest.fixture
def lint(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``darklint ARGS`` in ``project``: (exit code, stdout, displays of the files linted)."""
    monkeypatch.chdir(project)
    real = runner_module.lint_path
    linted: list[str] = []

    def counting(path: Path, display: str, *args):  # type: ignore[no-untyped-def]
        linted.append(display)
        return real(path, display, *args)

    monkeypatch.setattr(runner_module, "lint_path", counting)

    def run_cli(*args: str) -> tuple[int, str, list[str]]:
        linted.clear()
        code = main(["--jobs", "1", "--format", "json", *args])
        return code, capsys.readouterr().out, sorted(linted)

    return run_cli


def cache_file(root: Path) -> Path:
    return root / CACHE_DIR_NAME / f"v{__version__}-{cache_module.CACHE_FORMAT}.json"


def test_second_run_reads_the_cache(project: Path, lint: Run) -> None:
    first = lint(".")
    assert first[0] == 1
    assert first[2] == ["a.py", "b.py", "clean.py"]
    assert cache_file(project).is_file()
    second = lint(".")
    assert second[2] == []  # nothing linted again
    assert second[:2] == first[:2]  # the same report and exit code, from the cache
    assert {d["code"] for d in json.loads(second[1])} == {"DK104", "DK002"}


def test_run_result_counts_cached_files(project: Path) -> None:
    tasks = [
        FileTask(project / name, name, frozenset({"DK104"}))
        for name in ("a.py", "b.py", "clean.py")
    ]
    first = run(tasks, jobs=1, cache=Cache(project))
    assert (first.files, first.cached) == (3, 0)
    second = run(tasks, jobs=1, cache=Cache(project))
    assert (second.files, second.cached) == (3, 3)
    assert second.diagnostics == first.diagnostics
    assert second.analysed == 0


def test_content_change_invalidates_that_file_only(project: Path, lint: Run) -> None:
    lint(".")
    (project / "b.py").write_text("x = 2\n")
    _, out, linted = lint(".")
    assert linted == ["b.py"]
    assert [(d["path"], d["code"]) for d in json.loads(out)] == [("a.py", "DK104")]
    # Back to the old content: the entry was replaced, so it is linted once more.
    (project / "b.py").write_text(DK104_SOURCE)
    assert lint(".")[2] == ["b.py"]


def test_selection_change_invalidates(project: Path, lint: Run) -> None:
    lint(".")
    _, out, linted = lint("--select", "DK104", ".")
    assert linted == ["a.py", "b.py", "clean.py"]
    assert {d["code"] for d in json.loads(out)} == {"DK104"}
    assert lint("--select", "DK104", ".")[2] == []
    # A per-file-ignore changes one file's enabled codes: only that file is linted again.
    (project / "pyproject.toml").write_text(
        '[tool.darklint.per-file-ignores]\n"b.py" = ["DK104"]\n'
    )
    _, out, linted = lint("--select", "DK104", ".")
    assert linted == ["b.py"]
    assert [(d["path"], d["code"]) for d in json.loads(out)] == [("a.py", "DK104")]


def test_version_change_invalidates(
    project: Path, lint: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    lint(".")
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    assert lint(".")[2] == ["a.py", "b.py", "clean.py"]
    assert (project / CACHE_DIR_NAME / f"v999.0-{cache_module.CACHE_FORMAT}.json").is_file()
    assert cache_file(project).is_file()


def test_no_cache_neither_reads_nor_writes(project: Path, lint: Run) -> None:
    _, out, linted = lint("--no-cache", ".")
    assert linted == ["a.py", "b.py", "clean.py"]
    assert not (project / CACHE_DIR_NAME).exists()

    # Plant a result for clean.py under its true key: a cached run reports it,
    # --no-cache does not even look.
    lint(".")
    data = json.loads(cache_file(project).read_text())
    data["clean.py"]["diagnostics"] = json.loads(json.dumps(data["a.py"]["diagnostics"]))
    for diagnostic in data["clean.py"]["diagnostics"]:
        diagnostic["path"] = "clean.py"
    cache_file(project).write_text(json.dumps(data))
    assert "clean.py" in {d["path"] for d in json.loads(lint(".")[1])}
    _, out, linted = lint("--no-cache", ".")
    assert "clean.py" not in {d["path"] for d in json.loads(out)}
    assert linted == ["a.py", "b.py", "clean.py"]
    assert "clean.py" in {
        d["path"] for d in json.loads(cache_file(project).read_text())["clean.py"]["diagnostics"]
    }


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("", id="empty"),
        pytest.param("[1, 2]", id="a-list"),
        pytest.param('{"a.py": 5, "b.py": {"key": 1}}', id="bad-entries"),
        pytest.param("\x00\xff", id="binary"),
    ],
)
def test_corrupt_cache_is_ignored_and_rewritten(project: Path, lint: Run, garbage: str) -> None:
    expected = lint("--no-cache", ".")
    cache_file(project).parent.mkdir()
    cache_file(project).write_text(garbage, encoding="latin-1")
    code, out, linted = lint(".")
    assert (code, out) == expected[:2]
    assert linted == ["a.py", "b.py", "clean.py"]
    rewritten = json.loads(cache_file(project).read_text())
    assert set(rewritten) == {"a.py", "b.py", "clean.py"}
    assert lint(".")[2] == []


def test_entry_with_a_broken_diagnostic_is_a_miss(project: Path, lint: Run) -> None:
    lint(".")
    data = json.loads(cache_file(project).read_text())
    data["a.py"]["diagnostics"] = [{"path": "a.py", "line": "x"}]
    cache_file(project).write_text(json.dumps(data))
    _, out, linted = lint(".")
    assert linted == ["a.py"]
    assert ("a.py", "DK104") in {(d["path"], d["code"]) for d in json.loads(out)}


def test_cache_dir_has_its_own_gitignore_and_is_not_linted(project: Path, lint: Run) -> None:
    lint(".")
    assert (project / CACHE_DIR_NAME / ".gitignore").read_text() == "# Created by darklint\n*\n"
    # A .py file planted in the cache directory is excluded by default.
    (project / CACHE_DIR_NAME / "stray.py").write_text(DK104_SOURCE)
    assert lint("--no-cache", ".")[2] == ["a.py", "b.py", "clean.py"]


def test_cache_lives_at_the_config_root(
    project: Path, lint: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text("[tool.darklint]\n")
    sub = project / "sub"
    sub.mkdir()
    (sub / "c.py").write_text(DK104_SOURCE)
    monkeypatch.chdir(sub)
    lint("c.py")
    assert cache_file(project).is_file()
    assert not (sub / CACHE_DIR_NAME).exists()


def test_undecodable_file_is_cached_by_its_bytes(project: Path, lint: Run) -> None:
    (project / "bad.py").write_bytes(b'x = "\xff"\n')
    first = lint(".")
    second = lint(".")
    assert second[2] == []
    assert second[1] == first[1]
    assert ("bad.py", 1, 6, "DK001") in {
        (d["path"], d["line"], d["column"], d["code"]) for d in json.loads(second[1])
    }


class Crashing(Rule):
    """Test only: crashes on any name `boom`."""

    code = "DK995"
    name = "test-crashing"
    message = "never reported"
    requires_names = ("boom",)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "boom":
            raise RuntimeError("boom")


def test_crashed_file_is_not_cached(
    project: Path, lint: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "RULES", (*registry.RULES, Crashing))
    registry.rules_by_code.cache_clear()
    registry.rules_by_name.cache_clear()
    try:
        (project / "boom.py").write_text("boom = 1\n")
        code, out, linted = lint("--select", "DK104,DK995", ".")
        assert code == 2  # a crash is an internal error, whatever else was found
        assert ("a.py", "DK104") in {(d["path"], d["code"]) for d in json.loads(out)}
        code, out, linted = lint("--select", "DK104,DK995", ".")
        assert (code, linted) == (2, ["boom.py"])
    finally:
        monkeypatch.undo()
        registry.rules_by_code.cache_clear()
        registry.rules_by_name.cache_clear()


def test_read_only_cache_dir_still_lints(project: Path, lint: Run) -> None:
    # The cache directory's name taken by a file: saving fails, linting does not.
    (project / CACHE_DIR_NAME).write_text("not a directory")
    code, _, linted = lint(".")
    assert code == 1
    assert linted == ["a.py", "b.py", "clean.py"]


def test_entry_key_covers_content_and_codes() -> None:
    base = entry_key(b"x = 1\n", frozenset({"DK101", "DK104"}))
    assert base == entry_key(b"x = 1\n", frozenset({"DK104", "DK101"}))
    assert base != entry_key(b"x = 2\n", frozenset({"DK101", "DK104"}))
    assert base != entry_key(b"x = 1\n", frozenset({"DK101"}))
