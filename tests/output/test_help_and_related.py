"""Help lines and related places (item 12): from a rule's report to every format.

A rule reports ``help`` (a template over the message's fields) and
``related`` nodes; the engine gives those nodes positions as it does the
reported node, the cache keeps them, and each format shows them its way.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from test_formats import RULES, _validate_sarif, ctx, dk101, dk202, nb_diag

from darklint.cache import Cache
from darklint.diagnostics import Diagnostic, Related
from darklint.engine import lint_text
from darklint.lsp.convert import LineIndex, same_document, to_lsp
from darklint.output import render
from darklint.registry import all_rules

COMPILED = Related("`d` compiled here", "gan.py", 1, 1, 1, 12)
HELP = "override `train_step` (one optimizer per network)"

# DK104 on line 7; the first compile of the optimizer on line 6.
DK104_SOURCE = textwrap.dedent(
    """\
    from keras import Sequential, layers
    from keras.optimizers import Adam
    opt = Adam()
    a = Sequential([layers.Dense(1)])
    b = Sequential([layers.Dense(1)])
    a.compile(optimizer=opt, loss="mse")
    b.compile(optimizer=opt, loss="mse")
    """
)


# DK203 on line 7; the loop around it on lines 5-9.
DK203_SOURCE = textwrap.dedent(
    """\
    from keras import Sequential, layers
    model = Sequential([layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    batches = [(1, 2)]
    for x, y in (
        batches
    ):
        model.compile(optimizer="adam", loss="mse")
        model.train_on_batch(x, y)
    """
)


def test_a_related_loop_is_its_header() -> None:
    # The `for` up to its iterable (what an editor marks), not the whole body.
    (found,) = lint_text(DK203_SOURCE, "gan.py", frozenset({"DK203"})).diagnostics
    (loop,) = [place for place in found.related if place.message == "training loop"]
    assert (loop.line, loop.column, loop.end_line, loop.end_column) == (5, 1, 6, 12)


def with_help(diagnostic: Diagnostic) -> Diagnostic:
    return replace(diagnostic, help=HELP, related=(COMPILED,))


def test_the_engine_positions_related_nodes_and_formats_help() -> None:
    (found,) = lint_text(DK104_SOURCE, "gan.py", frozenset({"DK104"})).diagnostics
    assert (found.line, found.column) == (7, 1)
    assert (
        found.help
        == "pass a new optimizer to each `compile()` (one optimizer per set of variables)"
    )
    (first,) = found.related
    assert (first.path, first.line, first.column, first.end_line, first.end_column) == (
        "gan.py",
        6,
        1,
        6,
        37,
    )
    # The message no longer carries the line: the related place does.
    assert "line 6" not in found.message


def test_related_places_in_a_notebook_are_in_cell_coordinates() -> None:
    from darklint.notebook import load_notebook

    cells = [DK104_SOURCE.splitlines(keepends=True)[:6], DK104_SOURCE.splitlines(keepends=True)[6:]]
    document = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": cell} for cell in cells
        ],
        "metadata": {},
    }
    notebook = load_notebook(json.dumps(document))
    (found,) = lint_text(
        notebook.code, "nb.ipynb", frozenset({"DK104"}), notebook=notebook
    ).diagnostics
    assert (found.cell, found.line) == (2, 1)
    (first,) = found.related
    assert (first.cell, first.line, first.column) == (1, 6, 1)


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.help], ids=lambda r: r.code)
def test_help_templates_use_only_the_message_fields(rule: type) -> None:
    from string import Formatter

    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(template) if name}

    assert fields(rule.help) <= fields(rule.message), rule.code


def test_cache_round_trip_keeps_help_and_related(tmp_path: Path) -> None:
    diagnostic = with_help(dk101())
    cache = Cache(tmp_path)
    cache.put("gan.py", "key", (diagnostic,))
    cache.save()
    assert Cache(tmp_path).get("gan.py", "key") == (diagnostic,)


def test_text_shows_notes_and_help_under_the_unchanged_first_line() -> None:
    out = render("text", ctx(with_help(dk101())))
    lines = out.splitlines()
    assert lines[0] == "gan.py:3:5: DK101 [trainable-toggled-around-compile] D never trains"
    assert lines[1] == "  = note: `d` compiled here: gan.py:1:1"
    assert lines[2] == f"  = help: {HELP}"
    notebook = render("text", ctx(nb_diag(help=HELP, related=(replace(COMPILED, cell=2),))))
    assert "  = note: `d` compiled here: gan.py:cell 2:1:1" in notebook


def test_json_carries_help_and_related() -> None:
    (record,) = json.loads(render("json", ctx(with_help(dk101()))))
    assert record["help"] == HELP
    assert record["related"] == [
        {
            "message": "`d` compiled here",
            "path": "gan.py",
            "line": 1,
            "column": 1,
            "end_line": 1,
            "end_column": 12,
            "cell": None,
        }
    ]
    (plain,) = json.loads(render("json", ctx(dk101())))
    assert (plain["help"], plain["related"]) == (None, [])


def test_sarif_fix_description_and_related_locations() -> None:
    document = _validate_sarif(
        render("sarif", ctx(with_help(dk101()), replace(dk202(), help="use `g(x)`")))
    )
    first, second = document["runs"][0]["results"]
    (location,) = first["relatedLocations"]
    assert location["message"]["text"] == "`d` compiled here"
    assert location["physicalLocation"]["region"]["startLine"] == 1
    assert first["properties"]["help"] == HELP
    assert second["fixes"][0]["description"]["text"] == "use `g(x)`"
    assert RULES  # the rules of the run stay as they were


def test_github_appends_the_help() -> None:
    out = render("github", ctx(with_help(dk101())))
    assert out.rstrip("\n").endswith(f"::D never trains%0Ahelp: {HELP}")


def test_lsp_related_information_and_help() -> None:
    text = "d.compile()\nx = 1\nd.trainable = False\n"
    index = LineIndex(text)
    converted = to_lsp(with_help(dk101()), index, same_document("file:///gan.py", index))
    assert f"\nhelp: {HELP}" in converted.message
    (info,) = converted.related_information or []
    assert info.message == "`d` compiled here"
    assert info.location.uri == "file:///gan.py"
    assert (info.location.range.start.line, info.location.range.start.character) == (0, 0)
