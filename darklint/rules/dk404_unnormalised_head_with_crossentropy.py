from __future__ import annotations

from collections.abc import Mapping

from darklint.diagnostics import Severity
from darklint.rule import Invalid, Valid
from darklint.rules.output_heads import BINARY, CLIPPED, HeadLossRule, Pairing

# Heads whose outputs can all be 0 (relu cuts every negative): categorical
# crossentropy divides by their sum, 0 / 0.  And heads whose outputs can be
# negative: the "probabilities" leave [0, 1].  Heads with positive outputs
# (softplus, exponential) normalise fine and are not reported (measured).
CAN_BE_ZERO = frozenset({"relu", "relu6", "hard_sigmoid"})
CAN_BE_NEGATIVE = frozenset({"tanh", "elu", "selu", "softsign", "silu", "gelu", "leaky_relu"})
# Outside (0, 1), where binary_crossentropy clips: hard_sigmoid stays inside.
OUTSIDE_UNIT = (CAN_BE_ZERO - {"hard_sigmoid"}) | CAN_BE_NEGATIVE

# keras 3.15.1, MLP, 20 epochs, seeds 0-2 (tests/evidence/test_output_head_evidence.py;
# jax was not measured).
NAN = {
    "tensorflow": "{backends}: NaN loss from the first epoch, NaN outputs, one class for all",
    "torch": "{backends}: NaN loss in most epochs",
}
NAN_SPARSE = {
    "tensorflow": "{backends}: a finite loss, accuracy 0.37-0.56 against 0.998",
    "torch": "{backends}: NaN loss in most epochs",
}
NEGATIVE = {
    "tensorflow": "{backends}: accuracy 0.05-0.90 against 0.998",
    "torch": "{backends}: accuracy 0.10-0.94 against 0.998",
}


class UnnormalisedHeadWithCrossentropy(HeadLossRule):
    """A relu/tanh-like output layer trained with a crossentropy that expects probabilities.

    ## What it does
    Finds `compile()` of a model whose output layer's activation is neither
    a probability (`sigmoid`, `softmax`) nor linear: `relu`, `relu6`,
    `hard_sigmoid` (with the categorical losses), `tanh`, `elu`, `selu`,
    `softsign`, `silu`/`swish`, `gelu`, `leaky_relu`, compiled with
    `binary_crossentropy`, `categorical_crossentropy` or
    `sparse_categorical_crossentropy` (probabilities, `from_logits=False`).
    Usually a hidden layer's activation copied onto the output layer.

    ## Why is this bad?
    `categorical_crossentropy` divides the outputs by their sum and takes the
    log. A relu head whose outputs are all cut to 0 gives 0 / 0 (keras
    3.15.1, measured): on TensorFlow the loss is NaN from the first epoch,
    the outputs become NaN and one class is predicted for everything; on
    torch the loss is NaN in 8–19 of 20 epochs. With
    `sparse_categorical_crossentropy`, TensorFlow stays finite at an accuracy
    near chance. Heads with negative outputs (tanh, elu...) make
    "probabilities" outside [0, 1]: accuracy 0.05–0.90 on TensorFlow and
    0.10–0.94 on torch against 0.998 for softmax (tanh, elu, selu, softsign,
    silu, gelu, leaky_relu; three seeds). `binary_crossentropy` clips the outputs into
    [1e-7, 1 - 1e-7]: a positive sample scored at or below 0 costs 16.1 and
    gets no gradient, so it is never corrected. Heads with positive outputs
    (`softplus`, `exponential`) normalise correctly and are not reported.

    ## Example
    ```python
    model = keras.Sequential([layers.Dense(64, activation="relu"),
                              layers.Dense(num_classes, activation="relu")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    ```

    ## Use instead
    `softmax` (classes) or `sigmoid` (binary, multi-label) on the output
    layer, or no activation and `from_logits=True` on the loss.

    ## PyTorch reference
    `reference_impls/classifier.py`: the model returns logits and the loss
    applies softmax/sigmoid itself.

    ## Fix safety
    No automatic fix: which activation was meant (softmax, sigmoid, or
    logits) is the author's choice.

    ## References
    - keras-team/keras#12096 (`Dense(2, activation="relu")` with
      `categorical_crossentropy`: the loss never changes)
    - `tests/evidence/test_output_head_evidence.py`
    """

    code = "DK404"
    name = "unnormalised-head-with-crossentropy"
    message = "{what} ends in {activation}, but `{loss}` expects probabilities: {outcome}"
    help = "use softmax or sigmoid on the output layer, or no activation and `from_logits=True`"
    severity = Severity.ERROR

    def judge(self, pairing: Pairing) -> Mapping[str, object] | None:
        head, loss = pairing.head, pairing.loss
        if loss.from_logits is not False:
            return None
        outcome = self._outcome(head.activation or "", loss.name or "")
        if outcome is None:
            return None
        return {"activation": head.activation, "loss": loss.name, "outcome": outcome}

    def _outcome(self, activation: str, loss: str) -> str | None:
        if loss == BINARY:
            return CLIPPED if activation in OUTSIDE_UNIT else None
        if activation in CAN_BE_ZERO:
            outcome = self.for_backends(NAN if loss.startswith("categorical") else NAN_SPARSE, "; ")
            return f"a sample whose outputs are all 0 divides 0 by 0 ({outcome})"
        if activation in CAN_BE_NEGATIVE:
            outcome = self.for_backends(NEGATIVE, "; ")
            return f"negative outputs make its probabilities leave [0, 1] ({outcome})"
        return None

    VALID = (
        # Probability heads; positive heads normalise fine; logits with from_logits=True.
        Valid(
            """
import keras
from keras import layers
a = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")])
a.compile(optimizer="adam", loss="categorical_crossentropy")
b = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3, activation="softplus")])
b.compile(optimizer="adam", loss="categorical_crossentropy")
c = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3, activation="relu")])
c.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
"""
        ),
        # A tanh generator compiled with the discriminator's loss but only trained
        # inside the combined model: its own loss is never used.
        Valid(
            """
import keras
from keras import layers
g = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(2, activation="tanh")])
d = keras.Sequential([layers.Dense(1, activation="sigmoid")])
g.compile(optimizer="adam", loss="binary_crossentropy")
d.compile(optimizer="adam", loss="binary_crossentropy")
gan = keras.Sequential([g, d])
gan.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    d.train_on_batch(x, y)
    gan.train_on_batch(z, ones)
"""
        ),
        # A regression head: relu with mean squared error.
        Valid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1, activation="relu")])
model.compile(optimizer="adam", loss="mse")
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(3, activation="relu")])
model.compile(optimizer="adam", loss="categorical_crossentropy")  # expect: DK404
model.fit(x, y)
"""
        ),
        # A tanh output with binary_crossentropy, the model built in a function.
        Invalid(
            """
import tensorflow as tf

def build():
    inputs = tf.keras.Input((8,))
    x = tf.keras.layers.Dense(16, activation="relu")(inputs)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(1, activation="tanh")(x))

model = build()
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])  # expect: DK404
model.fit(x, y)
"""
        ),
    )
