"""Where a report goes when some of its nodes are in other modules of the project.

An analysis that follows the linted file's imports finds hazards whose parts
are elsewhere: the discriminator frozen in ``models.py``, trained in the
linted ``train.py``.  Every finding is reported in the linted file, so that
``darklint train.py`` (pre-commit), ``darklint .``, stdin and the language
server give the same findings for it and a suppression works on the line it
shows:

- a node in another module is reported at its *anchor*, the node of the
  linted file through which the analysis got there (the call of
  ``build_gan``), and the message says where it is (``via models.py:14``);
- a related place in another module keeps its own file and position
  (SARIF ``relatedLocations``, LSP ``relatedInformation``);
- a report whose places are all in other modules is one of those modules'
  finding when linting that module alone reports it too, with the same
  places (``reported_there`` asks, by :class:`Signature`): it is dropped
  here, so that ``darklint .`` does not report it twice.  When only the
  linted file's code makes it a hazard (the discriminator compiled and
  frozen in ``models.py`` is trained here), it is reported here;
- a fix never reaches into another file: a report placed through an anchor
  has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from darklint.diagnostics import Diagnostic, Related
from darklint.positions import Positions, file_positions
from darklint.rule import Elsewhere, FileContext, Report

if TYPE_CHECKING:
    import libcst as cst


@dataclass(frozen=True)
class Placed:
    """A report's places in the linted file, and what the message adds about the others."""

    node: cst.CSTNode
    end_node: cst.CSTNode | None
    related: tuple[Related, ...]
    # ``(via models.py:14; `gan` compiled at models.py:20)``: "" when all is here.
    suffix: str
    fixable: bool


VIA = "where this happens"

Place = tuple[str, int, int]


@dataclass(frozen=True)
class Signature:
    """A finding whichever file reports it: its code, where it happens, the other places.

    The same hazard reported through another file has the same signature:
    its primary place is that diagnostic's ``VIA`` related place.
    """

    code: str
    primary: Place
    others: frozenset[Place]

    @classmethod
    def of(cls, code: str, places: list[Related]) -> Signature:
        """From the places of a report, its primary place first."""
        first, *rest = places
        return cls(
            code,
            (first.path, first.line, first.column),
            frozenset((item.path, item.line, item.column) for item in rest),
        )

    @classmethod
    def of_diagnostic(cls, diagnostic: Diagnostic) -> Signature:
        via = [item for item in diagnostic.related if item.message == VIA]
        primary = (
            (via[0].path, via[0].line, via[0].column)
            if via
            else (diagnostic.path, diagnostic.line, diagnostic.column)
        )
        return cls(
            diagnostic.code,
            primary,
            frozenset(
                (item.path, item.line, item.column)
                for item in diagnostic.related
                if item.message != VIA
            ),
        )


class Placement:
    """Places the reports of one file (other modules' positions computed once each)."""

    def __init__(
        self, context: FileContext, reported_there: Callable[[Elsewhere, Signature], bool]
    ) -> None:
        self.context = context
        # Whether linting the module of a place alone reports the finding.
        self.reported_there = reported_there
        self._positions: dict[int, Positions] = {}

    def nodes_known(self, report: Report) -> bool:
        """Every node is in the file or in another module the analysis reached."""
        positions = self.context.positions
        nodes = [report.node, *(node for _, node in report.related)]
        if report.fix is not None:
            nodes.extend(part.old for part in report.fix.parts())
            nodes.extend(part.until for part in report.fix.parts() if part.until is not None)
        if report.node in positions and report.end_node is not None:
            # (Placed elsewhere, a report's range is its anchor: no end there.)
            nodes.append(report.end_node)
        return all(node in positions or id(node) in self.context.elsewhere for node in nodes)

    def place(self, report: Report, related_here: list[Related]) -> Placed | None:
        """Where ``report`` goes (None: it belongs to another module's own lint).

        ``related_here`` are the report's related places already computed in
        the linted file's coordinates, in the order of ``report.related``
        (None-free: the caller computed only the local ones; foreign ones
        are computed here).
        """
        context = self.context
        positions = context.positions
        elsewhere = context.elsewhere
        nodes = [report.node, *(node for _, node in report.related)]
        foreign = [elsewhere[id(node)] for node in nodes if node not in positions]
        if not foreign:
            return Placed(report.node, report.end_node, tuple(related_here), "", True)
        if len(foreign) == len(nodes):
            # Nothing of it is here: it is another module's finding if one of
            # the modules it is in reports it when linted alone.
            places = [self._related("", place) for place in foreign]
            if any(place is None for place in places):
                return None
            signature = Signature.of(report.rule.code, places)  # type: ignore[arg-type]
            modules = {place.path: place for place in foreign}
            if any(self.reported_there(place, signature) for place in modules.values()):
                return None
        notes: list[str] = []
        related: list[Related] = []
        node, end_node = report.node, report.end_node
        if node not in positions:
            primary = elsewhere[id(node)]
            node, end_node = primary.anchor, None
            where = self._related(VIA, primary)
            if where is not None:
                related.append(where)
                notes.append(f"via {where.path}:{where.line}")
        elif end_node is not None and end_node not in positions:
            end_node = None
        local = iter(related_here)
        for what, other in report.related:
            if other in positions:
                related.append(next(local))
                continue
            where = self._related(what, elsewhere[id(other)])
            if where is not None:
                related.append(where)
                notes.append(f"{_without_here(what)} at {where.path}:{where.line}")
        suffix = f" ({'; '.join(notes)})" if notes else ""
        return Placed(node, end_node, tuple(related), suffix, False)

    def _related(self, what: str, place: Elsewhere) -> Related | None:
        """The place in its module's coordinates (None: the analysis misplaced it)."""
        positions = self._positions.get(id(place.module))
        if positions is None:
            positions = self._positions[id(place.module)] = file_positions(
                place.module, place.source, None
            )
        if place.node not in positions:
            return None
        code = positions.range(place.node)
        return Related(
            what,
            place.path,
            code.start.line,
            code.start.column + 1,
            code.end.line,
            code.end.column + 1,
        )


def _without_here(what: str) -> str:
    """``"`gan` compiled here"`` reads ``"`gan` compiled"`` before ``at models.py:14``."""
    return what[: -len(" here")] if what.endswith(" here") else what
