from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.facts import EventKind, Loop, ModelId
from darklint.keras.vocabulary import MAKES_MODELS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule


class ManualMultiModelTrainLoop(KerasRule):
    """A hand-written loop calls `train_on_batch` on two or more Keras models.

    ## What it does
    Finds the innermost `for`/`while` loop whose body calls `train_on_batch`
    on at least two distinct Keras models, directly or through methods and
    `self.<attr>` models it calls.

    ## Why is this bad?
    Everything `fit()` gives is lost: callbacks (checkpointing, early
    stopping, learning-rate schedules), the `History` object, TensorBoard
    logging, progress bars, and distribution strategies. The order of the
    updates and the bookkeeping of each network's loss are kept by hand, and
    every model in the loop needs its own `compile()`, which is what leads to
    the `trainable` toggling of DK101 and the shared optimizers of DK104.
    The same holds for Keras 2 and Keras 3.

    ## Example
    ```python
    for epoch in range(epochs):
        d_loss = discriminator.train_on_batch(x, y)
        g_loss = combined.train_on_batch(z, ones)
        print(epoch, d_loss, g_loss)
    ```

    ## Use instead
    One `keras.Model` subclass whose `train_step` updates both networks and
    returns `{"d_loss": ..., "g_loss": ...}`, trained with `fit()` and any
    callbacks (keras.io "DCGAN overriding `train_step`").

    ## PyTorch reference
    `reference_impls/gan.py`: an explicit loop is the idiom in PyTorch, with
    one optimizer per network and both losses logged.

    ## Fix safety
    No automatic fix.

    ## References
    - keras.io, "DCGAN overriding train_step"; eriklindernoren/Keras-GAN
    """

    code = "DK201"
    name = "manual-multi-model-train-loop"
    message = (
        "this loop trains {models} by hand with `train_on_batch`: fit()'s callbacks, History, "
        "TensorBoard logs, progress bars and distribution are lost"
    )
    help = "override `train_step` (one optimizer per network) and train with `fit()`"
    severity = Severity.WARNING
    reference = "reference_impls/gan.py"
    # `train_on_batch` on models (darklint.gate).
    requires_names = ("train_on_batch", MAKES_MODELS)

    def finish(self) -> None:
        import libcst as cst  # not at module level: the rule table stays libcst-free

        semantic = self.semantic
        trained: dict[Loop, set[ModelId]] = {}
        # The first `train_on_batch` of each model in each loop: the related places.
        calls: dict[Loop, dict[ModelId, cst.CSTNode]] = {}
        # (outer, inner) for every pair of loops nested in some event's loop stack.
        nested: set[tuple[Loop, Loop]] = set()
        for event in semantic.trace:
            stack = event.loops
            nested.update(
                (stack[i], stack[j]) for i in range(len(stack)) for j in range(i + 1, len(stack))
            )
            if event.kind is EventKind.TRAIN and event.method == "train_on_batch":
                for loop in stack:
                    trained.setdefault(loop, set()).add(event.subject)
                    calls.setdefault(loop, {}).setdefault(event.subject, event.node)
        qualifying = [loop for loop, models in trained.items() if len(models) >= 2]
        # Loops with a qualifying loop inside: that inner loop is the one reported.
        qualifying_set = set(qualifying)
        around_qualifying = {
            outer for outer, inner in nested if inner != outer and inner in qualifying_set
        }
        reported: set[int] = set()
        for loop in qualifying:
            if loop in around_qualifying or id(loop.node) in reported:
                continue  # an inner loop already trains two models; or reported from another call
            reported.add(id(loop.node))
            labels = sorted(f"`{semantic.label(model)}`" for model in trained[loop])
            header_end = loop.node.iter if isinstance(loop.node, cst.For) else loop.node.test
            # In the order the loop trains them.
            related = {
                f"`{semantic.label(model)}` trained here": node
                for model, node in calls[loop].items()
            }
            self.report(
                loop.node,
                end_node=header_end,
                related=related,
                models=", ".join(labels[:-1]) + f" and {labels[-1]}",
            )

    VALID = (
        # A trainer for torch modules in a file that also uses Keras.
        Valid(
            """
import keras
import torch

def train(model, optimizer, loader):
    for x, y in loader:
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

scaler = keras.layers.Normalization()
"""
        ),
        # One model, rebuilt on every pass of the loop, is still one model per iteration.
        Valid(
            """
from keras import layers, models
for fold in range(5):
    model = models.Sequential([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(x, y)
"""
        ),
        # A loop over models calling fit on each.
        Valid(
            """
import keras
models = [keras.Sequential([keras.layers.Dense(1)]) for _ in range(3)]
for model in models:
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y)
"""
        ),
        # One model trained by hand is DK201's business only with two.
        Valid(
            """
import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
for step in range(100):
    model.train_on_batch(x, y)
"""
        ),
        # sklearn-style objects with the same method name.
        Valid(
            """
from sklearn.linear_model import SGDClassifier
a, b = SGDClassifier(), SGDClassifier()
for batch in batches:
    a.train_on_batch(batch)
    b.train_on_batch(batch)
"""
        ),
    )
    INVALID = (
        # The models arrive packed in one parameter (`models`), unpacked in the trainer.
        Invalid(
            """
import numpy as np
import keras

def train(models, x_train, steps):
    generator, discriminator, adversarial = models
    for i in range(steps):  # expect: DK201
        fake = generator.predict_on_batch(noise)
        discriminator.train_on_batch(np.concatenate((x_train[:16], fake)), y)
        adversarial.train_on_batch(noise, ones)
"""
        ),
        # A trainer whose models are parameters, called from another file:
        # `train_on_batch` says they are Keras models.
        Invalid(
            """
import numpy as np
import keras

class Trainer:
    def train(self, generator, discriminator, gan, data, epochs):
        for epoch in range(epochs):
            for x, y in data:  # expect: DK201
                fake = generator.predict_on_batch(x)
                discriminator.train_on_batch(np.concatenate([y, fake]), labels)
                gan.train_on_batch(x, valid)
"""
        ),
        Invalid(
            """
from keras import Model, Sequential, Input, layers
d = Sequential([layers.Dense(1)])
g = Sequential([layers.Dense(2)])
z = Input((2,))
combined = Model(z, d(g(z)))
d.compile(optimizer="adam", loss="binary_crossentropy")
combined.compile(optimizer="adam", loss="binary_crossentropy")
for epoch in range(10):
    for batch in range(5):  # expect: DK201
        d.train_on_batch(x, y)
        combined.train_on_batch(z, y)
"""
        ),
        # Through methods and self attributes.
        Invalid(
            """
import keras

class GAN:
    def __init__(self):
        self.d = keras.Sequential([keras.layers.Dense(1)])
        self.g = keras.Sequential([keras.layers.Dense(2)])

    def d_step(self, x, y):
        return self.d.train_on_batch(x, y)

    def train(self, epochs):
        for epoch in range(epochs):  # expect: DK201
            self.d_step(x, y)
            self.g.train_on_batch(z, y)
"""
        ),
    )
