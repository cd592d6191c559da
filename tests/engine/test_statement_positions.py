"""Positions per statement are exactly the whole-file pass's, node by node.

``darklint.positions._statements`` generates only the statements holding the
nodes asked for and places them where CPython's ``ast`` says they start; any
disagreement would move every diagnostic.  Each test asks for every node
(and its start alone) of fresh files against the whole-file pass.
"""

from __future__ import annotations

import ast
import importlib.util
import random
from pathlib import Path

import libcst as cst
import pytest

from darklint.positions import statement_starts
from darklint.positions._codegen import whole_file as positions
from darklint.positions._statements import FilePositions as StatementPositions

FIXTURES = sorted((Path(__file__).parents[2] / "fixtures").glob("*.py"))

TRICKY = {
    "elif chains": (
        "if a:\n    x = 1\nelif b:\n    y = f(2)\nelif c: z = 3\nelse:\n    w = g(4)\n"
    ),
    "decorators and comments": (
        "import keras\n\n# a comment\n@decorator\n@other(\n    1,\n)\n"
        "def build(x, *, y=keras.layers.Dense(2)):\n    # inside\n    return x\n"
    ),
    "try and match": (
        "try:\n    # fast path\n    a = f()\nexcept (ValueError, KeyError) as e:\n    b = g(e)\n"
        "else:\n    c = 1\nfinally:\n    d = 2\n"
        "match command:\n    case [x, y]:\n        h(x)\n    case _:\n        match y:\n"
        "            case 1:\n                k(y)\n"
    ),
    "one-line suites and semicolons": (
        "for x in range(3): model.fit(x); d.trainable = False\n"
        "while t: t = step(t)\nwith open(p) as f, g() as h: data = f.read()\n"
        "class A(Base, metaclass=M): value = 1\n"
    ),
    "loops with else, nested": (
        "def train():\n    for epoch in range(10):\n        for batch in data:\n"
        "            d.train_on_batch(batch)\n        else:\n            log(epoch)\n"
        "    while False:\n        pass\n    else:\n        done()\n"
    ),
    "non-ascii, tabs, continuation lines": (
        "résumé = 'é'; ü = f(résumé,\n\t\t1)\nif ü:\n\tx = ('ü' +\n  'é')\n"
        "y = 1 + \\\n    2\nlam = lambda: (yield)\n"
    ),
    "CRLF": "import keras\r\nif x:\r\n    m.compile(\r\n        loss='mse')\r\n",
    "form feed and blank lines": "\n\n\x0cx = 1\n\n\n    \ny = [\n  1,\n]\n",
    "comprehensions and strings": (
        "z = [f(i) for i in range(3) if i]\n"
        "s = f'{a!r:>{width}}' 'b' \"c\"\n"
        "async def f():\n    async with a as b:\n        async for c in b:\n            await c\n"
    ),
}


def _assert_same(source: str, label: str, sample: int | None = None) -> int:
    module = cst.parse_module(source)
    whole = positions(module)
    starts = statement_starts(ast.parse(source))
    nodes = [node for node in whole if node is not module]
    if sample is not None and len(nodes) > sample:
        nodes = random.Random(label).sample(nodes, sample)
    for index, node in enumerate(nodes):
        # A fresh mapping now and then: nodes are asked for in any order.
        if index % 25 == 0:
            on_demand = StatementPositions(module, source, starts)
        expected = whole[node]
        assert node in on_demand, (label, type(node).__name__)
        assert on_demand[node] == expected, (label, type(node).__name__, expected)
        assert on_demand.start(node) == (expected.start.line, expected.start.column), label
    return len(nodes)


def _assert_no_fallback(source: str) -> None:
    """Every node a rule could report is placed without the whole-file pass."""
    module = cst.parse_module(source)
    on_demand = StatementPositions(module, source, statement_starts(ast.parse(source)))
    for node in list(on_demand._units()):
        on_demand.start(node)
        on_demand[node]
    assert on_demand._whole is None


# libcst does not count a form feed as indentation, ast does: the whole-file
# pass is the only one to trust there.
FALLS_BACK = {"form feed and blank lines"}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_constructs(name: str) -> None:
    assert _assert_same(TRICKY[name], name) > 0
    if name not in FALLS_BACK:
        _assert_no_fallback(TRICKY[name])


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_fixtures(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert _assert_same(source, path.name) > 100
    _assert_no_fallback(source)


def test_a_sample_of_keras_own_sources() -> None:
    spec = importlib.util.find_spec("keras")
    assert spec is not None
    assert spec.origin is not None
    files = sorted((Path(spec.origin).parent / "src").rglob("*.py"))
    checked = 0
    for path in random.Random(0).sample(files, 20):
        checked += _assert_same(path.read_text(encoding="utf-8"), str(path), sample=150)
    assert checked > 2000


def test_a_statement_needs_no_codegen_for_its_start() -> None:
    source = "import keras\nfor epoch in range(3):\n    model.fit(x)\n"
    module = cst.parse_module(source)
    on_demand = StatementPositions(module, source, statement_starts(ast.parse(source)))
    loop = module.body[1]
    assert on_demand.start(loop) == (2, 0)
    assert not on_demand._raw  # nothing was generated for it
    # A node of its header: the header is generated, not the body.
    assert isinstance(loop, cst.For)
    assert on_demand[loop.iter].end.column == len("for epoch in range(3)")
    body_call = loop.body.body[0]
    assert body_call not in on_demand._raw


def test_a_mismatch_with_ast_falls_back_to_the_whole_file() -> None:
    source = "x = 1\ny = 2\n"
    module = cst.parse_module(source)
    wrong = StatementPositions(module, source, [(1, 0)])  # one statement short
    second = module.body[1]
    assert wrong[second] == positions(module)[second]
    assert wrong._whole is not None
