"""The ``junit`` format: JUnit XML, as CI systems read test reports (ruff's layout).

One ``<testsuite>`` per file with findings, one failing ``<testcase>`` per
finding (``classname`` the file, ``name`` the code and slug), the message in
``failure/@message`` and the location and help in its text.  A clean run is
one passing test case, so that a CI page shows a pass rather than no tests;
a failed run (a missing path, a crashed rule) has an ``<error>`` for each
problem, never a clean-looking report.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from darklint.diagnostics import Diagnostic
from darklint.output import OutputContext
from darklint.output.text import format_location


def _testcase(suite: ET.Element, diagnostic: Diagnostic) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        name=f"{diagnostic.code} [{diagnostic.name}]",
        classname=diagnostic.path,
        line=str(diagnostic.line),
        column=str(diagnostic.column),
    )
    lines = [f"{format_location(diagnostic)}: {diagnostic.message}"]
    lines.extend(f"note: {item.message}: {format_location(item)}" for item in diagnostic.related)
    if diagnostic.help:
        lines.append(f"help: {diagnostic.help}")
    failure = ET.SubElement(case, "failure", message=diagnostic.message, type=diagnostic.code)
    failure.text = "\n".join(lines)


def render_junit(ctx: OutputContext) -> str:
    root = ET.Element("testsuites", name="darklint")
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in ctx.diagnostics:
        by_path[diagnostic.path].append(diagnostic)
    for path, found in by_path.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(len(found)),
            failures=str(len(found)),
            errors="0",
            skipped="0",
        )
        for diagnostic in found:
            _testcase(suite, diagnostic)
    if ctx.errors or not ctx.diagnostics:
        suite = ET.SubElement(
            root,
            "testsuite",
            name="darklint",
            tests=str(max(len(ctx.errors), 1)),
            failures="0",
            errors=str(len(ctx.errors)),
            skipped="0",
        )
        if ctx.errors:
            for error in ctx.errors:
                case = ET.SubElement(suite, "testcase", name="darklint run", classname="darklint")
                ET.SubElement(case, "error", message=error, type="error").text = error
        else:
            ET.SubElement(suite, "testcase", name="no findings", classname="darklint")
    tests = sum(int(suite.get("tests", "0")) for suite in root)
    root.set("tests", str(tests))
    root.set("failures", str(len(ctx.diagnostics)))
    root.set("errors", str(len(ctx.errors)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
