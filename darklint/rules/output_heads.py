"""What the DK4xx rules share: each compiled output's head paired with its loss.

``compile(loss=...)`` gives one loss for every output, a list (one per
output, in order) or a dict (by output name); each output's head is the
last activation the semantic model saw on it.  A pair is made only where
both are known: a model whose class overrides ``train_step`` or
``compute_loss`` computes its own objective, and a list of losses whose
length differs from the outputs' is not matched at all.  A compile is judged
only when the model is trained after it (before another compile): the loss
of a model only predicted (a generator loaded for sampling), or only trained
inside another model (the generator of a GAN's combined model), is never used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from darklint.keras.facts import EventKind, Head, Loss
from darklint.keras.vocabulary import ACTIVATION_LAYERS, HEAD_LAYERS, TRAINING_HOOKS, TRAINS
from darklint.rules.base import KerasRule, semantic_model

if TYPE_CHECKING:
    import libcst as cst

    from darklint.keras.facts import Event
    from darklint.keras.semantic import SemanticModel
    from darklint.rule import FileContext, Replacement

# The losses the rules judge: Keras' crossentropies, by their function names.
BINARY = "binary_crossentropy"
CATEGORICAL = "categorical_crossentropy"
SPARSE = "sparse_categorical_crossentropy"
CROSSENTROPIES = frozenset({BINARY, CATEGORICAL, SPARSE})
# The activations that output probabilities (what those losses expect).
PROBABILITIES = frozenset({"sigmoid", "softmax"})
# What binary_crossentropy does to outputs that are not probabilities: it clips
# them into [1e-7, 1 - 1e-7] before the log (keras 3.15.1, both backends).
CLIPPED = (
    "outputs outside (0, 1) are clipped before the log, so a sample on the wrong side "
    "gets no gradient and is never corrected"
)
# Each loss's class, which takes `from_logits=`.
LOSS_CLASS = {
    BINARY: "BinaryCrossentropy",
    CATEGORICAL: "CategoricalCrossentropy",
    SPARSE: "SparseCategoricalCrossentropy",
}

# What the rules cannot fire without (darklint.gate): a layer that sets a head
# (in the file or in a module it imports) and, but for DK401, a compile and a
# training call (a compile is judged when its model trains).  Losses and
# activations are usually strings, which the gate does not read.
HEAD_LAYER_NAMES = tuple(sorted({*HEAD_LAYERS, *ACTIVATION_LAYERS}))
REQUIRES = ("compile", TRAINS, HEAD_LAYER_NAMES)
# DK401 also needs a softmax to be named: the `activation=` keyword, an
# `Activation`/`Softmax` layer, or a softmax function.
SOFTMAX_NAMES = ("activation", "Activation", "Softmax", "softmax")


@dataclass(frozen=True)
class Pairing:
    # The training call that uses the compile's loss.
    train: Event
    head: Head
    loss: Loss
    # How the message names the output: "" for a model's only output,
    # "output `name`" / "output 2" for one of several.
    output: str
    model: str


def pairings(semantic: SemanticModel) -> Iterator[Pairing]:
    """Every (head, loss) pair of the file's compiles, once per pair of places."""
    seen: set[tuple[int, int]] = set()
    for event in semantic.events(EventKind.COMPILE):
        info = semantic.models[event.subject]
        heads = info.heads
        if heads is None or info.overrides & TRAINING_HOOKS or not event.losses:
            continue
        train = semantic.trained_later_without_recompile(event.subject, event)
        if train is None:
            continue  # the loss never trains anything: only predicted, or trained inside another
        for loss in event.losses:
            if loss.name not in CROSSENTROPIES:
                continue
            for position, head in _outputs(heads, event.losses, loss):
                key = (id(loss.node), id(head.node))
                if key in seen:
                    continue
                seen.add(key)
                yield Pairing(
                    train,
                    head,
                    loss,
                    _output_label(head, position, len(heads)),
                    semantic.label(event.subject),
                )


def _outputs(
    heads: tuple[Head | None, ...], losses: tuple[Loss, ...], loss: Loss
) -> Iterator[tuple[int, Head]]:
    if loss.output is None:
        chosen = list(enumerate(heads))
    elif isinstance(loss.output, int):
        if len(losses) != len(heads):
            return  # Keras rejects it; nothing to pair
        chosen = [(loss.output, heads[loss.output])]
    else:
        chosen = [(i, h) for i, h in enumerate(heads) if h is not None and h.name == loss.output]
    for position, head in chosen:
        if head is not None and head.activation is not None:
            yield position, head


def _output_label(head: Head, position: int, count: int) -> str:
    if count == 1:
        return ""
    return f"output `{head.name}`" if head.name else f"output {position}"


def described(pairing: Pairing) -> str:
    """`model` or `model`'s output `b`, as the messages name what is compiled."""
    if not pairing.output:
        return f"`{pairing.model}`"
    return f"`{pairing.model}`'s {pairing.output}"


def _file_pairings(context: FileContext) -> tuple[Pairing, ...]:
    """The file's pairs, found once for all the DK4xx rules (``FileContext.shared``)."""
    return tuple(pairings(context.shared(semantic_model)))


def loss_class_spelling(module: cst.Module, source: str, loss: str) -> str | None:
    """How the file can name ``loss``'s class with the names its module-level imports bind."""
    from darklint.rules.keras3_common import Scope, module_imports

    return Scope(module_imports(module), module, source).spell(f"losses.{LOSS_CLASS[loss]}")


class HeadLossRule(KerasRule):
    """A DK4xx rule about a compiled output's head and its loss: reported at the loss.

    A subclass says which pairs it reports (``judge``: the message's fields,
    or None) and may offer a fix; each loss written in the code is reported
    once, with the output layer, the loss object and the training call as
    related places.
    """

    reference: ClassVar[str | None] = "reference_impls/classifier.py"
    requires_names = REQUIRES

    def judge(self, pairing: Pairing) -> Mapping[str, object] | None:
        raise NotImplementedError

    def fix_for(self, pairing: Pairing) -> Replacement | None:
        return None

    def finish(self) -> None:
        reported: set[int] = set()
        for pairing in self.context.shared(_file_pairings):
            loss = pairing.loss
            if id(loss.node) in reported:
                continue
            fields = self.judge(pairing)
            if fields is None:
                continue
            reported.add(id(loss.node))
            self.report(
                loss.node,
                fix=self.fix_for(pairing),
                related={
                    "output layer": pairing.head.layer,
                    "loss": loss.made,
                    "trained here": pairing.train.node,
                },
                what=described(pairing),
                # The message's own fields, never `report`'s keywords.
                **fields,  # type: ignore[arg-type]
            )
