"""Which loops run a training step on every iteration: shared by the per-step rules.

DK202 (`predict` per step) and DK203 (`compile()` per step) report what runs
as often as a training step: inside the innermost loop around a training call
(`fit`, `train_on_batch`, `apply_gradients`), or in a loop nested in it,
directly or in a function that loop calls, and not under an `if` that lets it
run on some iterations only (`if step % 100 == 0`) unless that `if` is around
the training call too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.keras.facts import Event, EventKind, Loop
from darklint.keras.semantic import SemanticModel
from darklint.syntax_walk import descendants

if TYPE_CHECKING:
    import libcst as cst


def training_loops(semantic: SemanticModel) -> dict[Loop, list[Event]]:
    """The training events by the innermost loop around them.

    A ``fit`` written in the loop on the same data every iteration
    (``m.fit(x_train, y_train, epochs=1)`` in ``for epoch in ...``) trains a
    whole epoch per iteration: that loop runs per epoch, not per step.
    """
    found: dict[Loop, list[Event]] = {}
    for event in semantic.trace:
        if event.kind in (EventKind.TRAIN, EventKind.STEP) and event.loops:
            loop = event.loops[-1]
            if event.method == "fit" and _same_data_every_iteration(event, loop):
                continue
            found.setdefault(loop, []).append(event)
    return found


def _same_data_every_iteration(event: Event, loop: Loop) -> bool:
    """The ``fit`` call's inputs are names the loop never binds (written in the loop itself)."""
    import libcst as cst

    call = event.node
    if loop.function is not event.function or type(call) is not cst.Call:
        return False
    data = next((arg.value for arg in call.args if arg.keyword is None), None)
    if data is None:
        data = next(
            (arg.value for arg in call.args if arg.keyword and arg.keyword.value == "x"), None
        )
    root = data
    while type(root) is cst.Attribute:
        root = root.value
    if type(root) is not cst.Name or (root.value == "self" and type(data) is cst.Name):
        return False
    bound = _bound_in(loop.node)
    spelled = cst.Module([]).code_for_node(data)  # type: ignore[arg-type]
    return root.value not in bound and spelled not in bound


def _bound_in(loop: cst.CSTNode) -> set[str]:
    """Every name and dotted target the loop binds (its own target, assignments in its body)."""
    bound: set[str] = set()
    for node in descendants(loop):
        target = _TARGETS.get(type(node).__name__)
        if target is not None:
            _add(bound, getattr(node, target))
    return bound


# The field of each binding node that holds what it binds.
_TARGETS = {
    "AssignTarget": "target",
    "AnnAssign": "target",
    "AugAssign": "target",
    "For": "target",
    "NamedExpr": "target",
    "AsName": "name",
}


def _add(bound: set[str], target: cst.BaseExpression) -> None:
    import libcst as cst

    if type(target) in (cst.Tuple, cst.List):
        for element in target.elements:  # type: ignore[attr-defined]
            _add(bound, element.value)
    elif type(target) in (cst.Name, cst.Attribute):
        bound.add(cst.Module([]).code_for_node(target))


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
