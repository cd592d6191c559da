"""The whole-file positions are libcst's ``PositionProvider``'s, node by node, at any depth.

``darklint.positions._codegen`` runs libcst's codegen with its own state (faster than
resolving ``PositionProvider``), and a module nested too deeply for one
recursive codegen (``a.b.b.b...`` a thousand deep) in pieces of bounded
depth.  Both must give exactly libcst's ranges: a wrong range moves every
diagnostic and every fix.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import strategies as st
from libcst.metadata import PositionProvider

from darklint.positions import LIBCST_TESTED, file_positions, statement_starts
from darklint.positions._codegen import _deep, _fast
from darklint.positions._codegen import whole_file as positions

FIXTURES = sorted((Path(__file__).parents[2] / "fixtures").glob("*.py"))

# What a piece's codegen depends on besides its own nodes: the indentation of
# the block it is in (a line break inside parentheses repeats it), which a
# `match` statement pushes for its cases but not its subject; line endings;
# a starred element, which its list generates with options.
TRICKY = {
    "indented continuation lines": (
        "def f():\n    if x:\n        y = g(\n            a,  # comment\n"
        "            # own line\n            b.c(\n                d),\n        )\n"
    ),
    "match": (
        "match (a +\n       b):\n    case [x, *rest] if (x >\n                         1):\n"
        "        h(x,\n          rest)\n    case _:\n        pass\n"
    ),
    "tabs and CRLF": "if x:\r\n\tm.compile(\r\n\t\tloss=f(\r\n\t\t\t1))\r\n",
    "CR only": "if x:\r    y = (1 +\r         2)\r",
    "starred and dict elements": "x = [*a, b, *(c +\n  d)]\ny = {**e, 'k': f(\n  g)}\n",
    "lambdas, comprehensions, f-strings": (
        "z = lambda q=(1,\n  2): [i async for i in q if (i\n  > 0)]\ns = f'{a!r:>{width}}' 'b'\n"
    ),
    "decorators and classes": (
        "@dec(\n    1)\nclass A(B,\n        metaclass=M):\n    @property\n    def p(self): return (\n"
        "        self.x)\n"
    ),
    "empty": "",
    "no trailing newline": "x = (1,\n  2)",
}

DEPTH = 1000
# Valid Python (CPython parses each) nested deeper than Python's default
# recursion limit allows libcst's codegen to go.
DEEP = {
    "attributes": "x = a" + ".b" * DEPTH,
    "calls": "x = f" + "()" * DEPTH,
    "subscripts": "x = a" + "[0]" * DEPTH,
    "sum": "x = " + "+".join(["a"] * DEPTH),
    "unary-minus": "x = " + "-" * DEPTH + "1",
    "not": "x = " + "not " * DEPTH + "y",
    "conditional": "x = " + " if c else ".join(["a"] * DEPTH),
    "lambdas": "x = " + "lambda: " * DEPTH + "1",
    # In blocks, among statements, over several lines: the pieces' indentation.
    "in a loop, with a statement after it": (
        "for step in range(10):\n    if step:\n        x = g(\n            a"
        + ".b" * DEPTH
        + ",\n            c)  # comment\n        y = 2\n"
    ),
    "in a match case": "match y:\n    case 1:\n        z = (\n            a"
    + "[0]" * DEPTH
    + ")\n",
    "semicolons": "x = 1; y = a" + ".b" * DEPTH + "; z = (1,\n  2)\n",
}


def _expected(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int, int, int]]:
    """libcst's own ranges (enough stack for the deep modules)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20 * DEPTH))
    try:
        ranges = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    finally:
        sys.setrecursionlimit(limit)
    return {
        node: (r.start.line, r.start.column, r.end.line, r.end.column) for node, r in ranges.items()
    }


def _raw(ranges: object) -> dict[cst.CSTNode, tuple[int, int, int, int]]:
    return {
        node: (r.start.line, r.start.column, r.end.line, r.end.column)
        for node, r in ranges.items()  # type: ignore[attr-defined]
    }


@contextmanager
def _default_recursion_limit() -> Iterator[None]:
    """CPython's default limit, whatever the test runner set."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _sources() -> Iterator[tuple[str, str]]:
    for path in FIXTURES:
        yield path.name, path.read_text(encoding="utf-8")
    yield from TRICKY.items()


@pytest.mark.parametrize(("label", "source"), list(_sources()))
def test_positions_are_libcsts(label: str, source: str) -> None:
    module = cst.parse_module(source)
    assert _raw(positions(module)) == _expected(module), label


@pytest.mark.parametrize("piece_depth", [1, 2, 5])
@pytest.mark.parametrize(("label", "source"), list(_sources()))
def test_pieces_of_any_depth_give_the_same_ranges(
    label: str, source: str, piece_depth: int
) -> None:
    """The deep way, cutting at nearly every expression, is the one-pass way exactly."""
    module = cst.parse_module(source)
    assert _deep(module, piece_depth)._raw == _fast(module)._raw, label


@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_modules_get_libcsts_ranges(case: str) -> None:
    module = cst.parse_module(DEEP[case])
    with _default_recursion_limit():
        with pytest.raises(RecursionError):
            _fast(module)  # what made every rule that asked for a position DK003
        found = positions(module)
    assert _raw(found) == _expected(module), case


# The component as the engine uses it ---------------------------------------


def _public_ranges(module: cst.Module) -> dict[cst.CSTNode, object]:
    return dict(cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))


def _component_agrees(source: str) -> int:
    """``file_positions`` gives PositionProvider's range and start for every node."""
    module = cst.parse_module(source)
    found = file_positions(module, source, statement_starts(ast.parse(source)))
    public = _public_ranges(module)
    for node, expected in public.items():
        assert node in found
        assert found.range(node) == expected, (node, found.range(node), expected)
        assert found.start(node) == (expected.start.line, expected.start.column)  # type: ignore[attr-defined]
    return len(public)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_file_positions_are_position_providers_on_the_fixtures(path: Path) -> None:
    assert _component_agrees(path.read_text()) > 100


def test_file_positions_are_position_providers_on_generated_programs() -> None:
    """Mutated and spliced fixtures (the reliability strategies), derandomized."""
    from hypothesis import HealthCheck, given, settings

    sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))
    from reliability_programs import mutated_fixtures, spliced_programs

    checked = []

    @settings(
        max_examples=40,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(mutated_fixtures(), spliced_programs()))
    def check(program: str) -> None:
        try:
            ast.parse(program)
        except SyntaxError:
            return
        checked.append(_component_agrees(program))

    check()
    assert len(checked) >= 20


def test_a_replacement_is_rendered_with_its_blocks_indentation() -> None:
    source = "def f():\n    for x in y:\n        g(\n            x,\n        )\n"
    module = cst.parse_module(source)
    found = file_positions(module, source, statement_starts(ast.parse(source)))
    call = cst.ensure_type(
        cst.ensure_type(
            cst.ensure_type(
                cst.ensure_type(module.body[0], cst.FunctionDef).body.body[0], cst.For
            ).body.body[0],
            cst.SimpleStatementLine,
        ).body[0],
        cst.Expr,
    ).value
    renamed = cst.ensure_type(call, cst.Call).with_changes(func=cst.Name("h"))
    assert found.indentation(call) == "        "
    # The closing parenthesis' line is indented as the block, written out.
    assert found.render(renamed, call) == "h(\n            x,\n        )"


def test_the_pinned_libcst_range_is_the_tested_one() -> None:
    import tomllib

    pyproject = tomllib.loads((FIXTURES[0].parents[1] / "pyproject.toml").read_text())
    [libcst] = [d for d in pyproject["project"]["dependencies"] if d.startswith("libcst")]
    assert libcst == "libcst" + ",".join(LIBCST_TESTED)
