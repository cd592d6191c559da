"""Which names in a file are Keras things: the one place that knows Keras' spellings.

Resolution is by the module's own import table, never by spelling: ``Model``
is a Keras model class only if the file imported it from Keras (any of
``keras``, ``keras.src``, ``tensorflow.keras``/``tf.keras`` under any alias of
tensorflow, ``tf_keras``), and a local ``class Model`` is not.  Each
qualified name is reduced to its path inside Keras (``keras.models.Model`` and
``tf.keras.Model`` both become ``models.Model`` / ``Model``) and classified
from that.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field

import libcst as cst

# Top-level module paths under which Keras' public API lives, longest first.
_KERAS_ROOTS = (
    "tensorflow.python.keras",
    "tensorflow.compat.v2.keras",
    "tensorflow.compat.v1.keras",
    "tensorflow.keras",
    "keras.api._v2.keras",
    "keras.api",
    "keras.src",
    "keras._tf_keras.keras",
    "tf_keras.src",
    "tf_keras",
    "keras",
)
# TF 2 re-exports Keras' optimizers at the top level (``tf.optimizers.Adam``).
_TF_ALIASES = {"tensorflow.optimizers": "optimizers"}
KERAS_TOP_LEVEL = frozenset({"keras", "tensorflow", "tf_keras"})
# What `from keras import *` binds as submodules (`models.Sequential(...)`).
KERAS_SUBMODULES = frozenset(
    {
        "models",
        "layers",
        "optimizers",
        "applications",
        "backend",
        "losses",
        "metrics",
        "callbacks",
        "ops",
        "saving",
        "utils",
        "activations",
        "initializers",
        "regularizers",
        "constraints",
    }
)

_MODEL_CLASSES = frozenset({"Model", "Sequential", "Functional"})
_MODEL_FACTORIES = frozenset({"load_model", "clone_model", "model_from_json", "model_from_config"})


class Kind(enum.Enum):
    MODEL_CLASS = "model class"
    MODEL_FACTORY = "model factory"
    OPTIMIZER = "optimizer"
    LAYER = "layer"
    INPUT = "input"
    BACKEND = "backend function"
    OTHER = "other"


def keras_path(qualified: str) -> str | None:
    """``tf.keras.layers.Dense`` (resolved to ``tensorflow.keras.layers.Dense``) -> ``layers.Dense``."""
    for alias, target in _TF_ALIASES.items():
        if qualified == alias or qualified.startswith(alias + "."):
            return target + qualified[len(alias) :]
    for root in _KERAS_ROOTS:
        if qualified == root:
            return ""
        if qualified.startswith(root + "."):
            return qualified[len(root) + 1 :]
    return None


# Which Keras a root reaches (``keras_package``): the ``keras`` package's public
# API, TensorFlow's ``tf.keras`` (Keras 3 with TensorFlow's compatibility extras,
# such as 137 functions of the old ``keras.backend``), Keras 3's internals, or a
# Keras 2 (``tf_keras``; TensorFlow's frozen ``tensorflow.python.keras`` copy).
_PACKAGES = {
    "tensorflow.python.keras": "keras2",
    "tensorflow.compat.v2.keras": "tf.keras",
    "tensorflow.compat.v1.keras": "tf.keras",
    "tensorflow.keras": "tf.keras",
    "keras.api._v2.keras": "keras2",
    "keras.api": "keras",
    "keras.src": "keras.src",
    "keras._tf_keras.keras": "tf.keras",
    "tf_keras.src": "keras2",
    "tf_keras": "keras2",
    "keras": "keras",
}


def keras_package(qualified: str) -> str | None:
    """Which Keras ``qualified`` names: "keras", "tf.keras", "keras.src" or "keras2" (None: not Keras)."""
    for alias in _TF_ALIASES:
        if qualified == alias or qualified.startswith(alias + "."):
            return "tf.keras"
    for root in _KERAS_ROOTS:
        if qualified == root or qualified.startswith(root + "."):
            return _PACKAGES[root]
    return None


def classify(path: str) -> Kind:
    """What a path inside Keras names (``models.Model`` -> MODEL_CLASS)."""
    parts = path.split(".")
    last = parts[-1]
    if last in _MODEL_CLASSES:
        return Kind.MODEL_CLASS
    if last in _MODEL_FACTORIES:
        return Kind.MODEL_FACTORY
    if parts[0] == "applications" and len(parts) > 1 and last[:1].isupper():
        return Kind.MODEL_FACTORY
    if last == "Input" or last == "InputLayer":
        return Kind.INPUT
    if (
        parts[0] == "optimizers"
        and (last[:1].isupper() or last == "get")
        and "schedules" not in parts
    ):
        # `optimizers.get("adam")` makes an instance, unlike the string alone.
        return Kind.OPTIMIZER
    if parts[0] == "layers" and last[:1].isupper():
        return Kind.LAYER
    if parts[0] == "backend":
        return Kind.BACKEND
    return Kind.OTHER


@dataclass
class ImportTable:
    """Local name -> fully qualified name, from a file's import statements."""

    names: dict[str, str] = field(default_factory=dict)
    # Modules star-imported from Keras: an unbound name may come from them.
    star_modules: list[str] = field(default_factory=list)

    @property
    def imports_keras(self) -> bool:
        return bool(self.star_modules) or any(
            value.split(".")[0] in KERAS_TOP_LEVEL for value in self.names.values()
        )

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name)
                if full is None:
                    continue
                if alias.asname is not None and type(alias.asname.name) is cst.Name:
                    self.names[alias.asname.name.value] = full
                else:
                    # ``import tensorflow.keras`` binds ``tensorflow``.
                    top = full.split(".")[0]
                    self.names[top] = top
            return
        if node.relative or node.module is None:
            return
        module = dotted(node.module)
        if module is None:
            return
        if isinstance(node.names, cst.ImportStar):
            if keras_path(module) is not None:
                self.star_modules.append(module)
            return
        for alias in node.names:
            name = dotted(alias.name)
            if name is None:
                continue
            local = (
                alias.asname.name.value
                if alias.asname and type(alias.asname.name) is cst.Name
                else name
            )
            self.names[local] = f"{module}.{name}"

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The fully qualified name an expression spells, if it comes from an import."""
        if type(node) is cst.Name:
            if node.value in self.names:
                return self.names[node.value]
            for module in self.star_modules:
                path = f"{keras_path(module)}.{node.value}".lstrip(".")
                if classify(path) is not Kind.OTHER or path in KERAS_SUBMODULES:
                    return f"{module}.{node.value}"
            return None
        if type(node) is cst.Attribute:
            base = self.qualify(node.value)
            return f"{base}.{node.attr.value}" if base else None
        return None

    def keras_kind(self, node: cst.BaseExpression) -> tuple[Kind, str] | None:
        """(kind, path inside Keras) when ``node`` names something of Keras."""
        qualified = self.qualify(node)
        return None if qualified is None else _kind_of(qualified)


@functools.lru_cache(maxsize=4096)
def _kind_of(qualified: str) -> tuple[Kind, str] | None:
    """``keras_kind`` of a qualified name: the same few names recur in every call of a file."""
    path = keras_path(qualified)
    if path is None:
        return None
    return classify(path), path


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` as a string, for plain dotted names only."""
    if type(node) is cst.Name:
        return node.value
    if type(node) is cst.Attribute:
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None
