from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from darklint.diagnostics import Severity
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.output_heads import PROBABILITIES, HeadLossRule, Pairing

if TYPE_CHECKING:
    import libcst as cst

# What training does with the activation applied twice, per backend (keras
# 3.15.1: tests/evidence/test_output_head_evidence.py; jax was not measured).
OUTCOME = {
    "tensorflow": "{backends} notices the {activation}, undoes it and warns",
    "torch": (
        "{backends} applies {activation} twice, silently: the loss cannot fall to 0 "
        "(measured: {floor}) and the probabilities trained are not the model's"
    ),
}
# The final loss of the double activation against the right pair's, measured.
FLOOR = {"sigmoid": "0.51 against 0.03", "softmax": "0.57 against 0.04 over three classes"}


class ProbabilityHeadWithLogitsLoss(HeadLossRule):
    """The output is already a probability, and the loss applies the activation again.

    ## What it does
    Finds `compile()` of a model whose output ends in `sigmoid` or `softmax`
    with a crossentropy built with `from_logits=True`
    (`BinaryCrossentropy`, `CategoricalCrossentropy`,
    `SparseCategoricalCrossentropy`). For a model with several outputs, each
    output is matched with its own loss (a list in order, a dict by name).

    ## Why is this bad?
    `from_logits=True` tells the loss to apply the sigmoid/softmax itself:
    the probabilities get squashed a second time. Same source, different
    training per backend (keras 3.15.1, MLP, 20 epochs, three seeds,
    measured): TensorFlow recognises the activation, strips it and warns, and
    its loss equals the right pair's to the last digit; torch trains the double
    activation without a word: the binary loss ends at 0.49–0.51, on the floor
    a sigmoid of a sigmoid allows, against 0.03 with the right pair (three
    classes: 0.57 against 0.04). Accuracy was not harmed on this data, but
    the loss curve, early stopping on it and the calibration of the
    probabilities are those of another objective, on one backend only.

    ## Example
    ```python
    model = keras.Sequential([layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam",
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    ```

    ## Use instead
    Either probabilities and the default `from_logits=False`, or a linear
    head (no activation) with `from_logits=True` — numerically the most
    stable, and what PyTorch does:
    ```python
    layers.Dense(1)  # logits
    model.compile(optimizer="adam",
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    ```

    ## PyTorch reference
    `reference_impls/classifier.py`: the model returns logits and
    `BCEWithLogitsLoss` / `CrossEntropyLoss` apply the activation once.

    ## Fix safety
    Unsafe: `from_logits=True` is removed from the loss written in the
    compile call. On torch the objective changes (to the intended one); on
    TensorFlow the numbers stay as they were.

    ## References
    - keras.io, `BinaryCrossentropy` ("from_logits: whether to interpret
      `y_pred` as a tensor of logit values")
    - `tests/evidence/test_output_head_evidence.py`
    """

    code = "DK402"
    name = "probability-head-with-logits-loss"
    message = (
        "{what} ends in {activation}, but its loss applies the activation again "
        "(`from_logits=True`){outcome}"
    )
    help = "drop `from_logits=True`, or remove the {activation} from the output layer"
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_title = "Remove `from_logits=True`"

    def judge(self, pairing: Pairing) -> Mapping[str, object] | None:
        head, loss = pairing.head, pairing.loss
        if head.activation not in PROBABILITIES or loss.from_logits is not True:
            return None
        outcome = self.for_backends(
            {
                backend: clause.replace("{activation}", head.activation).replace(
                    "{floor}", FLOOR[head.activation]
                )
                for backend, clause in OUTCOME.items()
            },
            "; ",
        )
        return {"activation": head.activation, "outcome": f": {outcome}" if outcome else ""}

    def fix_for(self, pairing: Pairing) -> Replacement | None:
        return _without_from_logits(pairing.loss.node)

    VALID = (
        # Probabilities with the default from_logits=False; logits with from_logits=True.
        Valid(
            """
import keras
from keras import layers
probs = keras.Sequential([layers.Dense(1, activation="sigmoid")])
probs.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy())
logits = keras.Sequential([layers.Dense(3)])
logits.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
"""
        ),
        # from_logits from a setting the code does not show.
        Valid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=cfg.logits))
"""
        ),
        # A model computing its own loss in train_step.
        Valid(
            """
import keras
from keras import layers
class Net(keras.Model):
    def train_step(self, data):
        return {}
inputs = keras.Input((4,))
net = Net(inputs, layers.Dense(1, activation="sigmoid")(inputs))
net.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
"""
        ),
    )
    INVALID = (
        # Other arguments of the loss stay, with their commas right.
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(1, activation="sigmoid")])
model.compile("adam", keras.losses.BinaryCrossentropy(label_smoothing=0.1, from_logits=True))  # expect: DK402
model.fit(x, y)
""",
            fixed="""
import keras
from keras import layers
model = keras.Sequential([layers.Dense(1, activation="sigmoid")])
model.compile("adam", keras.losses.BinaryCrossentropy(label_smoothing=0.1))  # expect: DK402
model.fit(x, y)
""",
            unsafe=True,
        ),
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))  # expect: DK402
model.fit(x, y)
""",
            fixed="""
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy())  # expect: DK402
model.fit(x, y)
""",
            unsafe=True,
        ),
        # The loss made elsewhere; only the mismatched output of two is reported.
        Invalid(
            """
import tensorflow as tf
inputs = tf.keras.Input((8,))
h = tf.keras.layers.Dense(16, activation="relu")(inputs)
kind = tf.keras.layers.Dense(3, activation="softmax", name="kind")(h)
real = tf.keras.layers.Dense(1, name="real")(h)
model = tf.keras.Model(inputs, [kind, real])
cce = tf.keras.losses.CategoricalCrossentropy(from_logits=True)
bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)
model.compile(
    optimizer="adam",
    loss={
        "kind": cce,  # expect: DK402
        "real": bce,
    },
)
model.fit(x, y)
"""
        ),
    )


def _without_from_logits(node: cst.CSTNode) -> Replacement | None:
    """The loss constructor written in the compile, without its `from_logits=True`."""
    import libcst as cst

    from darklint.rules.keras3_common import edit_arguments, keyword

    found = keyword(node, "from_logits") if isinstance(node, cst.Call) else None
    if found is None:
        return None
    assert isinstance(node, cst.Call)
    return edit_arguments(node, {found[0]: None})
