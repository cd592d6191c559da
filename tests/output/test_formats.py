"""Unit tests of the output formats, on hand-built diagnostics.

Where a format is a contract (text lines, JSON keys, GitHub commands,
statistics) the tests assert exact strings.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from darklint.diagnostics import Diagnostic, Edit, Fix, RuleDescriptor, Severity
from darklint.output import FORMATS, OutputContext, render, render_statistics

SCHEMA_PATH = Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json"
ROOT = Path("/project").absolute()
URL = "https://github.com/darklint/darklint/blob/main/docs/rules"

DK101_DESCRIPTION = "Setting `trainable` around `compile()` freezes nothing."

RULES = (
    RuleDescriptor(
        code="DK101",
        name="trainable-toggled-around-compile",
        severity=Severity.ERROR,
        summary="trainable toggled around compile",
        description=DK101_DESCRIPTION,
        url=f"{URL}/DK101.md",
        reference="gan.py",
    ),
    RuleDescriptor(
        code="DK202",
        name="predict-in-training-loop",
        severity=Severity.WARNING,
        summary="predict() in a training loop",
        description="`predict()` per batch is slow.",
        url=f"{URL}/DK202.md",
        reference="gan.py",
        fixable=True,
    ),
    RuleDescriptor(
        code="DK201",
        name="manual-multi-model-train-loop",
        severity=Severity.INFO,
        summary="hand-written multi-model loop",
        description="fit() machinery is lost.",
        url=f"{URL}/DK201.md",
    ),
)

SAFE_FIX = Fix(
    title="Use predict_on_batch",
    edits=(Edit(line=7, column=13, end_line=7, end_column=20, content="predict_on_batch"),),
    safe=True,
)


def dk101(**changes: Any) -> Diagnostic:
    base = Diagnostic(
        path="gan.py",
        line=3,
        column=5,
        end_line=3,
        end_column=24,
        code="DK101",
        name="trainable-toggled-around-compile",
        severity=Severity.ERROR,
        message="D never trains",
        reference="gan.py",
        url=f"{URL}/DK101.md",
    )
    return replace(base, **changes)


def dk202(**changes: Any) -> Diagnostic:
    base = Diagnostic(
        path="gan.py",
        line=7,
        column=13,
        end_line=7,
        end_column=29,
        code="DK202",
        name="predict-in-training-loop",
        severity=Severity.WARNING,
        message="predict() per batch is slow",
        fix=SAFE_FIX,
        reference="gan.py",
        url=f"{URL}/DK202.md",
    )
    return replace(base, **changes)


def dk201(**changes: Any) -> Diagnostic:
    base = Diagnostic(
        path="train.py",
        line=10,
        column=1,
        end_line=14,
        end_column=30,
        code="DK201",
        name="manual-multi-model-train-loop",
        severity=Severity.INFO,
        message="fit() machinery is lost",
        url=f"{URL}/DK201.md",
    )
    return replace(base, **changes)


def nb_diag(**changes: Any) -> Diagnostic:
    return dk101(path="nb.ipynb", line=2, column=9, end_line=2, end_column=28, cell=3, **changes)


def ctx(*diagnostics: Diagnostic, **changes: Any) -> OutputContext:
    base = OutputContext(diagnostics=diagnostics, rules=RULES, root=ROOT, tool_version="0.1.0")
    return replace(base, **changes)


# -- registry ---------------------------------------------------------------


def test_formats_registry() -> None:
    assert sorted(FORMATS) == ["github", "gitlab", "json", "junit", "sarif", "text"]


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", ctx())


def test_import_is_lazy() -> None:
    # The registry must not pull in the format modules until they are used.
    import subprocess

    code = (
        "import sys, darklint.output;"
        "print(sorted(m for m in sys.modules if m.startswith('darklint.output.')))"
    )
    repo = Path(__file__).resolve().parent.parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


# -- text -------------------------------------------------------------------


def test_text_lines_and_summary() -> None:
    out = render("text", ctx(dk101(), dk202(), dk201()))
    assert out == (
        "gan.py:3:5: DK101 [trainable-toggled-around-compile] D never trains\n"
        "gan.py:7:13: DK202 [predict-in-training-loop] "
        "predict() per batch is slow (fixable)\n"
        "train.py:10:1: DK201 [manual-multi-model-train-loop] fit() machinery is lost\n"
        "\n"
        "Found 3 problems.\n"
        "1 fixable with the --fix option.\n"
    )


def test_text_singular_and_no_fix_hint() -> None:
    assert render("text", ctx(dk101())) == (
        "gan.py:3:5: DK101 [trainable-toggled-around-compile] D never trains\n\nFound 1 problem.\n"
    )
    # The hint is the CLI's call (e.g. off when reading stdin).
    out = render("text", ctx(dk202(), fixable_hint=False))
    assert out.endswith("\nFound 1 problem.\n")


def test_text_unsafe_fix_is_hidden_but_counted() -> None:
    """Not "(fixable)": --fix would not apply it; the summary says how to (ruff's wording)."""
    unsafe = dk202(fix=replace(SAFE_FIX, safe=False))
    assert render("text", ctx(unsafe, unsafe)) == (
        "gan.py:7:13: DK202 [predict-in-training-loop] predict() per batch is slow\n"
        "gan.py:7:13: DK202 [predict-in-training-loop] predict() per batch is slow\n"
        "\n"
        "Found 2 problems.\n"
        "2 hidden fixes can be enabled with the --unsafe-fixes option.\n"
    )
    assert render("text", ctx(unsafe)).endswith(
        "1 hidden fix can be enabled with the --unsafe-fixes option.\n"
    )


def test_text_all_checks_passed() -> None:
    assert render("text", ctx()) == "All checks passed!\n"


def test_text_notebook() -> None:
    assert render("text", ctx(nb_diag(file_line=40))).splitlines()[0] == (
        "nb.ipynb:cell 3:2:9: DK101 [trainable-toggled-around-compile] D never trains"
    )


def test_text_source_frame() -> None:
    sources = {
        "DK101": "    D.trainable = False\n",
        "DK201": "for epoch in range(10):",
        "DK202": "\tfake = G.predict(noise)",
    }
    context = ctx(
        dk101(),
        dk201(),
        dk202(column=9, end_column=18),
        show_source=True,
        source_line=lambda d: sources[d.code],
    )
    assert render("text", context) == (
        "gan.py:3:5: DK101 [trainable-toggled-around-compile] D never trains\n"
        "  |     D.trainable = False\n"
        "  |     ^^^^^^^^^^^^^^^^^^^\n"
        "train.py:10:1: DK201 [manual-multi-model-train-loop] fit() machinery is lost\n"
        "  | for epoch in range(10):\n"
        "  | ^^^^^^^^^^^^^^^^^^^^^^^\n"
        "gan.py:7:9: DK202 [predict-in-training-loop] "
        "predict() per batch is slow (fixable)\n"
        "  | \tfake = G.predict(noise)\n"
        "  | \t       ^^^^^^^^^\n"
        "\n"
        "Found 3 problems.\n"
        "1 fixable with the --fix option.\n"
    )


def test_text_source_frame_clips_to_line_end() -> None:
    context = ctx(dk101(end_column=99), show_source=True, source_line=lambda d: "    D.x = 1")
    assert render("text", context).splitlines()[1:3] == [
        "  |     D.x = 1",
        "  |     ^^^^^^^",
    ]
    # An empty span still gets one caret.
    context = ctx(dk101(end_column=5), show_source=True, source_line=lambda d: "    D.x = 1")
    assert render("text", context).splitlines()[2] == "  |     ^"


def test_text_source_frame_skipped_without_source() -> None:
    with_none = ctx(dk101(), show_source=True, source_line=lambda d: None)
    assert render("text", with_none) == render("text", ctx(dk101()))
    # show_source off: the callback is not even consulted for the frame.
    no_frame = ctx(dk101(), source_line=lambda d: "x")
    assert "  |" not in render("text", no_frame)


# -- json -------------------------------------------------------------------

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


def test_json_keys_and_values() -> None:
    out = render("json", ctx(dk101(), dk202(), nb_diag(file_line=40)))
    assert out.endswith("]\n")
    records = json.loads(out)
    assert [list(r) for r in records] == [JSON_KEYS] * 3
    assert records[0] == {
        "path": "gan.py",
        "line": 3,
        "column": 5,
        "end_line": 3,
        "end_column": 24,
        "code": "DK101",
        "name": "trainable-toggled-around-compile",
        "severity": "error",
        "message": "D never trains",
        "fix": None,
        "reference": "gan.py",
        "url": f"{URL}/DK101.md",
        "docs": f"{URL}/DK101.md",
        "cell": None,
        "help": None,
        "related": [],
    }
    assert records[1]["fix"] == {
        "title": "Use predict_on_batch",
        "applicability": "safe",
        "edits": [
            {
                "line": 7,
                "column": 13,
                "end_line": 7,
                "end_column": 20,
                "content": "predict_on_batch",
            }
        ],
    }
    assert records[2]["cell"] == 3
    assert records[2]["line"] == 2


def test_json_exact_text() -> None:
    # indent=2 and the key order are part of the contract.
    assert render("json", ctx(dk201())) == (
        "[\n"
        "  {\n"
        '    "path": "train.py",\n'
        '    "line": 10,\n'
        '    "column": 1,\n'
        '    "end_line": 14,\n'
        '    "end_column": 30,\n'
        '    "code": "DK201",\n'
        '    "name": "manual-multi-model-train-loop",\n'
        '    "severity": "info",\n'
        '    "message": "fit() machinery is lost",\n'
        '    "fix": null,\n'
        '    "reference": null,\n'
        f'    "url": "{URL}/DK201.md",\n'
        f'    "docs": "{URL}/DK201.md",\n'
        '    "cell": null,\n'
        '    "help": null,\n'
        '    "related": []\n'
        "  }\n"
        "]\n"
    )


def test_json_empty() -> None:
    assert render("json", ctx()) == "[]\n"


def _from_json(record: dict[str, Any]) -> Diagnostic:
    fix = record["fix"]
    return Diagnostic(
        path=record["path"],
        line=record["line"],
        column=record["column"],
        end_line=record["end_line"],
        end_column=record["end_column"],
        code=record["code"],
        name=record["name"],
        severity=Severity(record["severity"]),
        message=record["message"],
        fix=None
        if fix is None
        else Fix(
            title=fix["title"],
            edits=tuple(Edit(**e) for e in fix["edits"]),
            safe=fix["applicability"] == "safe",
        ),
        reference=record["reference"],
        url=record["url"],
        cell=record["cell"],
    )


def test_json_round_trip() -> None:
    # Everything but file_line (a SARIF/GitHub detail) survives the JSON.
    unicode_msg = dk101(message='naïve "quote" \\ and\nnewline')
    originals = [
        dk101(),
        dk202(fix=replace(SAFE_FIX, safe=False)),
        nb_diag(),
        unicode_msg,
    ]
    records = json.loads(render("json", ctx(*originals)))
    assert [_from_json(r) for r in records] == originals


# -- sarif ------------------------------------------------------------------


def _validate_sarif(text: str) -> dict[str, Any]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # The schema says which draft it is written in (draft-04); honour that.
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    document: dict[str, Any] = json.loads(text)
    errors = sorted(validator_cls(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(str(e) for e in errors[:3])
    return document


def test_sarif_schema_is_draft_04() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft4Validator


def test_sarif_validator_rejects_bad_documents() -> None:
    # Guard against a validator that accepts anything.
    with pytest.raises(AssertionError):
        _validate_sarif(json.dumps({"version": "2.1.0", "runs": [{"tool": {}}]}))


def test_sarif_validates_and_describes_the_run() -> None:
    diagnostics = (dk101(), dk202(), dk201(), nb_diag(file_line=40))
    sarif = _validate_sarif(render("sarif", ctx(*diagnostics)))
    assert sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "darklint"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"] == "https://github.com/darklint/darklint"
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": ROOT.as_uri() + "/"}}
    assert driver["rules"][0] == {
        "id": "DK101",
        "name": "trainable-toggled-around-compile",
        "shortDescription": {"text": "trainable toggled around compile"},
        "fullDescription": {"text": DK101_DESCRIPTION},
        "help": {"text": DK101_DESCRIPTION, "markdown": DK101_DESCRIPTION},
        "helpUri": f"{URL}/DK101.md",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["keras"], "reference": "gan.py"},
    }
    levels = [r["defaultConfiguration"]["level"] for r in driver["rules"]]
    assert levels == ["error", "warning", "note"]
    results = run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("DK101", 0, "error"),
        ("DK202", 1, "warning"),
        ("DK201", 2, "note"),
        ("DK101", 0, "error"),
    ]
    assert results[0]["message"] == {"text": "D never trains"}
    assert results[0]["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "gan.py", "uriBaseId": "SRCROOT"},
                "region": {
                    "startLine": 3,
                    "startColumn": 5,
                    "endLine": 3,
                    "endColumn": 24,
                },
            }
        }
    ]
    assert "fixes" not in results[0]
    assert "properties" not in results[0]


def test_sarif_empty_run_validates() -> None:
    # Rules with no findings are still listed: code scanning closes their alerts.
    sarif = _validate_sarif(render("sarif", ctx()))
    assert sarif["runs"][0]["results"] == []
    assert len(sarif["runs"][0]["tool"]["driver"]["rules"]) == 3


def test_sarif_fix() -> None:
    sarif = _validate_sarif(render("sarif", ctx(dk202())))
    (result,) = sarif["runs"][0]["results"]
    assert result["fixes"] == [
        {
            "description": {"text": "Use predict_on_batch"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "gan.py", "uriBaseId": "SRCROOT"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": 7,
                                "startColumn": 13,
                                "endLine": 7,
                                "endColumn": 20,
                            },
                            "insertedContent": {"text": "predict_on_batch"},
                        }
                    ],
                }
            ],
            "properties": {"applicability": "safe"},
        }
    ]


def test_sarif_paths() -> None:
    outside = (ROOT.parent / "elsewhere" / "x.py").as_posix()
    diagnostics = (
        dk101(path="pkg/sub dir/model.py"),
        dk101(path=str(ROOT / "pkg" / "abs.py")),
        dk101(path="./pkg/../top.py"),
        dk101(path=outside),
    )
    sarif = _validate_sarif(render("sarif", ctx(*diagnostics)))
    locations = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]
        for r in sarif["runs"][0]["results"]
    ]
    assert locations == [
        {"uri": "pkg/sub%20dir/model.py", "uriBaseId": "SRCROOT"},
        {"uri": "pkg/abs.py", "uriBaseId": "SRCROOT"},
        {"uri": "top.py", "uriBaseId": "SRCROOT"},
        {"uri": Path(outside).as_uri()},
    ]


def _fingerprints(context: OutputContext) -> list[str]:
    sarif = json.loads(render("sarif", context))
    return [r["partialFingerprints"]["darklint/v1"] for r in sarif["runs"][0]["results"]]


def test_sarif_fingerprints_stable_when_lines_shift() -> None:
    source = {3: "D.trainable = False", 9: "D.trainable = False", 7: "x = G.predict(z)"}
    before = ctx(
        dk101(line=3, end_line=3),
        dk202(line=7, end_line=7),
        dk101(line=9, end_line=9),
        source_line=lambda d: source[d.line],
    )
    # Five lines inserted above everything, and the code re-indented.
    shifted = {line + 5: "    " + text for line, text in source.items()}
    after = ctx(
        dk101(line=8, end_line=8, column=9),
        dk202(line=12, end_line=12),
        dk101(line=14, end_line=14, column=9),
        source_line=lambda d: shifted[d.line],
    )
    first = _fingerprints(before)
    assert first == _fingerprints(after)
    # Identical lines in one file are told apart by their occurrence index.
    assert len(set(first)) == 3
    assert all(len(fp) == 64 for fp in first)


def test_sarif_fingerprints_depend_on_code_path_and_source() -> None:
    def fingerprint(diagnostic: Diagnostic, line: str) -> str:
        return _fingerprints(ctx(diagnostic, source_line=lambda d: line))[0]

    base = fingerprint(dk101(), "D.trainable = False")
    assert fingerprint(dk101(path="other.py"), "D.trainable = False") != base
    assert fingerprint(dk101(), "G.trainable = False") != base
    assert fingerprint(dk101(code="DK103"), "D.trainable = False") != base
    # Without a source line the fingerprint still exists and is deterministic.
    assert _fingerprints(ctx(dk101())) == _fingerprints(ctx(dk101(line=50, end_line=50)))


def test_sarif_notebook_mapping() -> None:
    diagnostics = (nb_diag(file_line=40), nb_diag(fix=SAFE_FIX))
    sarif = _validate_sarif(render("sarif", ctx(*diagnostics)))
    with_line, without_line = sarif["runs"][0]["results"]
    location = with_line["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "nb.ipynb", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 40, "endLine": 40},
    }
    assert with_line["properties"] == {"cell": 3, "cellLine": 2, "cellColumn": 9}
    assert without_line["properties"] == {"cell": 3, "cellLine": 2, "cellColumn": 9}
    assert without_line["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "endLine": 1,
    }
    # In-cell edit coordinates cannot be expressed against the raw .ipynb.
    assert "fixes" not in without_line


def test_sarif_rule_not_in_descriptors_has_no_index() -> None:
    unknown = dk101(code="DK001", name="syntax-error")
    sarif = _validate_sarif(render("sarif", ctx(unknown)))
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "DK001"
    assert "ruleIndex" not in result


# -- github -----------------------------------------------------------------


def test_github_commands() -> None:
    out = render("github", ctx(dk101(), dk202(), dk201()))
    assert out == (
        "::error file=gan.py,line=3,endLine=3,col=5,endColumn=24,"
        "title=DK101 [trainable-toggled-around-compile]::D never trains\n"
        "::warning file=gan.py,line=7,endLine=7,col=13,endColumn=29,"
        "title=DK202 [predict-in-training-loop]::predict() per batch is slow\n"
        "::notice file=train.py,line=10,endLine=14,col=1,endColumn=30,"
        "title=DK201 [manual-multi-model-train-loop]::fit() machinery is lost\n"
    )


def test_github_escaping() -> None:
    tricky = dk101(
        path="dir,a/b:c%d.py",
        name="slug:with,comma",
        message="50% done: a,b\r\nnext line\n",
    )
    assert render("github", ctx(tricky)) == (
        "::error file=dir%2Ca/b%3Ac%25d.py,line=3,endLine=3,col=5,endColumn=24,"
        "title=DK101 [slug%3Awith%2Ccomma]::50%25 done: a,b%0D%0Anext line%0A\n"
    )


def test_github_notebook() -> None:
    out = render("github", ctx(nb_diag(file_line=40), nb_diag()))
    assert out == (
        "::error file=nb.ipynb,line=40,title=DK101 [trainable-toggled-around-compile]"
        "::cell 3: D never trains\n"
        "::error file=nb.ipynb,line=2,title=DK101 [trainable-toggled-around-compile]"
        "::cell 3: D never trains\n"
    )


def test_github_empty() -> None:
    assert render("github", ctx()) == ""


# -- statistics ---------------------------------------------------------------


def test_statistics() -> None:
    diagnostics = [
        dk101(),
        dk202(),
        dk202(fix=None),
        dk101(line=9),
        dk201(),
        dk101(line=12),
        dk202(line=30),
    ]
    assert render_statistics(diagnostics) == (
        "   3\tDK101\t\ttrainable-toggled-around-compile\n"
        "   3\tDK202\t[*]\tpredict-in-training-loop\n"
        "   1\tDK201\t\tmanual-multi-model-train-loop\n"
    )


def test_statistics_unsafe_fix_and_wide_counts() -> None:
    many = [dk202(fix=replace(SAFE_FIX, safe=False))] * 12345
    assert render_statistics(many) == "12345\tDK202\t\tpredict-in-training-loop\n"
    assert render_statistics([]) == ""
