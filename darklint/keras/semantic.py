"""The per-file Keras semantic model: the facts rules query.

Computed once per file (``build_semantic_model``) by an abstract walk of the
code (:mod:`darklint.keras.interpreter`): which values are Keras models and
optimizers, what contains what, and a *trace* of events in program order —
``trainable`` assignments, ``compile()``, training and ``predict`` calls,
input gradients — each with the loops around it and the trainable state at
that point.  Loop bodies appear twice in the trace (an event early in a loop
body also happens *after* a later one, on the next iteration), so "is X
trained after this without a recompile" is a scan forward in the trace.

Rules ask questions here; they never re-walk the tree to rediscover facts.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Annotations only: importing the rule table must not import libcst.
    import libcst as cst

_TRAINABLE = frozenset({True})
_FROZEN = frozenset({False})


class EventKind(enum.Enum):
    TRAINABLE = "trainable"
    COMPILE = "compile"
    TRAIN = "train"
    PREDICT = "predict"
    # A hand-written optimizer step (``opt.apply_gradients``): training, but
    # of no particular model the walk can name.
    STEP = "step"


class Owner(enum.Enum):
    """What the walk knows the owner of an attribute (``x`` in ``x.fit``) to be."""

    MODEL = "model"
    OPTIMIZER = "optimizer"
    LAYER = "layer"
    # An instance of a class of the file that is not a Keras model.
    OBJECT = "object"


@dataclass(frozen=True)
class Loop:
    node: cst.For | cst.While
    function: cst.FunctionDef | None


@dataclass(eq=False)
class ModelInfo:
    id: int
    node: cst.CSTNode
    kind: str  # functional / sequential / subclass / loaded
    contains: set[int] = field(default_factory=set)
    # Set when the model's outputs are an intermediate layer's output of
    # another model (a feature-matching / perceptual-loss sub-model).
    feature_of: int | None = None
    names: list[tuple[int, str]] = field(default_factory=list)
    attrs: dict[str, object] = field(default_factory=dict)
    # Where DK301 reports a feature model: its constructor, or the
    # `m.outputs = [...]` assignment that truncated it.
    feature_anchor: cst.CSTNode | None = None
    # The trace's length when the model was made: none of its events, and no
    # event of a model holding it, can come earlier.
    created_at: int = 0
    # What its variables are made of, when the code shows all of it: its own
    # weighted layers (``("layer", id)``) and the models it contains
    # (``("model", id)``).  Two models with the same are one set of variables.
    weights: frozenset[tuple[str, int]] | None = None
    # The loops around the place it was made: a model made in a loop is a
    # new model on each iteration (a fold of a cross-validation).
    loops: tuple[Loop, ...] = ()
    # Input gradients (``GradientInfo.id``) whose perturbed inputs became part of
    # the model's own objective: `self.add_loss(...)`, or a loss kept on the model.
    adversarial: set[int] = field(default_factory=set)
    # The Keras training hooks its class overrides (`train_step`: it picks the
    # weights each step updates; `compute_loss`: a custom objective over all
    # trainable weights): Keras' own places for custom training.
    overrides: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        if not self.names:
            return "the model"
        # The name in the outermost frame reads best: `self.discriminator`
        # rather than the `model` local of `build_discriminator()`.
        return min(self.names, key=lambda item: item[0])[1]


@dataclass(eq=False)
class OptimizerInfo:
    id: int
    node: cst.CSTNode
    names: list[str] = field(default_factory=list)
    # The loops around the place it was made: a new object on each iteration.
    loops: tuple[Loop, ...] = ()

    @property
    def label(self) -> str:
        return self.names[0] if self.names else "the optimizer"


@dataclass(frozen=True, eq=False)
class Event:
    kind: EventKind
    model: int
    node: cst.CSTNode
    index: int
    loops: tuple[Loop, ...]
    function: cst.FunctionDef | None
    method: str = ""
    # TRAINABLE: the value(s) assigned, and the model's state before.
    value: frozenset[bool] = frozenset()
    before: frozenset[bool] = frozenset()
    # TRAINABLE: set on some of the model's layers only (`m.layers[-4:]`,
    # `m.get_layer("x")`): the model's own flag is unchanged.
    partial: bool = False
    # COMPILE, TRAIN: trainable state of the model and of everything it contains.
    states: Mapping[int, frozenset[bool]] = field(default_factory=dict)
    optimizer: OptimizerInfo | None = None
    # STEP: the models whose variables the step updates (`apply_gradients(zip(g,
    # m.trainable_variables))`), when the code shows them.
    variables: frozenset[int] = frozenset()
    # TRAIN, STEP: the input gradients (``GradientInfo.id``) whose perturbed
    # inputs reach this training call's arguments.
    perturbed: frozenset[int] = frozenset()
    # PREDICT: the rows of the input, when the code spells them out, and the
    # batch size predict runs with (None: passed, but not known).
    rows: int | None = None
    batch_size: int | None = None
    # The `if`s around the event that let it run only on some iterations
    # (`if step % 100 == 0`, `if epoch == 0`), each with the number of loops
    # around that `if`: the event runs less often than those loops' bodies.
    guards: tuple[tuple[int, cst.CSTNode], ...] = ()

    @property
    def lexical_loops(self) -> tuple[Loop, ...]:
        """The loops written around the event in its own function."""
        return tuple(loop for loop in self.loops if loop.function is self.function)


@dataclass(eq=False)
class GradientInfo:
    """A gradient taken with respect to inputs or data (not weights)."""

    node: cst.Call
    backend_call: bool  # keras.backend.gradients (absent in Keras 3)
    function: cst.FunctionDef | None = None
    perturbs_inputs: bool = False
    # Its place in ``SemanticModel.gradients``: what training events name in ``perturbed``.
    id: int = -1


@dataclass(frozen=True)
class TogglePattern:
    """DK101: ``X.trainable = False`` and then ``compile()`` of a model containing X."""

    freeze: Event
    compile: Event
    kind: str  # "never-trains" (Keras-GAN order) or "trained-by-combined" (jacobgil order)
    own_compile: Event | None = (
        None  # never-trains: the earlier compile of X or of a model holding X
    )
    reset: Event | None = None  # trained-by-combined: X.trainable = True
    train: Event | None = None  # the training call that shows the consequence


@dataclass
class SemanticModel:
    imports_keras: bool = False
    models: dict[int, ModelInfo] = field(default_factory=dict)
    optimizers: dict[int, OptimizerInfo] = field(default_factory=dict)
    trace: list[Event] = field(default_factory=list)
    gradients: list[GradientInfo] = field(default_factory=list)
    # The owner of each attribute (``m`` of ``m.fit``, ``m.optimizer`` of
    # ``m.optimizer.lr``) that the walk knew; a Keras kind wins over OBJECT
    # when the attribute is walked in several contexts.
    owners: dict[cst.Attribute, Owner] = field(default_factory=dict)
    _closure: dict[int, frozenset[int]] = field(default_factory=dict)
    _holders: dict[int, frozenset[int]] = field(default_factory=dict)
    _contained_in: dict[int, list[int]] | None = None
    # Derived once the trace is complete (rules query, they never add):
    # each model's events in trace order, and effective trainable states.
    _by_model: dict[int, list[Event]] | None = None
    _compiles_by_model: dict[int, list[Event]] = field(default_factory=dict)
    _indexed_length: int = -1
    _effective: dict[int, dict[int, frozenset[bool]]] = field(default_factory=dict)
    _trainable_at: dict[int, frozenset[int]] = field(default_factory=dict)

    # Containment ------------------------------------------------------

    def closure(self, model: int) -> frozenset[int]:
        """The model and everything it contains, transitively."""
        if model not in self._closure:
            seen = {model}
            stack = [model]
            while stack:
                for inner in self.models[stack.pop()].contains:
                    if inner not in seen:
                        seen.add(inner)
                        stack.append(inner)
            self._closure[model] = frozenset(seen)
        return self._closure[model]

    def contains(self, outer: int, inner: int) -> bool:
        return inner in self.closure(outer)

    def holders(self, model: int) -> frozenset[int]:
        """Every other model that contains ``model``, transitively.

        Walking up the containment edges from ``model`` costs what it finds,
        where asking ``contains(m, model)`` of every model cost the whole
        model table per question.
        """
        found = self._holders.get(model)
        if found is None:
            contained_in = self._contained_in
            if contained_in is None:
                contained_in = self._contained_in = {}
                for outer, info in self.models.items():
                    for inner in info.contains:
                        contained_in.setdefault(inner, []).append(outer)
            seen: set[int] = set()
            stack = [model]
            while stack:
                for outer in contained_in.get(stack.pop(), ()):
                    if outer not in seen:
                        seen.add(outer)
                        stack.append(outer)
            seen.discard(model)
            found = self._holders[model] = frozenset(seen)
        return found

    def holders_before(self, model: int, event: Event) -> list[int]:
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

    def containment_changed(self, *, closures: bool = True) -> None:
        """Forget what was derived from the containment edges (the interpreter adds edges).

        A new model changes no existing model's closure (nothing contains it
        yet), only who holds what: ``closures=False`` keeps the closures.
        """
        if closures:
            self._closure.clear()
        self._holders.clear()
        self._contained_in = None

    def effective_trainable(self, compile_event: Event, model: int) -> frozenset[bool]:
        """``model``'s trainable state at a compile, counting frozen models around it.

        Freezing a model freezes everything inside it, so the inner
        ``Sequential`` of a frozen discriminator is frozen too.
        """
        own = compile_event.states.get(model, _TRAINABLE)
        return self._effective_table(compile_event).get(model, own)

    def trainable_at(self, compile_event: Event) -> frozenset[int]:
        """The models inside the compiled one (itself included) that may be trainable there."""
        found = self._trainable_at.get(compile_event.index)
        if found is None:
            table = self._effective_table(compile_event)
            found = frozenset(model for model, state in table.items() if True in state)
            self._trainable_at[compile_event.index] = found
        return found

    def _effective_table(self, compile_event: Event) -> dict[int, frozenset[bool]]:
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
        states = compile_event.states
        surely: set[int] = set()  # some model around it is surely frozen
        maybe: set[int] = set()  # some model around it may be frozen
        seen = {compile_event.model}
        work = [compile_event.model]
        while work:
            outer = work.pop()
            state = states.get(outer, _TRAINABLE)
            outer_surely = state == _FROZEN or outer in surely
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
            own = states.get(model, _TRAINABLE)
            table[model] = _FROZEN if model in surely else own | _FROZEN if model in maybe else own
        self._effective[compile_event.index] = table
        return table

    def label(self, model: int) -> str:
        return self.models[model].label

    # The trace ---------------------------------------------------------

    def events(self, kind: EventKind, model: int | None = None) -> Iterator[Event]:
        return (e for e in self.trace if e.kind is kind and (model is None or e.model == model))

    def after(self, event: Event) -> Iterable[Event]:
        return self.trace[event.index + 1 :]

    def model_events(self, model: int) -> list[Event]:
        """``model``'s events, in trace order.

        The queries below walk these rather than the whole trace: on a file
        with many models the whole-trace scans made the rules cubic.
        """
        self._index_trace()
        assert self._by_model is not None
        return self._by_model.get(model, [])

    def _index_trace(self) -> None:
        if self._by_model is None or self._indexed_length != len(self.trace):
            by_model: dict[int, list[Event]] = {}
            compiles: dict[int, list[Event]] = {}
            for event in self.trace:
                by_model.setdefault(event.model, []).append(event)
                if event.kind is EventKind.COMPILE:
                    compiles.setdefault(event.model, []).append(event)
            self._by_model, self._compiles_by_model = by_model, compiles
            self._indexed_length = len(self.trace)

    def _split(self, model: int, event: Event) -> tuple[list[Event], int]:
        """``model``'s events, and how many of them come before ``event``."""
        events = self.model_events(model)
        return events, bisect.bisect_left(events, event.index, key=_index)

    def _events_after(self, model: int, event: Event) -> Iterator[Event]:
        """``model``'s events after ``event``, in trace order (not copied: callers stop early)."""
        events = self.model_events(model)
        for position in range(bisect.bisect_right(events, event.index, key=_index), len(events)):
            yield events[position]

    def _compiles_between(self, model: int, start: Event, stop: int) -> list[Event]:
        """``model``'s compiles after ``start`` and before the trace index ``stop``."""
        self._index_trace()
        compiles = self._compiles_by_model.get(model, [])
        first = bisect.bisect_right(compiles, start.index, key=_index)
        return compiles[first : bisect.bisect_left(compiles, stop, key=_index)]

    def trained_later_without_recompile(self, model: int, start: Event) -> Event | None:
        """The first training of ``model`` after ``start`` with no compile of it in between."""
        for event in self._events_after(model, start):
            if event.kind is EventKind.COMPILE:
                return None
            if event.kind is EventKind.TRAIN:
                return event
        return None

    def last_compile_before(self, model: int, event: Event) -> Event | None:
        self._index_trace()
        compiles = self._compiles_by_model.get(model)
        if not compiles:
            return None
        position = bisect.bisect_left(compiles, event.index, key=_index)
        return compiles[position - 1] if position else None

    def is_trained(self, model: int) -> bool:
        return any(event.kind is EventKind.TRAIN for event in self.model_events(model))

    def trains_anything(self) -> bool:
        return any(e.kind in (EventKind.TRAIN, EventKind.STEP) for e in self.trace)

    # Derived facts shared by several rules --------------------------------

    def toggle_patterns(self) -> list[TogglePattern]:
        """Every DK101 pattern, in trace order (also used by DK103 to stay quiet)."""
        patterns: list[TogglePattern] = []
        for freeze in unique_by_node(self.events(EventKind.TRAINABLE)):
            # Some layers only: the model itself is not frozen around the compile.
            if freeze.value != frozenset({False}) or freeze.partial:
                continue
            pattern = self._toggle_after(freeze)
            if pattern is not None:
                patterns.append(pattern)
        return patterns

    def _toggle_after(self, freeze: Event) -> TogglePattern | None:
        frozen = freeze.model
        stop = self._next_unfreeze(freeze)
        # Keras-GAN order needs a model compiled while X trained that trains
        # again after the freeze; jacobgil order needs X unfrozen again.
        # Without either no compile after the freeze can make the pattern,
        # and the walk below is skipped (a file of many nested models).
        compiled_before = [
            (holder, own)
            for holder, own in self._compiled_before(freeze)
            if self._trains_after(holder, freeze)
        ]
        if not compiled_before and stop == len(self.trace):
            return None
        # Only compiles of models holding X, before X is unfrozen again, can
        # make the pattern: walk those, not the whole rest of the trace (a
        # file with many models made that quadratic).
        for event in self._holder_compiles(freeze, stop):
            if event.states.get(frozen) != frozenset({False}):
                continue
            never = self._never_trains(freeze, event, compiled_before)
            if never is not None:
                return never
            # jacobgil order: the combined model trains while X is trainable again.
            train = self.trained_later_without_recompile(event.model, event)
            if train is not None and True in train.states.get(frozen, frozenset()):
                reset = self._last_reset_before(frozen, train)
                if reset is not None and reset.index > event.index:
                    return TogglePattern(
                        freeze, event, "trained-by-combined", reset=reset, train=train
                    )
        return None

    def _next_unfreeze(self, freeze: Event) -> int:
        """The trace index of the first ``X.trainable = True`` after ``freeze`` (or the end)."""
        for event in self._events_after(freeze.model, freeze):
            if event.kind is EventKind.TRAINABLE and True in event.value and not event.partial:
                return event.index
        return len(self.trace)

    def _trains_after(self, model: int, event: Event) -> bool:
        return any(later.kind is EventKind.TRAIN for later in self._events_after(model, event))

    def has_event_between(
        self,
        model: int,
        kind: EventKind,
        start: Event,
        end: Event,
        where: Callable[[Event], bool] | None = None,
    ) -> bool:
        """Whether ``model`` has an event of ``kind`` (and ``where``) strictly between two events."""
        for event in self._events_after(model, start):
            if event.index >= end.index:
                return False
            if event.kind is kind and (where is None or where(event)):
                return True
        return False

    def _holder_compiles(self, freeze: Event, stop: int) -> list[Event]:
        """Compiles of the models holding X between ``freeze`` and ``stop``, in trace order."""
        found = [
            event
            for holder in self.holders(freeze.model)
            for event in self._compiles_between(holder, freeze, stop)
        ]
        found.sort(key=_index)
        return found

    def _compiled_before(self, freeze: Event) -> list[tuple[int, Event]]:
        """X and the models holding X, each with its compile before the freeze, while X trained."""
        frozen = freeze.model
        holders = [frozen, *(h for h in self.holders_before(frozen, freeze) if h != frozen)]
        found = []
        for holder in holders:
            own = self.last_compile_before(holder, freeze)
            if own is not None and True in self.effective_trainable(own, frozen):
                found.append((holder, own))
        return found

    def _never_trains(
        self, freeze: Event, combined: Event, compiled_before: list[tuple[int, Event]]
    ) -> TogglePattern | None:
        """Keras-GAN order: X (or a model holding X) was compiled before the freeze and
        is trained after the combined compile, still frozen, without a recompile."""
        frozen = freeze.model
        for holder, own in compiled_before:
            if holder == combined.model:
                continue
            train = self.trained_later_without_recompile(holder, combined)
            if train is not None and train.states.get(frozen) == frozenset({False}):
                return TogglePattern(freeze, combined, "never-trains", own_compile=own, train=train)
        return None

    def _last_reset_before(self, frozen: int, event: Event) -> Event | None:
        """The last ``X.trainable = True`` before ``event``."""
        events, position = self._split(frozen, event)
        for index in range(position - 1, -1, -1):
            earlier = events[index]
            if (
                earlier.kind is EventKind.TRAINABLE
                and True in earlier.value
                and not earlier.partial
            ):
                return earlier
        return None

    def compiles_with_optimizer(self) -> Iterator[Event]:
        return (e for e in self.events(EventKind.COMPILE) if e.optimizer is not None)


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


def build_semantic_model(module: cst.Module, source: str) -> SemanticModel:
    from darklint.keras.interpreter import Interpreter

    return Interpreter(module, source).run()
