from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.diagnostics import Severity
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.base import KerasRule
from darklint.rules.output_heads import HEAD_LAYER_NAMES, SOFTMAX_NAMES

if TYPE_CHECKING:
    import libcst as cst

# What training then shows, per backend (keras 3.15.1, with binary_crossentropy:
# tests/evidence/test_output_head_evidence.py; jax was not measured).
OUTCOME = {
    "tensorflow": "{backends}: the loss falls while accuracy stays at the rate of positives",
    "torch": "{backends}: the loss never moves",
}


class SoftmaxOverSingleUnit(KerasRule):
    """A softmax over one unit: the layer outputs 1.0 for every input.

    ## What it does
    Finds a softmax applied over a last axis of size one:
    `Dense(1, activation="softmax")`, `Conv2D(1, 3, activation="softmax")`,
    or `Dense(1)` followed by `Activation("softmax")` / `Softmax()`.

    ## Why is this bad?
    Softmax divides each value by the sum over the axis: over a single unit
    the result is always exactly 1.0. Every prediction is the same, whatever
    the input and the weights, so the model cannot learn, and nothing fails
    to say so but a run-time warning ("You are using a softmax over axis -1
    of a tensor of shape (32, 1)"). What the loss curve shows depends on the
    backend (keras 3.15.1, `binary_crossentropy`, three seeds, measured): on
    TensorFlow the loss is computed from the pre-softmax logit, so it falls
    exactly as a sigmoid head's would (0.60 → 0.03) while accuracy stays at
    the rate of positives (0.50–0.56) — a healthy-looking curve over a
    constant model; on torch the loss never moves (7–8).

    ## Example
    ```python
    model = keras.Sequential([layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation="softmax")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    ```

    ## Use instead
    One unit with `sigmoid` (binary classification), or one unit per class
    with `softmax`:
    ```python
    layers.Dense(1, activation="sigmoid")  # binary_crossentropy
    layers.Dense(num_classes, activation="softmax")  # categorical_crossentropy
    ```

    ## PyTorch reference
    `reference_impls/classifier.py`: the model returns logits and the loss
    (`BCEWithLogitsLoss` for one unit, `CrossEntropyLoss` for classes)
    applies the activation, so the head and the loss cannot disagree.

    ## Fix safety
    Unsafe: `activation="softmax"` becomes `activation="sigmoid"` on a layer
    of one unit, which changes the model (that is the point); it is right
    for a binary classifier trained with `binary_crossentropy`.

    ## References
    - keras.io, `keras.activations.softmax` ("normalized over the last axis")
    - `tests/evidence/test_output_head_evidence.py` (the outcomes above, per backend)
    """

    code = "DK401"
    name = "softmax-over-single-unit"
    message = (
        "softmax over a single unit always outputs 1.0: {layer} predicts the same for every "
        "input{outcome}"
    )
    help = 'use `activation="sigmoid"` for one unit, or one unit per class with softmax'
    severity = Severity.ERROR
    reference = "reference_impls/classifier.py"
    fix_safety = FixSafety.UNSAFE
    fix_title = "Use sigmoid"
    requires_names = (HEAD_LAYER_NAMES, SOFTMAX_NAMES)

    def finish(self) -> None:
        for head in self.semantic.activations:
            if head.activation != "softmax" or head.units != 1:
                continue
            self.report(
                head.node,
                fix=_sigmoid(head.node),
                related={"layer": head.layer if head.layer is not head.node else None},
                layer=f"`{self.code_of(head.layer)}`",
                outcome=_parenthesised(self.for_backends(OUTCOME, "; ")),
            )

    def code_of(self, node: cst.CSTNode) -> str:
        text = self.context.module.code_for_node(node)
        return text if len(text) <= 60 else text[:57] + "..."

    VALID = (
        # One unit with sigmoid; softmax over several units.
        Valid(
            """
import keras
from keras import layers
binary = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
classes = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(10, activation="softmax")])
"""
        ),
        # Attention: a score per time step, softmax over the time axis.
        Valid(
            """
import keras
from keras import layers
seq = keras.Input((20, 32))
scores = layers.Dense(1, activation="tanh")(seq)
weights = layers.Softmax(axis=1)(scores)
flat = layers.Flatten()(layers.Dense(1)(seq))
weights2 = layers.Activation("softmax")(flat)
"""
        ),
        # An activation the code does not show, and a units count from a variable.
        Valid(
            """
import keras
from keras import layers
def head(units, activation):
    return layers.Dense(units, activation=activation)
out = layers.Dense(n_classes, activation="softmax")
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="softmax"),  # expect: DK401
])
model.compile(optimizer="adam", loss="binary_crossentropy")
""",
            fixed="""
import keras
from keras import layers
model = keras.Sequential([
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),  # expect: DK401
])
model.compile(optimizer="adam", loss="binary_crossentropy")
""",
            unsafe=True,
        ),
        # A separate activation layer after one linear unit; tf.keras spelling.
        Invalid(
            """
import tensorflow as tf
inputs = tf.keras.Input((8,))
logit = tf.keras.layers.Dense(1)(inputs)
prob = tf.keras.layers.Activation("softmax")(logit)  # expect: DK401
model = tf.keras.Model(inputs, prob)
"""
        ),
        # A one-filter segmentation head (channels last).
        Invalid(
            """
from keras import layers
mask = layers.Conv2D(1, (1, 1), activation="softmax")(features)  # expect: DK401
"""
        ),
    )


def _sigmoid(node: cst.CSTNode) -> Replacement | None:
    import libcst as cst

    if not isinstance(node, cst.SimpleString) or node.evaluated_value != "softmax":
        return None
    quote = node.value[0]
    return Replacement(node, cst.SimpleString(f"{quote}sigmoid{quote}"), safe=False)


def _parenthesised(text: str) -> str:
    return f" ({text})" if text else ""
