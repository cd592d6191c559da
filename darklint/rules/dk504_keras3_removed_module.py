from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.keras.keras3_removals import (
    MODULES,
    NAMES,
    Fix,
    Row,
    missing_error,
    module_error,
    names_of,
)
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.keras3_common import Keras3Rule, Resolved, Scope

if TYPE_CHECKING:
    import libcst as cst

LEGACY_OPTIMIZERS = "optimizers.legacy"


def removed_module(path: str) -> Row | None:
    """The row of the removed module ``path`` is, or is inside."""
    for row in MODULES:
        if path == row.name or path.startswith(row.name + "."):
            return row
    return None


class Keras3RemovedModule(Keras3Rule):
    """A Keras module, or a name of one, that Keras 3 removed.

    ## What it does
    Finds imports of Keras 2's internal modules (`keras.layers.merge`,
    `keras.utils.np_utils`, `keras.layers.core`, `keras.engine.topology`,
    `keras.wrappers.scikit_learn`, …) on the import statement itself, the
    same modules reached as attributes (`keras.layers.core.Dense`), names
    that are gone from modules that remain (`ImageDataGenerator`,
    `multi_gpu_model`, `keras.layers.Merge`), and the construction of a
    `keras.optimizers.legacy` optimizer.

    ## Why is this bad?
    The import fails (`ModuleNotFoundError`, `ImportError`), so on Keras 3
    the script stops before it does anything; most of these names simply
    live one level up now (`keras.layers`, `keras.utils`). A legacy
    optimizer imports, and fails when it is built.

    ## Example
    ```python
    from keras.layers.merge import concatenate
    from keras.utils.np_utils import to_categorical
    from keras.layers.merge import _Merge  # WGAN-GP's RandomWeightedAverage
    ```

    ## Use instead
    ```python
    from keras.layers import concatenate
    from keras.utils import to_categorical
    from keras.layers import Layer  # subclass it, with a call(self, inputs)
    ```

    ## PyTorch reference
    `reference_impls/gan.py`: the interpolation WGAN-GP builds with a
    `_Merge` subclass is one line of tensor arithmetic in a training step.

    ## Fix safety
    The import's module is replaced (`keras.layers.merge` becomes
    `keras.layers`), so every bound name stays the same. Safe when every
    imported name has a Keras 3 home and behaves the same there; unsafe
    when one behaves differently (`to_categorical` returns float64 where
    Keras 2 returned float32, `Sequence` is `PyDataset`); no fix when one
    has no home (`_Merge`, `ThresholdedReLU`). `import keras.utils.np_utils
    as np_utils` is rewritten only when the file uses nothing but moved
    names through it.

    ## References
    - keras.io, "Migrating Keras 2 code to multi-backend Keras 3"
    - SciKeras (`scikeras.wrappers`) for `keras.wrappers.scikit_learn`
    """

    code = "DK504"
    name = "keras3-removed-module"
    reference = "reference_impls/gan.py"
    fix_safety = FixSafety.SOMETIMES_SAFE
    requires_names = (names_of("DK504"),)

    def __init__(self, context: object) -> None:
        super().__init__(context)
        self.attributes: list[cst.Attribute] = []
        self.calls: list[cst.Call] = []

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attributes.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def check(self, scope: Scope) -> None:
        import libcst as cst

        in_imports: set[cst.CSTNode] = set()
        for node in self.imports:
            in_imports.update(_chain(node.module) if isinstance(node, cst.ImportFrom) else ())
            if isinstance(node, cst.Import):
                for alias in node.names:
                    in_imports.update(_chain(alias.name))
            self._import(scope, node)
        parents = {id(attribute.value): attribute for attribute in self.attributes}
        for attribute in self.attributes:
            if attribute not in in_imports:
                self._attribute(scope, attribute, parents.get(id(attribute)))
        for call in self.calls:
            resolved = scope.resolve(call.func)
            if resolved is not None and resolved.path.startswith(LEGACY_OPTIMIZERS + "."):
                row = next(row for row in NAMES if row.name == LEGACY_OPTIMIZERS)
                self.report_row(call.func, row, self.code_of(call.func) + "(…)")

    def _import(self, scope: Scope, node: cst.Import | cst.ImportFrom) -> None:
        import libcst as cst

        from darklint.keras.names import dotted

        if isinstance(node, cst.Import):
            for alias in node.names:
                resolved = scope.resolve_qualified(dotted(alias.name))
                if resolved is None or not _public(resolved):
                    continue
                row = removed_module(resolved.path)
                if row is not None:
                    error = module_error(_spelled(resolved, row))
                    fix = self._fix_import_alias(scope, alias, resolved, row)
                    self.report_row(alias, row, f"import {resolved.qualified}", fix, error=error)
            return
        if node.relative or node.module is None:
            return
        module = scope.resolve_qualified(dotted(node.module))
        if not _public(module):
            return
        assert module is not None
        row = removed_module(module.path)
        if row is not None:
            fix = self._fix_from(node, module, row)
            api = f"from {module.qualified} import …"
            self.report_row(node.module, row, api, fix, error=module_error(_spelled(module, row)))
            return
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted(alias.name) or ""
            path = f"{module.path}.{name}".lstrip(".")
            found = removed_module(path) or _removed_name(path, module.package)
            if found is not None:
                error = missing_error(module.package, module.path, name, imported=True)
                api = f"from {module.qualified} import {name}"
                self.report_row(alias, found, api, error=error)

    def _attribute(self, scope: Scope, node: cst.Attribute, parent: cst.Attribute | None) -> None:
        resolved = scope.resolve(node)
        if not _public(resolved):
            return
        assert resolved is not None
        row = removed_module(resolved.path)
        if row is not None and resolved.path != row.name:
            return  # reported where the removed module itself is named
        row = row or _removed_name(resolved.path, resolved.package)
        if row is None:
            return
        owner, _, last = resolved.path.rpartition(".")
        error = missing_error(resolved.package, owner, last)
        fix = None
        if row in MODULES and parent is not None:
            fix = self._fix_attribute(node, parent, row)
        self.report_row(node, row, self.code_of(node), fix, error=error)

    def _fix_from(self, node: cst.ImportFrom, module: Resolved, row: Row) -> Replacement | None:
        import libcst as cst

        if isinstance(node.names, cst.ImportStar) or node.module is None:
            return None
        names = [alias.name.value for alias in node.names if isinstance(alias.name, cst.Name)]
        return _moved(row, names, node.module, module)

    def _fix_import_alias(
        self, scope: Scope, alias: cst.ImportAlias, module: Resolved, row: Row
    ) -> Replacement | None:
        if alias.asname is None:
            return None
        local = alias.asname.name
        if not hasattr(local, "value"):
            return None
        used = [a.attr.value for a in self.attributes if _is_name(a.value, local.value)]
        # Every mention of the name, but the import's, must be one of those uses.
        mentions = len(_words(scope.source, local.value))
        if not used or mentions != len(used) + 1:
            return None
        return _moved(row, used, alias.name, module)

    @staticmethod
    def _fix_attribute(node: cst.Attribute, parent: cst.Attribute, row: Row) -> Replacement | None:
        """``keras.layers.core.Dense``: the module's own prefix, when the home is one level up."""
        found = _target(row, [parent.attr.value])
        if found is None or not row.name.startswith(found[0] + "."):
            return None
        target, unsafe = found
        shorter: cst.BaseExpression = node
        for _ in range(row.name.count(".") - target.count(".")):
            shorter = getattr(shorter, "value", shorter)
        return Replacement(node, shorter, safe=not unsafe)

    VALID = (
        # The Keras 3 homes, modules Keras 3 kept, and tf.keras' ImageDataGenerator.
        Valid(
            """
from keras.layers import concatenate, LeakyReLU, BatchNormalization
from keras.utils import to_categorical
from keras.preprocessing.image import load_img, img_to_array
from tensorflow.keras.preprocessing.image import ImageDataGenerator
import keras.optimizers.schedules
"""
        ),
        # Keras 2 on purpose, and a package of the same shape that is not Keras.
        Valid(
            """
from tf_keras.layers.merge import concatenate
from tensorflow.python.keras.engine.topology import Layer
import mylib.layers.merge
"""
        ),
    )
    INVALID = (
        Invalid(
            """
from keras.layers.merge import concatenate, Add  # expect: DK504
from keras.layers.merge import _Merge  # expect: DK504
from keras.layers.advanced_activations import LeakyReLU  # expect: DK504
from keras.engine.topology import Layer, InputSpec  # expect: DK504
from keras.utils import multi_gpu_model  # expect: DK504
from keras.preprocessing.image import ImageDataGenerator  # expect: DK504
import keras
x = keras.layers.core.Dense(3)  # expect: DK504
opt = keras.optimizers.legacy.Adam()  # expect: DK504
""",
            fixed="""
from keras.layers import concatenate, Add  # expect: DK504
from keras.layers.merge import _Merge  # expect: DK504
from keras.layers import LeakyReLU  # expect: DK504
from keras.layers import Layer, InputSpec  # expect: DK504
from keras.utils import multi_gpu_model  # expect: DK504
from keras.preprocessing.image import ImageDataGenerator  # expect: DK504
import keras
x = keras.layers.Dense(3)  # expect: DK504
opt = keras.optimizers.legacy.Adam()  # expect: DK504
""",
        ),
        # to_categorical returns float64 now: unsafe.
        Invalid(
            """
import tensorflow.keras.utils.np_utils as np_utils  # expect: DK504
from keras.utils.np_utils import to_categorical  # expect: DK504
y = np_utils.to_categorical(labels, 10)
""",
            fixed="""
import tensorflow.keras.utils as np_utils  # expect: DK504
from keras.utils import to_categorical  # expect: DK504
y = np_utils.to_categorical(labels, 10)
""",
            unsafe=True,
        ),
    )


def _public(resolved: Resolved | None) -> bool:
    return resolved is not None and resolved.package in ("keras", "tf.keras")


def _removed_name(path: str, package: str) -> Row | None:
    """The row of a removed name (a legacy optimizer imports fine: only building one fails)."""
    for row in NAMES:
        if row.name == path and package in row.packages and row.name != LEGACY_OPTIMIZERS:
            return row
    return None


def _spelled(resolved: Resolved, row: Row) -> str:
    """The removed module as the file spells it (``tensorflow.keras.engine``)."""
    root = resolved.qualified[: len(resolved.qualified) - len(resolved.path)]
    return root + row.name


def _target(row: Row, names: list[str]) -> tuple[str, bool] | None:
    """The one Keras 3 home of ``names`` (a path inside Keras), and whether moving is unsafe."""
    targets = {row.moves.get(name) for name in names}
    if row.fix is Fix.NONE or not names or len(targets) != 1:
        return None
    target = targets.pop()
    if target is None:
        return None
    return target, any(name in row.unsafe_moves for name in names)


def _moved(
    row: Row, names: list[str], old: cst.BaseExpression, module: Resolved
) -> Replacement | None:
    """``old``, a module path written out in an import, replaced by the one home of ``names``."""
    import libcst as cst

    found = _target(row, names)
    if found is None:
        return None
    target, unsafe = found
    root = module.qualified[: len(module.qualified) - len(module.path)]
    return Replacement(old, cst.parse_expression(root + target), safe=not unsafe)


def _chain(node: cst.BaseExpression | None) -> list[cst.CSTNode]:
    import libcst as cst

    found: list[cst.CSTNode] = []
    while isinstance(node, cst.Attribute):
        found.append(node)
        node = node.value
    return found


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return getattr(node, "value", None) == name and type(node).__name__ == "Name"


def _words(source: str, word: str) -> list[str]:
    import re

    # Not after a dot: `keras.utils.np_utils` is a module path, not the name.
    return re.findall(rf"(?<![.\w]){re.escape(word)}\b", source)
