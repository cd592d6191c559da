"""``--fix`` and ``--diff`` on notebooks (item 9): cell sources rewritten, nothing else.

Every case compares the whole file after the fix with the original where
only the fixed call was replaced, so any other byte the writer changed
(indentation, key order, escapes, outputs, metadata, the final newline)
fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from darklint.notebook import load_notebook
from darklint.notebook_fix import replace_cell_sources

ROOT = Path(__file__).resolve().parents[1]

SETUP = """\
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
"""
# DK202 (safe fix: predict -> predict_on_batch); a magic line inside the loop.
LOOP = """\
%time x = 1
for step in range(100):
    fake = g.predict(noise[:16])  # échantillons
    d.train_on_batch(fake, zeros)
"""
# A %%time cell is Python after its first line: fixable too.
TIMED = """\
%%time
for step in range(3):
    more = g.predict(noise[:16])
    d.train_on_batch(more, zeros)
"""
# A %%bash cell is masked whole: its text must stay as it is.
BASH = "%%bash\necho g.predict(noise)\n"


def make_notebook(*, indent: int, as_list: bool, final_newline: bool = True) -> str:
    def source(text: str) -> Any:
        return text.splitlines(keepends=True) if as_list else text

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": source("# Training — ü\n")},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {"tags": ["setup"]},
            "outputs": [],
            "source": source(SETUP),
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "outputs": [
                {"name": "stdout", "output_type": "stream", "text": ["g.predict(noise)\n"]}
            ],
            "source": source(LOOP),
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source(TIMED),
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source(BASH),
        },
    ]
    document = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    # nbformat's own style: non-ASCII as is, keys sorted, one line per element.
    raw = json.dumps(document, indent=indent, ensure_ascii=False, sort_keys=True)
    return raw + ("\n" if final_newline else "")


def expected_after_fix(raw: str) -> str:
    """The original with only the two fixed calls replaced (and the output text kept)."""
    fixed = raw.replace("fake = g.predict(noise[:16])", "fake = g.predict_on_batch(noise[:16])")
    return fixed.replace("more = g.predict(noise[:16])", "more = g.predict_on_batch(noise[:16])")


def darklint(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "darklint", "--no-cache", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


CASES = [
    pytest.param(1, True, True, id="1-space-list"),
    pytest.param(2, True, True, id="2-space-list"),
    pytest.param(1, False, True, id="1-space-string"),
    pytest.param(2, False, False, id="2-space-string-no-final-newline"),
]


@pytest.mark.parametrize(("indent", "as_list", "final_newline"), CASES)
def test_fix_rewrites_only_the_cell_sources(
    tmp_path: Path, indent: int, as_list: bool, final_newline: bool
) -> None:
    raw = make_notebook(indent=indent, as_list=as_list, final_newline=final_newline)
    path = tmp_path / "gan.ipynb"
    path.write_text(raw, encoding="utf-8")
    inode = path.stat().st_ino
    result = darklint(tmp_path, "--fix", "--select", "DK202", "gan.ipynb")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == "Fixed 2 problems.\n"
    after = path.read_text(encoding="utf-8")
    assert after == expected_after_fix(raw)
    assert after != raw
    # Written to a temporary file and renamed over the original (atomic).
    assert path.stat().st_ino != inode
    again = darklint(tmp_path, "--select", "DK202", "gan.ipynb")
    assert (again.returncode, again.stdout) == (0, "All checks passed!\n"), again.stdout


def test_diff_shows_the_cells_and_writes_nothing(tmp_path: Path) -> None:
    raw = make_notebook(indent=1, as_list=True)
    path = tmp_path / "gan.ipynb"
    path.write_text(raw, encoding="utf-8")
    result = darklint(tmp_path, "--diff", "--select", "DK202", "gan.ipynb")
    assert result.returncode == 1, result.stderr
    assert path.read_text(encoding="utf-8") == raw
    lines = result.stdout.splitlines()
    assert "--- a/gan.ipynb:cell 3" in lines
    assert "+++ b/gan.ipynb:cell 3" in lines
    assert "-    fake = g.predict(noise[:16])  # échantillons" in lines
    assert "+    fake = g.predict_on_batch(noise[:16])  # échantillons" in lines
    assert "--- a/gan.ipynb:cell 4" in lines
    assert "gan.ipynb:cell 5" not in result.stdout


def test_text_output_says_notebook_findings_are_fixable(tmp_path: Path) -> None:
    (tmp_path / "gan.ipynb").write_text(make_notebook(indent=1, as_list=True), encoding="utf-8")
    result = darklint(tmp_path, "--select", "DK202", "gan.ipynb")
    assert result.returncode == 1
    assert "gan.ipynb:cell 3:3:12: DK202 [predict-in-training-loop]" in result.stdout
    assert "2 fixable with the --fix option." in result.stdout


def test_fix_from_standard_input_writes_the_fixed_notebook(tmp_path: Path) -> None:
    raw = make_notebook(indent=2, as_list=True)
    result = darklint(
        tmp_path, "--fix", "--select", "DK202", "-", "--stdin-filename", "gan.ipynb", stdin=raw
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected_after_fix(raw)


def test_replace_cell_sources_keeps_escapes_of_unchanged_lines() -> None:
    # An ASCII-only writer (json.dumps default) escapes "é"; an unchanged
    # line keeps its escape, a changed one is written the same way.
    document = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["a = 'é'\n", "b = 1"]}
        ],
        "metadata": {},
    }
    raw = json.dumps(document, indent=1)
    assert "\\u00e9" in raw
    notebook = load_notebook(raw)
    new = replace_cell_sources(raw, notebook, {1: "a = 'é'\nb = 'ü'"})
    assert "\"a = '\\u00e9'\\n\"" in new
    assert "\"b = '\\u00fc'\"" in new
    assert json.loads(new)["cells"][0]["source"] == ["a = 'é'\n", "b = 'ü'"]
    assert new.replace("b = '\\u00fc'", "b = 1") == raw
