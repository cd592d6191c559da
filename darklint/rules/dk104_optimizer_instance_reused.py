from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.facts import Event, EventKind, ModelId
from darklint.keras.semantic import unique_by_node
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule

# How the second model's first train call fails on Keras 3, per backend.
FAILURES = {
    "tensorflow": "`ValueError: Unknown variable` on {backends}",
    "torch": "`ValueError: Unknown variable` on {backends}",
    "jax": "on {backends} a shape error, or with same-shaped models a silently shared Adam state",
}


def _variables_of(event: Event) -> frozenset[ModelId]:
    """The models whose variables a compile (its model) or a step updates."""
    return frozenset({event.subject}) if event.kind is EventKind.COMPILE else event.variables


class OptimizerInstanceReused(KerasRule):
    """One optimizer object serves two sets of variables (two compiles, or two `apply_gradients`).

    ## What it does
    Finds a `compile()` whose optimizer is an object (a name bound to an
    optimizer constructor or to `keras.optimizers.get("adam")`, or
    `m.optimizer`) that an earlier `compile()` of a model with *other*
    variables already received, or that the same model received before its
    trainable weights changed; and an optimizer applied with
    `apply_gradients` to variables it was not first used for (an encoder
    and a decoder trained by one `opt` in two steps). Two models over the same
    weighted layers (heads that differ by an `Activation` or a `Lambda`, as in
    the semi-supervised GAN) have the same variables and are not reported.

    ## Why is this bad?
    An optimizer builds its slots (Adam's moments) for the variables it first
    sees, and from then on accepts only those (measured, keras 3.15.1):

    - Keras 3 on TensorFlow and torch: the second model's first train call
      raises `ValueError: Unknown variable ... This optimizer can only be
      called for the variables it was originally built with`.
    - Keras 2: `KeyError: 'The optimizer cannot recognize variable ...'`.
    - Keras 3 on jax: a shape error, or, with identically shaped models, **no
      error and one Adam state silently shared** by both models.

    Keras-GAN passes one `Adam` to the discriminator's and the combined
    model's `compile()`: on Keras 3 with TensorFlow it runs only because the
    discriminator never trains (DK101); on torch the combined step fails
    every time, so the generator never trains either.

    ## Example
    ```python
    optimizer = Adam(0.0002, 0.5)
    discriminator.compile(loss="binary_crossentropy", optimizer=optimizer)
    combined.compile(loss="binary_crossentropy", optimizer=optimizer)
    ```

    ## Use instead
    One optimizer per network: `optimizer=Adam(0.0002, 0.5)` in each
    `compile()`, or better, a `train_step` override holding `d_optimizer`
    and `g_optimizer`.

    ## PyTorch reference
    `reference_impls/gan.py`: `opt_d = Adam(D.parameters())`,
    `opt_g = Adam(G.parameters())`.

    ## Fix safety
    No automatic fix yet: the replacement must repeat the constructor's
    arguments.

    ## References
    - eriklindernoren/Keras-GAN `gan/gan.py`; KERAS_FACTS.md "Optimizers"
    """

    code = "DK104"
    name = "optimizer-instance-reused"
    message = (
        "`{optimizer}` was already {first_use}{why}: one optimizer cannot serve two sets of "
        "variables, so the second to train fails ({failures}; Keras 2: `KeyError`)"
    )
    help = "pass a new optimizer to each `compile()` (one optimizer per set of variables)"
    severity = Severity.ERROR
    reference = "reference_impls/gan.py"
    # A Keras optimizer (`optimizers.*`) given to compiles or stepping variables (darklint.gate).
    requires_names = (("compile", "apply_gradients"), "optimizers")

    def finish(self) -> None:
        semantic = self.semantic
        # Every use of an optimizer object: compiles, and steps whose variables are known.
        uses = [
            event
            for event in semantic.trace
            if event.optimizer is not None
            and (
                event.kind is EventKind.COMPILE
                or (event.kind is EventKind.STEP and event.variables)
            )
        ]
        for later in unique_by_node(uses):
            earlier = self._earlier_conflict(later, uses)
            if earlier is None:
                continue
            assert later.optimizer is not None
            if earlier.kind is EventKind.COMPILE:
                first = semantic.label(earlier.subject)
                first_use = f"passed to `{first}.compile()`"
                first_place = f"`{first}` compiled here"
            else:
                names = ", ".join(f"`{semantic.label(m)}`" for m in sorted(earlier.variables))
                first_use = f"applied to the variables of {names}"
                first_place = "first applied here"
            self.report(
                later.node,
                related={first_place: earlier.node},
                optimizer=semantic.optimizer(later.optimizer).label,
                first_use=first_use,
                why=" and the trainable weights changed since"
                if earlier.kind is later.kind is EventKind.COMPILE and earlier.model == later.model
                else "",
                failures=self.for_backends(FAILURES, separator="; "),
            )

    def _earlier_conflict(self, later: Event, uses: list[Event]) -> Event | None:
        for earlier in uses:
            if earlier.index >= later.index:
                break
            if earlier.optimizer is not later.optimizer or earlier.node is later.node:
                continue
            if self._never_builds(earlier) or earlier.exclusive(later):
                continue
            if self._conflict(earlier, later):
                return earlier
        return None

    def _never_builds(self, use: Event) -> bool:
        """A compile of a model frozen there and never trained (a perceptual-loss VGG
        compiled only to predict): the optimizer is built by the first training
        step, so this compile never gives it variables."""
        semantic = self.semantic
        return (
            use.kind is EventKind.COMPILE
            and not semantic.trainable_at(use)
            and not semantic.is_trained(use.subject)
        )

    def _conflict(self, earlier: Event, later: Event) -> bool:
        """Whether the optimizer, first used for ``earlier``'s variables, cannot serve ``later``'s."""
        if earlier.kind is later.kind is EventKind.COMPILE:
            if earlier.model == later.model:
                return earlier.states != later.states
            return not self._same_variables(earlier, later)
        semantic = self.semantic
        first = _variables_of(earlier)
        # Each model ``later`` updates must be inside one that ``earlier`` did.
        return not all(
            any(semantic.contains(outer, model) for outer in first)
            for model in _variables_of(later)
        )

    def _same_variables(self, a: Event, b: Event) -> bool:
        """Two compiled models over the same weighted layers, trainable alike."""
        models = self.semantic.models
        weights = models[a.subject].weights
        if not weights or weights != models[b.subject].weights:
            return False
        if a.states.get(a.subject) != b.states.get(b.subject):
            return False
        shared = (a.states.keys() & b.states.keys()) - {a.model, b.model}
        return all(a.states[model] == b.states[model] for model in shared)

    VALID = (
        # One optimizer, one compile per run: the two compiles are two configurations.
        Valid(
            """
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam(1e-3)
small = Sequential([layers.Dense(1)])
large = Sequential([layers.Dense(8), layers.Dense(1)])
if args.large:
    large.compile(optimizer=opt, loss="mse")
    large.fit(x, y)
else:
    small.compile(optimizer=opt, loss="mse")
    small.fit(x, y)
"""
        ),
        # The optimizer's first compile is of a frozen network that only predicts:
        # it never builds the optimizer (the discriminator's training does).
        Valid(
            """
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam(2e-4)
vgg = Sequential([layers.Dense(4)])
vgg.trainable = False
vgg.compile(loss="mse", optimizer=opt)
d = Sequential([layers.Dense(1)])
d.compile(loss="mse", optimizer=opt)
d.fit(x, y)
targets = vgg.predict(x)
"""
        ),
        # A fresh optimizer for the second model.
        Valid(
            """
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam()
m1 = Sequential([layers.Dense(1)])
m2 = Sequential([layers.Dense(1)])
m1.compile(optimizer=opt, loss="mse")
m2.compile(optimizer=Adam(), loss="mse")
"""
        ),
        # String optimizers are new objects per compile.
        Valid(
            """
import keras
a = keras.Sequential([keras.layers.Dense(1)])
b = keras.Sequential([keras.layers.Dense(1)])
a.compile(optimizer="adam", loss="mse")
b.compile(optimizer="adam", loss="mse")
"""
        ),
        # Recompiling the same model with its optimizer, nothing changed.
        Valid(
            """
import keras
m = keras.Sequential([keras.layers.Dense(1)])
opt = keras.optimizers.SGD()
m.compile(optimizer=opt, loss="mse")
m.compile(optimizer=opt, loss="mae")
"""
        ),
        # The semi-supervised GAN: two heads over the same weighted layers share
        # one optimizer, and so one Adam state (the two models have one set of
        # variables).
        Valid(
            """
from keras.models import Model
from keras.layers import Input, Dense, Conv2D, LeakyReLU, Flatten, Activation, Lambda
from keras.optimizers import Adam

def define_discriminator(custom_activation):
    in_image = Input(shape=(28, 28, 1))
    fe = Conv2D(128, (3, 3), strides=(2, 2), padding="same")(in_image)
    fe = LeakyReLU(alpha=0.2)(fe)
    fe = Flatten()(fe)
    fe = Dense(10)(fe)
    opt = Adam(learning_rate=0.0002, beta_1=0.5)
    c_model = Model(in_image, Activation("softmax")(fe))
    c_model.compile(loss="sparse_categorical_crossentropy", optimizer=opt)
    d_model = Model(in_image, Lambda(custom_activation)(fe))
    d_model.compile(loss="binary_crossentropy", optimizer=opt)
    return d_model, c_model
"""
        ),
        # One optimizer stepping the whole autoencoder, then its encoder only.
        Valid(
            """
import tensorflow as tf
import keras
encoder = keras.Sequential([keras.layers.Dense(2)])
decoder = keras.Sequential([keras.layers.Dense(4)])
opt = keras.optimizers.Adam()
for x in batches:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((decoder(encoder(x)) - x) ** 2)
    variables = encoder.trainable_variables + decoder.trainable_variables
    opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(encoder(x) ** 2)
    grads = tape.gradient(loss, encoder.trainable_variables)
    opt.apply_gradients(zip(grads, encoder.trainable_variables))
"""
        ),
        # torch optimizers are not Keras.
        Valid(
            """
import torch
opt = torch.optim.Adam(params)
a.compile(optimizer=opt)
b.compile(optimizer=opt)
"""
        ),
    )
    INVALID = (
        Invalid(
            """
from keras.models import Model, Sequential
from keras.layers import Dense, Input
from keras.optimizers import Adam
optimizer = Adam(0.0002, 0.5)
d = Sequential([Dense(1)])
d.compile(loss="binary_crossentropy", optimizer=optimizer)
g = Sequential([Dense(2)])
z = Input((2,))
combined = Model(z, d(g(z)))
combined.compile(loss="binary_crossentropy", optimizer=optimizer)  # expect: DK104
"""
        ),
        # `optimizers.get("adam")` is an object, unlike the string "adam".
        Invalid(
            """
import keras
opt = keras.optimizers.get("adam")
a = keras.Sequential([keras.layers.Dense(1)])
b = keras.Sequential([keras.layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")  # expect: DK104
"""
        ),
        # One optimizer for the encoder's and the decoder's own steps.
        Invalid(
            """
import tensorflow as tf
import keras
encoder = keras.Sequential([keras.layers.Dense(2)])
decoder = keras.Sequential([keras.layers.Dense(4)])
opt = keras.optimizers.Adam()
for x in batches:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(encoder(x) ** 2)
    grads = tape.gradient(loss, encoder.trainable_variables)
    opt.apply_gradients(zip(grads, encoder.trainable_variables))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((decoder(tf.stop_gradient(encoder(x))) - x) ** 2)
    grads = tape.gradient(loss, decoder.trainable_variables)
    opt.apply_gradients(zip(grads, decoder.trainable_variables))  # expect: DK104
"""
        ),
        # Recompile after unfreezing with the old optimizer.
        Invalid(
            """
import tensorflow as tf
base = tf.keras.Sequential([tf.keras.layers.Dense(4)])
base.trainable = False
model = tf.keras.Sequential([base, tf.keras.layers.Dense(1)])
model.compile(optimizer=tf.keras.optimizers.Adam(), loss="mse")
model.fit(x, y)
base.trainable = True
model.compile(optimizer=model.optimizer, loss="mse")  # expect: DK104
model.fit(x, y)
"""
        ),
    )
