"""The plain data that flows from the engine to the output formats.

Nothing here knows about libcst, rules or Keras: formats, the cache and the
language server only ever see these types.  Positions are what users see:
lines and columns are 1-based, and ``end_column`` is exclusive (SARIF's and
ruff's convention).  In a notebook, ``line``/``column`` are inside the cell
named by ``cell`` (1-based index over all cells of the notebook).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Edit:
    """Replace the text between two positions (same coordinates as the diagnostic)."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool


@dataclass(frozen=True)
class Related:
    """Another place a finding involves ("compiled here"), in the diagnostic's coordinates."""

    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    cell: int | None = None


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    severity: Severity
    message: str
    fix: Fix | None = None
    reference: str | None = None
    url: str | None = None
    cell: int | None = None
    # For notebooks: the line of the .ipynb file itself that holds ``line``,
    # when it can be located (SARIF viewers show the raw file).
    file_line: int | None = None
    # What to do about it (ruff's fix title, rustc's ``help:``), shown under
    # the finding; the message itself says only what goes wrong.
    help: str | None = None
    # The other places the message talks about ("compiled here").
    related: tuple[Related, ...] = ()

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.line, self.column, self.code)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnostic:
        fix = data.get("fix")
        return cls(
            **{
                **data,
                "severity": Severity(data["severity"]),
                "related": tuple(Related(**item) for item in data.get("related", ())),
                "fix": None
                if fix is None
                else Fix(
                    title=fix["title"],
                    edits=tuple(Edit(**e) for e in fix["edits"]),
                    safe=fix["safe"],
                ),
            }
        )


@dataclass(frozen=True)
class RuleDescriptor:
    """What an output format may know about a rule: data, not the rule class."""

    code: str
    name: str
    severity: Severity
    summary: str
    description: str
    url: str
    reference: str | None = None
    default_enabled: bool = True
    fixable: bool = False
    aliases: tuple[str, ...] = field(default=())
