"""The edges of the command a new user hits first (issue 17, items 2-7).

Each test names the item it proves; the helpers are ``test_cli``'s (a
subprocess for the behaviour itself, in-process for its variations).
"""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import CLEAN_SOURCE, DK104_SOURCE, assert_valid_sarif, here, run_all, sub, write


def test_stdin_filename_alone_reads_standard_input(tmp_path: Path) -> None:
    """Item 2: ``--stdin-filename`` without ``-`` lints standard input, not the directory."""
    # A finding in the directory that must not be reported.
    write(tmp_path, {"other.py": DK104_SOURCE})
    piped, as_json = run_all(
        tmp_path,
        sub("--stdin-filename", "x.py", stdin=DK104_SOURCE),
        here("--stdin-filename", "x.py", "--format", "json", stdin=CLEAN_SOURCE),
    )
    assert piped.returncode == 1, piped
    assert piped.stdout.startswith("x.py:7:1: DK104 "), piped
    assert "other.py" not in piped.stdout
    assert (as_json.returncode, as_json.json()) == (0, []), as_json
    # Standard input never leaves a cache behind.
    assert not (tmp_path / ".darklint_cache").exists()


def test_stdin_filename_with_paths_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": CLEAN_SOURCE})
    (result,) = run_all(tmp_path, here("--stdin-filename", "x.py", "a.py", stdin=CLEAN_SOURCE))
    assert result.returncode == 2, result
    assert "--stdin-filename" in result.stderr
    assert result.stdout == ""


def test_missing_path_prints_no_success(tmp_path: Path) -> None:
    """Item 3: an error run never looks like a clean one, in any format."""
    text, as_json, sarif, github, stats = run_all(
        tmp_path,
        sub("--no-cache", "missing.py"),
        here("--no-cache", "--format", "json", "missing.py"),
        here("--no-cache", "--format", "sarif", "missing.py"),
        here("--no-cache", "--format", "github", "missing.py"),
        here("--no-cache", "--statistics", "--format", "json", "missing.py"),
    )
    for result in (text, as_json, sarif, github, stats):
        assert result.returncode == 2, result
        assert "missing.py: No such file or directory" in result.stderr
    assert "All checks passed" not in text.stdout
    assert text.stdout == ""
    # An empty list would read as "no findings": nothing is printed instead.
    assert as_json.stdout == ""
    assert stats.stdout == ""
    document = sarif.json()
    assert_valid_sarif(document)
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert "missing.py: No such file or directory" in notification["message"]["text"]
    # GitHub shows the error as an annotation of its own.
    assert github.stdout.startswith("::error title=darklint::missing.py: No such file")


def test_clean_sarif_says_the_run_succeeded(tmp_path: Path) -> None:
    write(tmp_path, {"clean.py": CLEAN_SOURCE})
    (sarif,) = run_all(tmp_path, here("--no-cache", "--format", "sarif", "clean.py"))
    assert sarif.returncode == 0, sarif
    (invocation,) = sarif.json()["runs"][0]["invocations"]
    assert invocation == {"executionSuccessful": True}


def test_no_python_files_found_warns(tmp_path: Path) -> None:
    """Item 4: nothing to lint is said on standard error, not reported as a pass."""
    write(
        tmp_path,
        {
            "empty/README.md": "no code\n",
            "excluded/pyproject.toml": '[tool.darklint]\nextend-exclude = ["*.py"]\n',
            "excluded/a.py": DK104_SOURCE,
        },
    )
    empty, excluded, as_json = run_all(
        tmp_path,
        sub("--no-cache", "empty"),
        here("--no-cache", ".", cwd=tmp_path / "excluded"),
        here("--no-cache", "--format", "json", "empty"),
    )
    assert empty.returncode == 0, empty
    assert empty.stderr == "darklint: warning: no Python files found under empty\n"
    assert "All checks passed" not in empty.stdout
    assert excluded.returncode == 0, excluded
    assert "no Python files found under" in excluded.stderr
    # A tool reading the JSON still gets a valid (empty) document.
    assert (as_json.returncode, as_json.json()) == (0, [])
    assert "no Python files found under empty" in as_json.stderr


def test_statistics_has_a_json_form_and_refuses_other_formats(tmp_path: Path) -> None:
    """Item 5: ``--statistics`` follows ``--format`` or refuses it."""
    write(tmp_path, {"a.py": DK104_SOURCE, "b.py": DK104_SOURCE})
    as_json, sarif, text = run_all(
        tmp_path,
        sub("--no-cache", "--statistics", "--format", "json", "--select", "DK104", "a.py", "b.py"),
        here("--no-cache", "--statistics", "--format", "sarif", "a.py"),
        here("--no-cache", "--statistics", "--select", "DK104", "a.py", "b.py"),
    )
    assert as_json.returncode == 1, as_json
    assert as_json.json() == [
        {"code": "DK104", "name": "optimizer-instance-reused", "count": 2, "fixable": False}
    ]
    assert sarif.returncode == 2, sarif
    assert "--statistics" in sarif.stderr
    assert "sarif" in sarif.stderr
    assert sarif.stdout == ""
    assert text.stdout.splitlines() == ["   2\tDK104\t\toptimizer-instance-reused"]


def test_help_shows_the_check_options_and_the_lsp_options(tmp_path: Path) -> None:
    """Item 6: ``--help`` documents the default command; ``lsp --help`` its options."""
    top, short, lsp = run_all(tmp_path, sub("--help"), here("-h"), sub("lsp", "--help"))
    assert top.returncode == 0, top
    for option in ("--select", "--fix", "--stdin-filename", "--force-exclude", "--statistics"):
        assert option in top.stdout, option
    for command in ("rule", "rules", "lsp"):
        assert command in top.stdout
    assert short.stdout == top.stdout
    assert lsp.returncode == 0, lsp
    assert "--stdio" in lsp.stdout
    assert "initializationOptions" in lsp.stdout
    assert "debounce" in lsp.stdout


def test_rule_and_rules_share_one_json_schema(tmp_path: Path) -> None:
    """Item 7: the same facts under the same names in both commands."""
    listing, one = run_all(
        tmp_path, here("rules", "--format", "json"), here("rule", "DK202", "--format", "json")
    )
    rows = {row["code"]: row for row in listing.json()}
    document = one.json()
    assert set(rows["DK202"]) == set(document)
    assert rows["DK202"] == document
    assert document["default_enabled"] is True
    assert document["fix"] == "sometimes safe"
    assert rows["DK104"]["fix"] is None
    assert rows["DK001"]["reference"] is None
    assert rows["DK101"]["reference"] == "reference_impls/gan.py"
    # Round-trips as JSON values, not display strings ("-", "yes", "on").
    assert "-" not in json.dumps([row["reference"] for row in rows.values()])
