from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from darklint.diagnostics import Severity
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.output_heads import (
    BINARY,
    CATEGORICAL,
    CLIPPED,
    SPARSE,
    HeadLossRule,
    Pairing,
    loss_class_spelling,
)

if TYPE_CHECKING:
    import libcst as cst

# What training on logits as probabilities does, per loss and backend (keras
# 3.15.1, MLP, 20 epochs, seeds 0-2: tests/evidence/test_output_head_evidence.py;
# jax was not measured).  The categorical losses divide the outputs by their sum.
OUTCOME: dict[str, dict[str, str]] = {
    CATEGORICAL: {
        "tensorflow": "{backends}: accuracy 0.21-0.38 against 0.998",
        "torch": "{backends}: accuracy 0.21-0.35 against 1.0",
    },
    SPARSE: {
        "tensorflow": "{backends}: accuracy 0.48-0.73 against 0.998",
        "torch": "{backends}: accuracy 0.21-0.35 against 1.0",
    },
}


class LinearHeadWithProbabilityLoss(HeadLossRule):
    """The output has no activation (logits), and the loss expects probabilities.

    ## What it does
    Finds `compile()` of a model whose output layer has no activation
    (`Dense(n)`, `activation=None` or `"linear"`) with
    `binary_crossentropy`, `categorical_crossentropy` or
    `sparse_categorical_crossentropy` as probabilities (a string, a loss
    function, or a loss class with the default `from_logits=False`). For a
    model with several outputs, each output is matched with its own loss.

    ## Why is this bad?
    With `from_logits=False` Keras treats the outputs as probabilities:
    `binary_crossentropy` clips them into [1e-7, 1 - 1e-7] before the log,
    so every output outside (0, 1) gets no gradient; `categorical_crossentropy`
    divides them by their sum, which for logits (negative values, a sum near
    zero) is meaningless. Keras accepts it and training runs (keras 3.15.1,
    MLP, 20 epochs, three seeds, measured): with three classes and
    `categorical_crossentropy` accuracy ends at 0.21–0.38 on TensorFlow and
    0.21–0.35 on torch, against 0.998–1.0 with `from_logits=True`
    (`sparse_categorical_crossentropy`: 0.48–0.73 on TensorFlow). With one
    unit and `binary_crossentropy`, 76–90 % of the outputs end outside
    [0, 1]; a positive sample scored anywhere below 0 costs 16.1 whatever its
    score, so it gets no gradient (accuracy 0.977–0.998 against 0.996–1.0:
    the harm depends on how many samples end up there).

    ## Example
    ```python
    model = keras.Sequential([layers.Dense(64, activation="relu"),
                              layers.Dense(num_classes)])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    ```

    ## Use instead
    Keep the logits and tell the loss (numerically the most stable, and what
    PyTorch does), or add the activation to the output layer:
    ```python
    model.compile(optimizer="adam",
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    ```

    ## PyTorch reference
    `reference_impls/classifier.py`: logits and `CrossEntropyLoss` /
    `BCEWithLogitsLoss`, which apply the activation themselves.

    ## Fix safety
    Unsafe: the loss becomes its class with `from_logits=True`, which changes
    the objective (to the intended one). `predict` keeps returning logits:
    code downstream that thresholds at 0.5 must threshold at 0, or apply
    `keras.ops.sigmoid`/`softmax` first.

    ## References
    - keras.io, `CategoricalCrossentropy` ("from_logits: whether `y_pred` is
      expected to be a logits tensor. By default, we assume that `y_pred`
      encodes a probability distribution")
    - `tests/evidence/test_output_head_evidence.py`
    """

    code = "DK403"
    name = "linear-head-with-probability-loss"
    message = (
        "{what} has no activation, so it outputs logits, but `{loss}` expects "
        "{activation} probabilities: {outcome}"
    )
    help = "pass `from_logits=True` to the loss, or give the output layer a {activation}"
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_title = "Use `from_logits=True`"

    def judge(self, pairing: Pairing) -> Mapping[str, object] | None:
        head, loss = pairing.head, pairing.loss
        if head.activation != "linear" or loss.from_logits is not False:
            return None
        assert loss.name is not None
        if loss.name == BINARY:
            outcome = CLIPPED
        else:
            measured = self.for_backends(OUTCOME[loss.name], "; ")
            outcome = "negative logits make its probabilities meaningless" + (
                f" ({measured})" if measured else ""
            )
        return {
            "loss": loss.name,
            "activation": "sigmoid" if loss.name == BINARY else "softmax",
            "outcome": outcome,
        }

    def fix_for(self, pairing: Pairing) -> Replacement | None:
        assert pairing.loss.name is not None
        return self._from_logits(pairing.loss.node, pairing.loss.name)

    def _from_logits(self, node: cst.CSTNode, loss: str) -> Replacement | None:
        import libcst as cst

        from darklint.rules.keras3_common import edit_arguments, keyword

        true = cst.Arg(
            cst.Name("True"),
            keyword=cst.Name("from_logits"),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        )
        if isinstance(node, cst.SimpleString):
            spelled = loss_class_spelling(self.context.module, self.context.source, loss)
            if spelled is None:
                return None
            call = cst.Call(cst.parse_expression(spelled), args=[true])
            return Replacement(node, call, safe=False)
        if not isinstance(node, cst.Call) or any(arg.star for arg in node.args):
            return None
        found = keyword(node, "from_logits")
        if found is not None:  # `from_logits=False` written: say True instead
            index, arg = found
            return edit_arguments(node, {index: arg.with_changes(value=true.value)})
        args = list(node.args)
        if args:
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            args[-1] = args[-1].with_changes(comma=comma)
        return Replacement(node, node.with_changes(args=[*args, true]), safe=False)

    VALID = (
        # Logits with from_logits=True; probabilities with the default.
        Valid(
            """
import keras
from keras import layers
logits = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(10)])
logits.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
probs = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(10, activation="softmax")])
probs.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
"""
        ),
        # A regression head with mean squared error.
        Valid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
"""
        ),
        # The activation comes after the last Dense, in its own layer.
        Valid(
            """
import keras
from keras import layers
inputs = keras.Input((8,))
x = layers.Dense(3)(inputs)
x = layers.Dropout(0.2)(x)
outputs = layers.Activation("softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="categorical_crossentropy")
"""
        ),
        # Compiled for inference only (weights loaded, then predict): the loss never trains.
        Valid(
            """
import keras
from keras import layers
def load():
    g = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3)])
    g.compile(optimizer="adam", loss="categorical_crossentropy")
    g.load_weights("g.weights.h5")
    return g
samples = load().predict(z)
"""
        ),
        # The last layer is not one the semantic model knows: no judgement.
        Valid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16), layers.LSTM(4)])
model.compile(optimizer="adam", loss="binary_crossentropy")
"""
        ),
    )
    INVALID = (
        # `from_logits=False` written out: it becomes True, the other arguments stay.
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3)])
model.compile("adam", keras.losses.CategoricalCrossentropy(from_logits=False, label_smoothing=0.1))  # expect: DK403
model.fit(x, y)
""",
            fixed="""
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3)])
model.compile("adam", keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1))  # expect: DK403
model.fit(x, y)
""",
            unsafe=True,
        ),
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
model.compile(optimizer="adam", loss="categorical_crossentropy")  # expect: DK403
model.fit(x, y)
""",
            fixed="""
import keras
from keras import layers
model = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))  # expect: DK403
model.fit(x, y)
""",
            unsafe=True,
        ),
        # Built by a function, compiled by another; the loss class with its default.
        Invalid(
            """
import tensorflow as tf

def build(n):
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.Dense(32, activation="relu"))
    model.add(tf.keras.layers.Dense(n, activation=None))
    return model

def train(model):
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy())  # expect: DK403
    model.fit(x, y)

train(build(5))
""",
            fixed="""
import tensorflow as tf

def build(n):
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.Dense(32, activation="relu"))
    model.add(tf.keras.layers.Dense(n, activation=None))
    return model

def train(model):
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))  # expect: DK403
    model.fit(x, y)

train(build(5))
""",
            unsafe=True,
        ),
    )
