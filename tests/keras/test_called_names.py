"""``called_names`` (matched in the reversed text) finds what the plain forward pattern finds."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

from darklint.keras.interpreter.syntax import called_names

FORWARD = re.compile(r"\b(?:(def|class)\s+)?(\w+)\s*\(")
REPO = Path(__file__).resolve().parents[2]


def forward(source: str) -> collections.Counter[str]:
    return collections.Counter(name for defined, name in FORWARD.findall(source) if not defined)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("build(x)\nbuild (y)\n", {"build": 2}),
        ("def build(x):\n    return helper(x)\n", {"helper": 1}),
        ("class GAN():\n    pass\nGAN()\n", {"GAN": 1}),
        ("class GAN:\n    pass\n", {}),
        # `def` inside a longer word is no definition: `undef` calls `f`.
        ("undef f(x)\n", {"f": 1}),
        ("def  spaced  (x): pass\n", {}),
        ("f(g(h(1)))\n", {"f": 1, "g": 1, "h": 1}),
        ("x = (1, 2)\nprint(x)\n", {"print": 1}),
        ("réseau(x)\ndef modèle(y): pass\n", {"réseau": 1}),
        ("m.fit(x)\nself.build_gan()\n", {"fit": 1, "build_gan": 1}),
    ],
)
def test_cases(source: str, expected: dict[str, int]) -> None:
    assert called_names(source) == collections.Counter(expected)
    assert called_names(source) == forward(source)


def test_same_as_forward_on_darklints_own_code_and_fixtures() -> None:
    paths = [*sorted((REPO / "darklint").rglob("*.py")), *sorted((REPO / "fixtures").rglob("*.py"))]
    assert len(paths) > 100
    for path in paths:
        source = path.read_text(encoding="utf-8")
        assert called_names(source) == forward(source), path
