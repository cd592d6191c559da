"""The abstract walk that builds the semantic model.

It runs the file the way Python would, in program order, over abstract
values instead of real ones: the module body first, calls of functions and
methods of the same file inlined at their call sites (so
``self.discriminator = self.build_discriminator()`` knows it holds a model,
and ``set_trainable(d, False)`` freezes ``d``), then every function and method
nobody called (``__init__`` before the other methods of a class, so that
``self.<attr>`` built there is known in ``train()``).

Branches are walked one after the other and their trainable states merged;
loop bodies are walked twice, so that what a loop does at the end of one
iteration is seen before what it does at the start of the next.  A budget
of walked statements keeps every file's analysis linear in its size even
when the same functions are called from many places.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from darklint.keras.arrays import array_call, as_parameter, reshaped
from darklint.keras.names import ImportTable, dotted
from darklint.keras.semantic import (
    Event,
    EventKind,
    GradientInfo,
    Loop,
    ModelInfo,
    OptimizerInfo,
    Owner,
    SemanticModel,
)
from darklint.keras.values import (
    UNKNOWN,
    ArrayVal,
    BoolVal,
    ClassInfo,
    ClassVal,
    FuncVal,
    GradVal,
    InstanceVal,
    IntVal,
    KerasRef,
    LayerListVal,
    LayerVal,
    ListVal,
    ModelVal,
    ModuleRef,
    OpaqueVal,
    OptVal,
    TapeVal,
    TensorVal,
    Value,
    VariablesVal,
    merge_tensors,
    provenance,
)
from darklint.keras.vocabulary import (
    GRADIENT_STEP_METHODS,
    OPTIMIZER_STEP_METHODS,
    PREDICT_DEFAULT_BATCH_SIZE,
    PREDICT_METHODS,
    REDUCTIONS,
    TRAIN_METHODS,
    TRAINING_HOOKS,
    VARIABLE_ATTRIBUTES,
    Kind,
    has_weights,
)

BOTH = frozenset({True, False})
TRAINABLE_DEFAULT = frozenset({True})
MAX_INLINES_PER_FUNCTION = 16
_CALLED_NAME = re.compile(r"\b(\w+)\s*\(")
_DEFINED_NAME = re.compile(r"\bdef\s+(\w+)\s*\(")
# Nested inlined calls deeper than this return UNKNOWN; each inlined call
# costs about eight Python frames, so the recursion limit is raised to match.
MAX_CALL_DEPTH = 300
RECURSION_LIMIT = 12 * MAX_CALL_DEPTH + 1_000
# What an attribute's owner is, by the kind of its value (``SemanticModel.owners``).
_OWNER_KINDS: dict[type, Owner] = {
    ModelVal: Owner.MODEL,
    OptVal: Owner.OPTIMIZER,
    LayerVal: Owner.LAYER,
    InstanceVal: Owner.OBJECT,
}


@dataclass
class Frame:
    function: cst.FunctionDef | None
    call_site: cst.CSTNode | None
    depth: int
    locals: dict[str, Value] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)
    returns: list[Value] = field(default_factory=list)
    global_names: set[str] = field(default_factory=set)


class _BudgetExhausted(Exception):
    pass


class Interpreter:
    def __init__(self, module: cst.Module, source: str) -> None:
        self.module = module
        self.source = source
        self.imports = ImportTable()
        self.result = SemanticModel()
        self.state: dict[int, frozenset[bool]] = {}
        self.globals: dict[str, Value] = {}
        self.classes: list[ClassInfo] = []
        self.functions: list[cst.FunctionDef] = []
        self.walked: set[int] = set()
        self.inlined: dict[int, int] = {}
        self.active: list[cst.FunctionDef] = []
        self.loops: list[Loop] = []
        self.guards: list[tuple[int, cst.CSTNode]] = []
        self.frames: list[Frame] = []
        self.optimizer_of: dict[int, OptimizerInfo] = {}
        # Values made at one place in one calling context are the same value
        # when a loop body is walked again: `model = Sequential()` in a loop
        # does not make two models.
        self.made: dict[tuple[int, tuple[int, ...]], Value] = {}
        self.promoted: dict[int, ModelVal] = {}
        # Layers the code made: whether each has weights, and the model it went into.
        self.layer_weighted: list[bool] = []
        self.layer_owner: dict[int, int] = {}
        self.helpers: dict[int, bool] = {}
        self.budget = 0

    # Entry ------------------------------------------------------------

    def run(self) -> SemanticModel:
        self._collect_imports(self.module)
        self.result.imports_keras = self.imports.imports_keras
        if not self.result.imports_keras:
            return self.result
        self.budget = 50 * (self.source.count("\n") + 1) + 2_000
        module_frame = Frame(function=None, call_site=None, depth=0)
        module_frame.locals = self.globals
        self.frames.append(module_frame)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
        try:
            self._block(self.module.body)
            for function, cls in self._entries():
                if id(function) not in self.walked:
                    owner = self._instance(cls, None) if cls is not None else None
                    self._call(function, [], {}, owner, None)
        except (_BudgetExhausted, RecursionError):
            # What was found so far stands; the rest of the file is not analysed.
            pass
        finally:
            sys.setrecursionlimit(limit)
        return self.result

    def _trainable_helper(self, function: cst.FunctionDef) -> bool:
        # Cached per file (a module-level cache would keep every file's tree alive).
        key = id(function)
        if key not in self.helpers:
            self.helpers[key] = _only_sets_trainable(function)
        return self.helpers[key]

    def _entries(self) -> list[tuple[cst.FunctionDef, ClassInfo | None]]:
        """Functions and methods nobody called yet, callers before callees.

        A helper walked on its own sees unknown arguments; walked from its
        caller it sees the real ones. So functions that nothing in the file
        calls (by name, in the text: this only orders the walk) go first,
        and ``__init__`` before the other methods of its class.
        """
        calls = collections.Counter(_CALLED_NAME.findall(self.source))
        for name in _DEFINED_NAME.findall(self.source):
            calls[name] -= 1
        entries: list[tuple[cst.FunctionDef, ClassInfo | None]] = [
            (f, None) for f in self.functions
        ]
        for cls in self.classes:
            entries.extend((method, cls) for method in cls.methods.values())

        def called(entry: tuple[cst.FunctionDef, ClassInfo | None]) -> bool:
            function, cls = entry
            # `__init__` runs when its class is called (`super().__init__(` aside).
            name = (
                cls.node.name.value
                if cls is not None and function.name.value == "__init__"
                else function.name.value
            )
            return calls[name] > 0

        return sorted(entries, key=lambda entry: (called(entry), entry[0].name.value != "__init__"))

    def _collect_imports(self, node: cst.CSTNode) -> None:
        # Imports anywhere in the file count (inside functions too); the
        # table is one per file, as names rarely change meaning within one.
        for child in _walk(node):
            if type(child) is cst.Import or type(child) is cst.ImportFrom:
                self.imports.add(child)

    # Statements ---------------------------------------------------------

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def _tick(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _BudgetExhausted

    def _block(self, body: Sequence[cst.CSTNode]) -> None:
        for statement in body:
            self._statement(statement)

    def _statement(self, node: cst.CSTNode) -> None:
        self._tick()
        if type(node) is cst.SimpleStatementLine or type(node) is cst.SimpleStatementSuite:
            for small in node.body:
                self._small(small)
        elif type(node) is cst.FunctionDef:
            self._define_function(node)
        elif type(node) is cst.ClassDef:
            self._define_class(node)
        elif type(node) is cst.If:
            self._if(node)
        elif type(node) is cst.For or type(node) is cst.While:
            self._loop(node)
        elif type(node) is cst.With:
            for item in node.items:
                value = self._eval(item.item)
                if item.asname is not None:
                    self._bind(item.asname.name, value)
            self._block(node.body.body)
        elif type(node) is cst.Try or type(node) is cst.TryStar:
            self._block(node.body.body)
            for handler in node.handlers:
                self._block(handler.body.body)
            if node.orelse is not None:
                self._block(node.orelse.body.body)
            if node.finalbody is not None:
                self._block(node.finalbody.body.body)
        elif type(node) is cst.Match:
            self._eval(node.subject)
            for case in node.cases:
                self._block(case.body.body)
        elif type(node) is cst.IndentedBlock:
            self._block(node.body)
        elif isinstance(node, cst.BaseSmallStatement):
            # The body of a one-line compound statement (`if x: d.trainable = False`).
            self._small(node)

    def _small(self, node: cst.BaseSmallStatement) -> None:
        if type(node) is cst.Assign:
            value = self._eval(node.value)
            for target in node.targets:
                self._assign(target.target, value, node)
        elif type(node) is cst.AnnAssign and node.value is not None:
            self._assign(node.target, self._eval(node.value), node)
        elif type(node) is cst.AugAssign or type(node) is cst.Expr:
            self._eval(node.value)
        elif type(node) is cst.Return:
            self.frame.returns.append(self._eval(node.value) if node.value is not None else UNKNOWN)
        elif type(node) is cst.Global:
            self.frame.global_names.update(n.name.value for n in node.names)

    def _if(self, node: cst.If) -> None:
        self._eval(node.test)
        before = dict(self.state)
        born = len(self.result.models)
        periodic = bool(self.loops) and _periodic(node.test, self._loop_targets())
        if periodic:
            self.guards.append((len(self.loops), node))
        try:
            self._block(node.body.body)
        finally:
            if periodic:
                self.guards.pop()
        after_body = self.state
        self.state = dict(before)
        if type(node.orelse) is cst.If:
            self._if(node.orelse)
        elif type(node.orelse) is cst.Else:
            self._block(node.orelse.body.body)
        self.state = _merge(after_body, self.state, born)

    def _loop(self, node: cst.For | cst.While) -> None:
        if isinstance(node, cst.For):
            iterable = self._eval(node.iter)
        else:
            self._eval(node.test)
            iterable = UNKNOWN
        before = dict(self.state)
        born = len(self.result.models)
        self.loops.append(Loop(node, self.frame.function))
        try:
            # Twice: the second pass sees the state the first one left, as
            # the next iteration would.
            for _ in range(2):
                if type(node) is cst.For:
                    self._assign(node.target, _element(iterable), node)
                self._block(node.body.body)
        finally:
            self.loops.pop()
        # The body may run zero times, except over a model's layers.
        if not (isinstance(iterable, LayerListVal) and iterable.whole):
            self.state = _merge(before, self.state, born)
        if node.orelse is not None:
            self._block(node.orelse.body.body)

    def _loop_targets(self) -> set[str]:
        """The names the ``for`` loops around this point bind (``epoch``, ``step``)."""
        return {
            name
            for loop in self.loops
            if type(loop.node) is cst.For
            for name in _target_names(loop.node.target)
        }

    def _define_function(self, node: cst.FunctionDef) -> None:
        self.frame.locals[node.name.value] = FuncVal(node)
        if self.frame.function is None:
            self.functions.append(node)

    def _define_class(self, node: cst.ClassDef) -> None:
        methods = {
            stmt.name.value: stmt for stmt in node.body.body if type(stmt) is cst.FunctionDef
        }
        keras_model = any(
            (isinstance(base := self._eval(arg.value), KerasRef) and base.kind is Kind.MODEL_CLASS)
            or (isinstance(base, ClassVal) and base.info.keras_model)
            for arg in node.bases
        )
        info = ClassInfo(node, methods, keras_model)
        self.classes.append(info)
        self.frame.locals[node.name.value] = ClassVal(info)

    # Assignment -----------------------------------------------------------

    def _assign(self, target: cst.BaseExpression, value: Value, statement: cst.CSTNode) -> None:
        if type(target) is cst.Attribute and target.attr.value == "trainable":
            self._set_trainable(target.value, value, statement)
            return
        if type(target) is cst.Attribute and target.attr.value in ("output", "outputs"):
            owner = self._eval(target.value)
            intermediate = provenance(value).intermediate_of
            if isinstance(owner, ModelVal) and intermediate:
                # `vgg.outputs = [vgg.layers[9].output]` truncates the model itself.
                info = self.result.models[owner.id]
                info.feature_of, info.feature_anchor = min(intermediate), statement
            return
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
            attrs = self._attrs(owner)
            if attrs is not None:
                # An attribute can be set from anywhere: no row counts in it.
                attrs[target.attr.value] = as_parameter(value)
                spelled = dotted(target)
                if spelled:
                    self._name(value, spelled)
                if isinstance(owner, ModelVal) and isinstance(value, ModelVal):
                    self._contain(owner.id, {value.id})
                if isinstance(owner, ModelVal):
                    # A loss on perturbed inputs kept on the model (a `losses` property reads it).
                    self.result.models[owner.id].adversarial |= provenance(value).perturbed
        elif type(target) is cst.Tuple or type(target) is cst.List:
            items = value.items if isinstance(value, ListVal) else ()
            for index, element in enumerate(target.elements):
                item: Value = UNKNOWN
                if isinstance(value, (TensorVal, GradVal)):
                    # `valid, label = D(img)`: each output carries D's provenance.
                    item = value
                elif index < len(items):
                    item = items[index]
                self._bind(element.value, item)

    def _attrs(self, owner: Value) -> dict[str, Value] | None:
        if isinstance(owner, InstanceVal):
            return owner.attrs
        if isinstance(owner, ModelVal):
            return self.result.models[owner.id].attrs  # type: ignore[return-value]
        return None

    def _name(self, value: Value, spelled: str) -> None:
        if isinstance(value, OpaqueVal):
            value.names.append((self.frame.depth, spelled))
        elif isinstance(value, ModelVal):
            self.result.models[value.id].names.append((self.frame.depth, spelled))
        elif isinstance(value, OptVal):
            value.info.names.append(spelled)

    def _set_trainable(
        self, owner_node: cst.BaseExpression, value: Value, statement: cst.CSTNode
    ) -> None:
        owner = self._eval(owner_node)
        if isinstance(owner, OpaqueVal) and isinstance(value, BoolVal):
            # `d = get_discriminator(); d.trainable = False` in a Keras file.
            owner = self._promote(owner, statement)
        partial = False
        if isinstance(owner, ModelVal):
            model = owner.id
        elif isinstance(owner, LayerVal):
            of = owner.of
            if of is None and owner.layer is not None:
                of = self.layer_owner.get(owner.layer)
            if of is None:
                return
            model = of
            # Some of the model's layers (`m.layers[-4:]`, `m.get_layer("x")`,
            # a layer kept from the build): its weights change, its flag does not.
            partial = not (owner.whole and owner.of is not None)
        else:
            return
        new = frozenset({value.value}) if isinstance(value, BoolVal) else BOTH
        if partial:
            self._event(
                EventKind.TRAINABLE,
                model,
                self._anchor(owner_node, statement),
                value=new,
                before=BOTH,
                partial=True,
            )
            return
        before = self.state.get(model, TRAINABLE_DEFAULT)
        self.state[model] = new
        self._event(
            EventKind.TRAINABLE,
            model,
            self._anchor(owner_node, statement),
            value=new,
            before=before,
        )

    def _anchor(self, owner_node: cst.BaseExpression, statement: cst.CSTNode) -> cst.CSTNode:
        """Report a freeze done by a one-purpose helper (``set_trainable(d, False)``) at its call site."""
        root = owner_node
        while type(root) is cst.Attribute or type(root) is cst.Subscript:
            root = root.value
        frame = self.frame
        # The helper freezes what it was given: its parameter, or the layers
        # of its parameter through a loop variable.
        about_argument = type(root) is cst.Name and (
            root.value in frame.params
            or root.value == "self"
            or isinstance(frame.locals.get(root.value), LayerVal)
        )
        if (
            about_argument
            and frame.function is not None
            and frame.call_site is not None
            and self._trainable_helper(frame.function)
        ):
            return frame.call_site
        return statement

    # Events -----------------------------------------------------------------

    def _event(self, kind: EventKind, model: int, node: cst.CSTNode, **details: object) -> Event:
        frame_function = next(
            (f.function for f in reversed(self.frames) if f.function is not None), None
        )
        event = Event(
            kind=kind,
            model=model,
            node=node,
            index=len(self.result.trace),
            loops=tuple(self.loops),
            function=frame_function,
            guards=tuple(self.guards),
            **details,  # type: ignore[arg-type]
        )
        self.result.trace.append(event)
        return event

    def _new_model(
        self,
        node: cst.CSTNode,
        kind: str,
        contains: Iterable[int] = (),
        feature_of: int | None = None,
    ) -> ModelVal:
        key = self._key(node)
        existing = self.made.get(key)
        if isinstance(existing, ModelVal):
            self._contain(existing.id, set(contains))
            return existing
        model_id = len(self.result.models)
        self.result.models[model_id] = ModelInfo(
            model_id,
            node,
            kind,
            set(contains),
            feature_of,
            created_at=len(self.result.trace),
            loops=tuple(self.loops),
        )
        self.result.models[model_id].feature_anchor = node if feature_of is not None else None
        self.result.containment_changed(closures=False)
        self.made[key] = ModelVal(model_id)
        return ModelVal(model_id)

    def _key(self, node: cst.CSTNode) -> tuple[int, tuple[int, ...]]:
        return (id(node), tuple(id(frame.call_site) for frame in self.frames))

    def _opaque(self, node: cst.CSTNode) -> Value:
        key = self._key(node)
        if key not in self.made:
            self.made[key] = OpaqueVal(node)
        return self.made[key]

    def _promote(self, value: Value, node: cst.CSTNode) -> Value:
        """Use an opaque value as a Keras model from now on."""
        if not isinstance(value, OpaqueVal):
            return value
        if id(value) not in self.promoted:
            model = self._new_model(value.node or node, "inferred")
            self.result.models[model.id].names.extend(value.names)
            self.promoted[id(value)] = model
        return self.promoted[id(value)]

    def _contain(self, outer: int, inner: set[int]) -> None:
        inner = inner - {outer}
        if inner:
            self.result.models[outer].contains |= inner
            self.result.containment_changed()

    def _new_optimizer(self, node: cst.CSTNode) -> OptVal:
        key = self._key(node)
        existing = self.made.get(key)
        if isinstance(existing, OptVal):
            return existing
        info = OptimizerInfo(len(self.result.optimizers), node, loops=tuple(self.loops))
        self.result.optimizers[info.id] = info
        self.made[key] = OptVal(info)
        return OptVal(info)

    # Expressions --------------------------------------------------------------

    def _eval(self, node: cst.BaseExpression | None) -> Value:
        value = self._eval_raw(node)
        if isinstance(value, OpaqueVal):
            return self.promoted.get(id(value), value)
        return value

    def _eval_raw(self, node: cst.BaseExpression | None) -> Value:
        if node is None:
            return UNKNOWN
        if type(node) is cst.Name:
            return self._lookup(node)
        if type(node) is cst.Attribute:
            return self._attribute(node)
        if type(node) is cst.Call:
            return self._call_expression(node)
        if type(node) is cst.Integer:
            return IntVal(int(node.value, 0))
        if type(node) is cst.Subscript:
            return self._subscript(node)
        if type(node) is cst.List or type(node) is cst.Tuple:
            return ListVal(tuple(self._eval(element.value) for element in node.elements))
        if type(node) is cst.BinaryOperation:
            return self._binary(node)
        if type(node) is cst.UnaryOperation:
            operand = self._eval(node.expression)
            if type(node.operator) is cst.Not and isinstance(operand, BoolVal):
                return BoolVal(not operand.value)
            return operand if isinstance(operand, (GradVal, TensorVal)) else UNKNOWN
        if type(node) is cst.Dict:
            # Model outputs given as a dict: keep the values' provenance.
            return ListVal(
                tuple(
                    self._eval(element.value)
                    for element in node.elements
                    if type(element) is cst.DictElement
                )
            )
        if type(node) is cst.NamedExpr:
            value = self._eval(node.value)
            self._bind(node.target, value)
            return value
        if type(node) is cst.Lambda:
            return UNKNOWN  # not run where it is written
        for child in _subexpressions(node):
            self._eval(child)
        if (
            type(node) is cst.ListComp
            or type(node) is cst.SetComp
            or type(node) is cst.GeneratorExp
            or type(node) is cst.DictComp
        ):
            self._comprehension(node.for_in)
        return UNKNOWN

    def _comprehension(self, node: cst.CompFor | cst.CompIf) -> None:
        if isinstance(node, cst.CompIf):
            self._eval(node.test)
            return
        self._eval(node.iter)
        for condition in node.ifs:
            self._eval(condition.test)
        if node.inner_for_in is not None:
            self._comprehension(node.inner_for_in)

    def _lookup(self, node: cst.Name) -> Value:
        name = node.value
        if name in ("True", "False"):
            return BoolVal(name == "True")
        for scope in (self.frame.locals, self.globals):
            if name in scope:
                return scope[name]
        return self._imported(node)

    def _imported(self, node: cst.Name | cst.Attribute) -> Value:
        resolved = self.imports.keras_kind(node)
        if resolved is not None:
            return KerasRef(*resolved)
        qualified = self.imports.qualify(node)
        return ModuleRef(qualified) if qualified is not None else UNKNOWN

    def _note_owner(self, node: cst.Attribute, owner: Value) -> None:
        kind = _OWNER_KINDS.get(type(owner))
        if kind is not None and self.result.owners.get(node) in (None, Owner.OBJECT):
            self.result.owners[node] = kind

    def _attribute(self, node: cst.Attribute) -> Value:
        owner = self._eval(node.value)
        self._note_owner(node, owner)
        attr = node.attr.value
        if isinstance(owner, (KerasRef, ModuleRef, InstanceVal, ModelVal)):
            return self._attribute_of(owner, node)
        if isinstance(owner, LayerVal) and attr in ("output", "outputs", "input", "inputs"):
            intermediate = (
                frozenset({owner.of})
                if owner.of is not None and attr.startswith("output")
                else frozenset()
            )
            models = frozenset({owner.of}) if owner.of is not None else frozenset()
            return TensorVal(models, frozenset(), intermediate)
        if isinstance(owner, (GradVal, TensorVal)) and attr in ("T", "numpy"):
            return owner
        return UNKNOWN

    def _model_attribute(self, owner: ModelVal, attr: str) -> Value:
        info = self.result.models[owner.id]
        if attr in info.attrs:
            return info.attrs[attr]  # type: ignore[return-value]
        if attr in ("input", "inputs"):
            return TensorVal(frozenset({owner.id}), frozenset({owner.id}))
        if attr in ("output", "outputs"):
            return TensorVal(frozenset({owner.id}))
        if attr == "layers":
            return LayerListVal(owner.id, whole=True)
        if attr in VARIABLE_ATTRIBUTES:
            return VariablesVal(frozenset({owner.id}))
        if attr == "optimizer" and owner.id in self.optimizer_of:
            return OptVal(self.optimizer_of[owner.id])
        cls = self._class_of(owner)
        if cls is not None and attr in cls.methods:
            return FuncVal(cls.methods[attr], owner)
        return UNKNOWN

    def _class_of(self, model: ModelVal) -> ClassInfo | None:
        node = self.result.models[model.id].node
        return next(
            (cls for cls in self.classes if cls.instance == model or cls.node is node), None
        )

    def _subscript(self, node: cst.Subscript) -> Value:
        owner = self._eval(node.value)
        indices = [
            self._eval(element.slice.value)
            for element in node.slice
            if type(element.slice) is cst.Index
        ]
        sliced = any(type(element.slice) is cst.Slice for element in node.slice)
        if isinstance(owner, LayerListVal):
            return LayerListVal(owner.of, whole=False) if sliced else LayerVal(owner.of)
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
                isinstance(index_value, ModuleRef) and index_value.qualified == "numpy.newaxis"
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

    def _binary(self, node: cst.BinaryOperation) -> Value:
        left, right = self._eval(node.left), self._eval(node.right)
        if isinstance(left, VariablesVal) and isinstance(right, VariablesVal):
            return VariablesVal(left.models | right.models)
        grads = [side for side in (left, right) if isinstance(side, GradVal)]
        if grads:
            if (type(node.operator) is cst.Add or type(node.operator) is cst.Subtract) and len(
                grads
            ) == 1:
                # x + eps * sign(grad): the gradient becomes a perturbed input.
                info = grads[0].info
                info.perturbs_inputs = True
                base = provenance(left if grads[0] is right else right)
                return dataclasses.replace(base, perturbed=base.perturbed | {info.id})
            return grads[0]
        if isinstance(left, TensorVal) or isinstance(right, TensorVal):
            return merge_tensors([provenance(left), provenance(right)])
        return UNKNOWN

    # Calls ---------------------------------------------------------------------

    def _call_expression(self, node: cst.Call) -> Value:
        func = node.func
        if type(func) is cst.Attribute:
            receiver = self._eval(func.value)
            self._note_owner(func, receiver)
            method = func.attr.value
            args, kwargs = self._arguments(node)
            handled = self._method_call(node, receiver, method, args, kwargs)
            if handled is not None:
                return handled
            callee = self._attribute_of(receiver, func)
        else:
            callee = self._eval(func)
            args, kwargs = self._arguments(node)
        return self._apply(node, callee, args, kwargs)

    def _attribute_of(self, receiver: Value, node: cst.Attribute) -> Value:
        """``receiver.attr`` for what can carry attributes or methods (also callees)."""
        attr = node.attr.value
        if isinstance(receiver, (KerasRef, ModuleRef)):
            return self._imported(node)
        if isinstance(receiver, InstanceVal):
            if attr in receiver.attrs:
                return receiver.attrs[attr]
            method = receiver.cls.methods.get(attr)
            return FuncVal(method, receiver) if method is not None else UNKNOWN
        if isinstance(receiver, ModelVal):
            return self._model_attribute(receiver, attr)
        return UNKNOWN

    def _arguments(self, node: cst.Call) -> tuple[list[Value], dict[str, Value]]:
        args: list[Value] = []
        kwargs: dict[str, Value] = {}
        for arg in node.args:
            value = self._eval(arg.value)
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            elif not arg.star:
                args.append(value)
        return args, kwargs

    def _method_call(
        self,
        node: cst.Call,
        receiver: Value,
        method: str,
        args: list[Value],
        kwargs: dict[str, Value],
    ) -> Value | None:
        """Keras model methods and tape methods; None when it is an ordinary call."""
        if isinstance(receiver, TapeVal):
            return self._tape_call(node, receiver, method, args)
        if method == "reshape" and (
            receiver is UNKNOWN or isinstance(receiver, (ArrayVal, OpaqueVal, TensorVal))
        ):
            # `state.reshape(1, -1)`: one row, whatever `state` was (a
            # tensor keeps where it came from).
            array = reshaped(args)
            if array is not None and isinstance(receiver, TensorVal):
                return dataclasses.replace(receiver, rows=array.rows)
            return array
        if (
            method in GRADIENT_STEP_METHODS and not isinstance(receiver, (ModuleRef, KerasRef))
        ) or (method in OPTIMIZER_STEP_METHODS and isinstance(receiver, OptVal)):
            # `scipy.optimize.minimize` is a module function, not an optimizer step.
            self._event(
                EventKind.STEP,
                -1,
                node,
                perturbed=_perturbed(args, kwargs),
                optimizer=receiver.info if isinstance(receiver, OptVal) else None,
                variables=_variables([*args, *kwargs.values()]),
            )
            return UNKNOWN
        if (
            isinstance(receiver, OpaqueVal)
            and method == "compile"
            and _compiles_keras(args, kwargs)
        ):
            receiver = self._promote(receiver, node)
        if isinstance(receiver, (TensorVal, GradVal)):
            # `x_adv.clip(0, 1)`, `grad.numpy()`: element-wise, the same tensor;
            # `grad.sum()`: a reduction is no longer shaped like the input.
            return UNKNOWN if method in REDUCTIONS else receiver
        if not isinstance(receiver, ModelVal):
            return None
        model = receiver.id
        cls = self._class_of(receiver)
        if cls is not None and method in cls.methods and method != "compile":
            return None  # a method the user wrote: inline it
        if method == "compile":
            self._compile(node, model, args, kwargs)
            if cls is not None and "compile" in cls.methods:
                self._call(cls.methods["compile"], args, kwargs, receiver, node)
            return UNKNOWN
        if method in TRAIN_METHODS:
            self._event(
                EventKind.TRAIN,
                model,
                node,
                method=method,
                states=self._states(model),
                perturbed=_perturbed(args, kwargs),
            )
            return UNKNOWN
        if method in PREDICT_METHODS:
            rows = _rows(args[0] if args else kwargs.get("x", UNKNOWN))
            self._event(
                EventKind.PREDICT,
                model,
                node,
                method=method,
                rows=rows,
                batch_size=_predict_batch_size(args, kwargs),
            )
            # One output row per input row.
            return TensorVal(frozenset({model}), rows=rows)
        if method == "add" and args:
            added = self._promote(args[0], node)
            self._contain(model, set(provenance(added).models))
            self._add_weights(model, [added])
            return UNKNOWN
        if method == "get_layer":
            return LayerVal(model)
        if method == "add_loss":
            self.result.models[model].adversarial |= _perturbed(args, kwargs)
            return UNKNOWN
        return None

    def _compile(
        self, node: cst.Call, model: int, args: list[Value], kwargs: dict[str, Value]
    ) -> None:
        optimizer_value = kwargs.get("optimizer", args[0] if args else UNKNOWN)
        optimizer = optimizer_value.info if isinstance(optimizer_value, OptVal) else None
        self._event(EventKind.COMPILE, model, node, states=self._states(model), optimizer=optimizer)
        if optimizer is not None:
            self.optimizer_of[model] = optimizer
        else:
            self.optimizer_of.pop(model, None)

    def _states(self, model: int) -> dict[int, frozenset[bool]]:
        """The trainable state of a model and of everything it contains, now."""
        return {
            inner: self.state.get(inner, TRAINABLE_DEFAULT) for inner in self.result.closure(model)
        }

    def _tape_call(self, node: cst.Call, tape: TapeVal, method: str, args: list[Value]) -> Value:
        if method == "watch" and node.args:
            spelled = dotted(node.args[0].value)
            if spelled:
                tape.watched.add(spelled)
            return UNKNOWN
        if method == "gradient" and len(node.args) >= 2:
            source = node.args[1].value
            # `tape.gradient(loss, [x])` is as common as `tape.gradient(loss, x)`.
            sources = (
                [element.value for element in source.elements]
                if (type(source) is cst.List or type(source) is cst.Tuple)
                else [source]
            )
            watched = any(dotted(item) in tape.watched for item in sources)
            wrt = args[1] if len(args) > 1 else UNKNOWN
            wrt_tensor = provenance(wrt) if isinstance(wrt, ListVal) else wrt
            if watched or (isinstance(wrt_tensor, TensorVal) and wrt_tensor.input_of):
                return GradVal(self._gradient(node, backend_call=False))
            # Weight gradients of a loss on perturbed inputs: adversarial training.
            loss = provenance(args[0]) if args else TensorVal()
            if loss.perturbed:
                return TensorVal(perturbed=loss.perturbed)
        return UNKNOWN

    def _gradient(self, node: cst.Call, backend_call: bool) -> GradientInfo:
        # One record per call site, however often a loop walks it.
        for info in self.result.gradients:
            if info.node is node:
                return info
        info = GradientInfo(
            node,
            backend_call=backend_call,
            function=self.frame.function,
            id=len(self.result.gradients),
        )
        self.result.gradients.append(info)
        return info

    def _apply(
        self, node: cst.Call, callee: Value, args: list[Value], kwargs: dict[str, Value]
    ) -> Value:
        if isinstance(callee, KerasRef):
            return self._keras_call(node, callee, args, kwargs)
        if isinstance(callee, ModelVal):
            tensors = merge_tensors(provenance(a) for a in [*args, *kwargs.values()])
            return TensorVal(
                tensors.models | {callee.id},
                frozenset(),
                tensors.intermediate_of,
                perturbed=tensors.perturbed,
            )
        if isinstance(callee, GradVal):
            # `K.function([model.input], K.gradients(loss, model.input))([x])`: the values.
            return callee
        if isinstance(callee, TensorVal) and callee.perturbed:
            # `fgsm = K.function([model.input], [x_adv])`, then `fgsm([x])`.
            return merge_tensors([callee, *(provenance(a) for a in args)])
        if isinstance(callee, FuncVal):
            return self._call(callee.node, args, kwargs, callee.self_value, node)
        if isinstance(callee, ClassVal):
            return self._instantiate(callee.info, node, args, kwargs)
        if isinstance(callee, LayerVal):
            output = merge_tensors(provenance(a) for a in args)
            layer = callee.layer
            if layer is not None and self.layer_weighted[layer]:
                return dataclasses.replace(output, layers=output.layers | {layer})
            return output
        name = _callee_name(node.func)
        if name == "GradientTape":
            return TapeVal()
        if name == "super" and type(node.func) is cst.Name:
            # `super().compile(...)` inside an override: Keras' own method on
            # the same model, whose call the caller already recorded.
            return UNKNOWN
        if isinstance(callee, ModuleRef):
            array = array_call(callee.qualified, args, kwargs, literal_list=_literal_list(node))
            if array is not None:
                return array
        grads = [a for a in args if isinstance(a, GradVal)]
        if grads:
            return UNKNOWN if name in REDUCTIONS else grads[0]
        if _variables(args):
            # `zip(grads, model.trainable_variables)`, `list(...)` of it: what
            # the gradients were computed from stays with the variables.
            return ListVal(tuple(args))
        arg_tensors = [provenance(a) for a in args]
        if any(t.models or t.input_of or t.perturbed for t in arg_tensors):
            return merge_tensors(arg_tensors)
        if callee is UNKNOWN or isinstance(callee, ModuleRef):
            # `d = get_discriminator()` from another module: maybe a model.
            return self._opaque(node)
        return UNKNOWN

    def _keras_call(
        self, node: cst.Call, callee: KerasRef, args: list[Value], kwargs: dict[str, Value]
    ) -> Value:
        if callee.kind is Kind.MODEL_CLASS:
            return self._construct_model(node, callee, args, kwargs)
        if callee.kind is Kind.MODEL_FACTORY:
            return self._new_model(node, "loaded")
        if callee.kind is Kind.OPTIMIZER:
            if callee.path.endswith("get") and args and isinstance(args[0], OptVal):
                return args[0]  # `optimizers.get(opt)` is `opt`
            return self._new_optimizer(node)
        if callee.kind is Kind.INPUT:
            return TensorVal()
        if callee.kind is Kind.LAYER:
            return self._new_layer(node, callee.path)
        if callee.kind is Kind.BACKEND and callee.path.split(".")[-1] == "gradients":
            return self._backend_gradients(node, args)
        grads = [a for a in args if isinstance(a, GradVal)]
        if grads:
            return UNKNOWN if callee.path.split(".")[-1] in REDUCTIONS else grads[0]
        array = array_call(f"keras.{callee.path}", args, kwargs, literal_list=_literal_list(node))
        if array is not None:
            return array
        return merge_tensors(provenance(a) for a in [*args, *kwargs.values()])

    def _backend_gradients(self, node: cst.Call, args: list[Value]) -> Value:
        wrt = args[1] if len(args) > 1 else UNKNOWN
        source = node.args[1].value if len(node.args) > 1 else None
        if type(source) is cst.Attribute and source.attr.value in ("input", "inputs"):
            # `model.input` of a model passed in as a parameter: still an input.
            return GradVal(self._gradient(node, backend_call=True))
        if isinstance(wrt, ListVal):
            wrt = merge_tensors(provenance(item) for item in wrt.items)
        if isinstance(wrt, TensorVal) and (wrt.input_of or not wrt.models):
            return GradVal(self._gradient(node, backend_call=True))
        return UNKNOWN

    def _construct_model(
        self, node: cst.Call, callee: KerasRef, args: list[Value], kwargs: dict[str, Value]
    ) -> Value:
        if callee.path.split(".")[-1] == "Sequential":
            layers = args[0] if args else kwargs.get("layers", UNKNOWN)
            items = layers.items if isinstance(layers, ListVal) else ()
            # Whatever goes into a Keras Sequential is a Keras model or layer.
            promoted = [self._promote(item, node) for item in items]
            inner = {item.id for item in promoted if isinstance(item, ModelVal)}
            model = self._new_model(node, "sequential", inner)
            known = isinstance(layers, ListVal) or (not args and "layers" not in kwargs)
            info = self.result.models[model.id]
            info.weights = frozenset() if known else None
            self._add_weights(model.id, promoted)
            return model
        inputs = kwargs.get("inputs", kwargs.get("input", args[0] if args else UNKNOWN))
        outputs = kwargs.get("outputs", kwargs.get("output", args[1] if len(args) > 1 else UNKNOWN))
        ins, outs = provenance(inputs), provenance(outputs)
        feature_of = min(outs.intermediate_of) if outs.intermediate_of else None
        contained = set(ins.models | outs.models)
        model = self._new_model(node, "functional", contained, feature_of)
        for layer in outs.layers:
            self.layer_owner.setdefault(layer, model.id)
        if outs.layers:
            self.result.models[model.id].weights = frozenset(
                {("layer", layer) for layer in outs.layers}
                | {("model", inner) for inner in contained}
            )
        return model

    def _new_layer(self, node: cst.CSTNode, path: str) -> LayerVal:
        key = self._key(node)
        existing = self.made.get(key)
        if isinstance(existing, LayerVal):
            return existing
        layer = LayerVal(None, layer=len(self.layer_weighted))
        self.layer_weighted.append(has_weights(path))
        self.made[key] = layer
        return layer

    def _add_weights(self, model: int, items: Iterable[Value]) -> None:
        """Layers and models put into a ``Sequential``: its variables, and the layers' model."""
        info = self.result.models[model]
        for item in items:
            if isinstance(item, LayerVal) and item.layer is not None:
                self.layer_owner.setdefault(item.layer, model)
                if info.weights is not None and self.layer_weighted[item.layer]:
                    info.weights |= {("layer", item.layer)}
            elif isinstance(item, ModelVal) and item.id != model:
                if info.weights is not None:
                    info.weights |= {("model", item.id)}
            else:
                info.weights = None

    def _instantiate(
        self, cls: ClassInfo, node: cst.Call, args: list[Value], kwargs: dict[str, Value]
    ) -> Value:
        if cls.keras_model:
            model = self._new_model(node, "subclass")
            self.result.models[model.id].overrides = _training_hooks(cls)
            instance: Value = model
            if cls.instance is None:
                cls.instance = instance
        elif cls.instance is not None:
            return cls.instance
        else:
            instance = cls.instance = InstanceVal(cls)
        init = cls.methods.get("__init__")
        if init is not None:
            self._call(init, args, kwargs, instance, node)
        return instance

    def _instance(self, cls: ClassInfo, node: cst.CSTNode | None) -> Value:
        if cls.instance is None:
            if cls.keras_model:
                model = self._new_model(node or cls.node, "subclass")
                self.result.models[model.id].overrides = _training_hooks(cls)
                cls.instance = model
            else:
                cls.instance = InstanceVal(cls)
        return cls.instance

    def _call(
        self,
        function: cst.FunctionDef,
        args: list[Value],
        kwargs: dict[str, Value],
        self_value: Value | None,
        call_site: cst.CSTNode | None,
    ) -> Value:
        helper = self._trainable_helper(function)
        if (
            function in self.active
            or len(self.frames) > MAX_CALL_DEPTH
            or (not helper and self.inlined.get(id(function), 0) >= MAX_INLINES_PER_FUNCTION)
        ):
            # Trainable helpers are always applied: each call changes the state.
            return UNKNOWN
        self.inlined[id(function)] = self.inlined.get(id(function), 0) + 1
        self.walked.add(id(function))
        frame = Frame(function, call_site, len(self.frames))
        params = [*function.params.posonly_params, *function.params.params]
        positional = list(args)
        if self_value is not None and params:
            frame.locals[params[0].name.value] = self_value
            params = params[1:]
        for param in [*params, *function.params.kwonly_params]:
            name = param.name.value
            frame.params.add(name)
            if positional and param in params:
                frame.locals[name] = as_parameter(positional.pop(0))
            elif name in kwargs:
                frame.locals[name] = as_parameter(kwargs[name])
            elif param.default is not None:
                frame.locals[name] = as_parameter(self._eval(param.default))
            elif call_site is None:
                # A function nobody in this file calls: its arguments are unknown
                # but may turn out to be models from how they are used.
                frame.locals[name] = self._opaque(param)
                self._name(frame.locals[name], name)
            else:
                frame.locals[name] = UNKNOWN
        self.frames.append(frame)
        self.active.append(function)
        saved_loops = self.loops
        # Loops of the caller still enclose what the callee does.
        self.loops = list(saved_loops)
        try:
            self._block(
                function.body.body if type(function.body) is cst.IndentedBlock else [function.body]
            )
        finally:
            self.loops = saved_loops
            self.active.pop()
            self.frames.pop()
        returned = [value for value in frame.returns if value is not UNKNOWN]
        return returned[-1] if returned else UNKNOWN


def _merge(
    a: dict[int, frozenset[bool]], b: dict[int, frozenset[bool]], born: int
) -> dict[int, frozenset[bool]]:
    """The states after two paths join.

    A model made on one path only (its id is ``born`` or more) does not exist
    on the other: its state is the one path's, not merged with the default.
    """
    merged = {}
    for key in a.keys() | b.keys():
        if key >= born and (key not in a or key not in b):
            merged[key] = a[key] if key in a else b[key]
        else:
            merged[key] = a.get(key, TRAINABLE_DEFAULT) | b.get(key, TRAINABLE_DEFAULT)
    return merged


def _periodic(test: cst.BaseExpression, loop_targets: set[str]) -> bool:
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


def _target_names(target: cst.BaseExpression) -> list[str]:
    if type(target) is cst.Name:
        return [target.value]
    if type(target) is cst.Tuple or type(target) is cst.List:
        return [name for element in target.elements for name in _target_names(element.value)]
    return []


def _training_hooks(cls: ClassInfo) -> frozenset[str]:
    """The Keras hooks for a custom objective the class overrides."""
    return frozenset(TRAINING_HOOKS & cls.methods.keys())


def _variables(values: Iterable[Value]) -> frozenset[int]:
    """The models whose variables ``values`` name (a zip or list of gradients and variables)."""
    found: set[int] = set()
    for value in values:
        if isinstance(value, VariablesVal):
            found |= value.models
        elif isinstance(value, ListVal):
            found |= _variables(value.items)
    return frozenset(found)


def _perturbed(args: list[Value], kwargs: dict[str, Value]) -> frozenset[int]:
    return merge_tensors(provenance(value) for value in [*args, *kwargs.values()]).perturbed


def _rows(value: Value) -> int | None:
    return value.rows if isinstance(value, (ArrayVal, TensorVal)) else None


def _predict_batch_size(args: list[Value], kwargs: dict[str, Value]) -> int | None:
    """The batch size ``predict`` runs with (None: given, but not known here)."""
    given = kwargs["batch_size"] if "batch_size" in kwargs else args[1] if len(args) > 1 else None
    if given is None:
        return PREDICT_DEFAULT_BATCH_SIZE
    return given.value if isinstance(given, IntVal) and given.value > 0 else None


def _literal_list(node: cst.Call) -> int | None:
    """How many items the first argument has, when it is a list or tuple written there."""
    if not node.args or node.args[0].keyword is not None:
        return None
    first = node.args[0].value
    if type(first) is cst.List or type(first) is cst.Tuple:
        if any(type(element) is cst.StarredElement for element in first.elements):
            return None
        return len(first.elements)
    return None


def _element(iterable: Value) -> Value:
    if isinstance(iterable, LayerListVal):
        return LayerVal(iterable.of, whole=iterable.whole)
    return UNKNOWN


def _callee_name(func: cst.BaseExpression) -> str:
    if type(func) is cst.Name:
        return func.value
    if type(func) is cst.Attribute:
        return func.attr.value
    return ""


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
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
            stack.extend(current.body)
        else:
            stack.extend(_blocks(current))
    return found


def _blocks(node: cst.CSTNode) -> list[cst.CSTNode]:
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


def _subexpressions(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The expressions evaluated inside ``node``, for the kinds ``_eval`` does not model."""
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


def _only_sets_trainable(function: cst.FunctionDef) -> bool:
    """A helper whose whole body sets ``trainable`` flags (docstring aside)."""
    body = function.body.body if type(function.body) is cst.IndentedBlock else [function.body]
    return bool(body) and all(_sets_trainable(statement) for statement in body)


def _sets_trainable(statement: cst.CSTNode) -> bool:
    if type(statement) is cst.SimpleStatementLine:
        return all(
            (
                type(small) is cst.Assign
                and all(
                    type(t.target) is cst.Attribute and t.target.attr.value == "trainable"
                    for t in small.targets
                )
            )
            or (type(small) is cst.Expr and type(small.value) is cst.SimpleString)
            for small in statement.body
        )
    if type(statement) is cst.For:
        return all(_sets_trainable(inner) for inner in statement.body.body)
    return False


def _compiles_keras(args: list[Value], kwargs: dict[str, Value]) -> bool:
    """`x.compile(loss=...)`, or with a Keras optimizer: only a Keras model compiles so."""
    optimizer = kwargs.get("optimizer", args[0] if args else UNKNOWN)
    return "loss" in kwargs or isinstance(optimizer, OptVal)
