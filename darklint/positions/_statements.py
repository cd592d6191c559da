"""Positions of the nodes a rule reports, without a codegen pass over the whole file.

(The strategy behind :class:`darklint.positions.Positions`; the whole-file
pass is :mod:`darklint.positions._codegen`.)

libcst knows a node's position only by generating the code of everything
before it, and on a Keras training program that whole-file pass costs as
much as the parse itself.  Rules report a handful of nodes, so here only the
statements holding them are generated:

* CPython's ``ast`` (which the engine built anyway to decide DK001) knows
  where every statement starts.  Both trees list the statements of a file in
  the same source order, so the n-th statement of one is the n-th of the
  other (``statement_starts``); a file where the counts differ falls back to
  the whole-file pass.
* A node's *unit* is the innermost statement line or compound statement that
  holds it (one walk over the libcst tree's fields, far cheaper than
  codegen).  The unit alone is generated with the whole-file pass's state
  (:mod:`darklint.positions`), its indentation set to the one its line has,
  and its lines shifted to where ``ast`` says it starts.  Every node of the
  unit gets its range at once; units are cached.

The ranges are exactly the whole-file pass's (``tests/engine/
test_statement_positions.py`` compares them node by node over the fixtures
and real corpora); anything unexpected (a unit that does not start where
``ast`` says, libcst internals that changed) falls back to the whole-file
pass, never to a wrong range.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from darklint.syntax_walk import IS_NODE, is_node_type, node_fields

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

    from darklint.positions._codegen import Raw

# ``ast`` statement fields that hold statements, in source order.
_AST_BODIES = ("body", "handlers", "orelse", "finalbody", "cases")


def statement_starts(tree: ast.Module) -> list[tuple[int, int]]:
    """(line, UTF-8 byte column) of every statement, in source (pre-)order."""
    starts: list[tuple[int, int]] = []
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            starts.append((node.lineno, node.col_offset))
        children: list[ast.AST] = []
        for field in _AST_BODIES:
            value = getattr(node, field, None)
            if value:
                children.extend(value)
        stack.extend(reversed(children))
    return starts


class FilePositions(Mapping["cst.CSTNode", "CodeRange"]):
    """Node -> range, computed per statement on first access.

    Without ``starts`` (the engine kept no ``ast``), the whole-file pass.
    """

    def __init__(
        self, module: cst.Module, source: str, starts: Sequence[tuple[int, int]] | None
    ) -> None:
        self._module = module
        self._lines = source.splitlines(keepends=True)
        self._starts = starts
        self._walk: _Walk | None = None
        self._anchor: dict[cst.CSTNode, tuple[int, int]] = {}
        self._raw: dict[cst.CSTNode, Raw] = {}
        # Units generated whole, and compound units generated header only.
        self._whole_units: set[cst.CSTNode] = set()
        self._headers: set[cst.CSTNode] = set()
        self._whole: Mapping[cst.CSTNode, CodeRange] | None = None

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        """Where ``node`` starts (line, 0-based column): a statement's needs no codegen."""
        if self._whole is None:
            try:
                unit = self._units().get(node)
                if unit is node:
                    return self._unit_start(unit)[:2]
            except _Fallback:
                self._use_whole()
        start = self[node].start
        return start.line, start.column

    def indentation(self, node: cst.CSTNode) -> str | None:
        """The indentation libcst adds to the lines of ``node``'s statement (None: unknown).

        What a line break inside the statement marked ``indent`` stands
        for: a fix generated on its own must write it out.
        """
        try:
            unit = self._units().get(node)
        except _Fallback:
            return None
        assert self._walk is not None
        return None if unit is None else self._walk.indent_of[unit]

    def render(self, node: cst.CSTNode, at: cst.CSTNode) -> str | None:
        """The code of ``node`` put where ``at`` is: its line breaks indented as ``at``'s block.

        libcst writes a line break marked ``indent`` with the indentation of
        the block it is in; a replacement generated on its own would lose it.
        None when that indentation is needed and not known.
        """
        from libcst._nodes.internal import CodegenState

        indentation = self.indentation(at)
        if indentation is None:
            if _adds_indentation(node):
                return None
            indentation = ""
        state = CodegenState(
            default_indent=self._module.default_indent,
            default_newline=self._module.default_newline,
        )
        if indentation:
            state.indent_tokens.append(indentation)
        node._codegen(state)
        return "".join(state.tokens)

    def range(self, node: cst.CSTNode) -> CodeRange:
        return self[node]

    # Mapping ------------------------------------------------------------------

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        from libcst.metadata import CodePosition, CodeRange

        if self._whole is None:
            try:
                self._ensure(node)
            except _Fallback:
                self._use_whole()
        if self._whole is not None:
            return self._whole[node]
        line, column, end_line, end_column = self._raw[node]
        return CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))

    def __contains__(self, node: object) -> bool:
        if self._whole is None:
            try:
                if node in self._units():
                    return True
            except _Fallback:
                pass
            # Not in the walk (which skips whitespace and punctuation):
            # ask the whole-file pass, which knows every node.
            self._use_whole()
        assert self._whole is not None
        return node in self._whole

    def __iter__(self) -> Iterator[cst.CSTNode]:
        # Every node of the file: the whole-file pass (only tests iterate).
        self._use_whole()
        assert self._whole is not None
        return iter(self._whole)

    def __len__(self) -> int:
        self._use_whole()
        assert self._whole is not None
        return len(self._whole)

    # Internals ----------------------------------------------------------------

    def _use_whole(self) -> None:
        if self._whole is None:
            from darklint.positions._codegen import whole_file

            self._whole = whole_file(self._module)

    def _units(self) -> dict[cst.CSTNode, cst.CSTNode]:
        if self._walk is None:
            walk = _walk(self._module)
            if self._starts is None or len(walk.statements) != len(self._starts):
                raise _Fallback
            self._anchor = dict(zip(walk.statements, self._starts, strict=True))
            self._walk = walk
        return self._walk.unit_of

    def _unit_start(self, unit: cst.CSTNode) -> tuple[int, int, str]:
        """(line, column, indentation) of a unit: the line from ``ast``, the rest from libcst.

        libcst writes a unit's indentation, then the unit; ``ast`` counts
        the real column.  They agree but for odd whitespace (a form feed
        that libcst does not count as indentation): then trust neither.
        """
        import libcst as cst

        assert self._walk is not None
        # A statement line starts where its first small statement does.
        first = unit.body[0] if isinstance(unit, cst.SimpleStatementLine) else unit
        line, byte_column = self._anchor[first]
        text = self._lines[line - 1]
        indent = self._walk.indent_of[unit]
        if len(indent.encode("utf-8")) != byte_column or not text.startswith(indent):
            raise _Fallback
        return line, len(indent), indent

    def _ensure(self, node: cst.CSTNode) -> None:
        if node in self._raw:
            return
        unit = self._units().get(node)
        if unit is None:
            raise _Fallback  # a node the walk skipped (punctuation, whitespace)
        import libcst as cst

        # A node in a compound statement's header needs the header only; any
        # other node of it (rarely asked for) the whole statement.
        header = (
            _header(unit)
            if unit is not node
            and isinstance(unit, cst.BaseCompoundStatement)
            and unit not in self._headers
            else None
        )
        header_only = header is not None
        if not header_only and unit in self._whole_units:
            raise _Fallback  # generated, yet the node was not recorded
        line, column, indent = self._unit_start(unit)
        generated = header or unit
        assert self._walk is not None
        raw = _generate(generated, self._module, indent, elif_=unit in self._walk.elifs)
        start_line, start_column = raw[generated][:2]
        if start_column != column:
            raise _Fallback  # not where ast says: trust nothing of it
        shift = line - start_line
        for key, (a, b, c, d) in raw.items():
            if key is not generated or not header_only:
                self._raw.setdefault(key, (a + shift, b, c + shift, d))
        (self._headers if header_only else self._whole_units).add(unit)
        if node not in self._raw:
            self._ensure(node)  # not in the header: the whole statement


def _adds_indentation(node: cst.CSTNode) -> bool:
    """Some line break inside ``node`` takes the indentation of its block."""
    import libcst as cst

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.ParenthesizedWhitespace, cst.EmptyLine)) and current.indent:
            return True
        stack.extend(current.children)
    return False


class _Fallback(Exception):
    """The on-demand way cannot vouch for this file: use the whole-file pass."""


def _header(unit: cst.BaseCompoundStatement) -> cst.CSTNode | None:
    """``unit`` cut after its header: an indented body becomes ``pass``, what follows goes.

    The header's nodes keep their places, as nothing before them changed;
    the body's statements are units of their own.  A one-line body
    (``for x in y: f(x)``) is kept.  Children are shared, not copied, so the
    header's nodes are the tree's own.  None for statements whose header
    cannot be cut off this way (``try``, ``match``): they are generated whole.
    """
    import libcst as cst

    if not isinstance(unit, (cst.If, cst.For, cst.While, cst.With, cst.FunctionDef, cst.ClassDef)):
        return None
    if not isinstance(unit.body, cst.IndentedBlock):
        return None
    stub = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])
    if isinstance(unit, (cst.If, cst.For, cst.While)):
        return unit.with_changes(body=stub, orelse=None)
    return unit.with_changes(body=stub)


def _generate(
    unit: cst.CSTNode, module: cst.Module, indent: str, *, elif_: bool
) -> dict[cst.CSTNode, Raw]:
    from darklint.positions._codegen import _State, _Table

    table = _Table()
    state = _State(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=table,  # type: ignore[arg-type]
    )
    state.indent_tokens.append(indent)
    try:
        if elif_:
            unit._codegen(state, is_elif=True)  # `elif`, not `if`: two more characters
        else:
            unit._codegen(state)
    except Exception as error:  # libcst internals changed, or too deep
        raise _Fallback from error
    if unit not in table._computed:
        raise _Fallback
    return table._computed


# Per libcst node type: the fields to walk, whether it starts a unit, whether
# ``ast`` has it as a statement.
_TYPE_FACTS: dict[type, tuple[tuple[str, ...], bool, bool]] = {}


def _facts(kind: type) -> tuple[tuple[str, ...], bool, bool]:
    """Most of a libcst tree is whitespace, comments and punctuation, which no
    rule reports: the walk skips those fields (``syntax_walk.node_fields``; a
    node asked for that the walk did not see falls back to the whole-file pass)."""
    import libcst as cst

    compound = issubclass(kind, cst.BaseCompoundStatement)
    facts = _TYPE_FACTS[kind] = (
        node_fields(kind),
        compound or kind is cst.SimpleStatementLine,
        compound or issubclass(kind, cst.BaseSmallStatement),
    )
    return facts


@dataclasses.dataclass
class _Walk:
    """What one walk over the libcst tree finds."""

    # Each node's unit: the innermost statement line or compound statement.
    unit_of: dict[cst.CSTNode, cst.CSTNode] = dataclasses.field(default_factory=dict)
    # The small and compound statements (what ``ast`` calls statements), in source order.
    statements: list[cst.CSTNode] = dataclasses.field(default_factory=list)
    # Each unit's indentation as libcst's codegen writes it.
    indent_of: dict[cst.CSTNode, str] = dataclasses.field(default_factory=dict)
    # `elif` clauses: an If that libcst writes as `elif` inside its parent.
    elifs: set[cst.CSTNode] = dataclasses.field(default_factory=set)


def _walk(module: cst.Module) -> _Walk:
    """Depth-first in field order, which for libcst is source order.

    Explicit fields rather than ``node.children``, which re-creates the node;
    exact types rather than ``isinstance`` on libcst's abstract base classes,
    which is slow.
    """
    import libcst as cst

    if_type = cst.If
    block_type = cst.IndentedBlock
    match_type = cst.Match
    default_indent = module.default_indent
    walk = _Walk()
    unit_of, statements, indent_of = walk.unit_of, walk.statements, walk.indent_of
    facts_of = _TYPE_FACTS.get
    is_node = IS_NODE.get
    # Each entry carries its unit and indentation (inherited from its parent).
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None, str]] = [
        (child, None, "") for child in reversed(module.body)
    ]
    pop, push = stack.pop, stack.append
    while stack:
        node, unit, indent = pop()
        kind = type(node)
        fields, starts_unit, is_statement = facts_of(kind) or _facts(kind)
        if starts_unit:
            unit = node
            indent_of[node] = indent
            if kind is if_type and type(node.orelse) is if_type:  # type: ignore[attr-defined]
                walk.elifs.add(node.orelse)  # type: ignore[attr-defined]
        if kind is block_type or kind is match_type:
            # An indented block, and a match statement's cases, indent what they hold.
            own = node.indent  # type: ignore[attr-defined]
            indent += default_indent if own is None else own
        if is_statement:
            statements.append(node)
        assert unit is not None  # every module-level statement starts a unit
        unit_of[node] = unit
        children: list[cst.CSTNode] = []
        add = children.append
        for name in fields:
            value = getattr(node, name)
            value_type = type(value)
            if value_type is tuple or value_type is list:
                for item in value:
                    flag = is_node(type(item))
                    if flag or (flag is None and is_node_type(type(item))):
                        add(item)
            else:
                flag = is_node(value_type)
                if flag or (flag is None and is_node_type(value_type)):
                    add(value)
        for child in reversed(children):
            push((child, unit, indent))
    return walk
