from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.semantic import Event, unique_by_node
from darklint.rule import Invalid, Rule, Valid

# How the second model's first train call fails on Keras 3, per backend.
FAILURES = {
    "tensorflow": "`ValueError: Unknown variable` on {backends}",
    "torch": "`ValueError: Unknown variable` on {backends}",
    "jax": "on {backends} a shape error, or with same-shaped models a silently shared Adam state",
}


class OptimizerInstanceReused(Rule):
    """One optimizer object is passed to compile() of two models (or to a recompile after a freeze).

    ## What it does
    Finds a `compile()` whose optimizer is an object (a name bound to an
    optimizer constructor, or `m.optimizer`) that an earlier `compile()` of a
    *different* model already received, or that the same model received
    before its trainable weights changed.

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
        "`{optimizer}` was already passed to `{first}.compile()`{why}: one optimizer cannot "
        "serve two sets of variables, so the second to train fails ({failures}; Keras 2: "
        "`KeyError`)"
    )
    help = "pass a new optimizer to each `compile()`"
    severity = Severity.ERROR
    reference = "reference_impls/gan.py"
    # Compiles given a Keras optimizer (`optimizers.*`) (darklint.gate).
    requires_names = ("compile", "optimizers")

    def finish(self) -> None:
        semantic = self.semantic
        compiles = list(semantic.compiles_with_optimizer())
        for later in unique_by_node(compiles):
            earlier = self._earlier_conflict(later, compiles)
            if earlier is None:
                continue
            same_model = earlier.model == later.model
            assert later.optimizer is not None
            first = semantic.label(earlier.model)
            self.report(
                later.node,
                related={f"`{first}` compiled here": earlier.node},
                optimizer=later.optimizer.label,
                first=first,
                why=" and the trainable weights changed since" if same_model else "",
                failures=self.for_backends(FAILURES, separator="; "),
            )

    @staticmethod
    def _earlier_conflict(later: Event, compiles: list[Event]) -> Event | None:
        for earlier in compiles:
            if earlier.index >= later.index:
                break
            if earlier.optimizer is not later.optimizer or earlier.node is later.node:
                continue
            if earlier.model != later.model or earlier.states != later.states:
                return earlier
        return None

    VALID = (
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
