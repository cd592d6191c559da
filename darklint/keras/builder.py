"""What the interpreter fills while it walks a file, frozen into the semantic model at the end.

The records here are mutable: the walk learns a model's names, what it
contains, its variables and its objective as it goes.  :meth:`SemanticBuilder.freeze`
turns them into the frozen facts of :mod:`darklint.keras.facts`, and the
rules only ever see those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from darklint.keras.facts import (
    Elsewhere,
    Event,
    GradientId,
    GradientInfo,
    Head,
    Loop,
    ModelId,
    ModelInfo,
    ModelKind,
    OptimizerId,
    OptimizerInfo,
    Owner,
)
from darklint.keras.semantic import SemanticModel, closure_of

if TYPE_CHECKING:
    import libcst as cst


@dataclass(eq=False)
class ModelRecord:
    id: ModelId
    node: cst.CSTNode
    kind: ModelKind
    contains: set[ModelId] = field(default_factory=set)
    feature_of: ModelId | None = None
    names: list[tuple[int, str]] = field(default_factory=list)
    # What the code stored on the model (`self.encoder = ...` in its class).
    attrs: dict[str, object] = field(default_factory=dict)
    feature_anchor: cst.CSTNode | None = None
    created_at: int = 0
    weights: frozenset[tuple[str, int]] | None = None
    loops: tuple[Loop, ...] = ()
    adversarial: set[GradientId] = field(default_factory=set)
    overrides: frozenset[str] = frozenset()
    # The flags (`if FLAGS.adversarial:`) it was made under: it exists only when they are set.
    conditions: frozenset[str] = frozenset()
    heads: tuple[Head | None, ...] | None = None

    def freeze(self) -> ModelInfo:
        return ModelInfo(
            id=self.id,
            node=self.node,
            kind=self.kind,
            contains=frozenset(self.contains),
            feature_of=self.feature_of,
            names=tuple(self.names),
            feature_anchor=self.feature_anchor,
            created_at=self.created_at,
            weights=self.weights,
            loops=self.loops,
            adversarial=frozenset(self.adversarial),
            overrides=self.overrides,
            heads=self.heads,
        )


@dataclass(eq=False)
class OptimizerRecord:
    id: OptimizerId
    node: cst.CSTNode
    names: list[str] = field(default_factory=list)
    loops: tuple[Loop, ...] = ()

    def freeze(self) -> OptimizerInfo:
        return OptimizerInfo(self.id, self.node, tuple(self.names), self.loops)


@dataclass(eq=False)
class GradientRecord:
    id: GradientId
    node: cst.Call
    backend_call: bool
    function: cst.FunctionDef | None = None
    perturbs_inputs: bool = False

    def freeze(self) -> GradientInfo:
        return GradientInfo(
            self.id, self.node, self.backend_call, self.function, self.perturbs_inputs
        )


@dataclass
class SemanticBuilder:
    imports_keras: bool = False
    models: dict[ModelId, ModelRecord] = field(default_factory=dict)
    optimizers: dict[OptimizerId, OptimizerRecord] = field(default_factory=dict)
    trace: list[Event] = field(default_factory=list)
    gradients: list[GradientRecord] = field(default_factory=list)
    # The nodes of the facts that are in other modules of the project, by id.
    elsewhere: dict[int, Elsewhere] = field(default_factory=dict)
    # The owner of each attribute (``m`` of ``m.fit``) that the walk knew; a
    # Keras kind wins over OBJECT when an attribute is walked in several contexts.
    owners: dict[cst.Attribute, Owner] = field(default_factory=dict)
    # Every activation a layer applied, by the node that chose it.
    activations: dict[int, Head] = field(default_factory=dict)
    # The walk asks what a model contains at every compile and training call
    # while it is still adding containment: kept here, and forgotten on change.
    _closure: dict[ModelId, frozenset[ModelId]] = field(default_factory=dict)

    def new_model(
        self,
        node: cst.CSTNode,
        kind: ModelKind,
        contains: Iterable[ModelId],
        feature_of: ModelId | None,
        loops: tuple[Loop, ...],
        conditions: frozenset[str] = frozenset(),
    ) -> ModelRecord:
        # A new model holds nothing that existed: no closure changes.
        record = ModelRecord(
            ModelId(len(self.models)),
            node,
            kind,
            set(contains),
            feature_of,
            created_at=len(self.trace),
            loops=loops,
            feature_anchor=node if feature_of is not None else None,
            conditions=conditions,
        )
        self.models[record.id] = record
        return record

    def contain(self, outer: ModelId, inner: set[ModelId]) -> None:
        inner = inner - {outer}
        if inner:
            self.models[outer].contains |= inner
            self._closure.clear()

    def closure(self, model: ModelId) -> frozenset[ModelId]:
        """The model and everything it contains, transitively, as the walk knows it now."""
        found = self._closure.get(model)
        if found is None:
            found = self._closure[model] = closure_of(model, lambda m: self.models[m].contains)
        return found

    def new_optimizer(self, node: cst.CSTNode, loops: tuple[Loop, ...]) -> OptimizerRecord:
        record = OptimizerRecord(OptimizerId(len(self.optimizers)), node, loops=loops)
        self.optimizers[record.id] = record
        return record

    def new_gradient(
        self, node: cst.Call, backend_call: bool, function: cst.FunctionDef | None
    ) -> GradientRecord:
        # One record per call site, however often a loop walks it.
        for record in self.gradients:
            if record.node is node:
                return record
        record = GradientRecord(GradientId(len(self.gradients)), node, backend_call, function)
        self.gradients.append(record)
        return record

    def note_owner(self, node: cst.Attribute, owner: Owner) -> None:
        if self.owners.get(node) in (None, Owner.OBJECT):
            self.owners[node] = owner

    def freeze(self) -> SemanticModel:
        return SemanticModel(
            imports_keras=self.imports_keras,
            models={model: record.freeze() for model, record in self.models.items()},
            optimizers={opt: record.freeze() for opt, record in self.optimizers.items()},
            trace=tuple(self.trace),
            gradients=tuple(record.freeze() for record in self.gradients),
            elsewhere=dict(self.elsewhere),
            owners=dict(self.owners),
            activations=tuple(self.activations.values()),
        )
