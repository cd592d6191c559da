"""Small helpers for the semantic-model unit tests: build a model from a snippet, read its facts.

Imported by the ``test_*.py`` files next to it (pytest puts this directory on ``sys.path``).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider

from darklint.keras.facts import Event, EventKind
from darklint.keras.semantic import SemanticModel, build_semantic_model


@dataclass
class Built:
    """A snippet's module, semantic model and node positions."""

    source: str
    module: cst.Module
    sem: SemanticModel
    positions: object

    # Models -------------------------------------------------------------

    def labels(self) -> set[str]:
        """The label of every model (``the model`` for unnamed ones)."""
        return {self.sem.label(model_id) for model_id in self.sem.models}

    def model(self, label: str) -> int:
        """The one model whose label is ``label`` (fails loudly otherwise)."""
        found = [model_id for model_id in self.sem.models if self.sem.label(model_id) == label]
        assert len(found) == 1, f"expected one model labelled {label!r}, got {self.describe()}"
        return found[0]

    def named(self, spelled: str) -> int:
        """The one model that was ever bound to ``spelled`` (in any frame)."""
        found = [
            model_id
            for model_id, info in self.sem.models.items()
            if any(name == spelled for _, name in info.names)
        ]
        assert len(found) == 1, f"expected one model named {spelled!r}, got {self.describe()}"
        return found[0]

    def has_name(self, spelled: str) -> bool:
        return any(name == spelled for info in self.sem.models.values() for _, name in info.names)

    def contained(self, outer: str) -> set[str]:
        """Labels of everything the model labelled ``outer`` contains, transitively."""
        outer_id = self.model(outer)
        return {self.sem.label(m) for m in self.sem.closure(outer_id) if m != outer_id}

    def describe(self) -> list[tuple[int, str, str, list[str]]]:
        return [
            (info.id, info.kind, info.label, [name for _, name in info.names])
            for info in self.sem.models.values()
        ]

    # Events -------------------------------------------------------------

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line  # type: ignore[index]

    def label_of(self, event: Event) -> str:
        return self.sem.label(event.model) if event.model in self.sem.models else "-"

    def trace(self) -> list[tuple[str, str, int]]:
        """Every event as ``(kind, model label, line)``, in trace order."""
        return [(e.kind.value, self.label_of(e), self.line(e.node)) for e in self.sem.trace]

    def events(self, kind: EventKind, label: str | None = None) -> list[Event]:
        model = self.model(label) if label is not None else None
        return list(self.sem.events(kind, model))

    def only(self, kind: EventKind, label: str | None = None) -> Event:
        found = self.events(kind, label)
        assert len(found) == 1, f"expected one {kind.value} event, trace: {self.trace()}"
        return found[0]

    def state_at(self, compile_event: Event, label: str) -> frozenset[bool] | None:
        return compile_event.states.get(self.model(label))


def build(source: str) -> Built:
    """Dedent ``source``, parse it and build its semantic model."""
    source = textwrap.dedent(source).lstrip("\n")
    module = cst.parse_module(source)
    sem = build_semantic_model(module, source)
    positions = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return Built(source, module, sem, positions)


def line_of(source: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of the dedented source containing ``needle``."""
    lines = textwrap.dedent(source).lstrip("\n").splitlines()
    hits = [number for number, text in enumerate(lines, start=1) if needle in text]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} times"
    return hits[occurrence - 1]


FALSE = frozenset({False})
TRUE = frozenset({True})
BOTH = frozenset({True, False})
