from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.keras.keras3_removals import AVERAGE_POOLING, OPTIMIZERS, Fix, Row, names_of, rows_of
from darklint.keras.vocabulary import Kind, classify
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.keras3_common import (
    Keras3Rule,
    Scope,
    call_api,
    edit_arguments,
    has_comment,
    is_keras_receiver,
)

if TYPE_CHECKING:
    import libcst as cst


# The methods whose keywords a row may name (".fit"): on a Keras model.
METHODS = frozenset({"fit", "fit_generator"})


class Keras3RemovedArgument(Keras3Rule):
    """A keyword argument that Keras 3 no longer accepts.

    ## What it does
    Finds keyword arguments of Keras 1 and 2 that Keras 3 refuses: `lr=` on an
    optimizer, `nb_epoch=` on `fit`, `init=`, `border_mode=`, `W_regularizer=`,
    `subsample=`, `bias=` on layers, `input=`/`output=` on `Model`. The callee
    is resolved through the file's imports (`keras`, `tf.keras`, aliases), and
    `fit` must be called on a Keras model or on a value darklint cannot see
    into (a user's own `fit` method is left alone).

    ## Why is this bad?
    Keras 2 translated these old names with a warning; Keras 3 raises at the
    call (`ValueError: Argument(s) not recognized`, `Unrecognized keyword
    arguments`, or `TypeError` from `fit`), so the script stops at the first
    one, often after minutes of data loading, and the next one waits for the
    next run. The table below is measured on Keras 3.15.1 (TensorFlow and torch).

    ## Example
    ```python
    opt = Adam(lr=0.0002, beta_1=0.5)
    model.fit(x, y, nb_epoch=10)
    ```

    ## Use instead
    ```python
    opt = Adam(learning_rate=0.0002, beta_1=0.5)
    model.fit(x, y, epochs=10)
    ```

    ## PyTorch reference
    `reference_impls/gan.py`: one optimizer per network, built with its
    learning rate in one place (`torch.optim.Adam(params, lr=…)`).

    ## Fix safety
    Safe: the keyword is renamed and its value kept, which is what Keras 2 did
    with it. No fix when the call already passes the new name. `mode=` of
    `BatchNormalization` is only dropped when it is `0` (Keras 2 refused the
    other modes).

    ## References
    - keras.io, "Migrating Keras 2 code to multi-backend Keras 3"
    - Keras 2.2 `keras/legacy/interfaces.py` (the renames Keras 2 applied)
    """

    code = "DK501"
    name = "keras3-removed-argument"
    reference = "reference_impls/gan.py"
    fix_safety = FixSafety.SAFE
    requires_names = ((*names_of("DK501"), *sorted(AVERAGE_POOLING)),)

    def check(self, scope: Scope) -> None:
        by_keyword: dict[str, list[Row]] = {}
        for row in rows_of(self.code):
            if row.name:
                by_keyword.setdefault(row.name, []).append(row)
        missing = [row for row in rows_of(self.code) if row.needs]
        for call in self.nodes.calls:
            keywords = [arg for arg in call.args if arg.keyword is not None]
            if not any(arg.keyword.value in by_keyword for arg in keywords if arg.keyword):
                if not call.args:
                    self._missing(scope, call, missing)
                continue
            callee = self._callee(scope, call)
            if callee is None:
                continue
            package, tokens = callee
            for index, arg in enumerate(call.args):
                if arg.keyword is None:
                    continue
                for row in by_keyword.get(arg.keyword.value, ()):
                    if row.where & tokens and package in row.packages:
                        self.report_row(
                            arg, row, call_api(self, call, [arg]), self._fix(call, index, row)
                        )

    def _missing(self, scope: Scope, call: cst.Call, rows: list[Row]) -> None:
        """``AveragePooling2D()``: an argument Keras 2 defaulted and Keras 3 requires."""
        import libcst as cst

        resolved = scope.resolve(call.func)
        for row in rows:
            if resolved is None or resolved.last not in row.where:
                continue
            rank = int(resolved.last[-2]) if resolved.last[-2].isdigit() else 1
            default = "2" if rank == 1 else "(" + ", ".join(["2"] * rank) + ")"
            argument = cst.Arg(
                keyword=cst.Name(row.needs),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                value=cst.parse_expression(default),
            )
            fix = Replacement(call, call.with_changes(args=[argument]))
            self.report_row(call, row, f"{self.code_of(call.func)}()", fix)

    def _callee(self, scope: Scope, call: cst.Call) -> tuple[str, frozenset[str]] | None:
        """The callee's package and the tokens a row's ``where`` may name."""
        import libcst as cst

        resolved = scope.resolve(call.func)
        if resolved is not None:
            tokens = {resolved.last}
            optimizer = classify(resolved.path) is Kind.OPTIMIZER and resolved.last[:1].isupper()
            if optimizer and ".legacy." not in f".{resolved.path}.":
                tokens.add(OPTIMIZERS)
            return resolved.package, frozenset(tokens)
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in METHODS
            and is_keras_receiver(self, func, scope)
        ):
            return "keras", frozenset({"." + func.attr.value})
        return None

    @staticmethod
    def _fix(call: cst.Call, index: int, row: Row) -> Replacement | None:
        import libcst as cst

        arg = call.args[index]
        if row.fix is Fix.NONE:
            return None
        if not row.new:
            # Dropped, when it is `0` (`BatchNormalization(mode=0)`: Keras 2's one mode).
            zero = isinstance(arg.value, cst.Integer) and arg.value.value == "0"
            return edit_arguments(call, {index: None}) if zero else None
        taken = {a.keyword.value for a in call.args if a.keyword is not None}
        if row.new in taken or arg.keyword is None or has_comment(arg.keyword):
            return None
        return Replacement(arg.keyword, cst.Name(row.new))

    VALID = (
        # torch's optimizer takes `lr`; sklearn's `fit` is not Keras'.
        Valid(
            """
import keras
import torch
from sklearn.linear_model import SGDClassifier
net = torch.nn.Linear(2, 1)
opt = torch.optim.Adam(net.parameters(), lr=0.0002)
clf = SGDClassifier()
clf.fit(x, y)
"""
        ),
        # A local function named like a Keras optimizer, and a class with its own `fit`.
        Valid(
            """
import keras

def Adam(lr):
    return {"lr": lr}

class Trainer:
    def fit(self, x, nb_epoch=1):
        return x

opt = Adam(lr=0.1)
Trainer().fit(x, nb_epoch=3)
"""
        ),
        # Keras 2 on purpose (tf_keras), and a legacy optimizer (DK504's business).
        Valid(
            """
import tf_keras as keras
opt = keras.optimizers.Adam(lr=0.0002)
model = keras.Model(input=i, output=o)
"""
        ),
        Valid(
            """
import keras
opt = keras.optimizers.legacy.Adam(lr=0.0002)
act = keras.layers.LeakyReLU(alpha=0.2)
"""
        ),
        # `input=` on a layer call is not `Model(input=...)`.
        Valid(
            """
from keras.layers import Dense, Input
from keras.models import Model
inp = Input(shape=(2,))
model = Model(inputs=inp, outputs=Dense(1)(inp))
model.fit(x, y, epochs=3)
"""
        ),
    )
    INVALID = (
        Invalid(
            """
from keras.optimizers import Adam
from keras.models import Sequential
from keras.layers import Dense, Embedding
embed = Embedding(10, 4, init="uniform")  # expect: DK501
model = Sequential([Dense(1, init="normal", W_regularizer=None)])  # expect: DK501
model.compile(optimizer=Adam(lr=0.0002, beta_1=0.5), loss="mse")  # expect: DK501
model.fit(x, y, nb_epoch=10)  # expect: DK501
""",
            fixed="""
from keras.optimizers import Adam
from keras.models import Sequential
from keras.layers import Dense, Embedding
embed = Embedding(10, 4, embeddings_initializer="uniform")  # expect: DK501
model = Sequential([Dense(1, kernel_initializer="normal", kernel_regularizer=None)])  # expect: DK501
model.compile(optimizer=Adam(learning_rate=0.0002, beta_1=0.5), loss="mse")  # expect: DK501
model.fit(x, y, epochs=10)  # expect: DK501
""",
        ),
        Invalid(
            """
import tensorflow as tf
from tensorflow.keras import layers as L
x = L.Convolution2D(64, (3, 3), subsample=(2, 2), border_mode="same")(inputs)  # expect: DK501
model = tf.keras.models.Model(input=inputs, output=x)  # expect: DK501
norm = L.BatchNormalization(mode=0)  # expect: DK501
pool = L.AveragePooling2D()(x)  # expect: DK501
""",
            fixed="""
import tensorflow as tf
from tensorflow.keras import layers as L
x = L.Convolution2D(64, (3, 3), strides=(2, 2), padding="same")(inputs)  # expect: DK501
model = tf.keras.models.Model(inputs=inputs, outputs=x)  # expect: DK501
norm = L.BatchNormalization()  # expect: DK501
pool = L.AveragePooling2D(pool_size=(2, 2))(x)  # expect: DK501
""",
        ),
        # `fit` on a model built elsewhere; a call that already has the new name gets no fix.
        Invalid(
            """
import keras

def train(model):
    model.fit(x, y, nb_epoch=5, epochs=5)  # expect: DK501
""",
            fixed="""
import keras

def train(model):
    model.fit(x, y, nb_epoch=5, epochs=5)  # expect: DK501
""",
        ),
    )
