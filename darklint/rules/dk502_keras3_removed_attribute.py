from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.keras.keras3_removals import Fix, Row, names_of, rows_of
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.keras3_common import (
    Keras3Rule,
    Scope,
    is_keras_receiver,
    is_optimizer_lr,
    positional,
)

if TYPE_CHECKING:
    import libcst as cst


class Keras3RemovedAttribute(Keras3Rule):
    """A method or attribute of Keras 2 models, layers or optimizers that Keras 3 removed.

    ## What it does
    Finds `fit_generator`, `evaluate_generator`, `predict_generator`,
    `predict_classes` and `get_output_at` called on a Keras model or layer,
    and `lr` read from a Keras optimizer (`model.optimizer.lr`). The owner
    must be a Keras model, layer or optimizer the file builds, or a value
    darklint cannot see into; an object of the file's own class with the
    same method, or a method the file defines, is left alone. Assigning
    `optimizer.lr` does not fail: it is silently ignored (DK506).

    ## Why is this bad?
    Each raises `AttributeError` on Keras 3, at the line that uses it, so a
    training script that ran on Keras 2 stops there (after building and
    compiling, and maybe after loading its data).

    ## Example
    ```python
    model.fit_generator(batches, steps_per_epoch=100, epochs=10)
    K.set_value(model.optimizer.lr, 1e-4)
    ```

    ## Use instead
    ```python
    model.fit(batches, steps_per_epoch=100, epochs=10)
    model.optimizer.learning_rate = 1e-4
    ```

    ## PyTorch reference
    `reference_impls/gan.py`: the training loop calls the networks and
    the optimizers' `step()` directly; the learning rate lives in the
    optimizer's `param_groups`.

    ## Fix safety
    Safe: `fit_generator(` becomes `fit(` when the generator is the only
    positional argument and every keyword is one `fit` takes (Keras 2's
    `fit_generator` called `fit` itself); `.lr` becomes `.learning_rate`.
    `evaluate_generator`/`predict_generator` become `evaluate`/`predict`
    safely when `verbose=` is written; without it the fix is unsafe (they
    print a progress bar where the old methods printed none).
    `predict_classes` and `get_output_at` have no fix: the replacement
    depends on the output activation and on the node.

    ## References
    - keras.io, "Migrating Keras 2 code to multi-backend Keras 3"
    - tensorflow/tensorflow#52164 (`predict_classes` removed in TF 2.6)
    """

    code = "DK502"
    name = "keras3-removed-attribute"
    reference = "reference_impls/gan.py"
    fix_safety = FixSafety.SOMETIMES_SAFE
    requires_names = (names_of("DK502"),)

    def check(self, scope: Scope) -> None:
        by_name = {row.name: row for row in rows_of(self.code)}
        stores = set(self.nodes.stores)
        for attribute in self.nodes.attributes:
            row = by_name.get(attribute.attr.value)
            if row is None or attribute in stores:
                continue
            if row.name == "lr":
                if is_optimizer_lr(self, attribute):
                    fix = Replacement(attribute.attr, _name(row.new))
                    self.report_row(attribute.attr, row, self.code_of(attribute), fix)
                continue
            if not is_keras_receiver(self, attribute, scope):
                continue
            call = self.nodes.call_of.get(attribute)
            api = self.code_of(attribute) + ("(…)" if call is not None else "")
            self.report_row(attribute.attr, row, api, self._fix(attribute, call, row))

    @staticmethod
    def _fix(attribute: cst.Attribute, call: cst.Call | None, row: Row) -> Replacement | None:
        if row.fix is Fix.NONE or call is None:
            return None
        keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
        if len(positional(call)) > 1 or any(arg.star for arg in call.args):
            return None
        if not keywords <= set(row.params):
            return None
        # `evaluate_generator(…)` without `verbose=`: `evaluate` prints a progress bar.
        safe = not row.needs or row.needs in keywords
        return Replacement(attribute.attr, _name(row.new), safe=safe)

    VALID = (
        # The file's own class with the same method, and its own optimizer object.
        Valid(
            """
import keras

class Wrapper:
    def __init__(self):
        self.optimizer = object()

    def fit_generator(self, batches):
        return self.optimizer.lr

w = Wrapper()
w.fit_generator(batches)
"""
        ),
        # A method the file defines, called on a value it cannot see into; torch's learning rate.
        Valid(
            """
import keras
import torch

def predict_classes(model, x):
    return model.predict(x).argmax(-1)

def run(net):
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    rate = opt.param_groups[0]["lr"]
    return net.predict_classes(x)
"""
        ),
        # Keras 3 spellings, and `lr` assigned (DK506's business).
        Valid(
            """
import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(batches, steps_per_epoch=10)
rate = model.optimizer.learning_rate
model.optimizer.lr = 0.1
"""
        ),
    )
    INVALID = (
        Invalid(
            """
from keras.models import Sequential
from keras.layers import Dense
from keras import backend as K
model = Sequential([Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit_generator(batches, steps_per_epoch=10, epochs=2)  # expect: DK502
print(model.optimizer.lr)  # expect: DK502
scores = model.evaluate_generator(batches, steps=5)  # expect: DK502
labels = model.predict_classes(x)  # expect: DK502
""",
            fixed="""
from keras.models import Sequential
from keras.layers import Dense
from keras import backend as K
model = Sequential([Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(batches, steps_per_epoch=10, epochs=2)  # expect: DK502
print(model.optimizer.learning_rate)  # expect: DK502
scores = model.evaluate_generator(batches, steps=5)  # expect: DK502
labels = model.predict_classes(x)  # expect: DK502
""",
        ),
        # The same with --unsafe-fixes: evaluate prints a progress bar.
        Invalid(
            """
import keras

def train(model, batches):
    model.fit_generator(batches, 100, 5)  # expect: DK502
    model.fit_generator(batches, workers=4)  # expect: DK502
    return model.evaluate_generator(batches, steps=5)  # expect: DK502
""",
            fixed="""
import keras

def train(model, batches):
    model.fit_generator(batches, 100, 5)  # expect: DK502
    model.fit_generator(batches, workers=4)  # expect: DK502
    return model.evaluate(batches, steps=5)  # expect: DK502
""",
            unsafe=True,
        ),
    )


def _name(value: str) -> cst.Name:
    import libcst as cst

    return cst.Name(value)
