"""The GitHub Actions recipe of ``docs/integrations.md``, run as written.

The workflow is read from the document itself, so the test breaks when the
documented commands stop working: the SARIF step's command is run on the
fixtures and its report validated against the SARIF 2.1.0 schema, and the
annotation step's output is checked against GitHub's workflow-command syntax.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema.validators import validator_for

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "integrations.md"
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"

_FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)

# https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
# `::error|warning|notice key=value,...::message`; in values `%`, CR, LF, `:`
# and `,` are escaped, in the message `%`, CR and LF (as @actions/core does).
_COMMAND = re.compile(
    r"^::(?P<command>error|warning|notice)(?: (?P<props>[^\r\n]*?))?::(?P<message>.*)$"
)
_PROPERTY_VALUE = re.compile(r"^(?:[^%,:\r\n]|%(?:25|0D|0A|3A|2C))*$")
_MESSAGE = re.compile(r"^(?:[^%\r\n]|%(?:25|0D|0A))*$")
_PROPERTIES = ("file", "line", "endLine", "col", "endColumn", "title")


def _unescape(value: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, raw)
    return value


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    blocks = [m["body"] for m in _FENCE.finditer(DOC.read_text()) if m["lang"] == "yaml"]
    [text] = [block for block in blocks if "upload-sarif" in block]
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    [job] = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def _run_step(workflow: dict[str, Any], marker: str) -> list[str]:
    [command] = [s["run"] for s in _steps(workflow) if marker in s.get("run", "")]
    argv = shlex.split(command)
    assert argv[0] == "darklint"
    return argv[1:]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository holding darklint's fixtures, and one of them as a notebook."""
    repo = tmp_path_factory.mktemp("checkout")
    for source in sorted((ROOT / "fixtures").glob("*.py")):
        shutil.copy2(source, repo / source.name)
    code = (ROOT / "fixtures" / "shared_optimizer.py").read_text()
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Shared optimizer\n"]},
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": code.splitlines(keepends=True),
            },
        ],
        "metadata": {
            "kernelspec": {"language": "python", "name": "python3", "display_name": "Python 3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (repo / "shared_optimizer.ipynb").write_text(json.dumps(notebook, indent=1))
    return repo


def _darklint(cwd: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "darklint", "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def sarif(workflow: dict[str, Any], checkout: Path) -> dict[str, Any]:
    args = _run_step(workflow, "--format sarif")
    output = Path(args[args.index("--output-file") + 1])
    proc = _darklint(checkout, args)
    # --exit-zero: the report is uploaded whatever it holds.
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    [upload] = [s for s in _steps(workflow) if "upload-sarif" in s.get("uses", "")]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == str(output)
    data: dict[str, Any] = json.loads((checkout / output).read_text())
    return data


def test_sarif_report_is_valid_sarif_2_1_0(sarif: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = validator_for(schema)
    validator.check_schema(schema)
    errors = sorted(validator(schema).iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert sarif["version"] == "2.1.0"


def test_sarif_report_covers_the_fixtures(sarif: dict[str, Any], checkout: Path) -> None:
    [run] = sarif["runs"]
    rules = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    results = run["results"]
    codes = {result["ruleId"] for result in results}
    assert {"DK101", "DK104", "DK202"} <= codes
    assert codes <= rules
    for result in results:
        for location in result["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            # Relative to the repository root, as code scanning expects.
            assert not uri.startswith(("/", "file:")), uri
            assert (checkout / uri).is_file(), uri
    assert any(
        loc["physicalLocation"]["artifactLocation"]["uri"] == "shared_optimizer.ipynb"
        for result in results
        for loc in result["locations"]
    )


def test_github_annotations_use_the_workflow_command_syntax(
    workflow: dict[str, Any], checkout: Path, sarif: dict[str, Any]
) -> None:
    proc = _darklint(checkout, _run_step(workflow, "--format github"))
    assert proc.returncode == 1, proc.stderr  # findings fail the job
    lines = proc.stdout.splitlines()
    assert lines
    for line in lines:
        match = _COMMAND.match(line)
        assert match, line
        assert _MESSAGE.match(match["message"]), line
        props = {}
        for item in (match["props"] or "").split(","):
            key, _, value = item.partition("=")
            assert key in _PROPERTIES, line
            assert _PROPERTY_VALUE.match(value), line
            props[key] = _unescape(value)
        assert (checkout / props["file"]).is_file(), line
        for key in ("line", "endLine", "col", "endColumn"):
            if key in props:
                assert props[key].isdigit(), line
                assert int(props[key]) >= 1, line
        assert re.fullmatch(r"DK\d{3} \[[a-z0-9-]+\]", props["title"]), line
        if props["file"].endswith(".ipynb"):
            assert _unescape(match["message"]).startswith("cell "), line
    # The same findings as the SARIF report.
    assert len(lines) == len(sarif["runs"][0]["results"])
