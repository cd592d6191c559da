"""Walking a libcst tree by its fields: which fields can hold a node worth a look, and which
values are nodes.

libcst's own visitors rebuild each node they pass (``_visit_and_replace_children``
runs the node's validation again), recurse once per level of nesting, and ask
``isinstance`` of an abstract class at every field.  The walks that need a
tree's nodes (positions, the rules that search a subtree) read the fields
that can hold them instead: not whitespace, comments or punctuation, which
are most of a tree and which nothing reports.  Both the fields of each node
type and whether a type is a node are looked up once per type.  Knows nothing
of Keras, and imports libcst only when a walk needs it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

# Fields holding only whitespace, comments or punctuation (and, with
# "whitespace" in their names, the rest of the spacing): never walked.
PUNCTUATION_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "comma",
        "semicolon",
        "colon",
        "equal",
        "dot",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "newline",
        "operator",
    }
)
# Per node type: the fields to walk, in source order.  Per any type: is it a node.
FIELDS: dict[type, tuple[str, ...]] = {}
IS_NODE: dict[type, bool] = {}


def node_fields(kind: type) -> tuple[str, ...]:
    """The fields of the node type ``kind`` that may hold nodes worth a look, in source order."""
    fields = FIELDS.get(kind)
    if fields is None:
        fields = FIELDS[kind] = tuple(
            field.name
            for field in dataclasses.fields(kind)
            if "whitespace" not in field.name and field.name not in PUNCTUATION_FIELDS
        )
    return fields


def is_node_type(kind: type) -> bool:
    """Whether values of type ``kind`` are libcst nodes."""
    known = IS_NODE.get(kind)
    if known is None:
        import libcst as cst

        known = IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return known


def descendants(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``root`` and every node under it, in source order (pre-order), with its own stack:
    an expression nested a thousand deep (``a.b.b.b…``) cannot stop it."""
    stack: list[cst.CSTNode] = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        yield node
        for name in reversed(FIELDS.get(type(node)) or node_fields(type(node))):
            value = getattr(node, name)
            value_type = type(value)
            if value_type is list or value_type is tuple:
                for item in reversed(value):
                    if IS_NODE.get(type(item)) or is_node_type(type(item)):
                        push(item)
            elif IS_NODE.get(value_type) or is_node_type(value_type):
                push(value)
