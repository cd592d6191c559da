"""Diagnostics of a notebook's code, in the coordinates of its cells.

The engine lints a notebook as one program (its code cells joined); what it
finds is mapped back to the cell and line each finding is on.  A related
place in another module of the project stays in that file's coordinates.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from darklint.diagnostics import Diagnostic, Fix, Related

if TYPE_CHECKING:
    from darklint.notebook import Notebook


def to_cells(diagnostics: list[Diagnostic], notebook: Notebook | None) -> list[Diagnostic]:
    if notebook is None:
        return diagnostics
    mapped = []
    for diagnostic in diagnostics:
        related = tuple(
            related_to_cell(item, notebook) if item.path == diagnostic.path else item
            for item in diagnostic.related
        )
        cell, line = notebook.locate(diagnostic.line)
        end_cell, end_line = notebook.locate(diagnostic.end_line)
        if end_cell != cell:
            end_line, end_column = line, diagnostic.column + 1
        else:
            end_column = diagnostic.end_column
        mapped.append(
            replace(
                diagnostic,
                cell=cell,
                line=line,
                end_line=end_line,
                end_column=end_column,
                file_line=notebook.file_line(cell, line),
                related=related,
                fix=fix_in_cell(diagnostic.fix, notebook, cell),
            )
        )
    return mapped


def fix_in_cell(fix: Fix | None, notebook: Notebook, cell: int) -> Fix | None:
    """The fix in the cell's coordinates (``notebook_fix`` writes it into the cell's source).

    None when an edit reaches into another cell or touches a masked line: the
    code there is a ``pass`` standing in for a magic, not the cell's text.
    """
    if fix is None:
        return None
    masked = notebook.masked_lines(cell)
    edits = []
    for edit in fix.edits:
        start_cell, line = notebook.locate(edit.line)
        end_cell, end_line = notebook.locate(edit.end_line)
        if start_cell != cell or end_cell != cell:
            return None
        if any(masked_line in masked for masked_line in range(line, end_line + 1)):
            return None
        edits.append(replace(edit, line=line, end_line=end_line))
    return replace(fix, edits=tuple(edits))


def related_to_cell(related: Related, notebook: Notebook) -> Related:
    cell, line = notebook.locate(related.line)
    end_cell, end_line = notebook.locate(related.end_line)
    end_column = related.end_column
    if end_cell != cell:
        end_line, end_column = line, related.column + 1
    return replace(related, cell=cell, line=line, end_line=end_line, end_column=end_column)
