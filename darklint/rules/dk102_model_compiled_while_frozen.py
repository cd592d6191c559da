from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.facts import EventKind
from darklint.keras.semantic import unique_by_node
from darklint.keras.vocabulary import TRAINS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule

FROZEN = frozenset({False})


class ModelCompiledWhileFrozen(KerasRule):
    """A model is compiled while its own `trainable` is False, and then trained.

    ## What it does
    Finds `X.compile()` where `X.trainable` is False on every path that
    reaches the compile, and `X` is trained (`fit`, `train_on_batch`) later.

    ## Why is this bad?
    A model compiled while frozen has no trainable weights: `fit` and
    `train_on_batch` run, report a loss, and change nothing. This holds on
    Keras 2 and Keras 3 alike (Keras 3 prints one "does not have any trainable
    weights" warning on TensorFlow, none on jax). It usually means a
    discriminator was frozen "for the combined model" one line too early.

    ## Example
    ```python
    discriminator.trainable = False
    discriminator.compile(loss="binary_crossentropy", optimizer="adam")
    discriminator.train_on_batch(x, y)  # trains nothing
    ```

    ## Use instead
    Compile (and train) each network while it is trainable. For a GAN, write
    one `keras.Model` subclass that overrides `train_step` and applies each
    network's gradients with its own optimizer; nothing needs freezing.

    ## PyTorch reference
    `reference_impls/gan.py`: parameters are updated by the optimizer they
    were given to; no flag decides it behind the scenes.

    ## Fix safety
    No automatic fix: where the freeze belongs depends on the intent.

    ## References
    - keras-team/keras#6405; eriklindernoren/Keras-GAN#73
    """

    code = "DK102"
    name = "model-compiled-while-frozen"
    message = (
        "`{model}` is compiled while `{model}.trainable` is False: it has no trainable weights, "
        "so training it changes nothing (Keras 2 and 3)"
    )
    help = "compile `{model}` while it is trainable, or override `train_step` (one optimizer per network)"
    severity = Severity.ERROR
    reference = "reference_impls/gan.py"
    # A freeze, a compile and a training call (darklint.gate).
    requires_names = ("trainable", "compile", TRAINS)

    def finish(self) -> None:
        semantic = self.semantic
        compiles = list(semantic.events(EventKind.COMPILE))
        for compile_event in unique_by_node(compiles):
            occurrences = [e for e in compiles if e.node is compile_event.node]
            if any(e.states.get(e.subject) != FROZEN for e in occurrences):
                continue
            train = semantic.trained_later_without_recompile(compile_event.subject, compile_event)
            freeze = next(
                (
                    e
                    for e in reversed(semantic.trace[: compile_event.index])
                    if e.kind is EventKind.TRAINABLE and e.model == compile_event.model
                ),
                None,
            )
            if train is None or freeze is None:
                continue
            self.report(
                compile_event.node,
                related={"frozen here": freeze.node, "trained here": train.node},
                model=semantic.label(compile_event.subject),
            )

    VALID = (
        # Frozen and compiled for inference only: nothing is trained.
        Valid(
            """
import keras
model = keras.models.load_model("m.keras")
model.trainable = False
model.compile(loss="mse")
model.evaluate(x, y)
"""
        ),
        # Frozen on one path only.
        Valid(
            """
import keras
model = keras.Sequential([keras.layers.Dense(1)])
if finetune:
    model.trainable = False
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
"""
        ),
        # Unfrozen again before the compile.
        Valid(
            """
from keras import Sequential, layers
d = Sequential([layers.Dense(1)])
d.trainable = False
d.trainable = True
d.compile(optimizer="adam", loss="mse")
d.fit(x, y)
"""
        ),
        # A torch module with a `trainable` attribute is not Keras.
        Valid(
            """
import torch
net = torch.nn.Linear(2, 1)
net.trainable = False
net = torch.compile(net)
"""
        ),
    )
    INVALID = (
        Invalid(
            """
from keras import Sequential, layers
d = Sequential([layers.Dense(1)])
d.trainable = False
d.compile(optimizer="adam", loss="binary_crossentropy")  # expect: DK102
d.train_on_batch(x, y)
"""
        ),
        # Through a one-purpose helper, and every layer frozen one by one.
        Invalid(
            """
import tensorflow as tf

def set_trainable(model, flag):
    model.trainable = flag
    for layer in model.layers:
        layer.trainable = flag

d = tf.keras.Sequential([tf.keras.layers.Dense(1)])
set_trainable(d, False)
d.compile(optimizer="adam", loss="mse")  # expect: DK102
d.fit(x, y)
"""
        ),
    )
