"""Compiles of trained models that share weights: shared by DK105 and DK106.

DK106 reports the compiles whose shared weights are trainable in both (two
Adam states for one set of weights); DK105 reports every other later compile
of a training path through the same network, so it asks DK106's question
first: one finding per compile, the more specific one wins.
"""

from __future__ import annotations

from darklint.keras.facts import Event, EventKind, ModelId
from darklint.keras.semantic import SemanticModel


def trained_compiles(semantic: SemanticModel) -> list[Event]:
    """The compiles of models that are trained somewhere, in trace order."""
    return [e for e in semantic.events(EventKind.COMPILE) if semantic.is_trained(e.subject)]


class SharedTrainable:
    """For a compile, the first earlier compile of another model training some of the same weights."""

    def __init__(self, semantic: SemanticModel, compiles: list[Event]) -> None:
        self.semantic = semantic
        self.compiles = compiles
        # Each model's compiles that may train it, in trace order: a compile
        # looks up the models it trains instead of pairing with every compile
        # before it (quadratic on a file with many models).
        self.training_it: dict[ModelId, list[Event]] = {}
        for event in compiles:
            for model in semantic.trainable_at(event):
                self.training_it.setdefault(model, []).append(event)
        # Each weighted layer's compiles, in trace order (``_sharing_layers``
        # asks only the compiles over one of its layers, not every earlier one).
        self.with_layer: dict[int, list[Event]] = {}
        for event in compiles:
            for layer in _weighted_layers(semantic, event.subject):
                self.with_layer.setdefault(layer, []).append(event)
        # Where each model first had some of its layers frozen one by one.
        self.first_partial: dict[ModelId, int] = {}
        for event in semantic.trace:
            if event.kind is EventKind.TRAINABLE and event.partial and event.model is not None:
                self.first_partial.setdefault(event.model, event.index)

    def first_sharing(self, later: Event) -> tuple[Event, ModelId | None] | None:
        """The earlier compile and the outermost model whose weights both train.

        For each model ``later`` trains, its first such compile; the earliest
        of those shares weights with ``later`` (the outermost shared model
        exists unless the code pretends a model contains itself: then every
        earlier compile is asked).
        """
        candidates = []
        for model in self.semantic.trainable_at(later):
            for earlier in self.training_it.get(model, ()):
                if earlier.index >= later.index:
                    break
                if earlier.model != later.model:
                    candidates.append(earlier)
                    break
        if not candidates:
            return self._sharing_layers(later)
        for earlier in sorted(candidates, key=lambda event: event.index):
            shared = self.shared(earlier, later)
            if shared is not None:
                return earlier, shared
        for earlier in self.compiles:
            if earlier.index >= later.index:
                break
            shared = self.shared(earlier, later)
            if shared is not None:
                return earlier, shared
        return None

    def _sharing_layers(self, later: Event) -> tuple[Event, None] | None:
        """An earlier compile of another model built on the same weighted layers (a
        multi-task model's heads each on the shared trunk), both trainable there.

        Only when no layer of either model is frozen on its own (``m.layers[i].trainable``):
        the walk knows the trainable state of models, not of each layer.
        Returns the earlier compile and None (the shared part has no model of its own).
        """
        semantic = self.semantic
        if later.subject not in semantic.trainable_at(later) or self._layer_frozen(later):
            return None
        layers = _weighted_layers(semantic, later.subject)
        if not layers:
            return None
        sharing = {
            id(earlier): earlier
            for layer in layers
            for earlier in self.with_layer.get(layer, ())
            if earlier.index < later.index
        }
        for earlier in sorted(sharing.values(), key=lambda event: event.index):
            if (
                earlier.model != later.model
                and not earlier.exclusive(later)
                and earlier.subject in semantic.trainable_at(earlier)
                and not self._layer_frozen(earlier)
            ):
                return earlier, None
        return None

    def _layer_frozen(self, compile_event: Event) -> bool:
        """Some layer of the compiled model had its own ``trainable`` set before it."""
        if not self.first_partial:
            return False
        return any(
            self.first_partial.get(model, compile_event.index) < compile_event.index
            for model in self.semantic.closure(compile_event.subject)
        )

    def shared(self, earlier: Event, later: Event) -> ModelId | None:
        """The outermost model trainable in both compiles (the encoder, not its inner block)."""
        if earlier.model == later.model or earlier.exclusive(later):
            return None  # a recompile of the same model; or never both in one run
        if self._layer_frozen(earlier) or self._layer_frozen(later):
            # Some layer frozen on its own (`combined.layers[-1].trainable =
            # False`, maybe the shared network itself): not known to train in both.
            return None
        semantic = self.semantic
        trainable = sorted(semantic.trainable_at(earlier) & semantic.trainable_at(later))
        return outermost(semantic, trainable)


def outermost(semantic: SemanticModel, models: list[ModelId]) -> ModelId | None:
    """A model of ``models`` that no other of them contains.

    The one holding the most models first (a container holds more than what
    it contains: no other can contain it), so that a long chain of wrappers
    costs one pass; then, if the code pretends a model contains itself, the
    first such model in order.
    """
    if not models:
        return None
    widest = max(models, key=lambda model: (len(semantic.closure(model)), -model))
    if not any(other != widest and semantic.contains(other, widest) for other in models):
        return widest
    for model in models:
        if not any(other != model and semantic.contains(other, model) for other in models):
            return model
    return None


def _weighted_layers(semantic: SemanticModel, model: ModelId) -> frozenset[int]:
    """The weighted layers the code made that are in ``model`` (its own, not inner models')."""
    return frozenset(
        layer for kind, layer in semantic.models[model].weights or () if kind == "layer"
    )
