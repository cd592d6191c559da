"""The rules' reports as diagnostics: where each goes, what it relates to, its fix.

A report names libcst nodes; a diagnostic has lines and columns.  Positions
are computed here, for the reported nodes only (most files report nothing);
a report whose nodes are in other modules of the project is placed by
:mod:`darklint.placement`; a fix is rendered as text edits where the old
nodes are, or not offered when it cannot be written out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from darklint.diagnostics import Diagnostic, Edit, Fix, Related
from darklint.placement import Placement, Signature
from darklint.rule import Elsewhere, FileContext, FixSafety, Replacement, Report, Rule

if TYPE_CHECKING:
    import libcst as cst


def to_diagnostics(
    context: FileContext,
    reports: Sequence[Report],
    reported_there: Callable[[Elsewhere, Signature], bool],
) -> tuple[list[Diagnostic], list[str]]:
    """The reports as diagnostics, and the crashes of rules that reported nonsense.

    ``reported_there``: whether linting the module a place is in reports a
    finding itself (:class:`~darklint.placement.Placement`).
    """
    if not reports:
        return [], []
    positions = context.positions
    placement = Placement(context, reported_there)
    diagnostics = []
    crashes: list[str] = []
    for report in reports:
        rule = report.rule
        # A node built by the rule (``with_changes``) has no position: that
        # is the rule's bug, and must not abort the run for every file.
        if not placement.nodes_known(report):
            crashes.append(f"{rule.code}: reported a node that is not in the file")
            continue
        here = [_related(context, what, node) for what, node in report.related if node in positions]
        placed = placement.place(report, here)
        if placed is None:
            continue  # another module's finding, reported when it is linted
        start_line, start_column = positions.start(placed.node)
        end = positions.range(placed.end_node or placed.node).end
        fix = None
        if (
            report.fix is not None
            and rule.fix_safety is not None
            and placed.fixable
            and all(part.old in positions for part in report.fix.parts())
        ):
            fix = _fix(context, rule, report.fix)
        diagnostics.append(
            Diagnostic(
                path=context.path,
                line=start_line,
                column=start_column + 1,
                end_line=end.line,
                end_column=end.column + 1,
                code=rule.code,
                name=rule.name,
                severity=rule.severity,
                message=report.message + placed.suffix,
                fix=fix,
                reference=rule.reference,
                url=rule.docs_url(),
                help=report.help,
                related=placed.related,
            )
        )
    return diagnostics, crashes


# A replacement is written out by libcst's codegen, which recurses once per
# level of nesting: one nested deeper gets no fix, and its report stands.
MAX_FIX_DEPTH = 100


def _fix(context: FileContext, rule: type[Rule], replacement: Replacement) -> Fix | None:
    """The edits a replacement makes, rendered in place (None: one cannot be written out).

    The new node is generated as it reads where the old one is: a line break
    inside it gets the indentation of the old node's block, as libcst gives
    it when it writes the whole file.  A replacement may have more parts
    (``also``), and a part may run on to another node's end (``until``).
    """
    edits = []
    for part in replacement.parts():
        if _deeper_than(part.new, MAX_FIX_DEPTH):
            return None
        content = context.positions.render(part.new, part.old)
        if content is None:
            return None
        old = context.positions.range(part.old)
        end = context.positions.range(part.until).end if part.until is not None else old.end
        edits.append(
            Edit(
                line=old.start.line,
                column=old.start.column + 1,
                end_line=end.line,
                end_column=end.column + 1,
                content=content,
            )
        )
    safe = replacement.safe
    if safe is None:
        safe = rule.fix_safety is FixSafety.SAFE
    return Fix(rule.fix_title or "Apply fix", tuple(edits), safe)


def _deeper_than(node: cst.CSTNode, limit: int) -> bool:
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in current.children)
    return False


def _related(context: FileContext, what: str, node: cst.CSTNode) -> Related:
    """A related node's range, computed as the reported node's is.

    A loop is its header (``for x in data``, ``while step < n``), as where a
    loop is reported: an editor marks the line that says which loop, not the
    whole body (nor does its range cost generating the body's code).
    """
    line, column = context.positions.start(node)
    end = context.positions.range(_header_end(node)).end
    return Related(what, context.path, line, column + 1, end.line, end.column + 1)


def _header_end(node: cst.CSTNode) -> cst.CSTNode:
    """Where a loop's header ends (its iterable or condition); any other node, itself."""
    kind = type(node).__name__
    if kind == "For":
        return node.iter  # type: ignore[attr-defined,no-any-return]
    if kind == "While":
        return node.test  # type: ignore[attr-defined,no-any-return]
    return node
