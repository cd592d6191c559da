"""Import rewrites for DK504: where a removed Keras module's names live in Keras 3.

A fix replaces the module an import names (``keras.layers.merge`` becomes
``keras.layers``), so every name the file binds stays the same; Keras 2's
aliases come in under their Keras 3 name (``Conv2DTranspose as Deconv2D``).
libcst is imported inside the functions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from darklint.keras.keras3_removals import MODULES, NAMES, Fix, Row
from darklint.rule import Replacement

if TYPE_CHECKING:
    import libcst as cst

    from darklint.rules.keras3_common import Resolved

LEGACY_OPTIMIZERS = "optimizers.legacy"


def removed_module(path: str) -> Row | None:
    """The row of the removed module ``path`` is, or is inside."""
    for row in MODULES:
        if path == row.name or path.startswith(row.name + "."):
            return row
    return None


def public(resolved: Resolved | None) -> bool:
    return resolved is not None and resolved.package in ("keras", "tf.keras")


def removed_name(path: str, package: str) -> Row | None:
    """The row of a removed name (a legacy optimizer imports fine: only building one fails)."""
    for row in NAMES:
        if row.name == path and package in row.packages and row.name != LEGACY_OPTIMIZERS:
            return row
    return None


def spelled(resolved: Resolved, row: Row) -> str:
    """The removed module as the file spells it (``tensorflow.keras.engine``)."""
    root = resolved.qualified[: len(resolved.qualified) - len(resolved.path)]
    return root + row.name


def home_of(row: Row, names: list[str]) -> tuple[str, bool] | None:
    """The one Keras 3 home of ``names`` (a path inside Keras), and whether moving is unsafe.

    No names (a module imported and never used): the home of all of them, if
    they share one.
    """
    targets = {row.moves.get(name) for name in names} if names else set(row.moves.values())
    if row.fix is Fix.NONE or len(targets) != 1:
        return None
    target = targets.pop()
    if target is None:
        return None
    return target, any(name in row.unsafe_moves for name in names)


def moved_import(
    row: Row, names: list[str], old: cst.BaseExpression, module: Resolved
) -> Replacement | None:
    """``old``, a module path written out in an import, replaced by the one home of ``names``."""
    import libcst as cst

    found = home_of(row, names)
    if found is None:
        return None
    target, unsafe = found
    root = module.qualified[: len(module.qualified) - len(module.path)]
    return Replacement(old, cst.parse_expression(root + target), safe=not unsafe)


def chain(node: cst.BaseExpression | None) -> list[cst.CSTNode]:
    import libcst as cst

    found: list[cst.CSTNode] = []
    while isinstance(node, cst.Attribute):
        found.append(node)
        node = node.value
    return found


def is_name(node: cst.BaseExpression, name: str) -> bool:
    return getattr(node, "value", None) == name and type(node).__name__ == "Name"


def words(source: str, word: str) -> list[str]:
    # Not after a dot: `keras.utils.np_utils` is a module path, not the name.
    return re.findall(rf"(?<![.\w]){re.escape(word)}\b", source)


def renamed(alias: cst.ImportAlias, renames: dict[str, str]) -> cst.ImportAlias:
    """``Deconv2D`` imported as ``Conv2DTranspose as Deconv2D`` (an ``as`` kept as it is)."""
    import libcst as cst

    name = alias.name.value if isinstance(alias.name, cst.Name) else ""
    if name not in renames:
        return alias
    asname = alias.asname or cst.AsName(cst.Name(name))
    return alias.with_changes(name=cst.Name(renames[name]), asname=asname)


def renamed_alias(alias: cst.ImportAlias, row: Row) -> Replacement | None:
    """``from keras.layers import Deconv2D``: the alias of a renamed name, bound as before."""
    import libcst as cst

    if not row.new or row.fix is Fix.NONE or not isinstance(alias.name, cst.Name):
        return None
    new = renamed(alias, {alias.name.value: row.new})
    return Replacement(alias, new.with_changes(comma=cst.MaybeSentinel.DEFAULT))


def fix_attribute(node: cst.Attribute, parent: cst.Attribute, row: Row) -> Replacement | None:
    """``keras.layers.core.Dense``: the module's own prefix, when the home is one level up."""
    found = home_of(row, [parent.attr.value])
    if found is None or not row.name.startswith(found[0] + "."):
        return None
    target, unsafe = found
    shorter: cst.BaseExpression = node
    for _ in range(row.name.count(".") - target.count(".")):
        shorter = getattr(shorter, "value", shorter)
    return Replacement(node, shorter, safe=not unsafe)
