"""Adopting darklint on a legacy repository: ``--add-noqa`` and baselines.

Both run on a copy of the fixtures (real programs with every rule's
findings), then the plain run that a CI gate would make must pass.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from test_cli import DK104_SOURCE, ROOT, finding_lines, here, run_all, sub, write

from darklint.add_noqa import add_noqa
from darklint.engine import lint_text


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """The fixtures as a legacy repository: findings in every file, no suppressions."""
    shutil.copytree(ROOT / "fixtures", tmp_path / "src", ignore=shutil.ignore_patterns("*.txt"))
    write(tmp_path, {"pyproject.toml": "[tool.darklint]\n"})
    return tmp_path


# --------------------------------------------------------------------------
# --add-noqa


def test_add_noqa_then_a_rerun_passes(legacy: Path) -> None:
    # One after the other: the second rewrites the files the first reads.
    (before,) = run_all(legacy, here("--no-cache", "src"))
    (added,) = run_all(legacy, sub("--no-cache", "--add-noqa", "src"))
    assert before.returncode == 1
    assert added.returncode == 0, added
    assert added.stdout == ""
    count = len(finding_lines(before.stdout))
    assert added.stderr.startswith("Added ")
    assert added.stderr.endswith(" noqa directives.\n")
    assert int(added.stderr.split()[1]) <= count
    (after,) = run_all(legacy, sub("--no-cache", "src"))
    assert (after.returncode, after.stdout) == (0, "All checks passed!\n"), after
    # The comments joined the existing ones (the fixtures' `# expect:` markers).
    text = (legacy / "src" / "keras_gan.py").read_text()
    assert "# expect: DK104, DK105  # noqa: DK104, DK105" in text
    # A second --add-noqa has nothing left to add.
    (again,) = run_all(legacy, here("--no-cache", "--add-noqa", "src"))
    assert (again.returncode, again.stderr) == (0, "Added 0 noqa directives.\n")


MERGE_SOURCE = textwrap.dedent(
    """\
    from keras import Sequential, layers
    from keras.optimizers import Adam
    opt = Adam()
    a = Sequential([layers.Dense(1)])
    b = Sequential([layers.Dense(1)])
    a.compile(optimizer=opt, loss="mse")
    b.compile(optimizer=opt, loss="mse")  # noqa: E501, B950
    b.compile(optimizer=opt, loss="mse")  # darklint: ignore[trainable-toggled-around-compile]
    b.compile(optimizer=opt, loss="mse")  # noqa
    b.compile(optimizer=opt, loss="mse")  # a comment of the author's
    """
)


def test_add_noqa_merges_with_existing_comments() -> None:
    found = lint_text(MERGE_SOURCE, "m.py", frozenset({"DK104"})).diagnostics
    edited = add_noqa(MERGE_SOURCE, found)
    lines = edited.text.splitlines()
    # Sorted, unique, the other tools' codes kept.
    assert lines[6] == 'b.compile(optimizer=opt, loss="mse")  # noqa: B950, DK104, E501'
    # A second comment would not be read: the code joins the darklint list.
    assert lines[7] == (
        'b.compile(optimizer=opt, loss="mse")  '
        "# darklint: ignore[DK104, trainable-toggled-around-compile]"
    )
    # A bare noqa already silences everything.
    assert lines[8] == 'b.compile(optimizer=opt, loss="mse")  # noqa'
    assert (
        lines[9]
        == 'b.compile(optimizer=opt, loss="mse")  # a comment of the author\'s  # noqa: DK104'
    )
    assert edited.added == 3
    again = lint_text(edited.text, "m.py", frozenset({"DK104"})).diagnostics
    assert again == ()


MULTI_LINE = textwrap.dedent(
    '''\
    from keras import Sequential, layers
    from keras.optimizers import Adam
    opt = Adam()
    a = Sequential([layers.Dense(1)])
    b = Sequential([layers.Dense(1)])
    a.compile(optimizer=opt, loss="mse")
    b.compile(optimizer=opt, loss="mse", metrics=[
        "mae"])
    b.compile(optimizer=opt, loss="""mse
    """)
    b.compile(optimizer=opt, loss="mse"); doc = """
    text"""
    '''
)


def test_add_noqa_on_multi_line_statements_and_strings(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": MULTI_LINE})
    (result,) = run_all(tmp_path, sub("--no-cache", "--add-noqa", "--select", "DK104", "m.py"))
    assert result.returncode == 0, result
    lines = (tmp_path / "m.py").read_text().splitlines()
    # The reported line (the statement's first).
    assert lines[6] == 'b.compile(optimizer=opt, loss="mse", metrics=[  # noqa: DK104'
    # Its first line ends inside a string: the statement's last line instead.
    assert lines[8] == 'b.compile(optimizer=opt, loss="""mse'
    assert lines[9] == '""")  # noqa: DK104'
    # The only line of the finding ends inside a string: skipped, with a warning.
    assert lines[10] == 'b.compile(optimizer=opt, loss="mse"); doc = """'
    assert lines[11] == 'text"""'
    assert "m.py:11: no noqa added for DK104: the line ends inside a string" in result.stderr
    assert "Added 2 noqa directives." in result.stderr
    (after,) = run_all(
        tmp_path, here("--no-cache", "--select", "DK104,DK002", "--format", "json", "m.py")
    )
    assert [(d["line"], d["code"]) for d in after.json()] == [(11, "DK104")]


def test_add_noqa_in_a_notebook_and_atomically(tmp_path: Path) -> None:
    from test_cli import NOTEBOOK

    write(tmp_path, {"nb.ipynb": NOTEBOOK, "a.py": DK104_SOURCE})
    inode = (tmp_path / "a.py").stat().st_ino
    (result,) = run_all(tmp_path, here("--no-cache", "--add-noqa", "."))
    assert result.returncode == 0, result
    assert (tmp_path / "a.py").stat().st_ino != inode  # replaced, not rewritten in place
    document = json.loads((tmp_path / "nb.ipynb").read_text())
    assert (
        document["cells"][2]["source"][-1]
        == 'b.compile(optimizer=opt, loss="mse")  # noqa: DK104\n'
    )
    # Only that line of the notebook's text changed.
    line = 'b.compile(optimizer=opt, loss=\\"mse\\")'
    assert NOTEBOOK.count(line) == 1
    assert (tmp_path / "nb.ipynb").read_text() == NOTEBOOK.replace(line, line + "  # noqa: DK104")
    (after,) = run_all(tmp_path, here("--no-cache", "."))
    assert (after.returncode, after.stdout) == (0, "All checks passed!\n"), after


def test_add_noqa_refuses_to_combine_with_fix(tmp_path: Path) -> None:
    (result,) = run_all(tmp_path, here("--add-noqa", "--fix", "."))
    assert result.returncode == 2
    assert "--add-noqa cannot be used with --fix" in result.stderr


# --------------------------------------------------------------------------
# Baselines


def test_baseline_round_trip_then_only_the_new_finding(legacy: Path) -> None:
    (written,) = run_all(legacy, sub("--no-cache", "--write-baseline", "baseline.json", "src"))
    assert written.returncode == 0, written
    assert written.stdout == ""
    document = json.loads((legacy / "baseline.json").read_text())
    assert document["version"] == 1
    assert len(document["findings"]) == len(
        [
            line
            for line in (ROOT / "fixtures" / "golden.txt").read_text().splitlines()
            if ": DK" in line
        ]
    )
    assert {item["path"].split("/")[0] for item in document["findings"]} == {"src"}

    (clean,) = run_all(legacy, sub("--no-cache", "--baseline", "baseline.json", "src"))
    assert (clean.returncode, clean.stdout) == (0, "All checks passed!\n"), clean

    # Unrelated edits above the findings move every line; one new finding is added.
    gan = legacy / "src" / "keras_gan.py"
    gan.write_text("# A header added later.\n\n\n" + gan.read_text())
    shared = legacy / "src" / "shared_optimizer.py"
    marker = '    classifier.compile(optimizer=opt, loss="binary_crossentropy")  # expect: DK104\n'
    assert marker in shared.read_text()
    shared.write_text(
        shared.read_text().replace(
            marker,
            marker
            + '    extra = build_classifier()\n    extra.compile(optimizer=opt, loss="mse")\n',
        )
    )
    (after,) = run_all(
        legacy, here("--no-cache", "--baseline", "baseline.json", "--format", "json", "src")
    )
    assert after.returncode == 1, after
    assert [(d["path"], d["code"]) for d in after.json()] == [
        ("src/shared_optimizer.py", "DK104")
    ], after
    # The baseline's paths are relative to its file: the same from another directory.
    (from_src,) = run_all(
        legacy / "src",
        here("--no-cache", "--baseline", "../baseline.json", "--format", "json", "."),
    )
    assert [(d["path"], d["code"]) for d in from_src.json()] == [("shared_optimizer.py", "DK104")]


def test_identical_statements_are_counted(tmp_path: Path) -> None:
    source = DK104_SOURCE + 'b.compile(optimizer=opt, loss="mse")\n'
    write(tmp_path, {"a.py": source})
    run_all(tmp_path, here("--no-cache", "--write-baseline", "base.json", "a.py"))
    # One more identical compile: one more finding than the baseline holds.
    write(tmp_path, {"a.py": source + 'b.compile(optimizer=opt, loss="mse")\n'})
    (result,) = run_all(
        tmp_path, here("--no-cache", "--baseline", "base.json", "--format", "json", "a.py")
    )
    assert [(d["line"], d["code"]) for d in result.json()] == [(9, "DK104")]


def test_a_missing_or_foreign_baseline_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": DK104_SOURCE, "other.json": '{"findings": []}'})
    missing, foreign = run_all(
        tmp_path,
        here("--no-cache", "--baseline", "nope.json", "a.py"),
        here("--no-cache", "--baseline", "other.json", "a.py"),
    )
    assert missing.returncode == 2
    assert "nope.json: cannot read the baseline" in missing.stderr
    assert foreign.returncode == 2
    assert "not a darklint baseline of version 1" in foreign.stderr
    assert missing.stdout == foreign.stdout == ""


def test_write_baseline_replaces_the_file_atomically(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": DK104_SOURCE, "base.json": "old"})
    inode = (tmp_path / "base.json").stat().st_ino
    (result,) = run_all(tmp_path, here("--no-cache", "--write-baseline", "base.json", "a.py"))
    assert result.returncode == 0, result
    assert result.stderr == "darklint: wrote 1 finding to base.json\n"
    assert (tmp_path / "base.json").stat().st_ino != inode
    assert json.loads((tmp_path / "base.json").read_text())["findings"][0]["code"] == "DK104"
