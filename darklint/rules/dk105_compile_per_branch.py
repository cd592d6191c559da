from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.gate import TRAINS
from darklint.keras.semantic import Event, EventKind, unique_by_node
from darklint.rule import Invalid, Rule, Valid


class CompilePerBranch(Rule):
    """Two trained models share trainable weights and each is compiled with its own optimizer.

    ## What it does
    Finds a `compile()` of a model that shares a trainable sub-model with
    another compiled model (one contains the other, or both contain the same
    encoder), when both models are trained and the shared part is trainable
    in both compiles. Reported at each later compile.

    ## Why is this bad?
    Each `compile()` creates its own optimizer, so the shared weights get two
    independent Adam states (measured on keras 3.15.1: each optimizer keeps
    its own moments and step counter for the shared kernel; Keras 2 alike),
    and each branch needs one more wrapper model and one more `compile()`.
    That is not the joint objective the paper optimises; the two optimizers
    take turns pulling the shared weights with inconsistent statistics.

    ## Example
    ```python
    encoder = build_encoder()
    reg_model = Model(x, reg_head(encoder(x)))
    cls_model = Model(x, cls_head(encoder(x)))
    reg_model.compile(optimizer=Adam(), loss="mse")
    cls_model.compile(optimizer=Adam(), loss="binary_crossentropy")
    ```

    ## Use instead
    One model with several outputs and one `compile(loss={...},
    loss_weights={...})`, or a `train_step` override that sums the weighted
    losses and applies one optimizer over all the weights.

    ## PyTorch reference
    `reference_impls/multitask.py`: one optimizer over all parameters,
    a weighted sum of the losses, one backward. Feature matching:
    `reference_impls/feature_matching_gan.py`.

    ## Fix safety
    No automatic fix: merging models changes the training objective.

    ## References
    - KERAS_FACTS.md "Optimizers" (two Adam states over one set of parameters)
    """

    code = "DK105"
    name = "compile-per-branch"
    message = (
        "`{model}` {relation}: each compile has its own optimizer, so "
        "`{shared}`'s weights get two independent Adam states instead of one joint objective"
    )
    help = "train both objectives in one `train_step` (or one multi-output `compile()`) with one optimizer"
    severity = Severity.WARNING
    reference = "reference_impls/multitask.py"
    # Compiles of models that are trained (darklint.gate).
    requires_names = ("compile", TRAINS)

    def finish(self) -> None:
        semantic = self.semantic
        compiles = [e for e in semantic.events(EventKind.COMPILE) if semantic.is_trained(e.model)]
        # Each model's compiles that may train it, in trace order: a compile
        # looks up the models it trains instead of pairing with every compile
        # before it (quadratic on a file with many models).
        training_it: dict[int, list[Event]] = {}
        for event in compiles:
            for model in semantic.trainable_at(event):
                training_it.setdefault(model, []).append(event)
        for later in unique_by_node(compiles):
            found = self._first_sharing(later, compiles, training_it)
            if found is None:
                continue
            earlier, shared = found
            other, shared_label = semantic.label(earlier.model), semantic.label(shared)
            if shared == earlier.model:
                relation = f"contains `{other}`, also compiled on its own"
            elif shared == later.model:
                relation = f"is part of `{other}`, also compiled"
            else:
                relation = f"shares `{shared_label}` with `{other}`, also compiled"
            self.report(
                later.node,
                related={f"`{other}` compiled here": earlier.node},
                model=semantic.label(later.model),
                relation=relation,
                shared=shared_label,
            )

    def _first_sharing(
        self, later: Event, compiles: list[Event], training_it: dict[int, list[Event]]
    ) -> tuple[Event, int] | None:
        """The first compile of another model before ``later`` that trains a model ``later`` trains.

        For each model ``later`` trains, its first such compile; the earliest
        of those shares weights with ``later`` (the outermost shared model
        exists unless the code pretends a model contains itself: then every
        earlier compile is asked, as before the index).
        """
        candidates = []
        for model in self.semantic.trainable_at(later):
            for earlier in training_it.get(model, ()):
                if earlier.index >= later.index:
                    break
                if earlier.model != later.model:
                    candidates.append(earlier)
                    break
        if not candidates:
            return None
        for earlier in sorted(candidates, key=lambda event: event.index):
            shared = self._shared_trainable(earlier, later)
            if shared is not None:
                return earlier, shared
        for earlier in compiles:
            if earlier.index >= later.index:
                break
            shared = self._shared_trainable(earlier, later)
            if shared is not None:
                return earlier, shared
        return None

    def _shared_trainable(self, earlier: Event, later: Event) -> int | None:
        if earlier.model == later.model:
            return None  # a recompile of the same model
        semantic = self.semantic
        trainable = sorted(semantic.trainable_at(earlier) & semantic.trainable_at(later))
        # Name the outermost shared model (the encoder, not its inner block).
        for model in trainable:
            if not any(other != model and semantic.contains(other, model) for other in trainable):
                return model
        return None

    VALID = (
        # One model with two outputs and one compile.
        Valid(
            """
import keras
inp = keras.Input((4,))
h = keras.layers.Dense(8)(inp)
model = keras.Model(inp, [keras.layers.Dense(1)(h), keras.layers.Dense(3)(h)])
model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.5])
model.fit(x, [y1, y2])
"""
        ),
        # The shared part is frozen in the second model (that is DK101's business).
        Valid(
            """
from keras import Model, Sequential, Input, layers
d = Sequential([layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
g = Sequential([layers.Dense(2)])
d.trainable = False
z = Input((2,))
combined = Model(z, d(g(z)))
combined.compile(optimizer="adam", loss="binary_crossentropy")
"""
        ),
        # A second model used only for inference is never trained.
        Valid(
            """
import keras
encoder = keras.Sequential([keras.layers.Dense(8)])
inp = keras.Input((4,))
model = keras.Model(inp, keras.layers.Dense(1)(encoder(inp)))
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
encoder.compile(loss="mse")
encoder.evaluate(x, z)
"""
        ),
    )
    INVALID = (
        # The shared encoder arrives as a constructor argument.
        Invalid(
            """
from keras import Sequential

class TwoTask:
    def __init__(self, encoder, reg_head, cls_head):
        self.reg_model = Sequential([encoder, reg_head])
        self.cls_model = Sequential([encoder, cls_head])
        self.reg_model.compile(optimizer="adam", loss="mse")
        self.cls_model.compile(optimizer="adam", loss="binary_crossentropy")  # expect: DK105

    def fit(self, x, y1, y2):
        self.reg_model.fit(x, y1)
        self.cls_model.fit(x, y2)
"""
        ),
        Invalid(
            """
from keras import Model, Input, Sequential, layers
from keras.optimizers import Adam
encoder = Sequential([layers.Dense(8)])
x1 = Input((4,))
x2 = Input((4,))
reg_model = Model(x1, layers.Dense(1)(encoder(x1)))
cls_model = Model(x2, layers.Dense(3, activation="softmax")(encoder(x2)))
reg_model.compile(optimizer=Adam(), loss="mse")
cls_model.compile(optimizer=Adam(), loss="sparse_categorical_crossentropy")  # expect: DK105
for epoch in range(3):
    reg_model.fit(a, b)
    cls_model.fit(a, c)
"""
        ),
    )
