from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.facts import Event, EventKind
from darklint.keras.vocabulary import TRAINS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule
from darklint.rules.toggles import toggle_patterns

# Measured on keras 3.15.1 (tests/evidence): the two directions fail differently.
# What Keras 3 does, per backend (a message names only the backends the
# project runs on: the `backend` setting); Keras 2 ignores the change.
FREEZE = {
    "tensorflow": "on {backends} it applies only at a retrace (first call, new batch shape)",
    "torch": "on {backends} at the next step",
    "jax": "on {backends} the next training call raises",
}
UNFREEZE = {
    "tensorflow": "on {backends} the weights stay frozen until a retrace fails with `ValueError: Unknown variable`",
    "torch": "on {backends} the next step fails",
    "jax": "on {backends} the next training call raises",
}


class TrainableChangedAfterCompile(KerasRule):
    """`trainable` changes after compile() and the model is trained again without recompiling.

    ## What it does
    Finds `X.trainable = value` after a model containing `X` (or `X` itself)
    was compiled, when that model is trained later with no `compile()` in
    between, and the assignment changes the flag. The same for some of a
    model's layers (`for layer in base.layers[-4:]: layer.trainable = True`,
    `base.get_layer("block5").trainable = True`, a layer kept from the
    build): their weights join or leave training just the same. Assignments
    that are part of the DK101 freeze-around-compile pattern are left to
    DK101.

    ## Why is this bad?
    `trainable` is read at different moments by different Keras versions and
    backends, so the same source trains differently (measured, keras 3.15.1):

    - Freezing: Keras 3 on TensorFlow applies the change only when the train
      function is (re)traced, on the first call or when a new batch shape
      forces a retrace, so whether it takes effect can depend on the last
      batch's size. Keras 3 on torch applies it at the next step.
    - Unfreezing weights that were frozen at `compile()`: the optimizer was
      built without them. Keras 3 on TensorFlow keeps them frozen until a
      retrace, which then fails with `ValueError: Unknown variable`; on torch
      the next step fails with that error.
    - Keras 3 on jax raises a `ValueError` (the variable count changed), and a
      failed `fit()` leaves the model unusable.
    - Keras 2 ignores the change until the next `compile()`.

    Toggling `d.trainable` inside a GAN loop (jacobgil/keras-dcgan) therefore
    does nothing on Keras 2 and something shape-dependent on Keras 3.

    ## Example
    ```python
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y)
    base.trainable = True   # unfreeze for fine-tuning...
    model.fit(x, y)         # ...but no recompile
    ```

    ## Use instead
    Recompile after changing `trainable`, with a **new** optimizer (Keras 3
    on torch and jax cannot reuse the old one), as the keras.io
    transfer-learning guide does. For GANs, override `train_step` and choose
    which weights to update by which gradients you apply.

    ## PyTorch reference
    `reference_impls/gan.py`: what an optimizer updates is the parameter list
    it was built with; `requires_grad` is never toggled mid-training.

    ## Fix safety
    No automatic fix: a recompile resets the optimizer state, which is a
    behaviour change you must choose.

    ## References
    - keras-team/keras#6405; jacobgil/keras-dcgan#10, #19
    - tensorflow/tensorflow#117169; closed PRs keras-team/keras#22939, #22413
    """

    code = "DK103"
    name = "trainable-changed-after-compile"
    message = (
        "{target} changes after `{model}.compile()` and `{model}` trains without "
        "recompiling: {consequence}; Keras 2 ignores it"
    )
    help = "call `compile()` again after changing `trainable`"
    severity = Severity.ERROR
    reference = "reference_impls/gan.py"
    # A trainable assignment, a compile and a training call (darklint.gate).
    requires_names = ("trainable", "compile", TRAINS)

    def finish(self) -> None:
        semantic = self.semantic
        explained = {
            id(event.node)
            for pattern in toggle_patterns(semantic)
            for event in (pattern.freeze, pattern.reset)
            if event is not None
        }
        # Each assignment's occurrences (a loop body is walked twice), in trace order.
        occurrences: dict[int, list[Event]] = {}
        for event in semantic.events(EventKind.TRAINABLE):
            occurrences.setdefault(id(event.node), []).append(event)
        for same_node in occurrences.values():
            assignment = same_node[0]
            if id(assignment.node) in explained:
                continue
            for occurrence in same_node:
                found = self._stale_compile(occurrence)
                if found is not None:
                    compile_event, train = found
                    model = semantic.label(compile_event.subject)
                    label = semantic.label(assignment.subject)
                    unfreezes = self._unfreezes(occurrence, compile_event)
                    self.report(
                        assignment.node,
                        related={
                            f"`{model}` compiled here": compile_event.node,
                            f"`{model}` trained here": train.node,
                        },
                        target=f"`trainable` of layers of `{label}`"
                        if assignment.partial
                        else f"`{label}.trainable`",
                        model=model,
                        consequence=self.for_backends(UNFREEZE if unfreezes else FREEZE),
                    )
                    break

    def _overridden(self, assignment: Event, train: Event) -> bool:
        """Another assignment to the same flag comes first: this one never reaches the training.

        Only the model's own flag overrides (it sets every layer); a change of
        some layers leaves the others as they were.
        """
        return self.semantic.has_event_between(
            assignment.subject,
            EventKind.TRAINABLE,
            assignment,
            train,
            where=lambda event: not event.partial,
        )

    @staticmethod
    def _unfreezes(assignment: Event, compile_event: Event) -> bool:
        """True is assigned to weights that were frozen when the model was compiled."""
        return assignment.value == frozenset({True}) and compile_event.states.get(
            assignment.subject
        ) == frozenset({False})

    def _stale_compile(self, assignment: Event) -> tuple[Event, Event] | None:
        """A compiled model containing the target that trains after it with no recompile."""
        if assignment.value == assignment.before and len(assignment.value) == 1:
            return None  # no change on any path
        semantic = self.semantic
        # The target and every model holding it, in model order (those made
        # after the assignment have no compile before it).
        for model in semantic.holders_before(assignment.subject, assignment):
            compile_event = semantic.last_compile_before(model, assignment)
            if compile_event is None:
                continue
            train = semantic.trained_later_without_recompile(model, assignment)
            if train is not None and not self._overridden(assignment, train):
                return compile_event, train
        return None

    VALID = (
        # Fine-tuning done right: some layers unfrozen, then a recompile.
        Valid(
            """
import keras
base = keras.applications.MobileNetV2(weights=None, include_top=False, pooling="avg")
base.trainable = False
model = keras.Sequential([base, keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
base.trainable = True
for layer in base.layers[:-4]:
    layer.trainable = False
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="mse")
model.fit(x, y)
"""
        ),
        # keras.io transfer learning: unfreeze, then recompile with a new optimizer.
        Valid(
            """
import keras
base = keras.applications.Xception(weights=None, include_top=False)
base.trainable = False
inputs = keras.Input(shape=(150, 150, 3))
model = keras.Model(inputs, keras.layers.Dense(1)(base(inputs)))
model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
model.fit(x, y, epochs=2)
base.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="mse")
model.fit(x, y, epochs=2)
"""
        ),
        # Changed after compile but never trained again.
        Valid(
            """
import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
model.trainable = False
model.save("frozen.keras")
"""
        ),
        # Set to the value it already has.
        Valid(
            """
import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.trainable = True
model.fit(x, y)
"""
        ),
    )
    INVALID = (
        # Fine-tuning the top layers, without the recompile.
        Invalid(
            """
import keras
base = keras.applications.MobileNetV2(weights=None, include_top=False, pooling="avg")
base.trainable = False
model = keras.Sequential([base, keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
for layer in base.layers[-4:]:
    layer.trainable = True  # expect: DK103
base.get_layer("Conv_1").trainable = True  # expect: DK103
model.fit(x, y)
"""
        ),
        Invalid(
            """
import keras
base = keras.Sequential([keras.layers.Dense(4)])
base.trainable = False
model = keras.Sequential([base, keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
base.trainable = True  # expect: DK103
model.fit(x, y)
"""
        ),
        # jacobgil/keras-dcgan: toggles inside the training loop.
        Invalid(
            """
from keras.models import Sequential
from keras.layers import Dense
d = Sequential([Dense(1)])
g = Sequential([Dense(2)])
d_on_g = Sequential([g, d])
d_on_g.compile(loss="binary_crossentropy", optimizer="SGD")
d.compile(loss="binary_crossentropy", optimizer="SGD")
for index in range(10):
    d.train_on_batch(x, y)
    d.trainable = False  # expect: DK103
    d_on_g.train_on_batch(noise, y)
    d.trainable = True  # expect: DK103
"""
        ),
    )
