"""Positions by one codegen pass over the whole module: libcst's ``PositionProvider``, faster.

The engine needs positions only for a file with reports, but then for every
node a rule may name, and libcst computes them with one codegen pass over the
whole module.  Resolving ``PositionProvider`` through a ``MetadataWrapper``
also walks the whole tree once more for nothing (an empty batch of batchable
providers), and updates the position after every token with a regular
expression; on a Keras training program that costs twice the parse.

Here the same codegen pass runs with a state that counts newlines instead,
records plain tuples, and is not wrapped: the ranges are exactly
``PositionProvider``'s (``tests/engine/test_positions.py`` compares them
node by node), about three times faster; the fallback of
:mod:`darklint.positions._statements` when a file's statements cannot be trusted.  It uses libcst's codegen hooks
(``CSTNode._codegen``, the position-providing codegen state), which are not
public API: on any libcst where they do not work as expected, it falls back
to ``PositionProvider`` itself.

libcst's codegen recurses once per level of nesting, so a valid expression
nested a thousand deep (``a.b.b.b...``, ``f()()()...``, ``-(-(...))``)
exhausts Python's stack.  Such a module is generated in pieces of bounded
depth instead (``_deep``): each deep-enough expression is generated on its
own, starting at line 1, column 0, and stands in its parent's codegen for
the extent it spans; its ranges are then shifted to where it really starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, PositionProvider

Raw = tuple[int, int, int, int]


def whole_file(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    try:
        return _fast(module)
    except RecursionError:
        pass  # nested deeper than the stack allows: in pieces, below
    except Exception:  # libcst's internals changed: the public, slower way
        return _public(module)
    try:
        return _deep(module)
    except RecursionError:
        raise  # too little stack left even for one piece: the caller says so (DK003)
    except Exception:
        return _public(module)


def _public(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    return cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """Node -> ``CodeRange``, built from the raw tuples on access."""

    def __init__(self, raw: dict[cst.CSTNode, Raw]) -> None:
        self._raw = raw

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        line, column, end_line, end_column = self._raw[node]
        return CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))

    def __contains__(self, node: object) -> bool:
        return node in self._raw

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class _Table:
    """What the codegen state writes to (it calls it its ``provider``)."""

    __slots__ = ("_computed",)

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, Raw] = {}


try:
    from libcst.metadata.position_provider import PositionProvidingCodegenState
except ImportError:  # pragma: no cover - a libcst without it: the fallback
    PositionProvidingCodegenState = None  # type: ignore[assignment,misc]


if PositionProvidingCodegenState is not None:

    class _State(PositionProvidingCodegenState):
        # Overrides every method of libcst's state that computes or records
        # a position; the rest (indentation, the start/end nodes of syntactic
        # positions) keeps libcst's behaviour.
        __slots__ = ()

        def add_indent_tokens(self) -> None:
            # Indentation never holds a newline.
            for token in self.indent_tokens:
                self.column += len(token)

        def add_token(self, value: str) -> None:
            # The module's codegen only asks whether any token was written.
            if not self.tokens:
                self.tokens.append(value)
            if "\r" in value:
                self._update_position(value)
                return
            newlines = value.count("\n")
            if newlines:
                self.line += newlines
                self.column = len(value) - value.rfind("\n") - 1
            else:
                self.column += len(value)

        def pop_trailing_newline(self) -> None:
            pass

        def before_codegen(self, node: cst.CSTNode) -> None:
            self._stack.append((self.line, self.column))  # type: ignore[arg-type]

        def after_codegen(self, node: cst.CSTNode) -> None:
            start: tuple[int, int] = self._stack.pop()  # type: ignore[assignment]
            computed: dict[cst.CSTNode, Raw] = self.provider._computed  # type: ignore[assignment]
            if node not in computed:
                computed[node] = (*start, self.line, self.column)

        @contextmanager
        def record_syntactic_position(
            self,
            node: cst.CSTNode,
            *,
            start_node: cst.CSTNode | None = None,
            end_node: cst.CSTNode | None = None,
        ) -> Iterator[None]:
            # Recorded once the node is generated, not in a ``finally`` as
            # libcst does: when the codegen fails (a RecursionError deep
            # inside), ``end_node`` was never recorded, and the KeyError
            # would hide why it failed.
            start: tuple[int, int] = (self.line, self.column)
            yield
            computed: dict[cst.CSTNode, Raw] = self.provider._computed  # type: ignore[assignment]
            end: tuple[int, int] = (self.line, self.column)
            if start_node is not None:
                start = computed[start_node][:2]
            if end_node is not None:
                end = computed[end_node][2:]
            computed[node] = (*start, *end)


def _fast(module: cst.Module) -> Positions:
    table = _Table()
    state = _State(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=table,  # type: ignore[arg-type]
    )
    module._codegen(state)
    if module not in table._computed:
        raise RuntimeError("libcst's codegen did not record the module")
    return Positions(table._computed)


# How many nodes deep one piece of a too-deep module may be: libcst's codegen
# takes about two frames per node, so a piece needs about a hundred frames
# (its statements, which CPython nests at most a hundred deep, come on top).
PIECE_DEPTH = 50


class _Piece:
    """A deep expression in its parent's codegen: advances the state over its extent.

    Its own nodes were generated on their own (``_deep``); here it only notes
    where it starts, and moves the position to where it ends, as its codegen
    would have.  Nothing else of it is asked for: a parent's codegen only
    calls its children's ``_codegen``.
    """

    __slots__ = ("column", "indent", "lines", "node", "starts")

    def __init__(
        self,
        node: cst.CSTNode,
        indent: tuple[str, ...],
        starts: dict[cst.CSTNode, tuple[int, int]],
    ) -> None:
        self.node = node
        self.indent = indent  # what it was generated with
        self.starts = starts
        # The extent: how many line breaks it holds, and the column after it.
        self.lines = 0
        self.column = 0

    def _codegen(self, state: _State, **kwargs: Any) -> None:
        if kwargs:  # an expression is never generated with options: not ours to fake
            raise TypeError(f"unexpected codegen options {sorted(kwargs)}")
        if tuple(state.indent_tokens) != self.indent:
            raise ValueError("a piece was generated with the wrong indentation")
        self.starts[self.node] = (state.line, state.column)
        if not state.tokens:
            state.tokens.append("")  # Module's codegen asks whether anything was written
        if self.lines:
            state.line += self.lines
            state.column = self.column
        else:
            state.column += self.column


_MAY_ROOT_A_PIECE: dict[type, bool] = {}


def _may_root_a_piece(kind: type) -> bool:
    """An expression its parent generates without options (not a list's ``*x``).

    Only expressions: their codegen depends on nothing but the indentation
    (statements' positions are looked up by their parents).
    """
    known = _MAY_ROOT_A_PIECE.get(kind)
    if known is None:
        codegen = getattr(kind, "_codegen_impl", None)
        known = _MAY_ROOT_A_PIECE[kind] = (
            issubclass(kind, cst.BaseExpression)
            and getattr(getattr(codegen, "__code__", None), "co_argcount", 0) == 2
        )
    return known


def _fields(node: cst.CSTNode) -> Iterator[tuple[str, Any]]:
    for field in dataclasses.fields(node):
        yield field.name, getattr(node, field.name)


def _children(node: cst.CSTNode) -> Iterator[tuple[str, cst.CSTNode]]:
    """The nodes in ``node``'s fields, with the field's name.

    ``node.children`` would rebuild and revalidate the node to find them.
    """
    for name, value in _fields(node):
        if isinstance(value, cst.CSTNode):
            yield name, value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield name, item


def _with_children(node: cst.CSTNode, replaced: Mapping[cst.CSTNode, object]) -> cst.CSTNode:
    """A shallow copy of ``node`` whose children in ``replaced`` are replaced.

    Built field by field: ``with_changes`` would validate the new children,
    which a ``_Piece`` is not.  Only ever generated, never given out.
    """
    copy = object.__new__(type(node))
    for name, value in _fields(node):
        if isinstance(value, cst.CSTNode):
            value = replaced.get(value, value)
        elif isinstance(value, (tuple, list)):
            value = type(value)(
                replaced.get(item, item) if isinstance(item, cst.CSTNode) else item
                for item in value
            )
        object.__setattr__(copy, name, value)
    return copy


def _deep(module: cst.Module, piece_depth: int = PIECE_DEPTH) -> Positions:
    """The ranges ``_fast`` gives, for a module nested too deeply for one recursive codegen.

    Every expression ``piece_depth`` nodes below the root of its piece (the
    module, or such an expression) roots a piece of its own.  Pieces are
    generated deepest first, each with the indentation it has in the file; in
    its parent piece a ``_Piece`` stands for it, in a shallow copy of the
    path down to it.  Then each piece's ranges are shifted by where it
    starts, outermost first.  No recursion deeper than one piece, whatever
    the depth of the module.
    """
    parent: dict[cst.CSTNode, cst.CSTNode] = {}
    order: dict[cst.CSTNode, int] = {}  # pre-order: a parent before its children
    roots: list[cst.CSTNode] = [module]  # the pieces' roots, in pre-order
    owner: dict[cst.CSTNode, cst.CSTNode] = {}  # a piece's root -> its parent piece's root
    indents: dict[cst.CSTNode, tuple[str, ...]] = {module: ()}
    stack: list[tuple[cst.CSTNode, int, cst.CSTNode, tuple[str, ...]]] = [(module, 0, module, ())]
    while stack:
        node, depth, root, indent = stack.pop()
        order[node] = len(order)
        if depth >= piece_depth and _may_root_a_piece(type(node)):
            roots.append(node)
            owner[node] = root
            indents[node] = indent
            root, depth = node, 0
        # The indentation libcst's codegen pushes: an indented block's for
        # all it holds, a `match` statement's for its cases (not its subject).
        # A piece checks it has the one it was generated with (``_Piece``).
        inner, indented = indent, None
        if isinstance(node, (cst.IndentedBlock, cst.Match)):
            inner = (*indent, module.default_indent if node.indent is None else node.indent)
            indented = ("cases", "footer") if isinstance(node, cst.Match) else None
        for name, child in _children(node):
            parent[child] = node
            pushed = indented is None or name in indented
            stack.append((child, depth + 1, root, inner if pushed else indent))

    starts: dict[cst.CSTNode, tuple[int, int]] = {}
    pieces = {root: _Piece(root, indents[root], starts) for root in roots[1:]}
    # The nodes between a piece's root and the pieces below it are copied,
    # children first, so that each copy holds its children's copies.
    on_path: set[cst.CSTNode] = set()
    for root in roots[1:]:
        node = parent[root]
        while node not in on_path:
            on_path.add(node)
            if node is owner[root]:
                break
            node = parent[node]
    replaced: dict[cst.CSTNode, object] = dict(pieces)
    generated: dict[cst.CSTNode, cst.CSTNode] = {}  # a piece's root -> what is generated
    original: dict[cst.CSTNode, cst.CSTNode] = {}  # a copy -> its node
    for node in sorted(on_path, key=order.__getitem__, reverse=True):
        copy = _with_children(node, replaced)
        original[copy] = node
        if node is module or node in pieces:
            generated[node] = copy
        else:
            replaced[node] = copy

    tables: dict[cst.CSTNode, dict[cst.CSTNode, Raw]] = {}
    for root in reversed(roots):  # a piece after the pieces below it
        table = _Table()
        state = _State(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=table,  # type: ignore[arg-type]
            indent_tokens=list(indents[root]),
        )
        generated.get(root, root)._codegen(state)
        tables[root] = table._computed
        if root is not module:
            pieces[root].lines = state.line - 1
            pieces[root].column = state.column

    computed: dict[cst.CSTNode, Raw] = {}
    origin: dict[cst.CSTNode, tuple[int, int]] = {module: (1, 0)}
    for root in roots:  # a piece after the piece it is in
        if root is not module:
            if root not in starts or owner[root] not in origin:
                continue  # not generated (libcst does not write every field)
            line, column = starts[root]
            top, left = origin[owner[root]]
            origin[root] = (top + line - 1, left + column if line == 1 else column)
        top, left = origin[root]
        for node, (line, column, end_line, end_column) in tables[root].items():
            computed[original.get(node, node)] = (
                top + line - 1,
                left + column if line == 1 else column,
                top + end_line - 1,
                left + end_column if end_line == 1 else end_column,
            )
    if module not in computed:
        raise RuntimeError("libcst's codegen did not record the module")
    return Positions(computed)
