"""The per-file Keras semantic model: the frozen facts rules query.

Computed once per file (``build_semantic_model``) by an abstract walk of the
code (:mod:`darklint.keras.interpreter`): which values are Keras models and
optimizers, what contains what, and a *trace* of events in program order —
``trainable`` assignments, ``compile()``, training and ``predict`` calls,
input gradients — each with the loops around it and the trainable state at
that point.  Loop bodies appear twice in the trace (an event early in a loop
body also happens *after* a later one, on the next iteration), so "is X
trained after this without a recompile" is a scan forward in the trace.

The model is immutable: its indexes (each model's events, each model's
compiles, who contains whom) are built once, when the walk is done, and the
queries below only read them (some remember their answers).  Rules ask
questions here; they never re-walk the tree to rediscover facts.  The
records are in :mod:`darklint.keras.facts`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from darklint.keras.facts import (
    FROZEN,
    TRAINABLE,
    Elsewhere,
    Event,
    EventKind,
    GradientInfo,
    Head,
    ModelId,
    ModelInfo,
    OptimizerId,
    OptimizerInfo,
    Owner,
)

if TYPE_CHECKING:
    # Annotations only: importing the rule table must not import libcst.
    from pathlib import Path

    import libcst as cst

    from darklint.project import ProjectView


@dataclass(frozen=True, eq=False)
class SemanticModel:
    imports_keras: bool = False
    models: Mapping[ModelId, ModelInfo] = field(default_factory=dict)
    optimizers: Mapping[OptimizerId, OptimizerInfo] = field(default_factory=dict)
    trace: tuple[Event, ...] = ()
    gradients: tuple[GradientInfo, ...] = ()
    # The nodes above that are in other modules of the project (by id): where
    # they are, and the node of the linted file a finding about them goes to.
    elsewhere: Mapping[int, Elsewhere] = field(default_factory=dict)
    # What the walk knew the owner of each attribute (``m`` of ``m.fit``) to be.
    owners: Mapping[cst.Attribute, Owner] = field(default_factory=dict)
    # Every activation a layer of the code applied (`Dense(1, activation="softmax")`).
    activations: tuple[Head, ...] = ()
    # Indexes, built once from the facts above (``__post_init__``).
    _by_model: dict[ModelId | None, list[Event]] = field(default_factory=dict, repr=False)
    _compiles_by_model: dict[ModelId, list[Event]] = field(default_factory=dict, repr=False)
    _contained_in: dict[ModelId, list[ModelId]] = field(default_factory=dict, repr=False)
    # Answers remembered: the facts never change, so nothing is ever forgotten.
    _closure: dict[ModelId, frozenset[ModelId]] = field(default_factory=dict, repr=False)
    _holders: dict[ModelId, frozenset[ModelId]] = field(default_factory=dict, repr=False)
    _effective: dict[int, dict[ModelId, frozenset[bool]]] = field(default_factory=dict, repr=False)
    _trainable_at: dict[int, frozenset[ModelId]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for event in self.trace:
            self._by_model.setdefault(event.model, []).append(event)
            if event.kind is EventKind.COMPILE and event.model is not None:
                self._compiles_by_model.setdefault(event.model, []).append(event)
        for outer, info in self.models.items():
            for inner in info.contains:
                self._contained_in.setdefault(inner, []).append(outer)

    def optimizer(self, optimizer: OptimizerId) -> OptimizerInfo:
        return self.optimizers[optimizer]

    def label(self, model: ModelId) -> str:
        return self.models[model].label

    # Containment ------------------------------------------------------

    def closure(self, model: ModelId) -> frozenset[ModelId]:
        """The model and everything it contains, transitively."""
        found = self._closure.get(model)
        if found is None:
            found = self._closure[model] = closure_of(model, lambda m: self.models[m].contains)
        return found

    def contains(self, outer: ModelId, inner: ModelId) -> bool:
        return inner in self.closure(outer)

    def holders(self, model: ModelId) -> frozenset[ModelId]:
        """Every other model that contains ``model``, transitively.

        Walking up the containment edges from ``model`` costs what it finds,
        where asking ``contains(m, model)`` of every model cost the whole
        model table per question.
        """
        found = self._holders.get(model)
        if found is None:
            holders = closure_of(model, lambda m: self._contained_in.get(m, ()))
            found = self._holders[model] = holders - {model}
        return found

    def holders_before(self, model: ModelId, event: Event) -> list[ModelId]:
        """``model`` and the models holding it that existed before ``event``, in model order.

        A model made after ``event`` has no event before it: skipping those
        keeps "the compile before this freeze" questions off every later
        wrapper model of a file (quadratic with hundreds of nested models).
        """
        models = self.models
        return sorted(
            {model}.union(
                holder for holder in self.holders(model) if models[holder].created_at <= event.index
            )
        )

    def effective_trainable(self, compile_event: Event, model: ModelId) -> frozenset[bool]:
        """``model``'s trainable state at a compile, counting frozen models around it.

        Freezing a model freezes everything inside it, so the inner
        ``Sequential`` of a frozen discriminator is frozen too.
        """
        own = compile_event.states.get(model, TRAINABLE)
        return self._effective_table(compile_event).get(model, own)

    def trainable_at(self, compile_event: Event) -> frozenset[ModelId]:
        """The models inside the compiled one (itself included) that may be trainable there."""
        found = self._trainable_at.get(compile_event.index)
        if found is None:
            table = self._effective_table(compile_event)
            found = frozenset(model for model, state in table.items() if True in state)
            self._trainable_at[compile_event.index] = found
        return found

    def _effective_table(self, compile_event: Event) -> dict[ModelId, frozenset[bool]]:
        """``effective_trainable`` of every model inside the compiled one, in one pass.

        Flags flow down the containment edges from the compiled model: below
        a surely frozen model everything is frozen; below a maybe-frozen one
        everything may be.  Each model is visited at most three times (first,
        and once per flag it gains), so a file with many nested models stays
        linear where asking model by model was cubic.  (A model cannot
        contain itself in Keras; in code that pretends so, a cycle's flags
        reach its own members.)
        """
        table = self._effective.get(compile_event.index)
        if table is not None:
            return table
        assert compile_event.model is not None
        states = compile_event.states
        surely: set[ModelId] = set()  # some model around it is surely frozen
        maybe: set[ModelId] = set()  # some model around it may be frozen
        seen = {compile_event.model}
        work = [compile_event.model]
        while work:
            outer = work.pop()
            state = states.get(outer, TRAINABLE)
            outer_surely = state == FROZEN or outer in surely
            outer_maybe = False in state or outer in maybe
            for inner in self.models[outer].contains:
                changed = inner not in seen
                if outer_surely and inner not in surely:
                    surely.add(inner)
                    changed = True
                if outer_maybe and inner not in maybe:
                    maybe.add(inner)
                    changed = True
                if changed:
                    seen.add(inner)
                    work.append(inner)
        table = {}
        for model in seen:
            own = states.get(model, TRAINABLE)
            table[model] = FROZEN if model in surely else own | FROZEN if model in maybe else own
        self._effective[compile_event.index] = table
        return table

    # The trace ---------------------------------------------------------

    def events(self, kind: EventKind, model: ModelId | None = None) -> Iterator[Event]:
        return (e for e in self.trace if e.kind is kind and (model is None or e.model == model))

    def model_events(self, model: ModelId) -> list[Event]:
        """``model``'s events, in trace order.

        The queries below walk these rather than the whole trace: on a file
        with many models the whole-trace scans made the rules cubic.
        """
        return self._by_model.get(model, [])

    def events_before(self, model: ModelId, event: Event) -> list[Event]:
        """``model``'s events before ``event``, in trace order."""
        events = self.model_events(model)
        return events[: bisect.bisect_left(events, event.index, key=_index)]

    def events_after(self, model: ModelId, event: Event) -> Iterator[Event]:
        """``model``'s events after ``event``, in trace order (not copied: callers stop early)."""
        events = self.model_events(model)
        for position in range(bisect.bisect_right(events, event.index, key=_index), len(events)):
            yield events[position]

    def compiles_between(self, model: ModelId, start: Event, stop: int) -> list[Event]:
        """``model``'s compiles after ``start`` and before the trace index ``stop``."""
        compiles = self._compiles_by_model.get(model, [])
        first = bisect.bisect_right(compiles, start.index, key=_index)
        return compiles[first : bisect.bisect_left(compiles, stop, key=_index)]

    def trained_later_without_recompile(self, model: ModelId, start: Event) -> Event | None:
        """The first training of ``model`` after ``start`` with no compile of it in between."""
        for event in self.events_after(model, start):
            if event.kind is EventKind.COMPILE:
                return None
            if event.kind is EventKind.TRAIN:
                return event
        return None

    def last_compile_before(self, model: ModelId, event: Event) -> Event | None:
        compiles = self._compiles_by_model.get(model)
        if not compiles:
            return None
        position = bisect.bisect_left(compiles, event.index, key=_index)
        return compiles[position - 1] if position else None

    def is_trained(self, model: ModelId) -> bool:
        return any(event.kind is EventKind.TRAIN for event in self.model_events(model))

    def trains_after(self, model: ModelId, event: Event) -> bool:
        return any(later.kind is EventKind.TRAIN for later in self.events_after(model, event))

    def has_event_between(
        self,
        model: ModelId,
        kind: EventKind,
        start: Event,
        end: Event,
        where: Callable[[Event], bool] | None = None,
    ) -> bool:
        """Whether ``model`` has an event of ``kind`` (and ``where``) strictly between two events."""
        for event in self.events_after(model, start):
            if event.index >= end.index:
                return False
            if event.kind is kind and (where is None or where(event)):
                return True
        return False


def closure_of(
    model: ModelId, neighbours: Callable[[ModelId], Iterable[ModelId]]
) -> frozenset[ModelId]:
    """``model`` and every model reachable from it through ``neighbours``."""
    seen = {model}
    stack = [model]
    while stack:
        for other in neighbours(stack.pop()):
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return frozenset(seen)


def _index(event: Event) -> int:
    return event.index


def unique_by_node(events: Iterable[Event]) -> list[Event]:
    """Loop bodies are walked twice: keep the first event per source node."""
    seen: set[int] = set()
    result = []
    for event in events:
        if id(event.node) not in seen:
            seen.add(id(event.node))
            result.append(event)
    return result


def build_semantic_model(
    module: cst.Module,
    source: str,
    *,
    path: Path | None = None,
    project: ProjectView | None = None,
) -> SemanticModel:
    """The semantic model of a file; with ``project``, following its imports of the project."""
    from darklint.keras.interpreter import Interpreter

    return Interpreter(module, source, path=path, project=project).run()
