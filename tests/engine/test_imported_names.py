"""``imported_names`` finds every import statement, at any depth of statements, and nothing else."""

from __future__ import annotations

import ast
import collections
import textwrap
from collections.abc import Iterator
from pathlib import Path

from darklint.project import imported_names

NESTED = textwrap.dedent(
    """
    import a
    import b.c as d, e
    from . import f
    from ..g import h
    from .star import *
    if x:
        import i
    else:
        from j import k
    try:
        import l
    except ImportError:
        import m
    else:
        import n
    finally:
        import o
    for _ in y:
        import p
    while z:
        import q
    with w:
        import r
    def fn():
        import s
        class Inner:
            import t
    async def afn():
        async with w:
            import u
    match v:
        case 1:
            import vv
    x = lambda: __import__("not_an_import_statement")
    """
)


def every_import(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """The same question asked of every node (what the statement walk must equal)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level
            for alias in node.names:
                if alias.name != "*":
                    yield f"{node.module or ''}.{alias.name}".lstrip("."), node.level


def test_every_nesting_of_statements() -> None:
    found = list(imported_names(ast.parse(NESTED)))
    modules = {name for name, _ in found}
    assert {"a", "b.c", "e", "f", "g", "g.h", "i", "j", "j.k", "l", "m", "n", "o"} <= modules
    assert {"p", "q", "r", "s", "t", "u", "vv"} <= modules
    assert ("g", 2) in found
    assert "not_an_import_statement" not in modules
    assert collections.Counter(found) == collections.Counter(every_import(ast.parse(NESTED)))


def test_the_same_as_walking_every_node_on_darklint_itself() -> None:
    for path in sorted(Path(__file__).resolve().parents[2].glob("darklint/**/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert collections.Counter(imported_names(tree)) == collections.Counter(
            every_import(tree)
        ), path
