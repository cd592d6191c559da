"""``--fix``, ``--diff`` and ``--unsafe-fixes`` with test-only fixing rules.

The rules below exist only here: they are added to ``darklint.registry.RULES``
for the duration of a test, and run in-process through ``darklint.cli.main``
(one job, no cache), so the whole path from a rule's ``Replacement`` to the
bytes on disk is exercised without depending on any real rule's fix.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import libcst as cst
import pytest

from darklint import registry
from darklint.cli import main
from darklint.engine import lint_text
from darklint.fixes import apply_fixes
from darklint.rule import FixSafety, Replacement, Rule
from darklint.source import write_atomic


class RenameOld(Rule):
    """Test only: a name starting with `old_` is renamed to `new_` (safe fix)."""

    code = "DK990"
    name = "test-rename-old"
    message = "`{name}` is an old name"
    fix_safety = FixSafety.SAFE
    fix_title = "Rename to `new_`"
    # No requirement: the gate lets every file through to it.

    def visit_Name(self, node: cst.Name) -> None:
        if node.value.startswith("old_"):
            new = node.with_changes(value="new_" + node.value[4:])
            self.report(node, fix=Replacement(node, new), name=node.value)


class RiskyCall(Rule):
    """Test only: `risky(...)` becomes `careful(...)` (unsafe fix)."""

    code = "DK991"
    name = "test-risky-call"
    message = "`risky()` called"
    fix_safety = FixSafety.UNSAFE
    requires_names = ("risky",)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "risky":
            self.report(node, fix=Replacement(node.func, cst.Name("careful")))


class Unwrap(Rule):
    """Test only: `wrap(x)` becomes `x` (safe fix spanning its argument)."""

    code = "DK992"
    name = "test-unwrap"
    message = "needless `wrap()`"
    fix_safety = FixSafety.SAFE
    requires_names = ("wrap",)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "wrap" and len(node.args) == 1:
            self.report(node, fix=Replacement(node, node.args[0].value))


class Todo(Rule):
    """Test only: a `todo` name, reported without a fix."""

    code = "DK993"
    name = "test-todo"
    message = "`todo` left in the code"
    requires_names = ("todo",)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "todo":
            self.report(node)


TEST_RULES = (RenameOld, RiskyCall, Unwrap, Todo)


def _clear_registry_caches() -> None:
    registry.rules_by_code.cache_clear()
    registry.rules_by_name.cache_clear()


@pytest.fixture(autouse=True)
def fixing_rules() -> Iterator[None]:
    saved = registry.RULES
    registry.RULES = (*saved, *TEST_RULES)
    _clear_registry_caches()
    try:
        yield
    finally:
        registry.RULES = saved
        _clear_registry_caches()


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``darklint ARGS`` in ``tmp_path`` with only the test rules: (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--no-cache", "--jobs", "1", "--select", "DK99", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def codes_of(output: str) -> list[tuple[str, str]]:
    """(location, code) of each diagnostic line of the text format."""
    found = []
    for line in output.splitlines():
        location, _, rest = line.partition(": ")
        if rest.startswith("DK"):
            found.append((location, rest.split(" ", 1)[0]))
    return found


def test_fix_writes_safe_fixes_and_relints(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "m.py"
    path.write_text("old_a = 1\nprint(old_a, todo)\n")
    code, out, err = cli("--fix", "m.py")
    assert path.read_text() == "new_a = 1\nprint(new_a, todo)\n"
    # What remains after the fix is what the re-lint found: the unfixable DK993.
    assert code == 1
    assert codes_of(out) == [("m.py:2:14", "DK993")]
    assert err == "Fixed 2 problems.\n"

    # Nothing left to fix: the file is untouched and the finding still counts.
    before = path.stat().st_mtime_ns
    code, out, err = cli("--fix", "m.py")
    assert (code, err) == (1, "")
    assert path.stat().st_mtime_ns == before


def test_fix_exits_0_when_everything_was_fixed(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "m.py").write_text("old_a = 1\n")
    (tmp_path / "clean.py").write_text("x = 1\n")
    code, out, err = cli("--fix", ".")
    assert (code, out, err) == (0, "All checks passed!\n", "Fixed 1 problem.\n")
    assert (tmp_path / "m.py").read_text() == "new_a = 1\n"
    assert (tmp_path / "clean.py").read_text() == "x = 1\n"


def test_fix_keeps_line_endings_encoding_and_mode(tmp_path: Path, cli: Cli) -> None:
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(b"old_a = 1\r\nif old_a:\r\n    old_b = 'caf\xc3\xa9'\r\n")
    crlf.chmod(0o754)
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfold_a = '\xc3\xa9'\n")
    latin1 = tmp_path / "latin1.py"
    latin1.write_bytes(b"# -*- coding: latin-1 -*-\nold_a = '\xe9'\n")
    code, _, err = cli("--fix", "crlf.py", "bom.py", "latin1.py")
    assert (code, err) == (0, "Fixed 5 problems.\n")
    assert crlf.read_bytes() == b"new_a = 1\r\nif new_a:\r\n    new_b = 'caf\xc3\xa9'\r\n"
    assert stat.S_IMODE(crlf.stat().st_mode) == 0o754
    assert bom.read_bytes() == b"\xef\xbb\xbfnew_a = '\xc3\xa9'\n"
    assert latin1.read_bytes() == b"# -*- coding: latin-1 -*-\nnew_a = '\xe9'\n"
    # The atomic write leaves no temporary file behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bom.py", "crlf.py", "latin1.py"]


def test_diff_prints_and_writes_nothing(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"old_a = 1\r\nprint(old_a)\r\n")
    clean = tmp_path / "clean.py"
    clean.write_text("todo = 1\n")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    code, out, err = cli("--diff", "m.py", "clean.py")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert code == 1
    assert err == ""
    assert out.splitlines() == [
        "--- a/m.py",
        "+++ b/m.py",
        "@@ -1,2 +1,2 @@",
        "-old_a = 1",
        "-print(old_a)",
        "+new_a = 1",
        "+print(new_a)",
    ]
    # Nothing fixable: no diff; the exit code is the findings' (clean.py has one).
    code, out, err = cli("--diff", "clean.py")
    assert (code, out, err) == (1, "", "")
    code, out, err = cli("--diff", "--exit-zero", "clean.py")
    assert (code, out) == (0, "")


def test_unsafe_fixes_only_with_the_flag(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "m.py"
    source = "risky(old_a)\n"
    path.write_text(source)

    code, out, _ = cli("m.py")
    # Only safe fixes are advertised: the plain --fix would not apply the others.
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("m.py:1:1: DK991 ")
    assert not lines[0].endswith("(fixable)")
    assert lines[1].startswith("m.py:1:7: DK990 ")
    assert lines[1].endswith(" (fixable)")
    assert "1 fixable with the --fix option." in lines

    code, out, _ = cli("--diff", "m.py")
    assert "+risky(new_a)" in out.splitlines()

    code, out, _ = cli("--fix", "m.py")
    assert path.read_text() == "risky(new_a)\n"
    assert (code, codes_of(out)) == (1, [("m.py:1:1", "DK991")])

    code, out, err = cli("--fix", "--unsafe-fixes", "m.py")
    assert path.read_text() == "careful(new_a)\n"
    assert (code, out, err) == (0, "All checks passed!\n", "Fixed 1 problem.\n")


def test_overlapping_fixes_first_wins_then_the_next_pass_applies_the_rest(
    tmp_path: Path, cli: Cli
) -> None:
    source = "y = wrap(old_a)\nz = old_b\n"
    diagnostics = lint_text(source, "m.py", frozenset({"DK990", "DK992"})).diagnostics
    assert [(d.code, d.line, d.column) for d in diagnostics] == [
        ("DK992", 1, 5),
        ("DK990", 1, 10),
        ("DK990", 2, 5),
    ]
    result = apply_fixes(source, diagnostics)
    # wrap(old_a) starts first and covers old_a: the rename inside it waits.
    assert [(d.code, d.line) for d in result.applied] == [("DK992", 1), ("DK990", 2)]
    assert result.text == "y = old_a\nz = new_b\n"

    # --fix re-lints and applies again until no fix applies (fixes.fix_until_stable):
    # the rename that lost the overlap is applied in the second pass, so a
    # second --fix has nothing left to do.
    path = tmp_path / "m.py"
    path.write_text(source)
    code, out, err = cli("--fix", "m.py")
    assert path.read_text() == "y = new_a\nz = new_b\n"
    assert (code, out, err) == (0, "All checks passed!\n", "Fixed 3 problems.\n")
    before = path.stat().st_mtime_ns
    assert cli("--fix", "m.py") == (0, "All checks passed!\n", "")
    assert path.stat().st_mtime_ns == before


def test_json_carries_the_fix(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "m.py").write_text("x = risky(old_a)\n")
    code, out, _ = cli("--format", "json", "m.py")
    assert code == 1
    fixes = {d["code"]: d["fix"] for d in json.loads(out)}
    assert fixes["DK990"] == {
        "title": "Rename to `new_`",
        "applicability": "safe",
        "edits": [{"line": 1, "column": 11, "end_line": 1, "end_column": 16, "content": "new_a"}],
    }
    assert fixes["DK991"] == {
        "title": "Apply fix",
        "applicability": "unsafe",
        "edits": [{"line": 1, "column": 5, "end_line": 1, "end_column": 10, "content": "careful"}],
    }


def test_fix_from_stdin_writes_the_code_to_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"old_a = todo\n")))
    code = main(["--select", "DK99", "--fix", "-", "--stdin-filename", "m.py"])
    out, err = capsys.readouterr()
    assert out == "new_a = todo\n"
    assert code == 1
    assert err.startswith("m.py:1:9: DK993 ")
    assert not (tmp_path / "m.py").exists()


def test_notebooks_are_fixed_in_their_cells(tmp_path: Path, cli: Cli) -> None:
    cell = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": ["old_a = 1\n", "%time old_b = 2\n"],
    }
    document = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(document))
    before = path.read_text()
    code, out, err = cli("--fix", "nb.ipynb")
    # The rename in the cell; the magic line (masked) is not touched.
    assert path.read_text() == before.replace('"old_a = 1', '"new_a = 1')
    assert (code, out, err) == (0, "All checks passed!\n", "Fixed 1 problem.\n")


def test_fix_then_cache_sees_the_new_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "m.py"
    path.write_text("old_a = todo\n")
    args = ["--jobs", "1", "--select", "DK99", "--format", "json", "m.py"]
    assert main(args) == 1
    assert {d["code"] for d in json.loads(capsys.readouterr().out)} == {"DK990", "DK993"}
    assert main(["--fix", *args]) == 1
    capsys.readouterr()
    assert main(args) == 1
    assert [d["code"] for d in json.loads(capsys.readouterr().out)] == ["DK993"]


def test_write_atomic_leaves_the_original_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"original\n")
    path.chmod(0o640)

    def failing_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"new\n")
    assert path.read_bytes() == b"original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]

    monkeypatch.undo()
    write_atomic(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]
