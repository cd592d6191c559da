"""Line/column ranges of a module's nodes: libcst's ``PositionProvider``, faster.

The engine needs positions only for a file with reports, but then for every
node a rule may name, and libcst computes them with one codegen pass over the
whole module.  Resolving ``PositionProvider`` through a ``MetadataWrapper``
also walks the whole tree once more for nothing (an empty batch of batchable
providers), and updates the position after every token with a regular
expression; on a Keras training program that costs twice the parse.

Here the same codegen pass runs with a state that counts newlines instead,
records plain tuples, and is not wrapped: the ranges are exactly
``PositionProvider``'s (``tests/engine/test_positions.py`` compares them
node by node), about three times faster.  It uses libcst's codegen hooks
(``CSTNode._codegen``, the position-providing codegen state), which are not
public API: on any libcst where they do not work as expected, it falls back
to ``PositionProvider`` itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, PositionProvider

Raw = tuple[int, int, int, int]


def positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    try:
        return _fast(module)
    except Exception:  # libcst's internals changed: the public, slower way
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
            start: tuple[int, int] = (self.line, self.column)
            try:
                yield
            finally:
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
