"""Every node under a libcst node, found by a loop over the nodes' fields.

libcst's own visitors rebuild each node they pass (``_visit_and_replace_children``
runs the node's validation again), recurse once per level of nesting, and ask
``isinstance`` of an abstract class at every field: a rule that needs a subtree's
nodes pays far more for the visit than for what it looks for.  This walk reads
the fields that can hold nodes (not whitespace or punctuation), remembers per
node type which fields those are and which types are nodes, and keeps its own
stack, so an expression nested a thousand deep (``a.b.b.b…``) cannot stop it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

# Fields holding only whitespace, punctuation or tokens: never walked.
_UNWALKED = frozenset(
    {"lpar", "rpar", "comma", "semicolon", "equal", "colon", "dot", "lbracket", "rbracket",
     "lbrace", "rbrace", "operator", "leading_lines", "lines_after_decorators", "header",
     "footer", "newline", "indent", "trailing_whitespace"}
)  # fmt: skip
# Per node type: the fields to walk.  Per value type: whether it is a node.
_FIELDS: dict[type, tuple[str, ...]] = {}
_IS_NODE: dict[type, bool] = {}


def descendants(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``root`` and every node under it, in source order (pre-order)."""
    import libcst as cst

    stack: list[cst.CSTNode] = [root]
    pop, push = stack.pop, stack.append
    is_node = _IS_NODE
    while stack:
        node = pop()
        yield node
        kind = type(node)
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(
                f.name
                for f in reversed(dataclasses.fields(node))
                if f.name not in _UNWALKED and not f.name.startswith("whitespace")
            )
        for name in names:
            value = getattr(node, name)
            value_type = type(value)
            if value_type is list or value_type is tuple:
                for item in reversed(value):
                    item_type = type(item)
                    known = is_node.get(item_type)
                    if known is None:
                        known = is_node[item_type] = issubclass(item_type, cst.CSTNode)
                    if known:
                        push(item)
            else:
                known = is_node.get(value_type)
                if known is None:
                    known = is_node[value_type] = issubclass(value_type, cst.CSTNode)
                if known:
                    push(value)
