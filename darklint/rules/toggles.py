"""The freeze-around-compile pattern: DK101 reports it, DK103 leaves its assignments alone.

``X.trainable = False`` and then ``compile()`` of a model containing X, in
one of two orders whose consequences differ on Keras 3:

- *never trains* (Keras-GAN): X, or a model holding X, was compiled while X
  trained, and is trained again after the combined compile, still frozen and
  without a recompile;
- *trained by the combined model* (jacobgil/keras-dcgan): X is set back to
  trainable before the combined model trains.

Found from the semantic model's queries, per freeze: only the compiles of the
models holding X, up to the next unfreeze, are asked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from darklint.keras.facts import FROZEN, Event, EventKind, ModelId
from darklint.keras.semantic import SemanticModel, unique_by_node


class ToggleKind(enum.Enum):
    NEVER_TRAINS = "never trains"
    TRAINED_BY_COMBINED = "trained by the combined model"


@dataclass(frozen=True)
class TogglePattern:
    freeze: Event
    compile: Event
    kind: ToggleKind
    # NEVER_TRAINS: the earlier compile of X or of a model holding X.
    own_compile: Event | None = None
    # TRAINED_BY_COMBINED: the `X.trainable = True` that comes back.
    reset: Event | None = None
    # The training call that shows the consequence.
    train: Event | None = None


def toggle_patterns(semantic: SemanticModel) -> list[TogglePattern]:
    """Every pattern, in trace order."""
    patterns: list[TogglePattern] = []
    for freeze in unique_by_node(semantic.events(EventKind.TRAINABLE)):
        # Some layers only: the model itself is not frozen around the compile.
        if freeze.value != FROZEN or freeze.partial:
            continue
        pattern = _toggle_after(semantic, freeze)
        if pattern is not None:
            patterns.append(pattern)
    return patterns


def _toggle_after(semantic: SemanticModel, freeze: Event) -> TogglePattern | None:
    frozen = _model(freeze)
    stop = _next_unfreeze(semantic, freeze)
    # Keras-GAN order needs a model compiled while X trained that trains
    # again after the freeze; jacobgil order needs X unfrozen again.
    # Without either no compile after the freeze can make the pattern,
    # and the walk below is skipped (a file of many nested models).
    compiled_before = [
        (holder, own)
        for holder, own in _compiled_before(semantic, freeze)
        if semantic.trains_after(holder, freeze)
    ]
    if not compiled_before and stop == len(semantic.trace):
        return None
    # Only compiles of models holding X, before X is unfrozen again, can
    # make the pattern: walk those, not the whole rest of the trace (a
    # file with many models made that quadratic).
    for event in _holder_compiles(semantic, freeze, stop):
        if event.states.get(frozen) != FROZEN:
            continue
        never = _never_trains(semantic, freeze, event, compiled_before)
        if never is not None:
            return never
        # jacobgil order: the combined model trains while X is trainable again.
        train = semantic.trained_later_without_recompile(_model(event), event)
        if train is not None and True in train.states.get(frozen, frozenset()):
            reset = _last_reset_before(semantic, frozen, train)
            if reset is not None and reset.index > event.index:
                return TogglePattern(
                    freeze, event, ToggleKind.TRAINED_BY_COMBINED, reset=reset, train=train
                )
    return None


def _model(event: Event) -> ModelId:
    assert event.model is not None  # TRAINABLE and COMPILE events are about a model
    return event.model


def _whole_unfreeze(event: Event) -> bool:
    return event.kind is EventKind.TRAINABLE and True in event.value and not event.partial


def _next_unfreeze(semantic: SemanticModel, freeze: Event) -> int:
    """The trace index of the first ``X.trainable = True`` after ``freeze`` (or the end)."""
    for event in semantic.events_after(_model(freeze), freeze):
        if _whole_unfreeze(event):
            return event.index
    return len(semantic.trace)


def _holder_compiles(semantic: SemanticModel, freeze: Event, stop: int) -> list[Event]:
    """Compiles of the models holding X between ``freeze`` and ``stop``, in trace order."""
    found = [
        event
        for holder in semantic.holders(_model(freeze))
        for event in semantic.compiles_between(holder, freeze, stop)
    ]
    found.sort(key=lambda event: event.index)
    return found


def _compiled_before(semantic: SemanticModel, freeze: Event) -> list[tuple[ModelId, Event]]:
    """X and the models holding X, each with its compile before the freeze, while X trained."""
    frozen = _model(freeze)
    holders = [frozen, *(h for h in semantic.holders_before(frozen, freeze) if h != frozen)]
    found = []
    for holder in holders:
        own = semantic.last_compile_before(holder, freeze)
        if own is not None and True in semantic.effective_trainable(own, frozen):
            found.append((holder, own))
    return found


def _never_trains(
    semantic: SemanticModel,
    freeze: Event,
    combined: Event,
    compiled_before: list[tuple[ModelId, Event]],
) -> TogglePattern | None:
    """Keras-GAN order: X (or a model holding X) was compiled before the freeze and
    is trained after the combined compile, still frozen, without a recompile."""
    frozen = _model(freeze)
    for holder, own in compiled_before:
        if holder == combined.model:
            continue
        train = semantic.trained_later_without_recompile(holder, combined)
        if train is not None and train.states.get(frozen) == FROZEN:
            return TogglePattern(
                freeze, combined, ToggleKind.NEVER_TRAINS, own_compile=own, train=train
            )
    return None


def _last_reset_before(semantic: SemanticModel, frozen: ModelId, event: Event) -> Event | None:
    """The last ``X.trainable = True`` before ``event``."""
    for earlier in reversed(semantic.events_before(frozen, event)):
        if _whole_unfreeze(earlier):
            return earlier
    return None
