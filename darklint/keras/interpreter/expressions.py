"""Expressions: what each one evaluates to, as an abstract value.

Dispatched on the exact node type through a table; the kinds the walk does
not model still have their subexpressions evaluated (a call inside an
f-string still runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import libcst as cst

from darklint.keras.interpreter.core import Core
from darklint.keras.interpreter.flow import select_layers
from darklint.keras.interpreter.syntax import subexpressions
from darklint.keras.values import (
    UNKNOWN,
    ArrayVal,
    BoolVal,
    GradVal,
    InstanceVal,
    IntVal,
    KerasRef,
    LayerListVal,
    ListVal,
    ModelVal,
    ModuleRef,
    OpaqueVal,
    StrVal,
    TensorVal,
    Value,
    VariablesVal,
    merge_tensors,
    provenance,
)
from darklint.keras.vocabulary import NEWAXIS, kind_of

COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


class Expressions(Core):
    def _eval(self, node: cst.BaseExpression | None) -> Value:
        # The hottest function of the walk (a quarter of a million calls over
        # keras/src): one call level, exact-type checks.
        if node is None:
            return UNKNOWN
        handler = EXPRESSIONS.get(type(node))
        if handler is None:
            return self._unmodelled(node)
        value = handler(self, node)
        if type(value) is OpaqueVal:
            return self.promoted.get(id(value), value)
        return value

    def _unmodelled(self, node: cst.BaseExpression) -> Value:
        """A kind of expression the walk does not model: what runs inside it still runs."""
        for child in subexpressions(node):
            self._eval(child)
        if type(node) in COMPREHENSIONS:
            self._comprehension(node.for_in)  # type: ignore[attr-defined]
        return UNKNOWN

    def _call_node(self, node: cst.Call) -> Value:
        return self._call_expression(node)

    def _integer(self, node: cst.Integer) -> Value:
        return IntVal(int(node.value, 0))

    def _string(self, node: cst.SimpleString) -> Value:
        # Only plain strings: the names of losses and activations.
        return StrVal(node)

    def _sequence(self, node: cst.List | cst.Tuple) -> Value:
        return ListVal(tuple(self._eval(element.value) for element in node.elements))

    def _dict(self, node: cst.Dict) -> Value:
        # Model outputs given as a dict: keep the values' provenance (and the
        # keys: a dict of losses is matched to outputs by name).
        items = [element for element in node.elements if type(element) is cst.DictElement]
        keys = tuple(self._eval(element.key) for element in items)
        return ListVal(
            tuple(self._eval(element.value) for element in items),
            tuple(key.value if isinstance(key, StrVal) else None for key in keys),
        )

    def _unary(self, node: cst.UnaryOperation) -> Value:
        operand = self._eval(node.expression)
        if type(node.operator) is cst.Not and isinstance(operand, BoolVal):
            return BoolVal(not operand.value)
        return operand if isinstance(operand, (GradVal, TensorVal)) else UNKNOWN

    def _named(self, node: cst.NamedExpr) -> Value:
        value = self._eval(node.value)
        self._bind(node.target, value)
        return value

    def _lambda(self, node: cst.Lambda) -> Value:
        return UNKNOWN  # not run where it is written

    def _comprehension(self, node: cst.CompFor | cst.CompIf) -> None:
        if isinstance(node, cst.CompIf):
            self._eval(node.test)
            return
        self._eval(node.iter)
        for condition in node.ifs:
            self._eval(condition.test)
        if node.inner_for_in is not None:
            self._comprehension(node.inner_for_in)

    # Names and attributes ------------------------------------------------

    def _lookup(self, node: cst.Name) -> Value:
        name = node.value
        if name == "True" or name == "False":
            return BoolVal(name == "True")
        frame = self.frames[-1]
        scope = frame.locals
        if name in scope:
            return scope[name]
        scope = frame.closure
        if name in scope:
            return scope[name]
        scope = self.globals
        if name in scope:
            return scope[name]
        return self._imported(node)

    def _imported(self, node: cst.Name | cst.Attribute) -> Value:
        """What the import table says a name is: Keras' API, another module's name, or nothing."""
        qualified = self.imports.qualify(node)
        resolved = kind_of(qualified) if qualified is not None else None
        if resolved is not None:
            return KerasRef(*resolved)
        if self.project is not None:
            # One of the project's own modules: what its code made the name.
            # What importing it does is reported at the import statement.
            anchor = self.imports.statements.get(_root(node), node)
            if qualified is not None:
                found = self._project_value(qualified, anchor)
            elif type(node) is cst.Name and self.imports.other_stars:
                found = self._star_value(node.value, node)
            else:
                found = None
            if found is not None:
                return found
        return ModuleRef(qualified) if qualified is not None else UNKNOWN

    def _attribute(self, node: cst.Attribute) -> Value:
        owner = self._eval(node.value)
        self._note_owner(node, owner)
        if isinstance(owner, (KerasRef, ModuleRef, InstanceVal, ModelVal)):
            return self._attribute_of(owner, node)
        found = self._layer_attribute(owner, node.attr.value)
        if found is not None:
            return found
        if isinstance(owner, (GradVal, TensorVal)) and node.attr.value in ("T", "numpy"):
            return owner
        return UNKNOWN

    # Subscripts ------------------------------------------------------------

    def _subscript(self, node: cst.Subscript) -> Value:
        owner = self._eval(node.value)
        indices = [
            self._eval(element.slice.value)
            for element in node.slice
            if type(element.slice) is cst.Index
        ]
        sliced = any(type(element.slice) is cst.Slice for element in node.slice)
        if isinstance(owner, LayerListVal):
            return select_layers(owner, sliced)
        if isinstance(owner, ListVal) and not sliced and len(node.slice) == 1:
            index = node.slice[0].slice
            if type(index) is cst.Index and type(index.value) is cst.Integer:
                position = int(index.value.value)
                if position < len(owner.items):
                    return owner.items[position]
            return UNKNOWN
        if isinstance(owner, (GradVal, TensorVal)):
            return owner
        return self._rows_selected(node, indices[0] if indices else UNKNOWN)

    def _rows_selected(self, node: cst.Subscript, index_value: Value) -> Value:
        """``x[None]``, ``x[:16]``, ``x[i:i + 16]``, ``x[idx]``: an array of known rows."""
        first = node.slice[0].slice
        if type(first) is cst.Index:
            index = first.value
            if (type(index) is cst.Name and index.value == "None") or (
                isinstance(index_value, ModuleRef) and index_value.qualified == NEWAXIS
            ):
                return ArrayVal(1)
            if isinstance(index_value, ArrayVal) and len(node.slice) == 1:
                return index_value
            return UNKNOWN
        if type(first) is cst.Slice and first.step is None and first.upper is not None:
            upper = first.upper
            if first.lower is None or (
                type(first.lower) is cst.Integer and int(first.lower.value, 0) == 0
            ):
                size = self._eval(upper)
            elif type(upper) is cst.BinaryOperation and type(upper.operator) is cst.Add:
                # `x[start:start + n]`: n rows, whatever `start` is.
                lower = self.module.code_for_node(first.lower)
                left, right = upper.left, upper.right
                if self.module.code_for_node(left) == lower:
                    size = self._eval(right)
                elif self.module.code_for_node(right) == lower:
                    size = self._eval(left)
                else:
                    return UNKNOWN
            else:
                return UNKNOWN
            if isinstance(size, IntVal) and size.value > 0:
                return ArrayVal(size.value)
        return UNKNOWN

    # Operators ----------------------------------------------------------------

    def _binary(self, node: cst.BinaryOperation) -> Value:
        left, right = self._eval(node.left), self._eval(node.right)
        if isinstance(left, VariablesVal) and isinstance(right, VariablesVal):
            return VariablesVal(left.models | right.models)
        perturbed = self._perturb(node, left, right)
        if perturbed is not None:
            return perturbed
        if isinstance(left, TensorVal) or isinstance(right, TensorVal):
            return merge_tensors([provenance(left), provenance(right)])
        return UNKNOWN


def _root(node: cst.Name | cst.Attribute) -> str:
    """The name an attribute chain starts from (``models`` of ``models.nets.build``)."""
    while type(node) is cst.Attribute:
        node = node.value  # type: ignore[assignment]
    return node.value if type(node) is cst.Name else ""


Evaluate = Callable[[Expressions, Any], Value]

EXPRESSIONS: dict[type[cst.CSTNode], Evaluate] = {
    cst.Name: Expressions._lookup,
    cst.Attribute: Expressions._attribute,
    cst.Call: Expressions._call_node,
    cst.Integer: Expressions._integer,
    cst.SimpleString: Expressions._string,
    cst.Subscript: Expressions._subscript,
    cst.List: Expressions._sequence,
    cst.Tuple: Expressions._sequence,
    cst.BinaryOperation: Expressions._binary,
    cst.UnaryOperation: Expressions._unary,
    cst.Dict: Expressions._dict,
    cst.NamedExpr: Expressions._named,
    cst.Lambda: Expressions._lambda,
}
