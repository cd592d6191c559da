"""Where the nodes of a file are: the one positions component the engine and rules use.

``file_positions`` gives a :class:`Positions` for a parsed file; how it
computes them is private (``_statements``: only the statements holding the
nodes asked for, placed where CPython's ``ast`` says each statement starts;
``_codegen``: one faster-than-libcst codegen pass over the whole file, the
fallback).  Both give exactly libcst's ``PositionProvider`` ranges
(``tests/engine/test_positions.py`` compares them node by node).

They run libcst's codegen with their own state, which is not libcst's public
API: ``LIBCST_TESTED`` is the range of libcst versions this was tested on
(``pyproject.toml`` pins it), and on any libcst where the internals do not
behave as expected the component falls back to ``PositionProvider`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from darklint.positions._statements import statement_starts

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

# The libcst versions whose codegen internals were tested here.
LIBCST_TESTED = (">=1.1", "<1.10")


class Positions(Protocol):
    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        """Where ``node`` starts: (line, 0-based column)."""

    def range(self, node: cst.CSTNode) -> CodeRange:
        """Where ``node`` starts and ends (libcst's ``CodeRange``)."""

    def __contains__(self, node: object) -> bool:
        """Whether ``node`` is a node of the file (a node a rule built is not)."""

    def indentation(self, node: cst.CSTNode) -> str | None:
        """The block indentation of ``node``'s statement, as libcst writes it (None: unknown)."""

    def render(self, node: cst.CSTNode, at: cst.CSTNode) -> str | None:
        """The code of ``node`` as it reads put where ``at`` is (None: cannot say)."""


def file_positions(
    module: cst.Module, source: str, starts: Sequence[tuple[int, int]] | None
) -> Positions:
    """The positions of ``module``'s nodes (``starts``: where ``ast`` says each statement starts)."""
    from darklint.positions._statements import FilePositions

    return FilePositions(module, source, starts)


__all__ = ["LIBCST_TESTED", "Positions", "file_positions", "statement_starts"]
