"""Every VALID/INVALID case embedded in a rule runs here, with only that rule enabled."""

from __future__ import annotations

import ast
from collections import Counter

import pytest

from darklint.fixes import apply_fixes, fix_until_stable
from darklint.registry import all_rules
from darklint.rule import Invalid, Rule, Valid
from darklint.testing import actual_reports, expected_reports, lint_case

CASES = [
    pytest.param(rule, case, id=f"{rule.code}-{kind}-{index}")
    for rule in all_rules()
    for kind, cases in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, case in enumerate(cases)
]


@pytest.mark.parametrize(("rule", "case"), CASES)
def test_case(rule: type[Rule], case: Valid | Invalid) -> None:
    diagnostics = lint_case(case.code, [rule.code])
    positions = Counter((d.line, d.column, d.code) for d in diagnostics)
    assert all(count == 1 for count in positions.values()), f"duplicate reports: {positions}"
    expected = expected_reports(case.code, [rule.code]) if isinstance(case, Invalid) else set()
    if isinstance(case, Invalid):
        assert expected, "an INVALID case must mark at least one `# expect:` line"
    assert actual_reports(diagnostics) == expected, [d.message for d in diagnostics]
    if isinstance(case, Invalid) and case.fixed is not None:
        # As `--fix` does: fix, lint again, until no fix applies (two fixes
        # that both extend one import go in two passes).
        result, _ = fix_until_stable(
            case.code, diagnostics, lambda text: lint_case(text, [rule.code]), unsafe=case.unsafe
        )
        fixed = result.text
        assert fixed == case.fixed
        ast.parse(fixed)
        # Idempotent: the fixed code offers nothing more to fix.
        again = lint_case(fixed, [rule.code])
        assert apply_fixes(fixed, again, unsafe=case.unsafe).text == fixed
