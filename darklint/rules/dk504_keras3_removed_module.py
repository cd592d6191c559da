from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.keras.keras3_removals import (
    MODULES,
    NAMES,
    Row,
    names_of,
)
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.keras3_common import (
    Keras3Rule,
    Resolved,
    Scope,
    missing_error,
    module_error,
)
from darklint.rules.keras3_imports import (
    LEGACY_OPTIMIZERS,
    chain,
    fix_attribute,
    home_of,
    is_name,
    moved_import,
    public,
    removed_module,
    removed_name,
    renamed,
    renamed_alias,
    spelled,
    words,
)

if TYPE_CHECKING:
    import libcst as cst


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
    as np_utils` and `from keras.utils import np_utils` (which becomes `from
    keras import utils as np_utils`) are rewritten only when the file uses
    nothing but moved names through them. Keras 2's aliases `Deconv2D` and
    `Deconv3D` come in as `Conv2DTranspose as Deconv2D`.

    ## References
    - keras.io, "Migrating Keras 2 code to multi-backend Keras 3"
    - SciKeras (`scikeras.wrappers`) for `keras.wrappers.scikit_learn`
    """

    code = "DK504"
    name = "keras3-removed-module"
    reference = "reference_impls/gan.py"
    fix_safety = FixSafety.SOMETIMES_SAFE
    requires_names = (names_of("DK504"),)

    def check(self, scope: Scope) -> None:
        import libcst as cst

        in_imports: set[cst.CSTNode] = set()
        for node in self.nodes.imports:
            in_imports.update(chain(node.module) if isinstance(node, cst.ImportFrom) else ())
            if isinstance(node, cst.Import):
                for alias in node.names:
                    in_imports.update(chain(alias.name))
            self._import(scope, node)
        parents = {id(attribute.value): attribute for attribute in self.nodes.attributes}
        for attribute in self.nodes.attributes:
            if attribute not in in_imports:
                self._attribute(scope, attribute, parents.get(id(attribute)))
        for call in self.nodes.calls:
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
                if resolved is None or not public(resolved):
                    continue
                row = removed_module(resolved.path)
                if row is not None:
                    error = module_error(spelled(resolved, row))
                    fix = self._fix_import_alias(scope, alias, resolved, row)
                    self.report_row(alias, row, f"import {resolved.qualified}", fix, error=error)
            return
        if node.relative or node.module is None:
            return
        module = scope.resolve_qualified(dotted(node.module))
        if not public(module):
            return
        assert module is not None
        row = removed_module(module.path)
        if row is not None:
            fix = self._fix_from(node, module, row)
            api = f"from {module.qualified} import …"
            self.report_row(node.module, row, api, fix, error=module_error(spelled(module, row)))
            return
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted(alias.name) or ""
            path = f"{module.path}.{name}".lstrip(".")
            found = removed_module(path) or removed_name(path, module.package)
            if found is None:
                continue
            error = missing_error(module.package, module.path, name, imported=True)
            api = f"from {module.qualified} import {name}"
            if found in MODULES:
                fix = self._fix_module_alias(scope, node, alias, module, found)
            else:
                fix = renamed_alias(alias, found)
            self.report_row(alias, found, api, fix, error=error)

    def _fix_module_alias(
        self, scope: Scope, node: cst.ImportFrom, alias: cst.ImportAlias, module: Resolved, row: Row
    ) -> Replacement | None:
        """``from keras.utils import np_utils``: ``from keras import utils as np_utils``.

        Only when it is the statement's one name and the file uses nothing
        but moved names through it, all from one home.
        """
        import libcst as cst

        if isinstance(node.names, cst.ImportStar) or len(node.names) != 1:
            return None
        local = alias.asname.name if alias.asname is not None else alias.name
        if not isinstance(local, cst.Name):
            return None
        used = self._uses(scope, local.value)
        found = home_of(row, used) if used is not None else None
        if found is None:
            return None
        target, unsafe = found
        parent, _, last = target.rpartition(".")
        root = module.qualified[: len(module.qualified) - len(module.path)].rstrip(".")
        new = cst.ImportFrom(
            module=cst.parse_expression(f"{root}.{parent}" if parent else root),  # type: ignore[arg-type]
            names=[cst.ImportAlias(cst.Name(last), asname=cst.AsName(cst.Name(local.value)))],
        )
        return Replacement(node, new, safe=not unsafe)

    def _uses(self, scope: Scope, local: str) -> list[str] | None:
        """The attributes the file reads through ``local``, if it uses the name for nothing else."""
        used = [a.attr.value for a in self.nodes.attributes if is_name(a.value, local)]
        # Every mention of the name, but its import's, must be one of those uses.
        if len(words(scope.source, local)) != len(used) + 1:
            return None
        return used

    def _attribute(self, scope: Scope, node: cst.Attribute, parent: cst.Attribute | None) -> None:
        resolved = scope.resolve(node)
        if not public(resolved):
            return
        assert resolved is not None
        row = removed_module(resolved.path)
        if row is not None and resolved.path != row.name:
            return  # reported where the removed module itself is named
        row = row or removed_name(resolved.path, resolved.package)
        if row is None:
            return
        owner, _, last = resolved.path.rpartition(".")
        error = missing_error(resolved.package, owner, last)
        fix = None
        if row in MODULES and parent is not None:
            fix = fix_attribute(node, parent, row)
        self.report_row(node, row, self.code_of(node), fix, error=error)

    def _fix_from(self, node: cst.ImportFrom, module: Resolved, row: Row) -> Replacement | None:
        import libcst as cst

        if isinstance(node.names, cst.ImportStar) or node.module is None:
            return None
        names = [alias.name.value for alias in node.names if isinstance(alias.name, cst.Name)]
        moved = moved_import(row, names, node.module, module)
        if moved is None or not set(names) & set(row.renames):
            return moved
        # Keras 2's aliases come in under their Keras 3 name, bound as before.
        aliases = [renamed(alias, row.renames) for alias in node.names]
        new = node.with_changes(module=moved.new, names=aliases)
        return Replacement(node, new, safe=moved.safe)

    def _fix_import_alias(
        self, scope: Scope, alias: cst.ImportAlias, module: Resolved, row: Row
    ) -> Replacement | None:
        if alias.asname is None:
            return None
        local = alias.asname.name
        used = self._uses(scope, local.value) if hasattr(local, "value") else None
        return None if used is None else moved_import(row, used, alias.name, module)

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
        # A removed module imported as a name, and Keras 2's aliases: the names bound stay.
        Invalid(
            """
from keras.utils import generic_utils  # expect: DK504
from keras.utils import vis_utils  # expect: DK504
from keras.layers.convolutional import UpSampling2D, Deconv2D  # expect: DK504
from keras.layers import Deconv3D as D3  # expect: DK504
bar = generic_utils.Progbar(10)
""",
            fixed="""
from keras import utils as generic_utils  # expect: DK504
from keras import utils as vis_utils  # expect: DK504
from keras.layers import UpSampling2D, Conv2DTranspose as Deconv2D  # expect: DK504
from keras.layers import Conv3DTranspose as D3  # expect: DK504
bar = generic_utils.Progbar(10)
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
