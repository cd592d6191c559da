"""Output heads and losses: the last activation of each output, the loss of each compile.

A layer the code makes gets a :class:`LayerSpec` from its constructor (a
``Dense``'s units and activation, an ``Activation`` layer's function, a
``Dropout`` that passes its input through); calling the layer, or putting
it into a ``Sequential``, applies the spec to the incoming tensor's
:class:`~darklint.keras.facts.Head`.  A model's heads are its outputs'
heads; ``compile()``'s losses are read from its ``loss`` argument.  Whatever
the code does not show (a variable activation, an unknown layer, a subclass'
``call``) makes the head unknown: the DK4xx rules only judge what they see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from darklint.keras.facts import Head, Loss, ModelId
from darklint.keras.interpreter.core import Core
from darklint.keras.values import (
    UNKNOWN,
    BoolVal,
    IntVal,
    KerasRef,
    LayerVal,
    ListVal,
    LossVal,
    ModelVal,
    ModuleRef,
    StrVal,
    Value,
    provenance,
)
from darklint.keras.vocabulary import (
    ACTIVATION_FUNCTIONS,
    ACTIVATION_LAYERS,
    CROSSENTROPY_ALIASES,
    HEAD_LAYERS,
    HEAD_WRAPPERS,
    KEEPS_HEAD,
    LOSS_CLASSES,
    MOVES_AXES,
    activation_name,
)

Args = list[Value]
Kwargs = dict[str, Value]


@dataclass(frozen=True)
class LayerSpec:
    """What a layer does to the head of the tensor it is called on."""

    # "head": sets activation and units (`Dense`); "activation": sets the
    # activation, keeps the units; "keep": changes neither; "moves": keeps the
    # activation, the last axis is no longer known.
    effect: str
    activation: str | None = None
    units: int | None = None
    node: cst.CSTNode | None = None
    layer: cst.CSTNode | None = None
    name: str | None = None
    # `TimeDistributed(layer)`: the wrapped layer's spec.
    inner: LayerSpec | None = None


def apply_spec(spec: LayerSpec | None, head: Head | None) -> Head | None:
    """The head of a tensor after a layer with ``spec``."""
    if spec is None:
        return None
    if spec.inner is not None:
        return apply_spec(spec.inner, head)
    if spec.effect == "keep":
        return head
    if spec.effect == "moves":
        return None if head is None else dataclasses.replace(head, units=None)
    assert spec.node is not None
    assert spec.layer is not None
    if spec.effect == "activation":
        units = head.units if head is not None else None
        return Head(spec.activation, units, spec.node, spec.layer, spec.name)
    return Head(spec.activation, spec.units, spec.node, spec.layer, spec.name)


class Heads(Core):
    def _layer_spec(self, node: cst.CSTNode, path: str, args: Args, kwargs: Kwargs) -> None:
        """Remember what the layer made at ``node`` does to heads (``layer_specs``)."""
        self.layer_specs.append(self._make_spec(node, path.split(".")[-1], args, kwargs))

    def _make_spec(
        self, node: cst.CSTNode, cls: str, args: Args, kwargs: Kwargs
    ) -> LayerSpec | None:
        name_value = kwargs.get("name")
        name = name_value.value if isinstance(name_value, StrVal) else None
        if cls in KEEPS_HEAD:
            return LayerSpec("keep")
        if cls in MOVES_AXES:
            return LayerSpec("moves")
        if cls in HEAD_WRAPPERS:
            inner = self._spec_of(args[0]) if args else self._spec_of(kwargs.get("layer", UNKNOWN))
            return None if inner is None else LayerSpec("keep", inner=inner)
        if cls in ACTIVATION_LAYERS:
            fixed = ACTIVATION_LAYERS[cls]
            if fixed is None:
                chosen = args[0] if args else kwargs.get("activation", UNKNOWN)
                fixed = self._activation(chosen)
            elif cls == "Softmax":
                axis = args[0] if args else kwargs.get("axis")
                if axis is not None and not (isinstance(axis, IntVal) and axis.value == -1):
                    fixed = None  # over another axis than the last: not known here
            return LayerSpec("activation", fixed, node=node, layer=node, name=name)
        size_key = HEAD_LAYERS.get(cls)
        if size_key is None:
            return None
        size = args[0] if args else kwargs.get(size_key, UNKNOWN)
        units = size.value if isinstance(size, IntVal) else None
        channels_first = kwargs.get("data_format")
        if isinstance(channels_first, StrVal) and channels_first.value == "channels_first":
            units = None  # the activation's axis is the last one, not the filters'
        chosen_node: cst.CSTNode = node
        if "activation" in kwargs:
            chosen_node = _keyword_value(node, "activation") or node
            none = isinstance(chosen_node, cst.Name) and chosen_node.value == "None"
            activation = "linear" if none else self._activation(kwargs["activation"])
        elif cls == "Dense" and len(args) > 1:
            activation = self._activation(args[1])  # `Dense(1, "sigmoid")`
            chosen_node = _positional(node, 1) or node
        else:
            activation = "linear"
        return LayerSpec("head", activation, units, chosen_node, node, name)

    def _spec_of(self, value: Value) -> LayerSpec | None:
        if isinstance(value, LayerVal) and value.layer is not None:
            return self.layer_specs[value.layer]
        return None

    def _activation(self, value: Value) -> str | None:
        """Keras' name of the activation ``value`` is (None: not known)."""
        if isinstance(value, StrVal):
            return None if value.value is None else activation_name(value.value)
        if isinstance(value, KerasRef) and value.path.startswith("activations."):
            return activation_name(value.path.split(".")[-1])
        if isinstance(value, ModuleRef):
            return ACTIVATION_FUNCTIONS.get(value.qualified)
        return None

    def _layer_head(self, layer: Value, head: Head | None) -> Head | None:
        """The head after calling ``layer`` on a tensor whose head was ``head``."""
        if isinstance(layer, ModelVal):
            return self._model_head(layer.id)
        head = apply_spec(self._spec_of(layer), head)
        if head is not None:
            self._activated(head)
        return head

    def _activated(self, head: Head) -> None:
        self._here(head.node)
        self._here(head.layer)
        self.facts.activations.setdefault(id(head.node), head)

    def _model_head(self, model: ModelId) -> Head | None:
        """A model's one output's head (a model called as a layer: `D(G(z))`)."""
        heads = self.facts.models[model].heads
        return heads[0] if heads is not None and len(heads) == 1 else None

    def _sequential_heads(
        self, model: ModelId, items: Sequence[Value], *, added: bool = False
    ) -> None:
        """Layers put into a ``Sequential`` (``added``: by ``add()``), in order: the head after the last."""
        record = self.facts.models[model]
        heads = record.heads if added else None
        head = heads[0] if heads else None
        for item in items:
            head = self._layer_head(item, head)
        record.heads = (head,)

    def _output_heads(self, model: ModelId, outputs: Value) -> None:
        """A functional model's heads: one per output tensor."""
        items = outputs.items if isinstance(outputs, ListVal) else (outputs,)
        heads = tuple(provenance(item).head for item in items)
        self.facts.models[model].heads = heads if any(heads) else None

    def _tensor_head(self, layer: Value, args: Args) -> Head | None:
        incoming = provenance(args[0]).head if len(args) == 1 else None
        return self._layer_head(layer, incoming)

    # Losses ----------------------------------------------------------------------

    def _loss_object(self, node: cst.Call, path: str, kwargs: Kwargs) -> Value | None:
        """``keras.losses.BinaryCrossentropy(from_logits=True)``: a loss object (None: not one)."""
        parts = path.split(".")
        if parts[0] != "losses" or parts[-1] not in LOSS_CLASSES:
            return None
        logits = kwargs.get("from_logits")
        from_logits = (
            logits.value if isinstance(logits, BoolVal) else (False if logits is None else None)
        )
        return LossVal(CROSSENTROPY_ALIASES[parts[-1]], from_logits, node)

    def _losses(self, call: cst.Call, args: Args, kwargs: Kwargs) -> tuple[Loss, ...]:
        """The losses of ``model.compile(...)``, one per item of a list or dict."""
        value = kwargs.get("loss", args[1] if len(args) > 1 else UNKNOWN)
        written = _loss_argument(call)
        if value is UNKNOWN or written is None:
            return ()
        if not isinstance(value, ListVal):
            return (self._loss(value, written, None),)
        elements = _literal_items(written)
        keyed = value.keys is not None
        losses = []
        for position, item in enumerate(value.items):
            node = elements[position] if len(elements) == len(value.items) else written
            output: int | str | None = position
            if keyed:
                assert value.keys is not None
                output = value.keys[position]
                if output is None:
                    continue  # a key the code computes
            losses.append(self._loss(item, node, output))
        return tuple(losses)

    def _loss(self, value: Value, node: cst.CSTNode, output: int | str | None) -> Loss:
        self._here(node)
        if isinstance(value, StrVal):
            name = CROSSENTROPY_ALIASES.get(value.value) if value.value is not None else None
            return Loss(name, False, node, output=output)
        if isinstance(value, LossVal):
            self._here(value.node)
            made = value.node if value.node is not node else None
            return Loss(value.name, value.from_logits, node, made, output)
        if isinstance(value, KerasRef) and value.path.startswith("losses."):
            # A loss function (`keras.losses.binary_crossentropy`): from_logits=False.
            return Loss(
                CROSSENTROPY_ALIASES.get(value.path.split(".")[-1]), False, node, output=output
            )
        return Loss(None, None, node, output=output)


def _keyword_value(node: cst.CSTNode, keyword: str) -> cst.CSTNode | None:
    if not isinstance(node, cst.Call):
        return None
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    return None


def _positional(node: cst.CSTNode, position: int) -> cst.CSTNode | None:
    if not isinstance(node, cst.Call):
        return None
    positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
    return positional[position].value if position < len(positional) else None


def _loss_argument(call: cst.Call) -> cst.BaseExpression | None:
    """The ``loss`` argument as written in ``compile(...)`` (second positional, or keyword)."""
    found = _keyword_value(call, "loss")
    if found is not None:
        return found  # type: ignore[return-value]
    value = _positional(call, 1)
    return value if isinstance(value, cst.BaseExpression) else None


def _literal_items(node: cst.BaseExpression) -> list[cst.CSTNode]:
    """The items of a list, tuple or dict written in place (a dict: its values)."""
    if isinstance(node, (cst.List, cst.Tuple)):
        return [element.value for element in node.elements]
    if isinstance(node, cst.Dict):
        return [element.value for element in node.elements if isinstance(element, cst.DictElement)]
    return []
