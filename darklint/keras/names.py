"""Which names in a file are Keras things, by the file's own import table.

Resolution is by the module's own import table, never by spelling: ``Model``
is a Keras model class only if the file imported it from Keras (any of
``keras``, ``keras.src``, ``tensorflow.keras``/``tf.keras`` under any alias of
tensorflow, ``tf_keras``), and a local ``class Model`` is not.  Each
qualified name is reduced to its path inside Keras (``keras.models.Model`` and
``tf.keras.Model`` both become ``models.Model`` / ``Model``) and classified
from that (:mod:`darklint.keras.vocabulary` holds the words).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from darklint.keras.vocabulary import (
    KERAS_IMPORTS,
    KERAS_SUBMODULES,
    Kind,
    classify,
    keras_path,
    kind_of,
)


@dataclass
class ImportTable:
    """Local name -> fully qualified name, from a file's import statements."""

    names: dict[str, str] = field(default_factory=dict)
    # Modules star-imported from Keras: an unbound name may come from them.
    star_modules: list[str] = field(default_factory=list)

    @property
    def imports_keras(self) -> bool:
        return bool(self.star_modules) or any(
            value.split(".")[0] in KERAS_IMPORTS for value in self.names.values()
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
        return None if qualified is None else kind_of(qualified)


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` as a string, for plain dotted names only."""
    if type(node) is cst.Name:
        return node.value
    if type(node) is cst.Attribute:
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None
