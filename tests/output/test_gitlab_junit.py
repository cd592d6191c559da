"""The ``gitlab`` and ``junit`` formats, checked against what their readers require.

GitLab Code Quality: the fields GitLab documents for a report
(``description``, ``check_name``, ``fingerprint``, ``severity``,
``location.path``, ``location.lines.begin``), as a JSON schema written from
that list, plus GitLab's rule that fingerprints are unique.  JUnit XML has
no normative schema (no XSD ships with a pip package either); the report is
parsed with ``xml.etree`` and its structure checked as CI readers use it:
``testsuites`` > ``testsuite`` > ``testcase`` with ``failure``/``error``,
and counts that add up.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from test_formats import ctx, dk101, dk201, dk202, nb_diag

from darklint.diagnostics import Related
from darklint.output import FORMATS, render

GITLAB_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "pattern": "^(?!/)(?!\\./)"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {
                            "begin": {"type": "integer", "minimum": 1},
                            "end": {"type": "integer", "minimum": 1},
                        },
                    },
                },
            },
        },
    },
}


def validate_gitlab(text: str) -> list[dict[str, object]]:
    report = json.loads(text)
    jsonschema.validate(report, GITLAB_SCHEMA)
    fingerprints = [issue["fingerprint"] for issue in report]
    # GitLab keeps one issue per fingerprint: duplicates would be lost.
    assert len(set(fingerprints)) == len(fingerprints)
    return report


def test_formats_registry_has_gitlab_and_junit() -> None:
    assert {"gitlab", "junit"} <= set(FORMATS)


def test_gitlab_report_has_the_documented_fields() -> None:
    twin = replace(dk101(), line=9, end_line=9)
    report = validate_gitlab(
        render(
            "gitlab", ctx(dk101(help="override `train_step`"), twin, dk202(), dk201(), nb_diag())
        )
    )
    first = report[0]
    assert first["check_name"] == "DK101"
    assert first["severity"] == "major"
    assert first["description"] == "D never trains (help: override `train_step`)"
    assert first["location"] == {"path": "gan.py", "lines": {"begin": 3, "end": 3}}
    assert [issue["severity"] for issue in report[2:4]] == ["minor", "info"]
    # A notebook finding points at the raw file's line; the cell is in the text.
    assert report[4]["description"].startswith("cell 3: ")


def test_gitlab_fingerprints_survive_lines_added_above() -> None:
    def fingerprint(diagnostic: object) -> str:
        source = {3: "d.trainable = False", 13: "d.trainable = False"}
        context = ctx(diagnostic, source_line=lambda d: source.get(d.line))
        return validate_gitlab(render("gitlab", context))[0]["fingerprint"]

    assert fingerprint(dk101()) == fingerprint(replace(dk101(), line=13, end_line=13))


def test_gitlab_failed_run_is_not_an_empty_report() -> None:
    assert render("gitlab", ctx(errors=["missing.py: No such file or directory"])) == ""
    assert validate_gitlab(render("gitlab", ctx())) == []


def parse_junit(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    for suite in root:
        assert suite.tag == "testsuite"
        assert suite.get("name")
        cases = list(suite)
        assert all(case.tag == "testcase" for case in cases)
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors", "-1")) == len(suite.findall("testcase/error"))
        for case in cases:
            assert case.get("name")
            assert case.get("classname")
    assert int(root.get("tests", "-1")) == len(root.findall("testsuite/testcase"))
    assert int(root.get("failures", "-1")) == len(root.findall("testsuite/testcase/failure"))
    assert int(root.get("errors", "-1")) == len(root.findall("testsuite/testcase/error"))
    return root


def test_junit_one_suite_per_file_one_failure_per_finding() -> None:
    related = (Related("`d` compiled here", "gan.py", 1, 1, 1, 12),)
    root = parse_junit(
        render("junit", ctx(dk101(help="override `train_step`", related=related), dk202(), dk201()))
    )
    suites = {suite.get("name"): suite for suite in root}
    assert set(suites) == {"gan.py", "train.py"}
    first = suites["gan.py"].find("testcase")
    assert first is not None
    assert (first.get("name"), first.get("classname"), first.get("line")) == (
        "DK101 [trainable-toggled-around-compile]",
        "gan.py",
        "3",
    )
    failure = first.find("failure")
    assert failure is not None
    assert failure.get("message") == "D never trains"
    assert failure.text == (
        "gan.py:3:5: D never trains\n"
        "note: `d` compiled here: gan.py:1:1\n"
        "help: override `train_step`"
    )


def test_junit_clean_and_failed_runs() -> None:
    clean = parse_junit(render("junit", ctx()))
    assert clean.get("failures") == "0"
    assert clean.findall("testsuite/testcase")[0].get("name") == "no findings"
    failed = parse_junit(render("junit", ctx(errors=["missing.py: No such file or directory"])))
    (error,) = failed.findall("testsuite/testcase/error")
    assert error.get("message") == "missing.py: No such file or directory"
    # Characters XML cannot hold as they are are escaped, not broken.
    odd = parse_junit(render("junit", ctx(replace(dk201(), message='a < b & "c"'))))
    failure = odd.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == 'a < b & "c"'


@pytest.mark.parametrize("fmt", ["gitlab", "junit"])
def test_formats_on_the_fixtures(fmt: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "darklint", "--no-cache", "--format", fmt, "fixtures"],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={"PYTHONPATH": str(root), "PATH": ""},
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    golden = (root / "fixtures" / "golden.txt").read_text(encoding="utf-8")
    count = sum(1 for line in golden.splitlines() if line.startswith("fixtures/"))
    if fmt == "gitlab":
        assert len(validate_gitlab(result.stdout)) == count
    else:
        assert parse_junit(result.stdout).get("failures") == str(count)
