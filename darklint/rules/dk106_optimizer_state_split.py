from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.facts import ModelId
from darklint.keras.semantic import SemanticModel, unique_by_node
from darklint.keras.vocabulary import TRAINS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule
from darklint.rules.shared_weights import SharedTrainable, trained_compiles


class OptimizerStateSplit(KerasRule):
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

    When one of the two is a network compiled on its own and the other a
    wrapper that feeds it another model's output (a GAN's combined model
    with the discriminator left trainable), each wrapper step also trains
    that network on the wrapper's objective: the generator's step teaches
    the discriminator to call fakes real (an evidence test measures the
    discriminator's weights moving in the combined step).

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

    code = "DK106"
    name = "optimizer-state-split"
    message = (
        "`{model}` {relation}: each compile has its own optimizer, so "
        "{weights} get two independent Adam states instead of one joint objective{gan}"
    )
    help = "train both objectives in one `train_step` (or one multi-output `compile()`) with one optimizer"
    severity = Severity.WARNING
    reference = "reference_impls/multitask.py"
    # Compiles of models that are trained (darklint.gate).
    requires_names = ("compile", TRAINS)

    def finish(self) -> None:
        semantic = self.semantic
        compiles = trained_compiles(semantic)
        sharing = SharedTrainable(semantic, compiles)
        for later in unique_by_node(compiles):
            if "train_step" in semantic.models[later.subject].overrides:
                continue  # its own train_step picks the weights each step updates
            found = sharing.first_sharing(later)
            if found is None:
                continue
            earlier, shared = found
            other = semantic.label(earlier.subject)
            if shared is None:
                # Built on the same layers (a shared trunk), with no model of its own.
                self.report(
                    later.node,
                    related={f"`{other}` compiled here": earlier.node},
                    model=semantic.label(later.subject),
                    relation=f"is built on layers of `{other}`, also compiled",
                    weights="the shared layers' weights",
                    gan="",
                )
                continue
            shared_label = semantic.label(shared)
            if shared == earlier.model:
                relation = f"contains `{other}`, also compiled on its own"
            elif shared == later.model:
                relation = f"is part of `{other}`, also compiled"
            else:
                relation = f"shares `{shared_label}` with `{other}`, also compiled"
            wrapper = _feeding_wrapper(semantic, shared, earlier.subject, later.subject)
            self.report(
                later.node,
                related={f"`{other}` compiled here": earlier.node},
                model=semantic.label(later.subject),
                relation=relation,
                weights=f"`{shared_label}`'s weights",
                gan=""
                if wrapper is None
                else (
                    f"; and every `{semantic.label(wrapper)}` step also trains `{shared_label}` on "
                    f"`{semantic.label(wrapper)}`'s objective (in a GAN: the discriminator learns "
                    "to call fakes real)"
                ),
            )

    VALID = (
        # Two heads on one trunk, the trunk's layers frozen for the second head:
        # the walk does not know which layers, so it stays silent.
        Valid(
            """
from keras import Input, Model, layers
x = Input((8,))
h = layers.Dense(16, activation="relu")(x)
clf = Model(x, layers.Dense(3, activation="softmax")(h))
clf.compile(optimizer="adam", loss="categorical_crossentropy")
dom = Model(x, layers.Dense(2, activation="softmax")(h))
for layer in dom.layers[:2]:
    layer.trainable = False
dom.compile(optimizer="adam", loss="categorical_crossentropy")
clf.fit(xs, ys)
dom.fit(xd, yd)
"""
        ),
        # Two models on one trunk, only one of them trained.
        Valid(
            """
from keras import Input, Model, layers
x = Input((8,))
h = layers.Dense(16, activation="relu")(x)
clf = Model(x, layers.Dense(3, activation="softmax")(h))
clf.compile(optimizer="adam", loss="categorical_crossentropy")
features = Model(x, h)
features.compile(optimizer="adam", loss="mse")
clf.fit(xs, ys)
embedded = features.predict(xs)
"""
        ),
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
        # Two heads on one trunk of layers (no trunk model), each compiled and trained.
        Invalid(
            """
from keras import Input, Model, layers
x = Input((8,))
h = layers.Dense(16, activation="relu")(x)
h = layers.Dense(16, activation="relu")(h)
clf = Model(x, layers.Dense(3, activation="softmax")(h))
clf.compile(optimizer="adam", loss="categorical_crossentropy")
dom = Model(x, layers.Dense(2, activation="softmax")(h))
dom.compile(optimizer="adam", loss="categorical_crossentropy")  # expect: DK106
for step in range(100):
    clf.train_on_batch(xs, ys)
    dom.train_on_batch(xd, yd)
"""
        ),
        # A GAN that never freezes D: the combined step trains D too.
        Invalid(
            """
from keras import Input, Model, Sequential, layers
d = Sequential([layers.Dense(1, activation="sigmoid")])
d.compile(optimizer="adam", loss="binary_crossentropy")
g = Sequential([layers.Dense(2)])
z = Input((2,))
combined = Model(z, d(g(z)))
combined.compile(optimizer="adam", loss="binary_crossentropy")  # expect: DK106
for step in range(100):
    d.train_on_batch(x, y)
    combined.train_on_batch(noise, ones)
"""
        ),
        # The shared encoder arrives as a constructor argument.
        Invalid(
            """
from keras import Sequential

class TwoTask:
    def __init__(self, encoder, reg_head, cls_head):
        self.reg_model = Sequential([encoder, reg_head])
        self.cls_model = Sequential([encoder, cls_head])
        self.reg_model.compile(optimizer="adam", loss="mse")
        self.cls_model.compile(optimizer="adam", loss="binary_crossentropy")  # expect: DK106

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
cls_model.compile(optimizer=Adam(), loss="sparse_categorical_crossentropy")  # expect: DK106
for epoch in range(3):
    reg_model.fit(a, b)
    cls_model.fit(a, c)
"""
        ),
    )


def _feeding_wrapper(
    semantic: SemanticModel, shared: ModelId, a: ModelId, b: ModelId
) -> ModelId | None:
    """Of two compiled models, the wrapper that feeds ``shared`` (compiled alone) another model.

    A GAN's combined model: one compile is of the network itself, the other
    of a model holding it and another model that it does not contain.
    """
    for alone, wrapper in ((a, b), (b, a)):
        if alone == shared and wrapper != shared:
            inner = semantic.closure(shared)
            others = semantic.models[wrapper].contains - inner - {wrapper}
            if any(semantic.models[other].contains.isdisjoint(inner) for other in others):
                return wrapper
    return None
