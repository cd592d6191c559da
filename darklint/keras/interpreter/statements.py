"""Statements, binding and control flow: the walk in program order.

Branches are walked one after the other and their trainable states merged;
loop bodies are walked twice, so that what a loop does at the end of one
iteration is seen before what it does at the start of the next.  Each
statement is dispatched on its exact node type through a table (an ``is``
check per kind was the walk's cost on big files).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst

from darklint.keras.facts import Loop
from darklint.keras.interpreter.core import Core
from darklint.keras.interpreter.flow import (
    as_parameter,
    element_of,
    merge_states,
    runs_at_least_once,
)
from darklint.keras.interpreter.syntax import periodic, target_names
from darklint.keras.names import dotted
from darklint.keras.values import (
    UNKNOWN,
    BoolVal,
    ClassInfo,
    ClassVal,
    FuncVal,
    GradVal,
    InstanceVal,
    ListVal,
    OpaqueVal,
    TensorVal,
    Value,
)

# Loops over a list of known values walked once per value, up to this many.
MAX_UNROLLED = 8


class Statements(Core):
    def _block(self, body: Sequence[cst.CSTNode]) -> None:
        for statement in body:
            self._statement(statement)

    def _statement(self, node: cst.CSTNode) -> None:
        self._tick()
        handler = STATEMENTS.get(type(node))
        if handler is not None:
            handler(self, node)
        elif isinstance(node, cst.BaseSmallStatement):
            # The body of a one-line compound statement (`if x: d.trainable = False`).
            self._small(node)

    def _small(self, node: cst.BaseSmallStatement) -> None:
        handler = SMALL_STATEMENTS.get(type(node))
        if handler is not None:
            handler(self, node)

    # Simple statements ------------------------------------------------------

    def _simple_line(self, node: cst.SimpleStatementLine | cst.SimpleStatementSuite) -> None:
        for small in node.body:
            self._small(small)

    def _assign_statement(self, node: cst.Assign) -> None:
        value = self._eval(node.value)
        for target in node.targets:
            self._assign(target.target, value, node)

    def _annotated_assign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, self._eval(node.value), node)

    def _expression_statement(self, node: cst.Expr | cst.AugAssign) -> None:
        self._eval(node.value)

    def _return(self, node: cst.Return) -> None:
        self.frame.returns.append(self._eval(node.value) if node.value is not None else UNKNOWN)

    def _global(self, node: cst.Global) -> None:
        self.frame.global_names.update(n.name.value for n in node.names)

    # Compound statements ----------------------------------------------------

    def _argument_test(self, test: cst.BaseExpression) -> bool:
        while type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
            test = test.expression
        return type(test) is cst.Name and test.value in self.frame.params

    def _if(self, node: cst.If, chain: object = None, arm: int = 0) -> None:
        test = self._eval(node.test)
        if isinstance(test, BoolVal) and self._argument_test(node.test):
            # A parameter the call gave or defaulted (`build_disc=True`): in
            # this calling context only that arm runs.  Flags kept elsewhere
            # (`self.use_gan = False`) are settings a user flips: both arms.
            if test.value:
                self._block(node.body.body)
            elif type(node.orelse) is cst.If:
                self._if(node.orelse, chain, arm + 1)
            elif type(node.orelse) is cst.Else:
                self._block(node.orelse.body.body)
            return
        # Outside loops, the arms of one chain exclude each other in a run (in
        # this calling context: a function called twice may take both).
        if chain is None and not self.loops:
            chain = (id(node), tuple(id(frame.call_site) for frame in self.frames))
        before = dict(self.state)
        born = len(self.facts.models)
        periodic_if = bool(self.loops) and periodic(node.test, self._loop_targets())
        if periodic_if:
            self.guards.append((len(self.loops), node))
        # A flag test (`if FLAGS.adversarial:`): what is made under it exists
        # only when the flag is set, which a later `if` on the same flag knows.
        condition = dotted(node.test)
        if condition is not None:
            self.conditions.append(condition)
        if chain is not None:
            self.arms.append((chain, arm))
        try:
            self._block(node.body.body)
        finally:
            if periodic_if:
                self.guards.pop()
            if condition is not None:
                self.conditions.pop()
            if chain is not None:
                self.arms.pop()
        after_body = self.state
        self.state = dict(before)
        if type(node.orelse) is cst.If:
            self._if(node.orelse, chain, arm + 1)
        elif type(node.orelse) is cst.Else:
            if chain is not None:
                self.arms.append((chain, arm + 1))
            try:
                self._block(node.orelse.body.body)
            finally:
                if chain is not None:
                    self.arms.pop()
        merged = merge_states(after_body, self.state, born)
        if condition is not None:
            for model, state in after_body.items():
                if condition in self.facts.models[model].conditions:
                    merged[model] = state  # it does not exist where the flag is unset
        self.state = merged

    def _loop(self, node: cst.For | cst.While) -> None:
        if isinstance(node, cst.For):
            iterable = self._eval(node.iter)
        else:
            self._eval(node.test)
            iterable = UNKNOWN
        before = dict(self.state)
        born = len(self.facts.models)
        self._here(node)  # the loop around what rules report
        context = tuple(id(frame.call_site) for frame in self.frames)
        self.loops.append(Loop(node, self.frame.function, context))
        try:
            # Twice: the second pass sees the state the first one left, as
            # the next iteration would.  Over a short list of known values
            # (`for m in [d, g]:`) each pass binds each of them in turn.
            items: tuple[Value, ...] = (UNKNOWN,)
            if isinstance(iterable, ListVal) and 0 < len(iterable.items) <= MAX_UNROLLED:
                items = iterable.items
            for _ in range(2):
                for item in items:
                    if type(node) is cst.For:
                        element = item if isinstance(iterable, ListVal) else element_of(iterable)
                        self._assign(node.target, element, node)
                    self._block(node.body.body)
        finally:
            self.loops.pop()
        # The body may run zero times, except over a model's layers.
        if not runs_at_least_once(iterable):
            self.state = merge_states(before, self.state, born)
        if node.orelse is not None:
            self._block(node.orelse.body.body)

    def _loop_targets(self) -> set[str]:
        """The names the ``for`` loops around this point bind (``epoch``, ``step``)."""
        return {
            name
            for loop in self.loops
            if type(loop.node) is cst.For
            for name in target_names(loop.node.target)
        }

    def _with(self, node: cst.With) -> None:
        # An object of the project's own class runs its `__enter__` before the
        # body and its `__exit__` after (`with Nontrainable(d):` freezes `d`
        # for the body and restores it).
        exits: list[tuple[cst.FunctionDef, Value, cst.CSTNode]] = []
        for item in node.items:
            value = self._eval(item.item)
            entered = value
            if isinstance(value, InstanceVal):
                enter = value.cls.methods.get("__enter__")
                leave = value.cls.methods.get("__exit__")
                if enter is not None:
                    entered = self._call(enter, [], {}, value, item.item)
                if leave is not None:
                    exits.append((leave, value, item.item))
            if item.asname is not None:
                self._bind(item.asname.name, entered)
        self._block(node.body.body)
        for leave, value, made in reversed(exits):
            self._call(leave, [UNKNOWN, UNKNOWN, UNKNOWN], {}, value, made)

    def _try(self, node: cst.Try | cst.TryStar) -> None:
        self._block(node.body.body)
        for handler in node.handlers:
            self._block(handler.body.body)
        if node.orelse is not None:
            self._block(node.orelse.body.body)
        if node.finalbody is not None:
            self._block(node.finalbody.body.body)

    def _match(self, node: cst.Match) -> None:
        self._eval(node.subject)
        for case in node.cases:
            self._block(case.body.body)

    def _indented(self, node: cst.IndentedBlock) -> None:
        self._block(node.body)

    def _define_function(self, node: cst.FunctionDef) -> None:
        frame = self.frame
        if self.env is not self.entry:
            self.env_of[id(node)] = self.env  # its names are that module's
        if frame.function is None:
            frame.locals[node.name.value] = FuncVal(node)
            if self.env is self.entry:
                self.functions.append(node)  # walked on its own if nobody calls it
        else:
            # A closure: the enclosing frame's names, as they are when it is called.
            frame.locals[node.name.value] = FuncVal(node, closure=frame.locals)
            self.closure_scopes.append(frame.locals)

    def _define_class(self, node: cst.ClassDef) -> None:
        bases = [self._eval(arg.value) for arg in node.bases]
        # Methods of the file's own base classes are inherited (the last base
        # first, as Python's method resolution finds the first one first).
        methods: dict[str, cst.FunctionDef] = {}
        for base in reversed(bases):
            if isinstance(base, ClassVal):
                methods.update(base.info.methods)
        own = [stmt for stmt in node.body.body if type(stmt) is cst.FunctionDef]
        methods.update((stmt.name.value, stmt) for stmt in own)
        keras_model = any(self._is_model_class(base) for base in bases)
        info = ClassInfo(node, methods, keras_model)
        self.made_classes.append(info)
        if self.env is self.entry:
            self.classes.append(info)
        else:
            self.env_of.update((id(stmt), self.env) for stmt in own)
        self.frame.locals[node.name.value] = ClassVal(info)

    # Assignment -------------------------------------------------------------

    def _assign(self, target: cst.BaseExpression, value: Value, statement: cst.CSTNode) -> None:
        if type(target) is cst.Attribute and self._keras_assign(target, value, statement):
            return  # `d.trainable = False`, `vgg.outputs = [...]`
        self._bind(target, value)

    def _bind(self, target: cst.BaseExpression, value: Value) -> None:
        if type(target) is cst.Name:
            frame = self.frame
            scope = self.globals if target.value in frame.global_names else frame.locals
            scope[target.value] = value
            self._name(value, target.value)
        elif type(target) is cst.Attribute:
            owner = self._eval(target.value)
            self._note_owner(target, owner)
            attrs = (
                owner.attrs if isinstance(owner, InstanceVal) else self._keras_store(owner, value)
            )
            if attrs is not None:
                # An attribute can be set from anywhere: no row counts in it.
                attrs[target.attr.value] = as_parameter(value)
                spelled = dotted(target)
                if spelled:
                    self._name(value, spelled)
        elif type(target) is cst.Tuple or type(target) is cst.List:
            items = value.items if isinstance(value, ListVal) else ()
            for index, element in enumerate(target.elements):
                item: Value = UNKNOWN
                if isinstance(value, (TensorVal, GradVal)):
                    # `valid, label = D(img)`: each output carries D's provenance.
                    item = value
                elif index < len(items):
                    item = items[index]
                elif isinstance(value, OpaqueVal):
                    # `generator, discriminator, gan = models`: each part of an
                    # unknown value is unknown, from the same place (a parameter).
                    item = self._opaque_part(value, element)
                self._bind(element.value, item)


Handler = Callable[[Statements, Any], None]

STATEMENTS: dict[type[cst.CSTNode], Handler] = {
    cst.SimpleStatementLine: Statements._simple_line,
    cst.SimpleStatementSuite: Statements._simple_line,
    cst.FunctionDef: Statements._define_function,
    cst.ClassDef: Statements._define_class,
    cst.If: Statements._if,
    cst.For: Statements._loop,
    cst.While: Statements._loop,
    cst.With: Statements._with,
    cst.Try: Statements._try,
    cst.TryStar: Statements._try,
    cst.Match: Statements._match,
    cst.IndentedBlock: Statements._indented,
}
SMALL_STATEMENTS: dict[type[cst.CSTNode], Handler] = {
    cst.Assign: Statements._assign_statement,
    cst.AnnAssign: Statements._annotated_assign,
    cst.AugAssign: Statements._expression_statement,
    cst.Expr: Statements._expression_statement,
    cst.Return: Statements._return,
    cst.Global: Statements._global,
}
