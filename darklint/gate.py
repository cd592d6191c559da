"""The gate: which rules can possibly fire on a file, decided without libcst.

libcst parses about ten times slower than CPython's own parser, and most
files of a real repository hold no Keras model, so the engine runs a rule on
a file only when the file contains what the rule cannot fire without.  The
gate is *conservative*: it may let through a file on which nothing fires, but
never skips one on which something could (``tests/engine/test_gate.py`` runs
every corpus gated and ungated and compares).

It works in two steps, the cheap one first:

1. Text: the file mentions Keras (``needs_keras``) and contains every token of
   the rule's ``requires`` and ``requires_names`` as substrings.
2. Code, for what passes step 1: the ``ast`` tree that the engine's syntax
   check already built must *import* Keras (an ``import`` statement, not a
   word in a docstring), and every token of ``requires_names`` must be an
   identifier of the code — a name, an attribute, a part of an imported
   module or name, a keyword argument, a definition — not just a word in a
   string or a comment.  The semantic model matches identifiers exactly, so
   this is as conservative as step 1 and far sharper on code whose
   docstrings are full of ``model.fit(...)`` examples.

In ``requires`` and ``requires_names`` a tuple inside the tuple is a choice:
``("compile", ("fit", "train_on_batch"))`` needs ``compile`` and at least one
of ``fit`` and ``train_on_batch``.

The token groups below are the semantic model's vocabulary (what it turns
into models, training steps, ...); ``tests/engine/test_gate.py`` checks them
against ``darklint.keras`` so that the two cannot drift apart.

``DARKLINT_NO_GATE=1`` in the environment turns the gate off (every rule runs
on every file that parses): for the tests above and for bisecting a miss.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from darklint.rule import Rule

Tokens: TypeAlias = tuple[str | tuple[str, ...], ...]

# A file that mentions neither can hold no Keras model darklint could prove
# (``tf_keras`` contains ``keras``).
KERAS_MARKERS = ("keras", "tensorflow")
# The top-level modules an import must come from for the file to import Keras
# (``darklint.keras.names.KERAS_TOP_LEVEL``).
KERAS_MODULES = frozenset({"keras", "tensorflow", "tf_keras"})

# Training calls (``semantic.TRAIN_METHODS``).
TRAINS = ("fit", "fit_generator", "train_on_batch")
# Training calls and hand-written optimizer steps (``EventKind.STEP``).
STEPS = (*TRAINS, "apply_gradients", "minimize", "apply")
# Everything a Keras model can come from: the model classes and factories
# (``names._MODEL_CLASSES``/``_MODEL_FACTORIES``, ``applications.*``), and the
# uses that promote an unknown value to a model (``x.trainable = False``,
# ``x.compile(loss=...)``; ``Sequential([x])`` needs ``Sequential``).
MAKES_MODELS = (
    "Model",
    "Sequential",
    "Functional",
    "load_model",
    "clone_model",
    "model_from_json",
    "model_from_config",
    "applications",
    "trainable",
    "compile",
)

ENV_DISABLE = "DARKLINT_NO_GATE"


def disabled() -> bool:
    return os.environ.get(ENV_DISABLE, "") not in ("", "0")


def mentions_keras(text: str) -> bool:
    return any(marker in text for marker in KERAS_MARKERS)


def text_has(text: str, tokens: Tokens) -> bool:
    """Every token (or one token of every choice) occurs in ``text``."""
    return all(
        token in text if isinstance(token, str) else any(choice in text for choice in token)
        for token in tokens
    )


def names_have(names: frozenset[str] | set[str], tokens: Tokens) -> bool:
    """Every token (or one token of every choice) is one of ``names``."""
    return all(
        token in names if isinstance(token, str) else not names.isdisjoint(token)
        for token in tokens
    )


@dataclass(frozen=True)
class CodeFacts:
    """What the gate needs to know about a module's code (not its strings)."""

    imports_keras: bool
    names: frozenset[str]


# Fields that hold no identifier and no child node worth visiting.
_SKIPPED_FIELDS = frozenset(
    {"ctx", "type_comment", "type_ignores", "kind", "level", "is_async", "simple", "conversion"}
)
_FIELDS: dict[type, tuple[str, ...]] = {
    # A constant's value is data: a string constant is not code.
    ast.Constant: (),
}


def _fields(kind: type) -> tuple[str, ...]:
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(
            name for name in getattr(kind, "_fields", ()) if name not in _SKIPPED_FIELDS
        )
    return fields


def code_facts(tree: ast.AST) -> CodeFacts:
    """Every identifier of the code (dotted import paths split), and whether it imports Keras.

    In the ``ast``, every string-valued field outside a constant is an
    identifier (``Name.id``, ``Attribute.attr``, ``alias.name``,
    ``ImportFrom.module``, ``keyword.arg``, ``FunctionDef.name``, ...), so a
    generic walk finds them all.  An explicit stack instead of ``ast.walk``:
    three times faster, and this runs on every file with a Keras-looking text.
    """
    names: set[str] = set()
    add = names.add
    imports_keras = False
    stack: list[object] = [tree]
    pop, push = stack.pop, stack.append
    fields_of = _FIELDS.get
    while stack:
        node = pop()
        kind = type(node)
        if kind is ast.Import or kind is ast.ImportFrom:
            imports_keras = imports_keras or _imports_keras(node)  # type: ignore[arg-type]
        fields = fields_of(kind)
        if fields is None:
            fields = _fields(kind)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            value_type = type(value)
            if value_type is str:
                add(value)
            elif value_type is list:
                for item in value:
                    if type(item) is str:
                        add(item)
                    elif item is not None:
                        push(item)
            elif value_type is not int:
                push(value)
    # `import keras.models` and `from keras.optimizers import Adam` name
    # `keras`, `models` and `optimizers` too.
    for dotted in [name for name in names if "." in name]:
        names.update(dotted.split("."))
    return CodeFacts(imports_keras, frozenset(names))


def _imports_keras(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] in KERAS_MODULES for alias in node.names)
    return node.level == 0 and (node.module or "").split(".")[0] in KERAS_MODULES


def filter_rules(rules: Iterable[type[Rule]], text: str, tree: ast.AST | None) -> list[type[Rule]]:
    """The rules that may fire on a file: by its text, then by its code (``tree``)."""
    if disabled():
        return list(rules)
    keras = mentions_keras(text)
    candidates = [rule for rule in rules if rule.may_apply(text, keras)]
    if not candidates or tree is None:
        return candidates
    facts = code_facts(tree)
    return [rule for rule in candidates if rule.may_apply_to_code(facts)]
