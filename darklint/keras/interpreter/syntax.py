"""Pure syntax helpers of the interpreter: questions about libcst nodes, no values."""

from __future__ import annotations

import collections
import re

import libcst as cst

# A name followed by a parenthesis, and the `def` or `class` before it if
# any, matched in the *reversed* text: there the pattern starts with a literal
# `(`, which the regular expression engine finds with a fast search instead of
# trying a match at every word (seven times faster over keras/src).
_CALL_REVERSED = re.compile(r"\(\s*(\w+)(?:\s+(fed|ssalc)(?!\w))?")


def called_names(source: str) -> collections.Counter[str]:
    """How often each name is written followed by ``(``, definitions aside.

    What ``\b(?:(def|class)\\s+)?(\\w+)\\s*\\(`` finds in ``source`` without a
    ``def``/``class`` (`class GAN():` is no call of GAN): ``_entries`` orders
    the walk by it.
    """
    return collections.Counter(
        name[::-1] for name, defined in _CALL_REVERSED.findall(source[::-1]) if not defined
    )


def body_of(function: cst.FunctionDef) -> list[cst.CSTNode]:
    """A function's statements (a one-line `def f(): ...` has its body inline)."""
    if type(function.body) is cst.IndentedBlock:
        return list(function.body.body)
    return [function.body]


def callee_name(func: cst.BaseExpression) -> str:
    if type(func) is cst.Name:
        return func.value
    if type(func) is cst.Attribute:
        return func.attr.value
    return ""


def import_statements(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The import statements of a module, at any depth of statements."""
    # Explicit fields rather than `node.children`: libcst builds `children`
    # by re-creating the node, which cost more than the parse on big files.
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Import or type(current) is cst.ImportFrom:
            found.append(current)
        elif type(current) is cst.SimpleStatementLine:
            # Small statements hold no statements: only the imports among them
            # matter (taken in the order the stack would have given them).
            found.extend(
                small
                for small in reversed(current.body)
                if type(small) is cst.Import or type(small) is cst.ImportFrom
            )
        else:
            stack.extend(blocks(current))
    return found


def blocks(node: cst.CSTNode) -> list[cst.CSTNode]:
    """What sits directly inside a compound statement (or module)."""
    if (
        type(node) is cst.Module
        or type(node) is cst.IndentedBlock
        or type(node) is cst.SimpleStatementSuite
    ):
        return list(node.body)
    if type(node) is cst.If or type(node) is cst.For or type(node) is cst.While:
        return [node.body, *([node.orelse] if node.orelse is not None else [])]
    if type(node) is cst.Try or type(node) is cst.TryStar:
        tail = [part for part in (node.orelse, node.finalbody) if part is not None]
        return [node.body, *node.handlers, *tail]
    if type(node) is cst.Match:
        return list(node.cases)
    if (
        type(node) is cst.FunctionDef
        or type(node) is cst.ClassDef
        or type(node) is cst.With
        or type(node) is cst.Else
        or type(node) is cst.Finally
        or type(node) is cst.ExceptHandler
        or type(node) is cst.ExceptStarHandler
        or type(node) is cst.MatchCase
    ):
        return [node.body]
    return []


def subexpressions(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The expressions evaluated inside ``node``, for the kinds the walk does not model."""
    if type(node) is cst.Comparison:
        return [node.left, *(target.comparator for target in node.comparisons)]
    if type(node) is cst.BooleanOperation:
        return [node.left, node.right]
    if type(node) is cst.IfExp:
        return [node.test, node.body, node.orelse]
    if type(node) is cst.Await:
        return [node.expression]
    if type(node) is cst.Yield:
        value = node.value
        return [value.item] if isinstance(value, cst.From) else [value] if value is not None else []
    if type(node) is cst.Set:
        return [element.value for element in node.elements]
    if type(node) is cst.ListComp or type(node) is cst.SetComp or type(node) is cst.GeneratorExp:
        return [node.elt]
    if type(node) is cst.DictComp:
        return [node.key, node.value]
    if type(node) is cst.FormattedString:
        return [
            part.expression for part in node.parts if type(part) is cst.FormattedStringExpression
        ]
    if type(node) is cst.ConcatenatedString:
        return [node.left, node.right]
    if type(node) is cst.StarredElement:
        return [node.value]
    return []


def periodic(test: cst.BaseExpression, loop_targets: set[str]) -> bool:
    """An ``if`` that lets its body run on some iterations only.

    ``step % 100 == 0`` (any ``%``), or ``epoch == 0`` / ``i == n - 1`` (a loop
    variable compared for equality): the body runs once every so many
    iterations, not on each.
    """
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if type(node) is cst.BinaryOperation:
            if type(node.operator) is cst.Modulo:
                return True
            stack.extend((node.left, node.right))
        elif type(node) is cst.UnaryOperation:
            stack.append(node.expression)
        elif type(node) is cst.BooleanOperation:
            stack.extend((node.left, node.right))
        elif type(node) is cst.Comparison:
            sides = [node.left, *(target.comparator for target in node.comparisons)]
            equality = any(type(target.operator) is cst.Equal for target in node.comparisons)
            if equality and any(
                type(side) is cst.Name and side.value in loop_targets for side in sides
            ):
                return True
            stack.extend(sides)
    return False


def target_names(target: cst.BaseExpression) -> list[str]:
    """The names a ``for`` target binds (``i``, ``(x, y)``)."""
    if type(target) is cst.Name:
        return [target.value]
    if type(target) is cst.Tuple or type(target) is cst.List:
        return [name for element in target.elements for name in target_names(element.value)]
    return []


def literal_list(node: cst.Call) -> int | None:
    """How many items the first argument has, when it is a list or tuple written there."""
    if not node.args or node.args[0].keyword is not None:
        return None
    first = node.args[0].value
    if type(first) is cst.List or type(first) is cst.Tuple:
        if any(type(element) is cst.StarredElement for element in first.elements):
            return None
        return len(first.elements)
    return None


def only_sets_trainable(function: cst.FunctionDef) -> bool:
    """A one-purpose toggle helper: its only effect is setting ``trainable`` flags.

    Its statements set ``x.trainable``, loop or branch over such statements,
    read attributes into locals (``layers = model.layers``), call the helper
    itself on the layers (a recursive ``set_trainable``), return nothing, or
    are its docstring; and at least one sets a flag.  Such a helper is
    correct: its call is where the freeze happens.
    """
    name = function.name.value
    body = body_of(function)
    return (
        bool(body)
        and all(_only_toggles(statement, name) for statement in body)
        and any(_sets_a_flag(statement) for statement in body)
    )


def _only_toggles(statement: cst.CSTNode, helper: str) -> bool:
    kind = type(statement)
    if kind is cst.SimpleStatementLine or kind is cst.SimpleStatementSuite:
        return all(_small_toggles(small, helper) for small in statement.body)  # type: ignore[attr-defined]
    if kind is cst.For or kind is cst.While or kind is cst.If:
        parts = [statement.body, statement.orelse]  # type: ignore[attr-defined]
    elif kind is cst.Try:
        parts = [
            statement.body,  # type: ignore[attr-defined]
            *statement.handlers,  # type: ignore[attr-defined]
            statement.orelse,  # type: ignore[attr-defined]
            statement.finalbody,  # type: ignore[attr-defined]
        ]
    elif kind is cst.Else or kind is cst.ExceptHandler or kind is cst.Finally:
        parts = [statement.body]  # type: ignore[attr-defined]
    elif kind is cst.IndentedBlock:
        return all(_only_toggles(inner, helper) for inner in statement.body)  # type: ignore[attr-defined]
    else:
        return False
    return all(part is None or _only_toggles(part, helper) for part in parts)


def _small_toggles(small: cst.BaseSmallStatement, helper: str) -> bool:
    kind = type(small)
    if kind is cst.Assign:
        targets = [target.target for target in small.targets]  # type: ignore[attr-defined]
        if all(type(t) is cst.Attribute and t.attr.value == "trainable" for t in targets):
            return True
        # `layers = model.layers`: a local read, no call.
        return all(type(t) is cst.Name for t in targets) and _reads_only(small.value)  # type: ignore[attr-defined]
    if kind is cst.Expr:
        value = small.value  # type: ignore[attr-defined]
        if type(value) is cst.SimpleString:
            return True  # the docstring
        # The helper on the layers (`set_trainable(layer, flag)`, `self.set_trainable(...)`).
        return type(value) is cst.Call and callee_name(value.func) == helper
    if kind is cst.Return:
        value = small.value  # type: ignore[attr-defined]
        return value is None or (type(value) is cst.Name and value.value == "None")
    return kind is cst.Pass


def _reads_only(node: cst.BaseExpression) -> bool:
    while type(node) is cst.Attribute or type(node) is cst.Subscript:
        node = node.value
    return type(node) is cst.Name


def _sets_a_flag(statement: cst.CSTNode) -> bool:
    """Some ``x.trainable = ...`` at any depth of ``statement``."""
    stack: list[cst.CSTNode] = [statement]
    while stack:
        node = stack.pop()
        if type(node) is cst.Assign and any(
            type(t.target) is cst.Attribute and t.target.attr.value == "trainable"
            for t in node.targets
        ):
            return True
        if type(node) is cst.SimpleStatementLine or type(node) is cst.SimpleStatementSuite:
            stack.extend(node.body)
        else:
            stack.extend(blocks(node))
    return False


def only_compiles(function: cst.FunctionDef) -> bool:
    """A one-purpose compile helper: its docstring aside, one ``x.compile(...)`` call."""
    body = [
        statement
        for statement in body_of(function)
        if not (
            type(statement) is cst.SimpleStatementLine
            and all(
                type(small) is cst.Expr and type(small.value) is cst.SimpleString
                for small in statement.body
            )
        )
    ]
    if len(body) != 1 or type(body[0]) is not cst.SimpleStatementLine:
        return False
    [small] = body[0].body if len(body[0].body) == 1 else [None]
    return (
        type(small) is cst.Expr
        and type(small.value) is cst.Call
        and type(small.value.func) is cst.Attribute
        and small.value.func.attr.value == "compile"
    )
