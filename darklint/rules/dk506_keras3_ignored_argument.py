from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from darklint.diagnostics import Severity
from darklint.keras.keras3_removals import BY_ID, CONV2D_LAYERS, names_of
from darklint.keras.vocabulary import Kind, classify
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.keras3_common import (
    Keras3Rule,
    Scope,
    edit_arguments,
    has_comment,
    is_optimizer_lr,
    keyword,
    positional,
)

if TYPE_CHECKING:
    import libcst as cst


SCHEDULE = "optimizers.schedules.InverseTimeDecay"
# In code written for Keras 3, `Conv2D(64, 16, 16)` is a deliberate stride (a
# patch embedding): the positional kernel is only Keras 2's reading in a file
# that spells Keras 1 or 2 elsewhere too.
KERAS2_SPELLINGS = re.compile(
    r"\b(Convolution2D|Deconvolution2D|border_mode|subsample|nb_epoch|nb_filter|W_regularizer"
    r"|image_dim_ordering|fit_generator|np_utils|advanced_activations)\b"
    r"|keras\.layers\.(convolutional|core|normalization|pooling)\b"
)


class Keras3IgnoredArgument(Keras3Rule):
    """Keras 2 code that Keras 3 runs without error, but differently.

    ## What it does
    Finds what Keras 3 accepts and silently does something else with:
    `decay=` on an optimizer (ignored, with a warning only), `optimizer.lr =
    …` (a plain attribute, the learning rate stays), and `Conv2D(64, 3, 3)`
    in code for the `keras` package, which Keras 2 read as a 3×3 kernel and
    Keras 3 reads as a kernel of 3 with strides 3. That last one only in a
    file that spells Keras 1 or 2 elsewhere (`Convolution2D`,
    `border_mode=`, `keras.layers.convolutional`, …): in Keras 3 code,
    `Conv2D(64, 16, 16)` is a deliberate stride.

    ## Why is this bad?
    Nothing fails: the model trains with a constant learning rate, or with
    a learning rate never lowered, or on feature maps a third of the size,
    and the results are simply different from the Keras 2 run the code was
    tuned on. This is the worst kind of migration bug; hence its own code
    and the error severity.

    ## Example
    ```python
    opt = Adam(lr=0.0002, beta_1=0.5, decay=1e-6)
    model.optimizer.lr = 1e-4
    x = Convolution2D(64, 3, 3, border_mode="same")(x)
    ```

    ## Use instead
    ```python
    opt = Adam(learning_rate=keras.optimizers.schedules.InverseTimeDecay(
        0.0002, decay_steps=1, decay_rate=1e-6), beta_1=0.5)
    model.optimizer.learning_rate = 1e-4
    x = Convolution2D(64, (3, 3), padding="same")(x)
    ```

    ## PyTorch reference
    `reference_impls/gan.py`: the optimizers' learning rates are set in one
    place; a decay would be an explicit `torch.optim.lr_scheduler`.

    ## Fix safety
    Safe, each restoring what Keras 2 did: Keras 2's `decay` divided the
    learning rate by `1 + decay * iterations`, which is
    `InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)` (the evidence
    checks the learning rate step by step); given only when the learning
    rate is written in the call and the schedule can be spelled with a name
    the file binds to Keras (or one added to its `from keras… import`).
    `lr =` becomes `learning_rate =`; `Conv2D(64, 3, 3)` becomes
    `Conv2D(64, (3, 3))`.

    ## References
    - Keras 2.2 `keras/optimizers.py` (`lr * (1. / (1. + decay * iterations))`)
    - Keras 2.2 `keras/legacy/interfaces.py` (`conv2d_args_preprocessor`)
    """

    code = "DK506"
    name = "keras3-ignored-argument"
    severity = Severity.ERROR
    message = "`{api}` on Keras 3 {error}; {replacement}"
    reference = "reference_impls/gan.py"
    fix_safety = FixSafety.SAFE
    requires_names = ((*names_of("DK506"), *sorted(CONV2D_LAYERS)),)

    def check(self, scope: Scope) -> None:
        keras2_era = KERAS2_SPELLINGS.search(scope.source) is not None
        for call in self.nodes.calls:
            if not call.args:
                continue
            resolved = scope.resolve(call.func)
            if resolved is None:
                continue
            optimizer = classify(resolved.path) is Kind.OPTIMIZER and resolved.last[:1].isupper()
            if optimizer and ".legacy." not in resolved.path:
                self._decay(scope, call)
            elif resolved.last in CONV2D_LAYERS and resolved.package == "keras" and keras2_era:
                self._conv(call)
        for target in self.nodes.stores:
            if target.attr.value != "lr":
                continue
            if is_optimizer_lr(self, target):
                row = BY_ID["optimizer-lr-assignment"]
                fix = Replacement(target.attr, _name(row.new))
                self.report_row(target.attr, row, self.code_of(target) + " = …", fix)

    def _decay(self, scope: Scope, call: cst.Call) -> None:
        from darklint.rules.keras3_common import call_api

        found = keyword(call, "decay")
        if found is None:
            return
        index, decay = found
        row = BY_ID["optimizer-decay"]
        self.report_row(
            decay, row, call_api(self, call, [decay]), self._schedule(scope, call, index)
        )

    def _schedule(self, scope: Scope, call: cst.Call, decay_index: int) -> Replacement | None:
        """``learning_rate=InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)``, ``decay`` gone."""
        import libcst as cst

        rate = keyword(call, "learning_rate") or keyword(call, "lr")
        if rate is None and positional(call):
            rate = (list(call.args).index(positional(call)[0]), positional(call)[0])
        if rate is None:
            return None
        index, arg = rate
        decay = call.args[decay_index]
        if any(isinstance(a.value, (cst.Call, cst.Lambda)) or has_comment(a) for a in (arg, decay)):
            return None
        spelled = scope.keras_spelling(SCHEDULE)
        if spelled is None:
            return None
        schedule, imports = spelled
        code = self.context.module.code_for_node
        value = cst.parse_expression(
            f"{schedule}({code(arg.value)}, decay_steps=1, decay_rate={code(decay.value)})"
        )
        new = arg.with_changes(value=value)
        if arg.keyword is not None:
            new = new.with_changes(keyword=cst.Name("learning_rate"))
        edits = edit_arguments(call, {index: new, decay_index: None})
        if edits is None:
            return None
        return dataclasses.replace(edits, also=(*edits.also, *imports))

    def _conv(self, call: cst.Call) -> None:
        """``Conv2D(64, 3, 3)``: Keras 2's kernel rows and columns, Keras 3's strides."""
        import libcst as cst

        args = positional(call)
        if len(args) != 3 or any(arg.star for arg in call.args):
            return
        if not all(isinstance(arg.value, cst.Integer) for arg in args[1:]):
            return
        rows, cols = args[1], args[2]
        kernel = cst.Tuple(
            [
                cst.Element(
                    rows.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                ),
                cst.Element(cols.value),
            ]
        )
        first = list(call.args).index(rows)
        fix = None
        if not has_comment(rows):
            fix = edit_arguments(call, {first: rows.with_changes(value=kernel), first + 1: None})
        row = BY_ID["conv2d-positional-kernel"]
        api = f"{self.code_of(call.func)}({', '.join(self.code_of(a.value) for a in args)})"
        self.report_row(call, row, api, fix)

    VALID = (
        # Keras 3's own spellings; torch's learning rate; `decay` of another library.
        Valid(
            """
import keras
import torch
sched = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.01)
opt = keras.optimizers.Adam(learning_rate=sched, weight_decay=1e-4)
conv = keras.layers.Conv2D(64, (3, 3), 2)
torch_opt = torch.optim.SGD(net.parameters(), lr=0.1, weight_decay=0.01)
torch_opt.lr = 0.1
ema = ExponentialMovingAverage(decay=0.99)
"""
        ),
        # Keras 3 code: a patch embedding's stride is meant.
        Valid(
            """
import keras
from keras import layers
patches = layers.Conv2D(64, 16, 16)(images)
"""
        ),
        # tf.keras 2 never read `Conv2D(64, 3, 3)` as a 3x3 kernel: nothing changed there.
        Valid(
            """
from tensorflow.keras.layers import Conv2D
conv = Conv2D(64, 3, 3)
"""
        ),
        # The file's own class with an `optimizer` attribute.
        Valid(
            """
import keras

class Trainer:
    def __init__(self):
        self.optimizer = make_optimizer()

    def cool_down(self):
        self.optimizer.lr = 0.01
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import keras
from keras.layers import Convolution2D
opt = keras.optimizers.Adam(lr=0.0002, beta_1=0.5, decay=1e-6)  # expect: DK506
sgd = keras.optimizers.SGD(0.01, decay=1e-6, momentum=0.9)  # expect: DK506
x = Convolution2D(64, 3, 3, border_mode="same")(inputs)  # expect: DK506
""",
            fixed="""
import keras
from keras.layers import Convolution2D
opt = keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.InverseTimeDecay(0.0002, decay_steps=1, decay_rate=1e-6), beta_1=0.5)  # expect: DK506
sgd = keras.optimizers.SGD(keras.optimizers.schedules.InverseTimeDecay(0.01, decay_steps=1, decay_rate=1e-6), momentum=0.9)  # expect: DK506
x = Convolution2D(64, (3, 3), border_mode="same")(inputs)  # expect: DK506
""",
        ),
        # No name for Keras but the optimizer's import: `schedules` joins it.
        Invalid(
            """
from keras.optimizers import Adam
from keras.models import Sequential
model = Sequential()
model.compile(optimizer=Adam(0.001, decay=0.01), loss="mse")  # expect: DK506
model.optimizer.lr = 0.0001  # expect: DK506
opt = Adam(decay=0.01)  # expect: DK506
""",
            fixed="""
from keras.optimizers import Adam, schedules
from keras.models import Sequential
model = Sequential()
model.compile(optimizer=Adam(schedules.InverseTimeDecay(0.001, decay_steps=1, decay_rate=0.01)), loss="mse")  # expect: DK506
model.optimizer.learning_rate = 0.0001  # expect: DK506
opt = Adam(decay=0.01)  # expect: DK506
""",
        ),
    )


def _name(value: str) -> cst.Name:
    import libcst as cst

    return cst.Name(value)
