"""The interpreter's state and entry: what every part of the walk shares.

:class:`Core` holds the state of one file's walk (frames, loops, the
trainable state of each model, the values made so far) and runs it; the
parts (:mod:`statements`, :mod:`expressions`, :mod:`calls`,
:mod:`keras_effects`, :mod:`gradients`) are mixins of it, and the methods
they offer each other are declared here, once, for the type checker.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from darklint.keras.builder import GradientRecord, OptimizerRecord, SemanticBuilder
from darklint.keras.facts import Elsewhere, Event, EventKind, Loop, ModelId, Owner
from darklint.keras.interpreter.syntax import called_names, import_statements
from darklint.keras.names import ImportTable
from darklint.keras.values import (
    ClassInfo,
    InstanceVal,
    LayerVal,
    ModelVal,
    OpaqueVal,
    OptVal,
    Value,
)

if TYPE_CHECKING:
    from pathlib import Path

    from darklint.keras.facts import Head, Loss
    from darklint.keras.interpreter.heads import LayerSpec
    from darklint.keras.semantic import SemanticModel
    from darklint.keras.values import KerasRef, ModelVal, ModuleRef, TapeVal
    from darklint.project import ProjectView

MAX_INLINES_PER_FUNCTION = 16
# Nested inlined calls deeper than this return UNKNOWN; each inlined call
# costs about eight Python frames, so the recursion limit is raised to match.
MAX_CALL_DEPTH = 300
RECURSION_LIMIT = 12 * MAX_CALL_DEPTH + 1_000
# Statements walked per line of the file, and for any file: beyond, the
# rest of the file is not analysed (what was found stands).
BUDGET_PER_LINE = 50
BUDGET_BASE = 2_000


@dataclass
class Frame:
    function: cst.FunctionDef | None
    call_site: cst.CSTNode | None
    depth: int
    locals: dict[str, Value] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)
    returns: list[Value] = field(default_factory=list)
    global_names: set[str] = field(default_factory=set)
    # The names of the function that defined this one (a closure), if any.
    closure: dict[str, Value] = field(default_factory=dict)
    # The module whose code the frame runs (None: the linted file).
    env: ModuleEnv | None = None


class BudgetExhausted(Exception):
    pass


# What an attribute's owner is, by the kind of its value (``SemanticModel.owners``).
OWNER_KINDS: dict[type, Owner] = {
    ModelVal: Owner.MODEL,
    OptVal: Owner.OPTIMIZER,
    LayerVal: Owner.LAYER,
    InstanceVal: Owner.OBJECT,
}


@dataclass(eq=False)
class ModuleEnv:
    """A module the walk runs code of: the linted file, or one of the project's it imports.

    What a name means depends on the module its code is written in (its
    imports, its globals), so the walk switches environment when it calls a
    function of another module and switches back on return.
    """

    path: Path | None
    display: str
    module: cst.Module
    source: str
    imports: ImportTable = field(default_factory=ImportTable)
    globals: dict[str, Value] = field(default_factory=dict)


class Core:
    def __init__(
        self,
        module: cst.Module,
        source: str,
        *,
        path: Path | None = None,
        project: ProjectView | None = None,
    ) -> None:
        # The module whose code runs now, and its names (switched, with the
        # environment, while a function of another module runs).
        self.entry = self.env = ModuleEnv(path, str(path or ""), module, source)
        self.module = module
        self.source = source
        self.imports = self.entry.imports
        self.globals = self.entry.globals
        self.project = project
        # The project's modules loaded so far (None: could not be), and in
        # which module each of their functions was written.
        self.envs: dict[Path, ModuleEnv | None] = {}
        self.env_of: dict[int, ModuleEnv] = {}
        # The nodes of the linted file through which the walk left it (the
        # call of a function of another module): where what happens there is
        # reported.
        self.crossing: list[cst.CSTNode] = []
        self.facts = SemanticBuilder()
        self.state: dict[ModelId, frozenset[bool]] = {}
        self.classes: list[ClassInfo] = []
        # What refers back to itself once the walk is done (``_untie``): every
        # class of every module walked (its instance knows it), and the names
        # of each function that defines a closure (the closure sees them).
        self.made_classes: list[ClassInfo] = []
        self.closure_scopes: list[dict[str, Value]] = []
        self.functions: list[cst.FunctionDef] = []
        self.walked: set[int] = set()
        self.inlined: dict[int, int] = {}
        self.active: list[cst.FunctionDef] = []
        self.loops: list[Loop] = []
        self.guards: list[tuple[int, cst.CSTNode]] = []
        # The flags (`if use_gan:`) whose `if` bodies the walk is in.
        self.conditions: list[str] = []
        # The arms of the `if` chains the walk is in (``Event.arms``).
        self.arms: list[tuple[object, int]] = []
        self.frames: list[Frame] = []
        self.optimizer_of: dict[ModelId, OptimizerRecord] = {}
        # Values made at one place in one calling context are the same value
        # when a loop body is walked again: `model = Sequential()` in a loop
        # does not make two models.
        self.made: dict[tuple[int, tuple[int, ...]], Value] = {}
        self.promoted: dict[int, ModelVal] = {}
        # Layers the code made: whether each has weights, and the model it went into.
        self.layer_weighted: list[bool] = []
        # What each layer does to the head of what it is called on (heads.py).
        self.layer_specs: list[LayerSpec | None] = []
        self.layer_owner: dict[int, ModelId] = {}
        self.helpers: dict[int, bool] = {}
        self.budget = 0

    def _note_owner(self, node: cst.Attribute, owner: Value) -> None:
        kind = OWNER_KINDS.get(type(owner))
        if kind is not None:
            self.facts.note_owner(node, kind)

    # Entry ------------------------------------------------------------

    def run(self) -> SemanticModel:
        self._collect_imports(self.module)
        self.facts.imports_keras = self.imports.imports_keras
        if not self.facts.imports_keras and not self._may_import_project():
            return self.facts.freeze()
        self.budget = BUDGET_PER_LINE * (self.source.count("\n") + 1) + BUDGET_BASE
        module_frame = Frame(function=None, call_site=None, depth=0)
        module_frame.locals = self.globals
        self.frames.append(module_frame)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
        try:
            self._block(self.module.body)
            for function, cls in self._entries():
                if id(function) in self.walked:
                    continue
                owner = self._instance(cls, None) if cls is not None else None
                init = cls.methods.get("__init__") if cls is not None else None
                if init is not None and init is not function and id(init) not in self.walked:
                    # What `__init__` builds on `self` is there for every other method.
                    self._call(init, [], {}, owner, None)
                self._call(function, [], {}, owner, None)
        except (BudgetExhausted, RecursionError):
            # What was found so far stands; the rest of the file is not analysed.
            pass
        finally:
            sys.setrecursionlimit(limit)
        model = self.facts.freeze()
        self._untie()
        return model

    def _untie(self) -> None:
        """Break the walk's reference cycles, now that its facts are frozen.

        Untied, the walk's values (and the syntax trees they hold, most of a
        file's) are freed as soon as the walk is, instead of waiting for the
        cycle collector, whose pass over them costs more than the freeing.
        """
        for cls in self.made_classes:
            cls.instance = None
        for scope in self.closure_scopes:
            scope.clear()

    def _entries(self) -> list[tuple[cst.FunctionDef, ClassInfo | None]]:
        """Functions and methods nobody called yet, callers before callees.

        A helper walked on its own sees unknown arguments; walked from its
        caller it sees the real ones. So functions that nothing in the file
        calls (by name, in the text: this only orders the walk) go first,
        and ``__init__`` before the other methods of its class.
        """
        calls = called_names(self.source)
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
        for child in import_statements(node):
            self.imports.add(child)  # type: ignore[arg-type]

    # The walk's position ------------------------------------------------

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def _tick(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise BudgetExhausted

    def _here(self, node: cst.CSTNode, env: ModuleEnv | None = None) -> None:
        """``node`` (of the module ``env``, by default the one running) goes into the
        facts: if it is in another module, say where, and through which node of the
        linted file the walk got there."""
        env = env or self.env
        if env is not self.entry and self.crossing:
            self.facts.elsewhere.setdefault(
                id(node), Elsewhere(self.crossing[0], env.display, env.module, env.source, node)
            )

    def _caller_env(self) -> ModuleEnv:
        """The module of the code that called the running function (its call site's)."""
        if len(self.frames) >= 2:
            return self.frames[-2].env or self.entry
        return self.entry

    def _event(
        self, kind: EventKind, model: ModelId | None, node: cst.CSTNode, **details: object
    ) -> Event:
        """Record an event here: with the loops and periodic `if`s around it."""
        self._here(node)
        frame_function = next(
            (f.function for f in reversed(self.frames) if f.function is not None), None
        )
        event = Event(
            kind=kind,
            model=model,
            node=node,
            index=len(self.facts.trace),
            loops=tuple(self.loops),
            function=frame_function,
            guards=tuple(self.guards),
            arms=tuple(self.arms),
            **details,  # type: ignore[arg-type]
        )
        self.facts.trace.append(event)
        return event

    def _key(self, node: cst.CSTNode) -> tuple[int, tuple[int, ...]]:
        """Where a value is made: the node, in this calling context."""
        return (id(node), tuple(id(frame.call_site) for frame in self.frames))

    def _opaque(self, node: cst.CSTNode, *, parameter: bool = False) -> Value:
        key = self._key(node)
        if key not in self.made:
            self._here(node)  # a model it turns out to be is reported here
            self.made[key] = OpaqueVal(node, parameter=parameter)
        return self.made[key]

    def _opaque_part(self, whole: OpaqueVal, part: cst.CSTNode) -> Value:
        """A part of an unknown value (a tuple unpacked): unknown too, made where ``whole`` was."""
        key = self._key(part)
        if key not in self.made:
            self._here(part)
            self.made[key] = OpaqueVal(part, parameter=whole.parameter)
        return self.made[key]

    def _name(self, value: Value, spelled: str) -> None:
        """``spelled`` now names ``value`` (for messages)."""
        if isinstance(value, OpaqueVal):
            value.names.append((self.frame.depth, spelled))
        elif isinstance(value, InstanceVal) and "." in spelled:
            # A wrapper's model, held in another object, reads best through the
            # wrapper's name there (`self.discriminator.model`, not `self.model`).
            for attr, held in list(value.attrs.items()):
                self._keras_name(held, f"{spelled}.{attr}")
        else:
            self._keras_name(value, spelled)

    if TYPE_CHECKING:
        # What the parts offer each other (defined in the mixin named).

        # statements
        def _block(self, body: Sequence[cst.CSTNode]) -> None: ...
        def _bind(self, target: cst.BaseExpression, value: Value) -> None: ...

        # modules
        def _may_import_project(self) -> bool: ...
        def _project_value(self, qualified: str, node: cst.CSTNode) -> Value | None: ...
        def _star_value(self, name: str, node: cst.CSTNode) -> Value | None: ...
        def _inside(
            self, env: ModuleEnv, node: cst.CSTNode | None
        ) -> AbstractContextManager[None]: ...

        # expressions
        def _eval(self, node: cst.BaseExpression | None) -> Value: ...
        def _imported(self, node: cst.Name | cst.Attribute) -> Value: ...

        # calls
        def _call_expression(self, node: cst.Call) -> Value: ...
        def _attribute_of(self, receiver: Value, node: cst.Attribute) -> Value: ...
        def _call(
            self,
            function: cst.FunctionDef,
            args: list[Value],
            kwargs: dict[str, Value],
            self_value: Value | None,
            call_site: cst.CSTNode | None,
            *,
            closure: dict[str, Value] | None = None,
        ) -> Value: ...
        def _instance(self, cls: ClassInfo, node: cst.CSTNode | None) -> Value: ...

        # keras_effects
        def _method_call(
            self,
            node: cst.Call,
            receiver: Value,
            method: str,
            args: list[Value],
            kwargs: dict[str, Value],
        ) -> Value | None: ...
        def _keras_call(
            self, node: cst.Call, callee: KerasRef, args: list[Value], kwargs: dict[str, Value]
        ) -> Value: ...
        def _module_call(
            self, node: cst.Call, callee: ModuleRef, args: list[Value], kwargs: dict[str, Value]
        ) -> Value | None: ...
        def _call_model(
            self, model: ModelVal, args: list[Value], kwargs: dict[str, Value]
        ) -> Value: ...
        def _call_layer(self, layer: Value, args: list[Value]) -> Value: ...
        def _model_attribute(self, owner: ModelVal, attr: str) -> Value: ...
        def _layer_attribute(self, owner: Value, attr: str) -> Value | None: ...
        def _keras_assign(
            self, target: cst.Attribute, value: Value, statement: cst.CSTNode
        ) -> bool: ...
        def _keras_store(self, owner: Value, value: Value) -> dict[str, Value] | None: ...
        def _keras_name(self, value: Value, spelled: str) -> None: ...
        def _is_model_class(self, base: Value) -> bool: ...
        def _new_subclass_model(self, cls: ClassInfo, node: cst.CSTNode) -> ModelVal: ...
        def _trainable_helper(self, function: cst.FunctionDef) -> bool: ...
        def _promote(self, value: Value, node: cst.CSTNode) -> Value: ...

        # heads
        def _layer_spec(
            self, node: cst.CSTNode, path: str, args: list[Value], kwargs: dict[str, Value]
        ) -> None: ...
        def _tensor_head(self, layer: Value, args: list[Value]) -> Head | None: ...
        def _model_head(self, model: ModelId) -> Head | None: ...
        def _sequential_heads(
            self, model: ModelId, items: Sequence[Value], *, added: bool = False
        ) -> None: ...
        def _output_heads(self, model: ModelId, outputs: Value) -> None: ...
        def _loss_object(
            self, node: cst.Call, path: str, kwargs: dict[str, Value]
        ) -> Value | None: ...
        def _losses(
            self, call: cst.Call, args: list[Value], kwargs: dict[str, Value]
        ) -> tuple[Loss, ...]: ...

        # gradients
        def _tape_call(
            self, node: cst.Call, tape: TapeVal, method: str, args: list[Value]
        ) -> Value: ...
        def _perturb(
            self, node: cst.BinaryOperation, left: Value, right: Value
        ) -> Value | None: ...
        def _gradient_call(
            self, node: cst.Call, callee: Value, args: list[Value]
        ) -> Value | None: ...
        def _through_gradients(
            self, node: cst.Call, callee: Value, args: list[Value]
        ) -> Value | None: ...
        def _backend_gradients(self, node: cst.Call, args: list[Value]) -> Value: ...
        def _gradient(self, node: cst.Call, backend_call: bool) -> GradientRecord: ...
