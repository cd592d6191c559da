from __future__ import annotations

from collections.abc import Mapping

from darklint.diagnostics import Severity
from darklint.rule import Invalid, Valid
from darklint.rules.output_heads import BINARY, HeadLossRule, Pairing

# Multi-label targets (several 1s per row), keras 3.15.1, MLP, 20 epochs, seeds
# 0-2 (tests/evidence/test_output_head_evidence.py; jax was not measured).
OUTCOME = {
    "tensorflow": "{backends}: per-tag accuracy 0.71-0.76 against 0.99, with a loss as low as "
    "the right pair's",
    "torch": "{backends}: per-tag accuracy 0.65-0.73 against 0.99",
}


class SoftmaxHeadWithBinaryCrossentropy(HeadLossRule):
    """A softmax over several units, scored unit by unit with `binary_crossentropy`.

    ## What it does
    Finds `compile()` of a model whose output layer is a softmax over more
    than one unit with `binary_crossentropy` (probabilities). **Off by
    default** (`--select DK901`): whether it is a bug depends on the targets,
    which a linter cannot see.

    ## Why is this bad?
    `binary_crossentropy` scores each unit as its own yes/no: the loss of a
    multi-label problem (tags; several 1s per row). Softmax makes the units
    compete for one total of 1.0, so two tags can never both be predicted
    present. Measured on three independent tags (keras 3.15.1, three seeds):
    per-tag accuracy 0.71–0.76 on TensorFlow and 0.65–0.73 on torch, against
    0.99 with sigmoid units; all three tags right for 0.29–0.40 of the
    samples against 0.98. TensorFlow computes the loss from the pre-softmax
    logits, so the loss curve is as low as the right pair's and shows
    nothing. With one-hot targets (one class per row) the same pair trains
    (0.994 against 0.998 with `categorical_crossentropy`): then it is only
    unusual, which is why the rule is off by default.

    ## Example
    ```python
    model = keras.Sequential([layers.Dense(64, activation="relu"),
                              layers.Dense(num_tags, activation="softmax")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    ```

    ## Use instead
    Tags: `sigmoid` units with `binary_crossentropy`. One class per sample:
    `softmax` with `categorical_crossentropy`.

    ## PyTorch reference
    `reference_impls/classifier.py`: logits with `BCEWithLogitsLoss`
    (independent yes/no per unit) or `CrossEntropyLoss` (one class).

    ## Fix safety
    No automatic fix: sigmoid or categorical crossentropy depends on the
    targets.

    ## References
    - `tests/evidence/test_output_head_evidence.py`
    """

    code = "DK901"
    name = "softmax-head-with-binary-crossentropy"
    message = (
        "{what} is a softmax over {units} units scored with `binary_crossentropy`: if the "
        "targets are multi-label, softmax makes the labels compete and at most one can be "
        "predicted present{outcome}"
    )
    help = "multi-label: use sigmoid units; one class per sample: use categorical_crossentropy"
    severity = Severity.WARNING
    default_enabled = False

    def judge(self, pairing: Pairing) -> Mapping[str, object] | None:
        head, loss = pairing.head, pairing.loss
        if (
            head.activation != "softmax"
            or head.units is None
            or head.units < 2
            or loss.name != BINARY
            or loss.from_logits is not False
        ):
            return None
        outcome = self.for_backends(OUTCOME, "; ")
        return {"units": head.units, "outcome": f" ({outcome})" if outcome else ""}

    VALID = (
        # Tags with sigmoid units; classes with categorical crossentropy.
        Valid(
            """
import keras
from keras import layers
tags = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(5, activation="sigmoid")])
tags.compile(optimizer="adam", loss="binary_crossentropy")
classes = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(5, activation="softmax")])
classes.compile(optimizer="adam", loss="categorical_crossentropy")
"""
        ),
        # Units from a parameter the code does not show.
        Valid(
            """
import keras
from keras import layers
def build(n):
    model = keras.Sequential([layers.Dense(n, activation="softmax")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import keras
from keras import layers
model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(5, activation="softmax")])
model.compile(optimizer="adam", loss="binary_crossentropy")  # expect: DK901
model.fit(x, y)
"""
        ),
    )
