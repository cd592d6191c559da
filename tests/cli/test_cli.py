"""The ``darklint`` command end to end: flags, formats, exit codes, config, suppressions.

Every test runs ``python -m darklint`` in a subprocess with ``cwd=tmp_path``
(``sub``), so what is checked is what a user or a CI job sees: the exit
status, standard output and standard error.  Starting the interpreter and
importing libcst costs about half a second, so the independent invocations of
a test run concurrently (``run_all``), and the variations of a behaviour that
already has a subprocess case run in-process through ``darklint.cli.main``
(``here``): same arguments, same streams, same exit status, no start-up.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from darklint import __version__

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"

# DK104 on line 7 (the second compile() of the shared optimizer), columns 1-37.
DK104_SOURCE = """\
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam()
a = Sequential([layers.Dense(1)])
b = Sequential([layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")
"""
DK104_LINE = 'b.compile(optimizer=opt, loss="mse")'

# DK202 (with a safe fix) on line 6: predict() in a loop that trains.
DK202_SOURCE = """\
import keras
generator = keras.Sequential([keras.layers.Dense(1)])
discriminator = keras.Sequential([keras.layers.Dense(1)])
discriminator.compile(optimizer="adam", loss="mse")
for step in range(10):
    fake = generator.predict(noise[:16])
    discriminator.train_on_batch(fake, zeros)
"""

CLEAN_SOURCE = "import keras\n\nmodel = keras.Sequential()\n"

JSON_KEYS = [
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "severity",
    "message",
    "fix",
    "reference",
    "url",
    "docs",
    "cell",
    "help",
    "related",
]


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def found(self) -> list[tuple[str, int, int, str]]:
        """(path, line, column, code) of a ``--format json`` run."""
        return [(d["path"], d["line"], d["column"], d["code"]) for d in self.json()]

    def __str__(self) -> str:  # what pytest shows when an assert fails
        return f"darklint {' '.join(self.args)} -> {self.returncode}\n{self.stdout}\n{self.stderr}"


def darklint(cwd: Path, *args: str, stdin: str | bytes | None = None) -> Result:
    """``python -m darklint ARGS`` in a subprocess: the real exit status and streams."""
    # The checkout under test first on the path: the environment may have
    # another darklint installed (an editable install of another worktree).
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
    raw = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "darklint", *args],
        cwd=cwd,
        input=raw,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    return Result(args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def in_process(cwd: Path, *args: str, stdin: str | bytes | None = None) -> Result:
    """``darklint.cli.main(ARGS)`` in this process, for the combinatorial cases.

    Each subprocess pays ~0.5 s of libcst import, so the case matrices run
    here; every behaviour they cover also has a subprocess test above it.
    """
    import darklint.runner
    from darklint.cli import main

    raw = stdin.encode() if isinstance(stdin, str) else (stdin or b"")
    out, err = io.StringIO(), io.StringIO()
    saved = (os.getcwd(), sys.stdin, darklint.runner.default_jobs)
    try:
        os.chdir(cwd)
        sys.stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
        # No worker pool forked from the test process.
        darklint.runner.default_jobs = lambda: 1
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse
                code = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        os.chdir(saved[0])
        sys.stdin, darklint.runner.default_jobs = saved[1], saved[2]
    return Result(args, code, out.getvalue(), err.getvalue())


@dataclass(frozen=True)
class Call:
    """One invocation for ``run_all``: a subprocess unless ``here`` is set."""

    args: tuple[str, ...]
    stdin: str | bytes | None = None
    here: bool = False
    cwd: Path | None = None


def sub(*args: str, stdin: str | bytes | None = None, cwd: Path | None = None) -> Call:
    return Call(args, stdin, here=False, cwd=cwd)


def here(*args: str, stdin: str | bytes | None = None, cwd: Path | None = None) -> Call:
    return Call(args, stdin, here=True, cwd=cwd)


def run_all(cwd: Path, *calls: Call | Sequence[str]) -> list[Result]:
    """Results in order; subprocesses run concurrently (each is mostly interpreter start-up)."""
    normalized = [call if isinstance(call, Call) else Call(tuple(call)) for call in calls]
    with ThreadPoolExecutor(max_workers=len(normalized)) as pool:
        futures = {
            index: pool.submit(darklint, call.cwd or cwd, *call.args, stdin=call.stdin)
            for index, call in enumerate(normalized)
            if not call.here
        }
        # In-process calls change the working directory: one at a time, here.
        local = {
            index: in_process(call.cwd or cwd, *call.args, stdin=call.stdin)
            for index, call in enumerate(normalized)
            if call.here
        }
        return [futures[i].result() if i in futures else local[i] for i in range(len(normalized))]


def finding_lines(stdout: str) -> list[str]:
    """The first line of each finding in text output (not its notes, help or summary)."""
    return [line for line in stdout.splitlines()[:-2] if line and not line.startswith("  ")]


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def notebook(*cells: tuple[str, str]) -> str:
    """A notebook of (cell_type, source) cells, as nbformat writes it."""
    data = []
    for cell_type, source in cells:
        cell: dict[str, Any] = {
            "cell_type": cell_type,
            "metadata": {},
            "source": source.splitlines(keepends=True),
        }
        if cell_type == "code":
            cell.update(execution_count=None, outputs=[])
        data.append(cell)
    document = {
        "cells": data,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1) + "\n"


# DK104's source split over cells: markdown, the setup, then a magic and the compiles.
# The reused-optimizer compile is line 5 of cell 3.
NOTEBOOK = notebook(
    ("markdown", "# A GAN\n"),
    ("code", "".join(DK104_SOURCE.splitlines(keepends=True)[:3])),
    ("code", "%matplotlib inline\n" + "".join(DK104_SOURCE.splitlines(keepends=True)[3:])),
)


@functools.cache
def sarif_validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def assert_valid_sarif(document: Any) -> None:
    errors = sorted(sarif_validator().iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def of_codes(result: Result, *codes: str) -> list[tuple[str, int, int, str]]:
    """The JSON findings restricted to ``codes`` (other rules may fire on the snippets)."""
    return [found for found in result.found() if found[3] in codes]


# --------------------------------------------------------------------------
# Subcommands and --version


def test_version_rules_and_rule_docs(tmp_path: Path) -> None:
    version, rules, rules_json, by_code, by_slug, as_json, alias, unknown = run_all(
        tmp_path,
        sub("--version"),
        sub("rules"),
        here("rules", "--format", "json"),
        sub("rule", "DK101"),
        here("rule", "trainable-toggled-around-compile"),
        here("rule", "dk104", "--format", "json"),
        here("rule", "unreadable-file"),
        sub("rule", "DK999"),
    )
    assert (version.returncode, version.stdout) == (0, f"darklint {__version__}\n")

    assert rules.returncode == 0, rules
    header, *rows = rules.stdout.splitlines()
    assert header.split() == ["CODE", "NAME", "SEVERITY", "FIX", "DEFAULT", "REFERENCE"]
    listed = {row.split()[0]: row.split()[1] for row in rows}
    for code, name in {
        "DK001": "syntax-error",
        "DK002": "unused-suppression",
        "DK101": "trainable-toggled-around-compile",
        "DK104": "optimizer-instance-reused",
        "DK105": "compile-per-branch",
    }.items():
        assert listed[code] == name

    assert rules_json.returncode == 0, rules_json
    table = rules_json.json()
    assert [row["code"] for row in table] == list(listed)
    # One schema with `darklint rule X --format json` (test_cli_edges).
    assert {row["code"]: row["fix"] for row in table}["DK104"] is None

    assert by_code.returncode == 0, by_code
    assert by_code.stdout.splitlines()[0] == "DK101 trainable-toggled-around-compile"
    assert "## What it does" in by_code.stdout
    assert by_slug.returncode == 0, by_slug
    assert by_slug.stdout == by_code.stdout

    assert as_json.returncode == 0, as_json
    doc = as_json.json()
    assert (doc["code"], doc["name"]) == ("DK104", "optimizer-instance-reused")

    assert alias.returncode == 0, alias
    assert alias.stdout.startswith("DK001 syntax-error")

    assert unknown.returncode == 2, unknown
    assert unknown.stdout == ""
    assert unknown.stderr == "darklint: error: unknown rule 'DK999' (see `darklint rules`)\n"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": DK104_SOURCE})
    bad_format, bad_flag, jobs_zero = run_all(
        tmp_path,
        sub("--format", "xml", "a.py"),  # argparse: cheap, no libcst import
        sub("--no-such-flag", "a.py"),
        here("--jobs", "0", "a.py"),
    )
    for result in (bad_format, bad_flag, jobs_zero):
        assert result.returncode == 2, result
        assert result.stdout == ""
    assert "invalid choice: 'xml'" in bad_format.stderr
    assert jobs_zero.stderr == "darklint: error: --jobs must be at least 1\n"


# --------------------------------------------------------------------------
# Output formats and the flags that shape the report


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """One finding (a.py:7:1 DK104) and one clean file."""
    write(tmp_path, {"a.py": DK104_SOURCE, "clean.py": CLEAN_SOURCE})
    return tmp_path


def test_text_format_and_exit_codes(project: Path) -> None:
    default, explicit_check, clean, exit_zero, source = run_all(
        project,
        sub("--no-cache"),  # no path: the current directory
        here("check", "--no-cache", "a.py", "clean.py"),
        sub("check", "--no-cache", "clean.py"),
        sub("--no-cache", "--exit-zero", "a.py"),
        here("--no-cache", "--show-source", "a.py"),
    )
    assert default.returncode == 1, default
    lines = default.stdout.splitlines()
    assert lines[0].startswith(
        "a.py:7:1: DK104 [optimizer-instance-reused] `opt` was already passed"
    )
    assert lines[-1] == "Found 1 problem."
    assert default.stderr == ""
    assert explicit_check.returncode == 1
    assert explicit_check.stdout == default.stdout

    assert (clean.returncode, clean.stdout) == (0, "All checks passed!\n")

    assert exit_zero.returncode == 0, exit_zero
    assert exit_zero.stdout == default.stdout

    assert source.returncode == 1
    frame = source.stdout.splitlines()[1:3]
    assert frame == [f"  | {DK104_LINE}", "  | " + "^" * len(DK104_LINE)]


def test_json_format(project: Path) -> None:
    result = darklint(project, "--no-cache", "--format", "json", ".")
    assert result.returncode == 1, result
    (record,) = result.json()
    assert list(record) == JSON_KEYS
    assert record["path"] == "a.py"
    # 1-based; end exclusive: the call spans the whole 36-character line.
    assert (record["line"], record["column"], record["end_line"], record["end_column"]) == (
        7,
        1,
        7,
        37,
    )
    assert (record["code"], record["name"], record["severity"]) == (
        "DK104",
        "optimizer-instance-reused",
        "error",
    )
    assert record["fix"] is None
    assert record["cell"] is None
    assert record["reference"] == "reference_impls/gan.py"
    assert record["url"].endswith("/DK104-optimizer-instance-reused.md")
    assert record["docs"] == record["url"]


def test_sarif_and_github_formats(project: Path) -> None:
    sarif, github = run_all(
        project,
        ["--no-cache", "--format", "sarif", "a.py", "clean.py"],
        ["--no-cache", "--format", "github", "a.py", "clean.py"],
    )
    assert sarif.returncode == 1, sarif
    document = sarif.json()
    assert_valid_sarif(document)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    assert run["tool"]["driver"]["name"] == "darklint"
    assert "DK104" in {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    (result,) = run["results"]
    assert result["ruleId"] == "DK104"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "a.py"
    assert location["region"] == {"startLine": 7, "startColumn": 1, "endLine": 7, "endColumn": 37}

    assert github.returncode == 1, github
    (line,) = github.stdout.splitlines()
    assert line.startswith(
        "::error file=a.py,line=7,endLine=7,col=1,endColumn=37,title=DK104 [optimizer-instance-reused]::"
    )


def test_statistics_and_output_file(project: Path) -> None:
    write(project, {"b.py": DK104_SOURCE})
    stats, to_file, stats_clean, unwritable = run_all(
        project,
        sub("--no-cache", "--statistics", "--select", "DK104", "a.py", "b.py"),
        sub("--no-cache", "--format", "json", "--output-file", "report.json", "a.py"),
        here("--no-cache", "--statistics", "clean.py"),
        here("--no-cache", "-o", "no/such/dir/report.txt", "a.py"),
    )
    assert stats.returncode == 1, stats
    assert stats.stdout.splitlines() == ["   2\tDK104\t\toptimizer-instance-reused"]
    assert (stats_clean.returncode, stats_clean.stdout) == (0, "")

    assert to_file.returncode == 1, to_file
    assert to_file.stdout == ""
    report = json.loads((project / "report.json").read_text(encoding="utf-8"))
    assert [(d["path"], d["line"], d["code"]) for d in report] == [("a.py", 7, "DK104")]

    assert unwritable.returncode == 2, unwritable
    assert unwritable.stderr.startswith("darklint: error: no/such/dir/report.txt: cannot write: ")


# --------------------------------------------------------------------------
# Rule selection on the command line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], {"DK104", "DK002"}, id="default"),
        pytest.param(["--select", "DK104"], {"DK104"}, id="select-code"),
        pytest.param(["--select", "DK1"], {"DK104"}, id="select-prefix"),
        pytest.param(["--select", "DK"], {"DK104", "DK002"}, id="select-all-prefix"),
        # DK002 reports an unused suppression of DK101 only while DK101 is enabled.
        pytest.param(["--select", "optimizer-instance-reused,DK002"], {"DK104"}, id="select-slug"),
        pytest.param(
            ["--select", "optimizer-instance-reused,DK002,DK101"],
            {"DK104", "DK002"},
            id="select-slugs",
        ),
        pytest.param(
            ["--select", "DK001", "--extend-select", "DK104"], {"DK104"}, id="extend-select"
        ),
        pytest.param(["--ignore", "DK104"], {"DK002"}, id="ignore-code"),
        pytest.param(
            ["--ignore", "DK10", "--ignore", "unused-suppression"],
            set(),
            id="ignore-prefix-and-slug",
        ),
        pytest.param(["--select", "DK10", "--ignore", "DK104"], set(), id="select-then-ignore"),
    ],
)
def test_selection_flags(tmp_path: Path, args: list[str], expected: set[str]) -> None:
    write(tmp_path, {"a.py": DK104_SOURCE + "x = 1  # noqa: DK101\n"})
    result = in_process(tmp_path, "--no-cache", "--format", "json", *args, "a.py")
    assert {d["code"] for d in result.json()} == expected, result
    assert result.returncode == (1 if expected else 0)


@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
def test_unknown_code_on_the_command_line(tmp_path: Path, option: str) -> None:
    write(tmp_path, {"a.py": DK104_SOURCE})
    result = in_process(tmp_path, option, "DK999", "a.py")
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr == f"darklint: error: {option}: unknown rule code or name 'DK999'\n"


# --------------------------------------------------------------------------
# Standard input


def test_stdin(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sub/pyproject.toml": '[tool.darklint]\nignore = ["DK104"]\n',
            # An editor pipes its unsaved buffer; the file on disk differs.
            "edited.py": "# a longer first line than the buffer has\n",
        },
    )
    named, configured, anonymous, as_json, buffer = run_all(
        tmp_path,
        sub("--no-cache", "-", "--stdin-filename", "x.py", stdin=DK104_SOURCE),
        # The config of the directory the stdin file claims to be in applies.
        sub("--no-cache", "-", "--stdin-filename", "sub/x.py", stdin=DK104_SOURCE),
        here("--no-cache", "-", stdin=DK104_SOURCE),
        here("--format", "json", "-", "--stdin-filename", "nb.ipynb", stdin=NOTEBOOK),
        sub("--format", "json", "-", "--stdin-filename", "edited.py", stdin='x = "ééé"; def f(:\n'),
    )
    assert named.returncode == 1, named
    assert named.stdout.startswith("x.py:7:1: DK104 ")
    assert (configured.returncode, configured.stdout) == (0, "All checks passed!\n"), configured
    assert anonymous.returncode == 1, anonymous
    assert anonymous.stdout.startswith("-:7:1: DK104 ")
    assert as_json.returncode == 1, as_json
    assert of_codes(as_json, "DK104") == [("nb.ipynb", 5, 1, "DK104")]
    assert as_json.json()[0]["cell"] == 3
    # The column counts the characters of the buffer, not of the file on disk.
    assert buffer.found() == [("edited.py", 1, 12, "DK001")], buffer
    # Standard input never touches the cache.
    assert not (tmp_path / ".darklint_cache").exists()


# --------------------------------------------------------------------------
# Files that cannot be linted


def test_broken_files_are_dk001_and_the_rest_is_still_linted(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a_good.py": DK104_SOURCE,
            "bad_syntax.py": "import keras\n\nx = (1,\n",
            # Not UTF-8 and no coding cookie: the byte 0xff on line 3, column 6.
            "bad_bytes.py": b'x = 1\ny = 2\nz = "\xff"\n',
            "bad_notebook.ipynb": '{"cells": [',
            "bad_cell.ipynb": notebook(
                ("code", "import keras\n"), ("code", "x = 1\ndef f(:\n    pass\n")
            ),
        },
    )
    as_json, as_text = run_all(
        tmp_path,
        sub("--no-cache", "--format", "json"),
        here("--no-cache", "bad_syntax.py"),
    )
    assert as_json.returncode == 1, as_json
    records = {d["path"]: d for d in as_json.json()}
    assert set(records) == {
        "a_good.py",
        "bad_syntax.py",
        "bad_bytes.py",
        "bad_notebook.ipynb",
        "bad_cell.ipynb",
    }
    assert records["a_good.py"]["code"] == "DK104"
    for path in ("bad_syntax.py", "bad_bytes.py", "bad_notebook.ipynb", "bad_cell.ipynb"):
        assert (records[path]["code"], records[path]["name"], records[path]["severity"]) == (
            "DK001",
            "syntax-error",
            "error",
        ), path
    syntax = records["bad_syntax.py"]
    assert (syntax["line"], syntax["column"]) == (3, 5)
    assert syntax["message"] == "syntax error: '(' was never closed"
    undecodable = records["bad_bytes.py"]
    assert (undecodable["line"], undecodable["column"]) == (3, 6)
    assert undecodable["message"].startswith("unreadable file: cannot decode as utf-8: ")
    assert records["bad_notebook.ipynb"]["message"].startswith("invalid notebook JSON: ")
    cell = records["bad_cell.ipynb"]
    assert (cell["cell"], cell["line"], cell["column"]) == (2, 2, 7)

    assert as_text.returncode == 1, as_text
    assert as_text.stdout.startswith(
        "bad_syntax.py:3:5: DK001 [syntax-error] syntax error: '(' was never closed\n"
    )


def test_missing_path_is_an_error_but_the_rest_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": DK104_SOURCE})
    result = darklint(tmp_path, "--no-cache", "missing.py", "a.py")
    assert result.returncode == 2, result
    assert result.stderr == "darklint: error: missing.py: No such file or directory\n"
    assert result.stdout.startswith("a.py:7:1: DK104 ")


# --------------------------------------------------------------------------
# Notebooks


def test_notebook_formats(tmp_path: Path) -> None:
    write(tmp_path, {"nb.ipynb": NOTEBOOK})
    text, as_json, sarif, github = run_all(
        tmp_path,
        sub("--no-cache", "--select", "DK104", "--show-source", "nb.ipynb"),
        here("--no-cache", "--format", "json", "nb.ipynb"),
        sub("--no-cache", "--format", "sarif", "nb.ipynb"),
        here("--no-cache", "--format", "github", "--select", "DK104", "nb.ipynb"),
    )
    assert text.returncode == 1, text
    lines = text.stdout.splitlines()
    assert lines[0].startswith("nb.ipynb:cell 3:5:1: DK104 [optimizer-instance-reused] ")
    assert lines[1] == f"  | {DK104_LINE}"

    assert as_json.returncode == 1, as_json
    (record,) = [d for d in as_json.json() if d["code"] == "DK104"]
    assert list(record) == JSON_KEYS
    assert (
        record["cell"],
        record["line"],
        record["column"],
        record["end_line"],
        record["end_column"],
    ) == (
        3,
        5,
        1,
        5,
        37,
    )
    assert record["fix"] is None

    assert sarif.returncode == 1, sarif
    document = sarif.json()
    assert_valid_sarif(document)
    (result,) = [r for r in document["runs"][0]["results"] if r["ruleId"] == "DK104"]
    assert result["properties"] == {
        "help": "pass a new optimizer to each `compile()` (one optimizer per set of variables)",
        "cell": 3,
        "cellLine": 5,
        "cellColumn": 1,
    }
    raw_line = NOTEBOOK.splitlines()[
        result["locations"][0]["physicalLocation"]["region"]["startLine"] - 1
    ]
    assert DK104_LINE.replace('"', '\\"') in raw_line

    assert github.returncode == 1, github
    (annotation,) = github.stdout.splitlines()
    assert annotation.startswith("::error file=nb.ipynb,line=")
    assert "::cell 3: " in annotation


# --------------------------------------------------------------------------
# Configuration


def test_config_errors_name_the_file_and_the_key_or_code(tmp_path: Path) -> None:
    cases = {
        "unknown_key": '[tool.darklint]\nselct = ["DK1"]\n',
        "unknown_select": '[tool.darklint]\nselect = ["DK1", "DK999"]\n',
        "unknown_ignore": '[tool.darklint]\nignore = ["no-such-rule"]\n',
        "unknown_per_file": '[tool.darklint.per-file-ignores]\n"tests/*" = ["DK7"]\n',
        "broken_toml": "[tool.darklint\nselect = []\n",
        "not_a_list": '[tool.darklint]\nselect = "DK104"\n',
    }
    for name, config in cases.items():
        write(tmp_path / name, {"pyproject.toml": config, "a.py": DK104_SOURCE})
    dedicated = tmp_path / "dedicated"
    write(dedicated, {"darklint.toml": 'extend-select = ["DK998"]\n', "a.py": DK104_SOURCE})
    results = dict(
        zip(
            [*cases, "dedicated", "override", "missing_config"],
            run_all(
                tmp_path,
                *(
                    sub(f"{name}/a.py") if name == "unknown_key" else here(f"{name}/a.py")
                    for name in cases
                ),
                here("dedicated/a.py"),
                # Selection from the command line does not excuse a broken config.
                here("--select", "DK104", "unknown_select/a.py"),
                here("--config", "nowhere/pyproject.toml", "unknown_key/a.py"),
            ),
            strict=True,
        )
    )
    for name, result in results.items():
        assert result.returncode == 2, result
        assert result.stdout == "", name

    def config_path(directory: str, file: str = "pyproject.toml") -> Path:
        return (tmp_path / directory / file).resolve()

    known = (
        "backend, exclude, extend-exclude, extend-select, ignore, keras-version, per-file-ignores, "
        "select, src"
    )
    assert results["unknown_key"].stderr == (
        f"darklint: error: {config_path('unknown_key')}: unknown key 'selct' in [tool.darklint] "
        f"(known keys: {known})\n"
    )
    assert results["unknown_select"].stderr == (
        f"darklint: error: {config_path('unknown_select')} [tool.darklint] select: "
        "unknown rule code or name 'DK999'\n"
    )
    assert results["override"].stderr == results["unknown_select"].stderr
    assert results["unknown_ignore"].stderr == (
        f"darklint: error: {config_path('unknown_ignore')} [tool.darklint] ignore: "
        "unknown rule code or name 'no-such-rule'\n"
    )
    assert results["unknown_per_file"].stderr == (
        f"darklint: error: {config_path('unknown_per_file')} [tool.darklint] per-file-ignores['tests/*']: "
        "unknown rule code or name 'DK7'\n"
    )
    assert results["broken_toml"].stderr.startswith(
        f"darklint: error: {config_path('broken_toml')}: invalid TOML: "
    )
    assert results["not_a_list"].stderr == (
        f"darklint: error: {config_path('not_a_list')}: [tool.darklint] select must be a list of strings\n"
    )
    assert results["dedicated"].stderr == (
        f"darklint: error: {config_path('dedicated', 'darklint.toml')} [tool.darklint] extend-select: "
        "unknown rule code or name 'DK998'\n"
    )
    assert results["missing_config"].stderr == (
        "darklint: error: nowhere/pyproject.toml: config file not found\n"
    )


def test_config_selection_per_file_ignores_and_command_line_precedence(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.darklint]\n"
                'ignore = ["DK002"]\n'
                "[tool.darklint.per-file-ignores]\n"
                '"tests/*" = ["DK104"]\n'
                '"gen_*.py" = ["optimizer-instance-reused"]\n'
            ),
            "src/model.py": DK104_SOURCE + "x = 1  # noqa: DK101\n",
            "tests/test_model.py": DK104_SOURCE,
            "src/gen_model.py": DK104_SOURCE,
            "other/darklint.toml": 'select = ["DK002", "DK101"]\n',
            "other/model.py": DK104_SOURCE + "x = 1  # noqa: DK101\n",
        },
    )
    configured, from_subdir, cli_select, explicit_config = run_all(
        tmp_path,
        sub("--no-cache", "--format", "json", "src", "tests"),
        here("--no-cache", "--format", "json", "other"),
        # A --select on the command line starts afresh: the file's ignore is dropped,
        # its per-file-ignores still apply.
        here("--no-cache", "--format", "json", "--select", "DK1,DK002", "src", "tests"),
        here("--no-cache", "--format", "json", "--config", "other/darklint.toml", "src/model.py"),
    )
    assert of_codes(configured, "DK104", "DK002") == [("src/model.py", 7, 1, "DK104")], configured
    assert configured.returncode == 1
    # The nearest config of the first path (other/darklint.toml) applies.
    assert of_codes(from_subdir, "DK104", "DK002") == [("other/model.py", 8, 8, "DK002")], (
        from_subdir
    )
    assert sorted(cli_select.found()) == [
        ("src/model.py", 7, 1, "DK104"),
        ("src/model.py", 8, 8, "DK002"),
    ], cli_select
    assert explicit_config.found() == [("src/model.py", 8, 8, "DK002")], explicit_config


def test_discovery_excludes_and_gitignore(tmp_path: Path) -> None:
    files = [
        "top.py",
        "pkg/mod.py",
        "pkg/nb.ipynb",
        "gen/generated.py",
        "vendor/lib/v.py",
        "build/b.py",
        ".venv/lib/v.py",
        "ignored.py",
        "logs/l.py",
        "pkg/local_ignored.py",
        "notes.txt",
    ]
    repo = tmp_path / "repo"
    write(repo, {name: NOTEBOOK if name.endswith(".ipynb") else DK104_SOURCE for name in files})
    (repo / ".git").mkdir()
    write(repo, {".gitignore": "ignored.py\nlogs/\n", "pkg/.gitignore": "local_ignored.py\n"})
    extend = tmp_path / "extend"
    replace = tmp_path / "replace"
    for project, config in (
        (extend, '[tool.darklint]\nextend-exclude = ["gen", "./vendor/lib"]\n'),
        (replace, '[tool.darklint]\nexclude = ["gen"]\n'),
    ):
        write(
            project,
            {
                "pyproject.toml": config,
                **{name: DK104_SOURCE for name in files if name.endswith(".py")},
            },
        )
    json_args = ("--no-cache", "--format", "json", "--select", "DK104")
    default, explicit, with_extend, with_replace = run_all(
        repo,
        sub(*json_args),
        # A file named on the command line is linted whatever excludes it.
        here(*json_args, "ignored.py", "build/b.py", "notes.txt"),
        here(*json_args, cwd=extend),
        here(*json_args, cwd=replace),
    )

    def paths(result: Result) -> list[str]:
        return sorted({d["path"] for d in result.json()})

    assert paths(default) == [
        "gen/generated.py",
        "pkg/mod.py",
        "pkg/nb.ipynb",
        "top.py",
        "vendor/lib/v.py",
    ]
    assert paths(explicit) == ["build/b.py", "ignored.py", "notes.txt"]
    assert paths(with_extend) == [
        "ignored.py",
        "logs/l.py",
        "pkg/local_ignored.py",
        "pkg/mod.py",
        "top.py",
    ]
    # `exclude` replaces the defaults: build/ and .venv/ are linted again.
    assert paths(with_replace) == [
        ".venv/lib/v.py",
        "build/b.py",
        "ignored.py",
        "logs/l.py",
        "pkg/local_ignored.py",
        "pkg/mod.py",
        "top.py",
        "vendor/lib/v.py",
    ]


# --------------------------------------------------------------------------
# Suppressions


SUPPRESSED = (
    DK104_SOURCE
    + """\
b.compile(optimizer=opt, loss="mse")  # noqa: DK104
b.compile(optimizer=opt, loss="mse")  # noqa:optimizer-instance-reused
b.compile(optimizer=opt, loss="mse")  # darklint: ignore[DK104]
b.compile(optimizer=opt, loss="mse")  # darklint: ignore[optimizer-instance-reused]
b.compile(optimizer=opt, loss="mse")  # NOQA: DK101, DK104
b.compile(optimizer=opt, loss="mse")  # noqa
b.compile(optimizer=opt, loss="mse")  # darklint: ignore
b.compile(optimizer=opt, loss="mse")  # noqa: E501
x = 1  # noqa: DK104
y = 1  # noqa: E501, W291
z = 1  # darklint: ignore[DK105]
w = 1  # noqa: DK999
v = 1  # noqa
s = "# noqa: DK104"
"""
)


def test_suppressions(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "s.py": SUPPRESSED,
            "skipped.py": "# darklint: skip-file\n" + DK104_SOURCE,
            "off.py": DK104_SOURCE + "x = 1  # noqa: DK104\n",
        },
    )
    everything, dk002_ignored, text = run_all(
        tmp_path,
        # DK002 reports a code as unused only while that code is enabled: DK1 enables DK101/DK105.
        sub("--no-cache", "--format", "json", "--select", "DK002,DK1", "s.py", "skipped.py"),
        here("--no-cache", "--format", "json", "--select", "DK104", "s.py", "off.py"),
        here("--no-cache", "--select", "DK002,DK1", "off.py"),
    )
    assert everything.returncode == 1, everything
    assert everything.found() == [
        ("s.py", 7, 1, "DK104"),
        # Line 12 suppresses DK101 and DK104: DK104 used it, DK101 did not.
        ("s.py", 12, 39, "DK002"),
        ("s.py", 15, 1, "DK104"),  # a foreign code suppresses nothing of ours
        ("s.py", 16, 8, "DK002"),
        ("s.py", 18, 8, "DK002"),
        ("s.py", 19, 8, "DK002"),
    ], everything
    messages = {d["line"]: d["message"] for d in everything.json() if d["code"] == "DK002"}
    assert messages == {
        12: "unused suppression for DK101",
        16: "unused suppression for DK104",
        18: "unused suppression for DK105",
        19: "unused suppression for DK999 (unknown code)",
    }
    dk002 = next(d for d in everything.json() if d["line"] == 16)
    assert (dk002["end_line"], dk002["end_column"]) == (16, 8 + len("# noqa: DK104"))

    # DK002 off: unused suppressions are not reported.
    assert sorted(dk002_ignored.found()) == [
        ("off.py", 7, 1, "DK104"),
        ("s.py", 7, 1, "DK104"),
        ("s.py", 15, 1, "DK104"),
    ]
    assert finding_lines(text.stdout)[1].startswith("off.py:8:8: DK002 [unused-suppression] ")


# --------------------------------------------------------------------------
# Fixes (a real rule with a safe fix: DK202 predict() -> predict_on_batch())


def test_fix_and_diff(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "fixable.py": DK202_SOURCE,
            "partly.py": DK202_SOURCE + DK104_SOURCE,
            "diff_only.py": DK202_SOURCE,
            "nothing.py": DK104_SOURCE,
        },
    )
    diff, fix_all, fix_some, fix_nothing = run_all(
        tmp_path,
        sub("--no-cache", "--diff", "--select", "DK202", "diff_only.py"),
        here("--no-cache", "--fix", "--select", "DK202", "fixable.py"),
        sub("--no-cache", "--fix", "--select", "DK202,DK104", "partly.py"),
        here("--no-cache", "--fix", "nothing.py"),
    )
    assert diff.returncode == 1, diff
    assert (tmp_path / "diff_only.py").read_text() == DK202_SOURCE
    assert diff.stdout.splitlines()[:2] == ["--- a/diff_only.py", "+++ b/diff_only.py"]
    assert "-    fake = generator.predict(noise[:16])" in diff.stdout.splitlines()
    assert "+    fake = generator.predict_on_batch(noise[:16])" in diff.stdout.splitlines()

    fixed_source = DK202_SOURCE.replace("generator.predict(", "generator.predict_on_batch(")
    assert fix_all.returncode == 0, fix_all
    assert (tmp_path / "fixable.py").read_text() == fixed_source
    assert fix_all.stdout == "All checks passed!\n"
    assert fix_all.stderr == "Fixed 1 problem.\n"

    assert fix_some.returncode == 1, fix_some
    assert (tmp_path / "partly.py").read_text().startswith(fixed_source)
    assert [line.split(" ")[:2] for line in finding_lines(fix_some.stdout)] == [
        ["partly.py:14:1:", "DK104"]
    ]

    assert fix_nothing.returncode == 1, fix_nothing
    assert (tmp_path / "nothing.py").read_text() == DK104_SOURCE
    assert fix_nothing.stderr == ""
