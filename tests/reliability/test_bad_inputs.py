"""Bad input: what a linter meets in the wild, each with its exact report and exit code.

Run through ``darklint.cli.main`` in-process (one job, no cache unless the
case is about the cache); the few cases about the process itself (standard
output as bytes) run ``python -m darklint``.  A syntax error's position and
message are CPython's (DK001 follows ``ast.parse``), so they are computed
with ``ast.parse`` here rather than written out for one Python version.

Covered elsewhere, not repeated here:

* invalid UTF-8 in code, a syntax error, invalid notebook JSON, a notebook
  cell that does not parse: ``tests/cli/test_cli.py::
  test_broken_files_are_dk001_and_the_rest_is_still_linted``;
* a missing path: ``tests/cli/test_cli.py::
  test_missing_path_is_an_error_but_the_rest_is_reported``;
* a broken ``pyproject.toml``, an unknown key or code in the configuration:
  ``tests/cli/test_cli.py::test_config_errors_name_the_file_and_the_key_or_code``;
* an unknown code in ``--select``/``--extend-select``/``--ignore``:
  ``tests/cli/test_cli.py::test_unknown_code_on_the_command_line``;
* symlink loops, a directory named ``x.py``, an unreadable directory, in the
  walk itself: ``tests/test_discovery.py``;
* ``--fix`` keeping CRLF, a BOM and a latin-1 cookie with test-only rules:
  ``tests/engine/test_fix_plumbing.py::test_fix_keeps_line_endings_encoding_and_mode``
  (here: the real DK202 fix, CR-only and mixed endings, tabs).
"""

from __future__ import annotations

import ast
import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from darklint.cli import main

# DK202 at 6:12 (`generator.predict(noise[:16])`), with a safe fix.
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
# DK104 at 7:1.
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
    """``darklint --no-cache --jobs 1 ARGS`` in ``tmp_path``: (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--jobs", "1", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def found(out: str) -> list[tuple[str, int, int, str, str]]:
    """(path, line, column, code, message) of a ``--format json`` report."""
    return [(d["path"], d["line"], d["column"], d["code"], d["message"]) for d in json.loads(out)]


def cpython_syntax_error(source: str | bytes) -> tuple[int, int, str]:
    """Where and why CPython rejects ``source``: what DK001 must say."""
    try:
        ast.parse(source)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, f"syntax error: {error.msg}"
    except (ValueError, RecursionError, MemoryError) as error:
        return 1, 1, f"syntax error: {error or type(error).__name__}"
    raise AssertionError("CPython accepts this source")


# --------------------------------------------------------------------------
# Empty and binary files, encodings


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"\xef\xbb\xbf", b"# only a comment", b"\r\n\r\n", b"\x0c\n", b"   \t\n"],
    ids=["empty", "newline", "bom-only", "comment-no-eol", "crlf-only", "form-feed", "blanks"],
)
def test_empty_files_are_clean(tmp_path: Path, cli: Cli, content: bytes) -> None:
    (tmp_path / "empty.py").write_bytes(content)
    assert cli("--no-cache", "empty.py") == (0, "All checks passed!\n", "")


def test_binary_files_are_dk001_and_the_rest_is_linted(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "image.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "blob.py").write_bytes(bytes(range(256)))
    (tmp_path / "model.py").write_text(DK104_SOURCE)
    code, out, err = cli("--no-cache", "--format", "json", ".")
    assert (code, err) == (1, "")
    assert found(out) == [
        # 0x80 is byte 128: after the \n at 10 and the lone \r at 13, line 3 column 115.
        (
            "blob.py",
            3,
            115,
            "DK001",
            "unreadable file: cannot decode as utf-8: 'utf-8' codec can't decode byte 0x80 "
            "in position 128: invalid start byte",
        ),
        (
            "image.py",
            1,
            1,
            "DK001",
            "unreadable file: cannot decode as utf-8: 'utf-8' codec can't decode byte 0x89 "
            "in position 0: invalid start byte",
        ),
        ("model.py", 7, 1, "DK104", found_message(tmp_path, "model.py", "DK104")),
    ]


def found_message(tmp_path: Path, name: str, code: str) -> str:
    """The message darklint gives ``code`` on ``name`` alone (to compare positions only)."""
    from darklint.engine import lint_path

    (message,) = [
        d.message
        for d in lint_path(tmp_path / name, name, frozenset({code})).diagnostics
        if d.code == code
    ]
    return message


@pytest.mark.parametrize(
    ("cookie", "message"),
    [
        ("nonsense", "unreadable file: unknown encoding: nonsense"),
        (
            "hex",
            "unreadable file: cannot decode as hex: 'hex' is not a text encoding; "
            "use codecs.decode() to handle arbitrary codecs",
        ),
        # A codec that fails without a position: was an uncaught UnicodeError.
        (
            "punycode",
            "unreadable file: cannot decode as punycode: decoding with 'punycode' codec failed "
            "(UnicodeError: Invalid extended code point '\n')",
        ),
    ],
)
def test_unusable_encoding_cookie_is_dk001(
    tmp_path: Path, cli: Cli, cookie: str, message: str
) -> None:
    (tmp_path / "m.py").write_bytes(f"# -*- coding: {cookie} -*-\n".encode() + b"x = 1\n")
    (tmp_path / "ok.py").write_text(DK104_SOURCE)
    code, out, err = cli("--no-cache", "--format", "json", "m.py", "ok.py")
    assert (code, err) == (1, "")
    assert [f[:4] for f in found(out)] == [("m.py", 1, 1, "DK001"), ("ok.py", 7, 1, "DK104")]
    assert found(out)[0][4] == message


def test_undecodable_bytes_in_a_comment_are_linted_like_cpython_does(
    tmp_path: Path, cli: Cli
) -> None:
    # ast.parse (and import) accept bytes that are not UTF-8 in a comment: no
    # DK001, the file is linted; --fix leaves it alone, since writing the text
    # back would change those bytes.
    content = DK202_SOURCE.encode().replace(b"import keras\n", b"import keras  # caf\xe9\n")
    ast.parse(content)
    path = tmp_path / "m.py"
    path.write_bytes(content)
    code, out, err = cli("--no-cache", "--format", "json", "m.py")
    assert (code, err) == (1, "")
    assert [f[:4] for f in found(out)] == [("m.py", 6, 12, "DK202")]
    code, out, err = cli("--no-cache", "--fix", "m.py")
    assert (code, err) == (1, "")
    assert out.startswith("m.py:6:12: DK202 ")
    assert path.read_bytes() == content


# Each file holds DK202 (fixable); --fix must change `predict(` and nothing else.
ENCODED_CASES = {
    "latin-1-cookie": (
        b"# -*- coding: latin-1 -*-\n"
        + DK202_SOURCE.replace("fake = generator", 'fake = ("\xe9", generator')
        .replace("(noise[:16])\n", "(noise[:16]))[1]\n")
        .encode("latin-1"),
        (7, 18),
    ),
    "bom": (
        b"\xef\xbb\xbf"
        + DK202_SOURCE.replace("fake = generator", 'fake = ("\xe9", generator')
        .replace("(noise[:16])\n", "(noise[:16]))[1]\n")
        .encode(),
        (6, 18),
    ),
    "crlf": (DK202_SOURCE.replace("\n", "\r\n").encode(), (6, 12)),
    "cr-only": (DK202_SOURCE.replace("\n", "\r").encode(), (6, 12)),
    "mixed-endings": (
        DK202_SOURCE.replace("\n", "\r\n", 3).replace("range(10):\n", "range(10):\r").encode(),
        (6, 12),
    ),
    "tabs": (DK202_SOURCE.replace("    ", "\t").encode(), (6, 9)),
    "no-final-newline": (DK202_SOURCE.rstrip("\n").encode(), (6, 12)),
}


@pytest.mark.parametrize("case", sorted(ENCODED_CASES))
def test_encodings_and_line_endings_are_linted_and_kept_by_fix(
    tmp_path: Path, cli: Cli, case: str
) -> None:
    content, (line, column) = ENCODED_CASES[case]
    path = tmp_path / "m.py"
    path.write_bytes(content)
    code, out, err = cli("--no-cache", "--format", "json", "--select", "DK202", "m.py")
    assert (code, err) == (1, "")
    # Columns count characters (é is one), and a BOM is not one.
    assert [f[:4] for f in found(out)] == [("m.py", line, column, "DK202")]

    code, out, err = cli("--no-cache", "--fix", "--select", "DK202", "m.py")
    assert (code, out, err) == (0, "All checks passed!\n", "Fixed 1 problem.\n")
    # Byte for byte: encoding, BOM, each line's ending, tabs.
    assert path.read_bytes() == content.replace(b".predict(", b".predict_on_batch(")


# --------------------------------------------------------------------------
# Size and depth


@pytest.mark.slow
def test_a_50000_line_file(tmp_path: Path, cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    functions = "".join(
        f"def f{i}(x):\n    y = x + {i}\n    return y * 2\n\n" for i in range(12_500)
    )
    source = DK202_SOURCE + functions
    assert source.count("\n") > 50_000
    (tmp_path / "big.py").write_text(source)
    start = time.perf_counter()
    code, out, err = cli("--no-cache", "--format", "json", "big.py")
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[bad inputs] a {source.count(chr(10))}-line file linted in {elapsed:.1f} s")
    assert (code, err) == (1, "")
    assert [f[:4] for f in found(out)] == [("big.py", 6, 12, "DK202")]
    # Linear in the size (about 10 s per 10,000 lines on a loaded 2-core
    # machine): the bound catches a quadratic blow-up, not a slow machine.
    assert elapsed < 300


DEPTH = 1000
# Deeper than CPython's own parser allows: DK001 with CPython's reason.
TOO_DEEP_FOR_CPYTHON = {
    "parentheses": "x = " + "(" * DEPTH + "1" + ")" * DEPTH,
    "negations": "x = " + "-(" * DEPTH + "1" + ")" * DEPTH,
    "lists": "x = " + "[" * DEPTH + "]" * DEPTH,
    "calls": "x = " + "f(" * DEPTH + ")" * DEPTH,
    "sum-of-100k-terms": "x = " + "+".join(["a"] * 100_000),
}


@pytest.mark.parametrize("case", sorted(TOO_DEEP_FOR_CPYTHON))
def test_nesting_cpython_rejects_is_dk001(tmp_path: Path, cli: Cli, case: str) -> None:
    source = DK202_SOURCE + TOO_DEEP_FOR_CPYTHON[case] + "\n"
    line, column, message = cpython_syntax_error(source)
    (tmp_path / "deep.py").write_text(source)
    code, out, err = cli("--no-cache", "--format", "json", "deep.py")
    assert (code, err) == (1, "")
    assert found(out) == [("deep.py", line, column, "DK001", message)]


# Valid Python (CPython parses it) nested deeper than Python's recursion
# limit: the rules must neither crash nor go silent, and the findings keep
# their ranges (positions come from libcst's codegen, which recurses:
# darklint.positions generates such a file in pieces of bounded depth).
DEEP_BUT_VALID = {
    "unary-minus": "x = " + "-" * DEPTH + "1",
    "not": "x = " + "not " * DEPTH + "y",
    "sum": "x = " + "+".join(["a"] * DEPTH),
    "attributes": "x = a" + ".b" * DEPTH,
    "subscripts": "x = a" + "[0]" * DEPTH,
    "call-chain": "x = f" + "()" * DEPTH,
    "conditional": "x = " + " if c else ".join(["a"] * DEPTH),
    "lambdas": "x = " + "lambda: " * DEPTH + "1",
    "parentheses-199": "x = " + "(" * 199 + "1" + ")" * 199,
    "lists-199": "x = " + "[" * 199 + "]" * 199,
    "blocks-99": "".join(" " * i + "if x:\n" for i in range(99)) + " " * 99 + "pass",
}


def ranges(out: str) -> list[tuple[int, int, int, int, str, bool]]:
    """(line, column, end line, end column, code, has a fix) of a ``--format json`` report."""
    return [
        (d["line"], d["column"], d["end_line"], d["end_column"], d["code"], d["fix"] is not None)
        for d in json.loads(out)
    ]


@pytest.mark.parametrize("case", sorted(DEEP_BUT_VALID))
def test_deep_valid_nesting_is_analysed(tmp_path: Path, cli: Cli, case: str) -> None:
    source = DK202_SOURCE + DEEP_BUT_VALID[case] + "\n"
    ast.parse(source)
    (tmp_path / "deep.py").write_text(source)
    code, out, err = cli("--no-cache", "--format", "json", "deep.py")
    assert (code, err) == (1, "")
    assert ranges(out) == [(6, 12, 6, 41, "DK202", True)]


DEEP_CHAIN = "a" + ".b" * DEPTH
# The deep expression next to the finding: in the statement reported, in the
# call reported, before the findings.  (line, column, end line, end column,
# code, has a fix) of each finding.
DEEP_NEAR_FINDINGS = {
    "dk202-same-line": (
        DK202_SOURCE.replace("(noise[:16])", f"(noise[:16]); x = {DEEP_CHAIN}"),
        [(6, 12, 6, 41, "DK202", True)],
    ),
    "dk202-deep-input": (
        # The fix would be generated by recursion too: the report stands, without it.
        DK202_SOURCE.replace("(noise[:16])", f"({DEEP_CHAIN}, verbose=0)"),
        [(6, 12, 6, 12 + len(f"generator.predict({DEEP_CHAIN}, verbose=0)"), "DK202", False)],
    ),
    "dk104-deep-argument": (
        DK104_SOURCE.replace(
            'b.compile(optimizer=opt, loss="mse")', f"b.compile(opt, {DEEP_CHAIN})"
        ),
        [(7, 1, 7, len(f"b.compile(opt, {DEEP_CHAIN})") + 1, "DK104", False)],
    ),
    "dk104-after-a-deep-sum": (
        "x = " + "+".join(["a"] * DEPTH) + "\n" + DK104_SOURCE,
        [(8, 1, 8, 37, "DK104", False)],
    ),
}


@pytest.mark.parametrize("case", sorted(DEEP_NEAR_FINDINGS))
def test_deep_nesting_next_to_a_finding_keeps_it(tmp_path: Path, cli: Cli, case: str) -> None:
    source, expected = DEEP_NEAR_FINDINGS[case]
    ast.parse(source)
    (tmp_path / "deep.py").write_text(source)
    code, out, err = cli("--no-cache", "--format", "json", "deep.py")
    assert (code, err) == (1, "")
    assert ranges(out) == expected


# --------------------------------------------------------------------------
# Syntax errors CPython finds


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\x00\n",
        "x = 1\ny = 2  # \x00\n",
        DK202_SOURCE + "y = (",  # on the last line, without a final newline
        DK202_SOURCE + "def f(:",
        DK202_SOURCE + "x = 1 \\",  # a continuation at the end of the file
        "if x:\n\ty = 1\n        z = 2\n",  # tabs and spaces mixed
        "x = 'unterminated\n",
        "x = 1\u00a0+ 1\n",  # a no-break space
    ],
    ids=[
        "null-byte",
        "null-byte-in-comment",
        "error-on-last-line",
        "error-on-last-line-2",
        "backslash-at-eof",
        "tabs-and-spaces",
        "unterminated-string",
        "nbsp",
    ],
)
def test_syntax_errors_are_dk001_where_cpython_says(tmp_path: Path, cli: Cli, source: str) -> None:
    line, column, message = cpython_syntax_error(source)
    (tmp_path / "bad.py").write_bytes(source.encode())
    code, out, err = cli("--no-cache", "--format", "json", "bad.py")
    assert (code, err) == (1, "")
    assert found(out) == [("bad.py", line, column, "DK001", message)]


# --------------------------------------------------------------------------
# Notebooks


def notebook(*cells: tuple[str, str], language: str = "python") -> str:
    document = {
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
            | ({"execution_count": None, "outputs": []} if kind == "code" else {})
            for kind, source in cells
        ],
        "metadata": {"kernelspec": {"name": language, "language": language}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "invalid notebook JSON: Expecting value (line 1, column 1)"),
        ("[1, 2]", "not a notebook: the top-level JSON value is not an object"),
        ("[" * 100_000 + "]" * 100_000, "invalid notebook JSON: nested too deeply"),
        (
            '{"worksheets": [], "nbformat": 3}',
            "not a notebook: missing 'cells' list (nbformat 3 notebooks are not supported)",
        ),
        ('{"cells": [{"source": "x"}]}', "not a notebook: cell 1 has no 'cell_type'"),
        (
            '{"cells": [{"cell_type": "code", "source": 5}]}',
            "not a notebook: cell 1 'source' is not a string or a list of strings",
        ),
    ],
    ids=["empty", "a-list", "nested-too-deeply", "nbformat-3", "no-cell-type", "bad-source"],
)
def test_broken_notebooks_are_dk001(tmp_path: Path, cli: Cli, content: str, message: str) -> None:
    (tmp_path / "nb.ipynb").write_text(content)
    code, out, err = cli("--no-cache", "--format", "json", "nb.ipynb")
    assert (code, err) == (1, "")
    assert found(out) == [("nb.ipynb", 1, 1, "DK001", message)]


def test_notebook_with_magics_and_non_python_cells(tmp_path: Path, cli: Cli) -> None:
    setup, compiles = DK104_SOURCE.split("a.compile")
    (tmp_path / "nb.ipynb").write_text(
        notebook(
            ("markdown", "# A GAN\n\n```python\ndef broken(:\n```\n"),
            ("raw", "def also_not_python(:\n"),
            ("code", "!pip install keras\n%matplotlib inline\n%load_ext autoreload\n"),
            ("code", "%%bash\nfor f in *.py; do echo $f; done\n"),
            ("code", "%%writefile helper.py\ndef f(:\n"),
            ("code", "%%time\n" + setup),
            ("code", "files = !ls\nmodel = a\nmodel?\n"),
            ("code", "a.compile" + compiles),
        )
    )
    (tmp_path / "r.ipynb").write_text(notebook(("code", "x <- c(1, 2\n"), language="R"))
    code, out, err = cli("--no-cache", "--format", "json", ".")
    assert (code, err) == (1, "")
    # The second compile: line 2 of cell 8, once the magics and the non-Python
    # cells are masked and the R notebook is skipped.
    (record,) = json.loads(out)
    assert (record["path"], record["cell"], record["line"], record["column"], record["code"]) == (
        "nb.ipynb",
        8,
        2,
        1,
        "DK104",
    )


# --------------------------------------------------------------------------
# Files and paths that cannot be read


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """``denied`` cannot be read (root reads anything, so the refusal is simulated)."""
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.resolve() == denied.resolve():
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_unreadable_file_is_dk001_and_the_rest_is_linted(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    (tmp_path / "secret.py").write_text(DK104_SOURCE)
    (tmp_path / "open.py").write_text(DK104_SOURCE)
    _deny(monkeypatch, tmp_path / "secret.py")
    args = ("--format", "json", ".") if cache else ("--no-cache", "--format", "json", ".")
    expected = [
        ("open.py", 7, 1, "DK104", found_message(tmp_path, "open.py", "DK104")),
        ("secret.py", 1, 1, "DK001", "unreadable file: Permission denied"),
    ]
    for _ in range(2 if cache else 1):  # the second run: nothing wrong was cached
        code, out, err = cli(*args)
        assert (code, err) == (1, "")
        assert found(out) == expected
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(*args)
    assert [f[:4] for f in found(out)] == [
        ("open.py", 7, 1, "DK104"),
        ("secret.py", 7, 1, "DK104"),
    ]


def test_unreadable_directory_is_an_error_and_the_rest_is_linted(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "m.py").write_text(DK104_SOURCE)
    (tmp_path / "open.py").write_text(DK104_SOURCE)
    real = os.scandir

    def scandir(path: Any) -> Any:
        if os.path.abspath(path) == str(tmp_path / "locked"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = cli("--no-cache", "--format", "json", ".")
    assert (code, err) == (2, "darklint: error: locked: Permission denied\n")
    assert [f[:4] for f in found(out)] == [("open.py", 7, 1, "DK104")]


needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs")


@needs_posix
def test_symlink_loops(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "m.py").write_text(DK104_SOURCE)
    (tmp_path / "pkg" / "sub" / "up").symlink_to(tmp_path / "pkg")
    (tmp_path / "pkg" / "self.py").symlink_to("self.py")  # a link to itself
    code, out, err = cli("--no-cache", "--format", "json", ".")
    # The loop is walked once; the self-link is neither a file nor a directory.
    assert (code, err) == (1, "")
    assert [f[:4] for f in found(out)] == [("pkg/m.py", 7, 1, "DK104")]
    # Named on the command line, the self-link is an error; the rest goes on.
    code, out, err = cli("--no-cache", "--format", "json", "pkg/self.py", "pkg/m.py")
    assert (code, err) == (2, "darklint: error: pkg/self.py: Too many levels of symbolic links\n")
    assert [f[:4] for f in found(out)] == [("pkg/m.py", 7, 1, "DK104")]


def test_directory_named_like_a_python_file(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "inner.py").write_text(DK104_SOURCE)
    (tmp_path / "x.py" / "notes.txt").write_text("not python")
    for args in (("x.py",), (".",)):
        code, out, err = cli("--no-cache", "--format", "json", *args)
        assert (code, err) == (1, "")
        assert [f[:4] for f in found(out)] == [("x.py/inner.py", 7, 1, "DK104")]


@needs_posix
def test_fifo_in_a_walked_directory_is_skipped_not_read(tmp_path: Path) -> None:
    """Reading a FIFO blocks until a writer comes: the walk must not open one."""
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "m.py").write_text(DK104_SOURCE)
    result = subprocess.run(
        [sys.executable, "-m", "darklint", "--no-cache", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (1, "")
    assert [f[:4] for f in found(result.stdout)] == [("m.py", 7, 1, "DK104")]


# --------------------------------------------------------------------------
# Standard input that cannot be rewritten


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("m.py", b'x = "\xff"\n'),  # not UTF-8: DK001
        ("m.py", DK202_SOURCE.encode().replace(b"keras\n", b"keras  # \xe9\n", 1)),
        # (A notebook is rewritten now, its cells only: tests/test_notebook_fix.py.)
    ],
    ids=["undecodable", "undecodable-comment"],
)
def test_fix_on_stdin_gives_back_what_it_cannot_rewrite(
    tmp_path: Path, name: str, content: bytes
) -> None:
    """An editor replaces its buffer with standard output: it must never come back empty."""
    result = subprocess.run(
        [sys.executable, "-m", "darklint", "--fix", "-", "--stdin-filename", name],
        cwd=tmp_path,
        input=content,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.stdout == content
    assert result.returncode == 1
    assert result.stderr.decode().startswith(f"{name}:")


# --------------------------------------------------------------------------
# darklint's own bug on one file


def test_an_internal_error_on_one_file_spares_the_others(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import darklint.engine

    (tmp_path / "a_bad.py").write_text("x = 'trigger'\n")
    (tmp_path / "b_good.py").write_text(DK104_SOURCE)
    real = darklint.engine.decode

    def decode(raw: bytes) -> Any:
        if b"trigger" in raw:
            raise KeyError("a darklint bug")
        return real(raw)

    monkeypatch.setattr(darklint.engine, "decode", decode)
    for _ in range(2):  # with the cache: the file that failed is not remembered as clean
        code, out, err = cli("--format", "json", ".")
        assert code == 2
        assert err == (
            "darklint: error: rule crashed: a_bad.py: internal error: KeyError: 'a darklint bug'\n"
        )
        assert [f[:4] for f in found(out)] == [("b_good.py", 7, 1, "DK104")]
