"""The README's sample output is the output of the command it shows (item 8).

Every fenced block of the README that starts with ``$ darklint ARGS`` is run
here, in a subprocess from the repository root, and compared with the block;
``python -m darklint.docs`` rewrites such blocks (they are marked
``<!-- generated: ... -->``), so a stale sample fails here with the command
that fixes it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SAMPLES = re.findall(r"```\n\$ (darklint [^\n]*)\n(.*?)```\n", README, re.DOTALL)


def test_the_readme_has_a_generated_sample() -> None:
    assert SAMPLES, "no `$ darklint ...` sample in README.md"
    for command, _ in SAMPLES:
        assert f"<!-- generated: {command} -->" in README, command


@pytest.mark.parametrize(("command", "shown"), SAMPLES, ids=[c for c, _ in SAMPLES])
def test_the_sample_is_the_actual_output(command: str, shown: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "darklint", "--no-cache", *shlex.split(command)[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"},
        timeout=120,
        check=False,
    )
    assert result.stdout == shown, "stale README sample: run `python -m darklint.docs`"


def test_the_readme_keeps_its_test_command() -> None:
    assert 'pip install torch==2.13.0 && pip install -e ".[test]" && python -m pytest' in README
