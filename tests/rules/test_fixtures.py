"""The fixtures are real Keras programs; each expected report is marked on its line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from darklint.engine import lint_path
from darklint.registry import all_rules
from darklint.testing import actual_reports, expected_reports

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures").glob("*.py"))
ALL_CODES = frozenset(rule.code for rule in all_rules())


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_fixture_reports_exactly_its_markers(path: Path) -> None:
    outcome = lint_path(path, path.name, ALL_CODES)
    assert not outcome.crashes
    positions = Counter((d.line, d.column, d.code) for d in outcome.diagnostics)
    assert all(count == 1 for count in positions.values()), positions
    assert actual_reports(outcome.diagnostics) == expected_reports(path.read_text())


def test_good_fixtures_are_clean_and_bad_ones_are_not() -> None:
    for path in FIXTURES:
        marked = expected_reports(path.read_text())
        assert bool(marked) == (not path.name.startswith("good_")), path.name


def test_golden_cli_output() -> None:
    """The exact CLI output over the fixtures (regenerate: see fixtures/README.md)."""
    result = subprocess.run(
        [sys.executable, "-m", "darklint", "fixtures", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == (ROOT / "fixtures" / "golden.txt").read_text()


def test_generated_rule_docs_are_fresh() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "darklint.docs", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"stale docs, run `python -m darklint.docs`:\n{result.stderr}"
