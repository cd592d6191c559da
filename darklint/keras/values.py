"""The abstract values the interpreter tracks for names, attributes and expressions."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from darklint.keras.builder import GradientRecord, OptimizerRecord
from darklint.keras.facts import GradientId, Head, ModelId
from darklint.keras.vocabulary import Kind

if TYPE_CHECKING:
    # Annotations only: the rules import the vocabulary around these values.
    import libcst as cst


class Value:
    """Base class; ``UNKNOWN`` is anything the walk cannot or need not know."""


class _Unknown(Value):
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Value = _Unknown()


@dataclass(frozen=True)
class ModelVal(Value):
    id: ModelId


@dataclass(frozen=True)
class OptVal(Value):
    info: OptimizerRecord


@dataclass(frozen=True)
class TensorVal(Value):
    """A symbolic tensor, with the models whose layers produced it."""

    models: frozenset[ModelId] = frozenset()
    input_of: frozenset[ModelId] = frozenset()
    # Produced by an *intermediate* layer of these models (``D.get_layer(..).output``).
    intermediate_of: frozenset[ModelId] = frozenset()
    # The number of rows, when the code reshaped it to a literal one.
    rows: int | None = None
    # Inputs perturbed along these input gradients (``GradientInfo.id``): FGSM's
    # ``x + eps * sign(grad)``, and what is computed from it.
    perturbed: frozenset[GradientId] = frozenset()
    # The weighted layers (``LayerVal.layer``) called to produce it, since the
    # inputs of the model being built: its variables.
    layers: frozenset[int] = frozenset()
    # The last activation it went through (None: not known); lost when it is
    # combined with another tensor.
    head: Head | None = None


@dataclass(frozen=True)
class VariablesVal(Value):
    """``m.trainable_variables`` (and sums and zips of them): the variables of these models."""

    models: frozenset[ModelId]


@dataclass(frozen=True)
class LayerVal(Value):
    of: ModelId | None
    # Bound by iterating over *all* of a model's layers: freezing each such
    # layer freezes the model.
    whole: bool = False
    # A layer the code made (`Dense(8)`): its id in the interpreter's layer
    # table, where its model is found once it is put in one.
    layer: int | None = None


@dataclass(frozen=True)
class LayerListVal(Value):
    of: ModelId
    whole: bool


@dataclass(frozen=True)
class ListVal(Value):
    items: tuple[Value, ...]
    # A dict written in place: its keys, where they are strings (the names
    # of a model's outputs, in a dict of losses).
    keys: tuple[str | None, ...] | None = None


@dataclass(frozen=True)
class BoolVal(Value):
    value: bool


@dataclass(frozen=True)
class IntVal(Value):
    """An integer written in the code where it is used (a literal, or a local or
    module name bound to one): never a parameter or an attribute, which a
    caller elsewhere may set to anything."""

    value: int


@dataclass(frozen=True)
class ArrayVal(Value):
    """An array whose number of rows (first dimension) the code spells out:
    ``np.random.normal(0, 1, (16, 100))``, ``x[:16]``, ``state.reshape(1, -1)``."""

    rows: int


@dataclass(frozen=True, eq=False)
class StrVal(Value):
    """A string written in the code (a loss or activation name).

    Its text is decoded on first use: the walk meets every docstring and
    message string of a file, and only the few that name a loss, an
    activation or an output are ever read.
    """

    node: cst.SimpleString

    @functools.cached_property
    def value(self) -> str | None:
        """The string's text (None: a bytes literal)."""
        return string_text(self.node)


def string_text(node: cst.SimpleString) -> str | None:
    """A string literal's text (None: a bytes literal), as Python reads it.

    Written without escapes (or raw) and without a carriage return (which
    Python reads as a line feed), its text is what stands between the quotes;
    only the others need ``evaluated_value``, whose ``ast.literal_eval``
    leaves a reference cycle behind per call for the garbage collector.
    """
    prefix = node.prefix.lower()
    if "b" in prefix:
        return None
    raw = node.raw_value
    if "\r" not in raw and ("r" in prefix or "\\" not in raw):
        return raw
    text = node.evaluated_value
    return text if isinstance(text, str) else None


@dataclass(frozen=True, eq=False)
class LossVal(Value):
    """A loss object made by the code (`keras.losses.BinaryCrossentropy(from_logits=True)`)."""

    name: str | None
    from_logits: bool | None
    node: cst.CSTNode


@dataclass(frozen=True)
class KerasRef(Value):
    """A name of the Keras API itself (``keras.Model``, ``layers.Dense``)."""

    kind: Kind
    path: str


@dataclass(frozen=True, eq=False)
class OpaqueVal(Value):
    """A value the walk cannot see into: an unknown call's result, a parameter
    of a function nobody calls.  It becomes a model when the code uses it as
    one (puts it in a ``Sequential``, compiles it with a loss)."""

    node: cst.CSTNode | None
    names: list[tuple[int, str]] = field(default_factory=list)
    # A parameter of a function (or a part of one): what its callers pass.
    parameter: bool = False


@dataclass(frozen=True)
class ModuleRef(Value):
    """An imported name outside Keras' API (``tf``, ``np``): its attributes may still be Keras."""

    qualified: str


@dataclass(eq=False)
class ClassInfo:
    node: cst.ClassDef
    methods: dict[str, cst.FunctionDef]
    keras_model: bool
    instance: Value | None = None


@dataclass(frozen=True, eq=False)
class ClassVal(Value):
    info: ClassInfo


@dataclass(eq=False)
class InstanceVal(Value):
    cls: ClassInfo
    attrs: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class FuncVal(Value):
    node: cst.FunctionDef
    self_value: Value | None = None
    # A function defined inside another: the names of the frame it was
    # defined in, which it still sees when called later (a closure).
    closure: dict[str, Value] | None = None


@dataclass(frozen=True, eq=False)
class GradVal(Value):
    """A gradient w.r.t. inputs, or something computed from it element-wise."""

    info: GradientRecord


@dataclass(frozen=True, eq=False)
class TapeVal(Value):
    """A ``tf.GradientTape``; ``watched`` collects what ``tape.watch`` was given."""

    watched: set[str] = field(default_factory=set)


def provenance(value: Value) -> TensorVal:
    """The tensor facts carried by any value (lists of tensors included)."""
    if isinstance(value, TensorVal):
        return value
    if isinstance(value, ModelVal):
        return TensorVal(frozenset({value.id}))
    if isinstance(value, ListVal):
        return merge_tensors(provenance(item) for item in value.items)
    return TensorVal()


def merge_tensors(values: Iterable[TensorVal]) -> TensorVal:
    models: set[ModelId] = set()
    inputs: set[ModelId] = set()
    intermediate: set[ModelId] = set()
    perturbed: set[GradientId] = set()
    layers: set[int] = set()
    for tensor in values:
        models |= tensor.models
        inputs |= tensor.input_of
        intermediate |= tensor.intermediate_of
        perturbed |= tensor.perturbed
        layers |= tensor.layers
    return TensorVal(
        frozenset(models),
        frozenset(inputs),
        frozenset(intermediate),
        perturbed=frozenset(perturbed),
        layers=frozenset(layers),
    )
