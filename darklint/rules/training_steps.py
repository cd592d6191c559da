"""Which loops run a training step on every iteration: shared by the per-step rules.

DK202 (`predict` per step) and DK203 (`compile()` per step) report what runs
as often as a training step: inside the innermost loop around a training call
(`fit`, `train_on_batch`, `apply_gradients`), or in a loop nested in it,
directly or in a function that loop calls, and not under an `if` that lets it
run on some iterations only (`if step % 100 == 0`) unless that `if` is around
the training call too.
"""

from __future__ import annotations

from darklint.keras.facts import Event, EventKind, Loop
from darklint.keras.semantic import SemanticModel


def training_loops(semantic: SemanticModel) -> dict[Loop, list[Event]]:
    """The training events by the innermost loop around them."""
    found: dict[Loop, list[Event]] = {}
    for event in semantic.trace:
        if event.kind in (EventKind.TRAIN, EventKind.STEP) and event.loops:
            found.setdefault(event.loops[-1], []).append(event)
    return found


def step_loop(event: Event, training_in: dict[Loop, list[Event]]) -> Loop | None:
    """The innermost training loop ``event`` runs in at the frequency of its training steps.

    A loop qualifies when it is the innermost loop around some training call
    and every periodic ``if`` between it and the event is around that
    training call too.
    """
    for depth in range(len(event.loops) - 1, -1, -1):
        loop = event.loops[depth]
        steps = training_in.get(loop)
        if not steps:
            continue
        guards = {id(guard) for around, guard in event.guards if around > depth}
        if any(guards <= {id(guard) for _, guard in step.guards} for step in steps):
            return loop
    return None
