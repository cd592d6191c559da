from __future__ import annotations

from collections.abc import Mapping

from darklint.diagnostics import Severity
from darklint.rule import Invalid, Valid
from darklint.rules.output_heads import CATEGORICAL, HeadLossRule, Pairing


class CategoricalCrossentropyOverSingleUnit(HeadLossRule):
    """`categorical_crossentropy` over a single output unit: the loss is always 0.

    ## What it does
    Finds `compile()` of a model whose output layer has one unit with
    `categorical_crossentropy` (any activation but softmax, which DK401
    reports; with or without `from_logits`).

    ## Why is this bad?
    `categorical_crossentropy` normalises the outputs over the last axis
    (divides them by their sum, or applies softmax with `from_logits=True`)
    before the log. Over one unit the one class always gets probability 1.0:
    the loss is 0 whatever the weights and the labels, so the labels never
    reach the gradients. Measured (keras 3.15.1, a binary task with
    `Dense(1, activation="sigmoid")`, three seeds): the loss is 0.0 in every
    epoch on TensorFlow, which then predicts every sample negative, and below
    7e-8 on torch, where Adam turns that rounding noise into full-size steps;
    accuracy 0.31–0.57 against 0.996 with `binary_crossentropy`. Keras only
    prints a run-time warning. The usual origin: a
    multi-class example's loss kept when the head was changed to one
    sigmoid unit.

    ## Example
    ```python
    model = keras.Sequential([layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    ```

    ## Use instead
    One unit: `binary_crossentropy`. Several classes: one unit per class
    with softmax and `categorical_crossentropy`.

    ## PyTorch reference
    `reference_impls/classifier.py`: `BCEWithLogitsLoss` for one unit,
    `CrossEntropyLoss` over one logit per class.

    ## Fix safety
    No automatic fix: the loss and the targets must change together.

    ## References
    - keras-team/keras#14729 (`Dense(1, activation="sigmoid")` with
      `categorical_crossentropy`: accuracy stuck)
    - `tests/evidence/test_output_head_evidence.py`
    """

    code = "DK405"
    name = "categorical-crossentropy-over-single-unit"
    message = (
        "{what} has a single output unit, and `categorical_crossentropy` over one unit is "
        "always 0: the labels never reach the gradients (measured on TensorFlow and torch: "
        "loss 0 in every epoch, accuracy 0.31-0.57 against 0.996)"
    )
    help = "use `binary_crossentropy` for one unit, or one softmax unit per class"
    severity = Severity.ERROR

    def judge(self, pairing: Pairing) -> Mapping[str, object] | None:
        head, loss = pairing.head, pairing.loss
        if head.units != 1 or head.activation == "softmax" or loss.name != CATEGORICAL:
            return None  # softmax over one unit: DK401
        return {}

    VALID = (
        Valid(
            """
import keras
from keras import layers
binary = keras.Sequential([layers.Dense(1, activation="sigmoid")])
binary.compile(optimizer="adam", loss="binary_crossentropy")
classes = keras.Sequential([layers.Dense(4, activation="softmax")])
classes.compile(optimizer="adam", loss="categorical_crossentropy")
regression = keras.Sequential([layers.Dense(1)])
regression.compile(optimizer="adam", loss="mse")
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])  # expect: DK405
model.fit(x, y)
"""
        ),
        Invalid(
            """
import tensorflow as tf
inputs = tf.keras.Input((8,))
outputs = tf.keras.layers.Dense(1)(inputs)
model = tf.keras.Model(inputs, outputs)
model.compile("adam", tf.keras.losses.CategoricalCrossentropy(from_logits=True))  # expect: DK405
model.fit(x, y)
"""
        ),
    )
