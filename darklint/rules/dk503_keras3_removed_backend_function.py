from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.keras.keras3_removals import (
    BACKEND_KEPT,
    BY_ID,
    MODULES,
    TF_KERAS_BACKEND,
    Fix,
    Row,
)
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.keras3_common import Keras3Rule, Resolved, Scope, backend_error, positional

if TYPE_CHECKING:
    import libcst as cst


# Submodules of `keras.backend` are DK504's (`keras.backend.tensorflow_backend`).
SUBMODULES = frozenset(
    row.name.split(".", 1)[1] for row in MODULES if row.name.startswith("backend.")
)


class Keras3RemovedBackendFunction(Keras3Rule):
    """A `keras.backend` function that Keras 3 removed.

    ## What it does
    Finds `K.<name>` (with `from keras import backend as K`, `import
    keras.backend as K`, or `keras.backend.<name>` spelled out) and `from
    keras.backend import <name>`, for every name that Keras 3's
    `keras.backend` no longer has: all but `epsilon`, `floatx`,
    `image_data_format`, `clear_session` and a few others. Through `tf.keras`
    (`from tensorflow.keras import backend as K`) Keras 3 still keeps 137 of
    Keras 2's functions; only those it lacks (`function`, `placeholder`,
    `get_session`, `set_learning_phase`, …) are reported there.

    ## Why is this bad?
    Keras 3 has no symbolic graph and no backend-agnostic `K` of tensor
    functions: each of these is `AttributeError` on Keras 3 when the line
    runs (a loss function: at the first training step). Most have a
    `keras.ops` counterpart, some with another default (`concatenate` on
    axis 0 instead of -1) or other numerics (`sqrt` of a negative is NaN,
    the `mean` of integers is a float).

    ## Example
    ```python
    from keras import backend as K
    def loss(y_true, y_pred):
        return K.mean(K.square(y_pred - y_true), axis=-1)
    ```

    ## Use instead
    ```python
    from keras import ops
    def loss(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)
    ```

    ## PyTorch reference
    `reference_impls/vat.py`: the input gradient that `K.gradients` took
    from the graph is `torch.autograd.grad` inside the training step.

    ## Fix safety
    `K.<name>` becomes `keras.ops.<name>` (spelled with a name the file
    binds to Keras, or with `ops` added to its `from keras import …`) when
    the call passes only arguments the new function takes. Safe where
    Keras 2's function and the new one give the same values and dtypes (the
    evidence compares them with Keras 2's implementation, which Keras 3
    still ships as `tf.keras.backend`), unsafe where they differ (the
    table says on what).

    ## References
    - keras.io, "Migrating Keras 2 code to multi-backend Keras 3"
    - keras.io/api/ops
    """

    code = "DK503"
    name = "keras3-removed-backend-function"
    reference = "reference_impls/vat.py"
    fix_safety = FixSafety.SOMETIMES_SAFE
    # `K` comes from `keras.backend` only through an import naming `backend`.
    requires_names = ("backend",)

    def check(self, scope: Scope) -> None:
        for attribute in self.nodes.attributes:
            owner = scope.resolve(attribute.value)
            if owner is not None and owner.path == "backend":
                self._check(scope, attribute, attribute.attr.value, owner, attribute)
        for node in self.nodes.imports:
            self._check_import(scope, node)

    def _check_import(self, scope: Scope, node: cst.Import | cst.ImportFrom) -> None:
        import libcst as cst

        from darklint.keras.names import dotted

        if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
            return
        owner = scope.resolve_qualified(dotted(node.module) if node.module else None)
        if owner is None or owner.path != "backend" or node.relative:
            return
        for alias in node.names:
            if isinstance(alias.name, cst.Name):
                self._check(scope, alias, alias.name.value, owner, None)

    def _check(
        self,
        scope: Scope,
        node: cst.CSTNode,
        name: str,
        owner: Resolved,
        attribute: cst.Attribute | None,
    ) -> None:
        if owner.package == "keras.src" or name in BACKEND_KEPT or name in SUBMODULES:
            return
        if owner.package == "tf.keras" and name in TF_KERAS_BACKEND:
            return
        row = BY_ID.get(f"backend-{name}", BY_ID["backend-other"])
        error = backend_error(name, owner.package, imported=attribute is None)
        fix = None if attribute is None else self._fix(scope, attribute, row)
        if attribute is None:
            api = f"from {owner.qualified} import {name}"
        else:
            api = self.code_of(attribute) + ("(…)" if attribute in self.nodes.call_of else "")
        self.report_row(node, row, api, fix, error=error)

    def _fix(self, scope: Scope, attribute: cst.Attribute, row: Row) -> Replacement | None:
        import libcst as cst

        call = self.nodes.call_of.get(attribute)
        if row.fix is Fix.NONE or call is None or any(arg.star for arg in call.args):
            return None
        keywords = [arg.keyword.value for arg in call.args if arg.keyword is not None]
        if len(positional(call)) > len(row.params) or not set(keywords) <= set(row.params):
            return None
        if row.needs:
            position = row.params.index(row.needs)
            if row.needs not in keywords and len(positional(call)) <= position:
                return None  # Keras 2's default for it differs from Keras 3's
        spelled = scope.keras_spelling(row.new)
        if spelled is None:
            return None
        text, imports = spelled
        return Replacement(attribute, cst.parse_expression(text), also=imports)

    VALID = (
        # What Keras 3's `keras.backend` still has.
        Valid(
            """
from keras import backend as K
eps = K.epsilon()
if K.image_data_format() == "channels_first":
    K.clear_session()
"""
        ),
        # tf.keras keeps Keras 2's functions; tf_keras is Keras 2.
        Valid(
            """
from tensorflow.keras import backend as K
loss = K.mean(K.square(y_pred - y_true), axis=-1)
"""
        ),
        Valid(
            """
from tf_keras import backend as K
f = K.function([model.input], [model.output])
"""
        ),
        # Another library's `backend`.
        Valid(
            """
import keras
from matplotlib import backend_bases as backend
import scipy.sparse as K
total = K.sum(x)
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import keras
from keras import backend as K

def loss(y_true, y_pred):
    return K.mean(K.square(y_pred - y_true), axis=-1)  # expect: DK503

merged = K.concatenate([a, b])  # expect: DK503
grads = K.gradients(loss, model.input)  # expect: DK503
""",
            fixed="""
import keras
from keras import backend as K

def loss(y_true, y_pred):
    return keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1)  # expect: DK503

merged = K.concatenate([a, b])  # expect: DK503
grads = K.gradients(loss, model.input)  # expect: DK503
""",
            unsafe=True,
        ),
        # `keras` bound only inside a function cannot spell the fix at module level.
        Invalid(
            """
from keras import backend as K

def helper():
    import keras
    return keras

y = K.expand_dims(x, axis=1)  # expect: DK503
""",
            fixed="""
from keras import backend as K, ops

def helper():
    import keras
    return keras

y = ops.expand_dims(x, axis=1)  # expect: DK503
""",
        ),
        # No name for Keras but `K`: `ops` is added to the import.
        Invalid(
            """
from keras import backend as K
from keras.backend import placeholder  # expect: DK503
total = K.sum(x, axis=1) + K.max(x)  # expect: DK503
""",
            fixed="""
from keras import backend as K, ops
from keras.backend import placeholder  # expect: DK503
total = ops.sum(x, axis=1) + ops.max(x)  # expect: DK503
""",
        ),
        # tf.keras lacks only a few of them.
        Invalid(
            """
import tensorflow as tf
f = tf.keras.backend.function([inp], [out])  # expect: DK503
tf.keras.backend.set_learning_phase(1)  # expect: DK503
""",
        ),
    )
