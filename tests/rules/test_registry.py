"""The registry is the one table of rules: check what every rule must carry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from darklint.docs import docstring_sections, required_sections
from darklint.registry import RULES, all_rules
from darklint.testing import expected_reports

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures").glob("*.py"))


def test_codes_and_slugs_are_unique() -> None:
    codes = [rule.code for rule in RULES]
    names = [name for rule in RULES for name in rule.slug_names()]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_rule_identity(rule: type) -> None:
    assert re.fullmatch(r"DK\d{3}", rule.code)
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rule.name)
    # The code range carries meaning (bugbear's habit): DK9xx are opinionated and off.
    assert rule.default_enabled == (not rule.code.startswith("DK9"))


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_rule_docs_have_every_section(rule: type) -> None:
    sections = docstring_sections(rule)
    missing = [title for title in required_sections(rule) if not sections.get(title)]
    assert not missing, f"{rule.code} docstring lacks sections {missing}"
    assert rule.summary()
    assert not rule.summary().startswith("##")


@pytest.mark.parametrize(
    "rule", [r for r in all_rules() if not r.engine_rule], ids=lambda rule: rule.code
)
def test_rule_links_to_an_existing_pytorch_reference(rule: type) -> None:
    assert rule.reference is not None
    assert rule.reference.startswith("reference_impls/")
    assert (ROOT / rule.reference).is_file(), f"{rule.code} links to missing {rule.reference}"
    assert rule.reference in docstring_sections(rule)["PyTorch reference"]


@pytest.mark.parametrize(
    "rule", [r for r in all_rules() if not r.engine_rule], ids=lambda rule: rule.code
)
def test_rule_has_cases_and_a_fixture(rule: type) -> None:
    assert rule.VALID, f"{rule.code} needs embedded VALID cases"
    assert rule.INVALID, f"{rule.code} needs embedded INVALID cases"
    marked = [path for path in FIXTURES if expected_reports(path.read_text(), [rule.code])]
    assert marked, f"no fixture under fixtures/ marks `# expect: {rule.code}`"


def test_fixable_rules_say_so_and_have_a_fix_case() -> None:
    for rule in all_rules():
        has_fix_case = any(case.fixed is not None for case in rule.INVALID)
        assert (rule.fix_safety is not None) == has_fix_case, rule.code
        assert (rule.fix_safety is not None) == (rule.fix_title is not None), rule.code
