"""The base of the rules about Keras code: a Keras import required, the semantic model at hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from darklint.keras.vocabulary import KERAS_IMPORTS
from darklint.rule import FileContext, Rule

if TYPE_CHECKING:
    from darklint.keras.semantic import SemanticModel


def semantic_model(context: FileContext) -> SemanticModel:
    """The file's Keras semantic model (built once per file: ``FileContext.shared``)."""
    from darklint.keras.semantic import build_semantic_model

    return build_semantic_model(context.module, context.source)


class KerasRule(Rule):
    """A rule that can only fire on a file importing Keras."""

    requires_imports: ClassVar[frozenset[str]] = KERAS_IMPORTS

    @property
    def semantic(self) -> SemanticModel:
        return self.context.shared(semantic_model)
