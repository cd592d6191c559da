"""Rules over files with many models: the indexed queries find what the pairwise scans found.

DK105, DK201, DK202 and DK101's freeze search look things up per model and
per loop instead of pairing every event with every other (quadratic on a file
with hundreds of models; ``benchmarks/bench_corpus.py`` measures the growth).
These tests pin what the lookups must still find when the match is far away
and many near-misses come first.
"""

from __future__ import annotations

from darklint.engine import lint_text
from darklint.selection import default_codes

HEADER = "import keras\nfrom keras import Sequential, Model, Input, layers\n"


def _codes(source: str) -> list[tuple[str, int]]:
    outcome = lint_text(source, "many.py", default_codes())
    assert not outcome.crashes
    return [(d.code, d.line) for d in outcome.diagnostics]


def _independent_blocks(count: int) -> str:
    """``count`` models, each compiled and trained alone: nothing to report."""
    return "".join(
        f"m{i} = Sequential([layers.Dense(1)])\n"
        f"m{i}.compile(optimizer='adam', loss='mse')\n"
        f"m{i}.fit(x, y)\n"
        for i in range(count)
    )


def test_dk106_finds_the_first_compile_sharing_the_encoder_after_many_others() -> None:
    source = (
        HEADER
        + "encoder = Sequential([layers.Dense(4)])\n"
        + "first = Sequential([encoder, layers.Dense(1)])\n"
        + "first.compile(optimizer='adam', loss='mse')\n"
        + "first.fit(x, y)\n"
        + _independent_blocks(30)
        + "second = Sequential([encoder, layers.Dense(3)])\n"
        + "second.compile(optimizer='adam', loss='mse')\n"
        + "second.fit(x, y)\n"
    )
    second_compile = source.splitlines().index("second.compile(optimizer='adam', loss='mse')") + 1
    first_compile = source.splitlines().index("first.compile(optimizer='adam', loss='mse')") + 1
    outcome = lint_text(source, "many.py", default_codes())
    found = [d for d in outcome.diagnostics if d.code == "DK106"]
    # One finding per compile: DK106 (trainable in both) wins over DK105.
    assert not [d for d in outcome.diagnostics if d.code == "DK105"]
    assert [d.line for d in found] == [second_compile]
    assert [related.line for related in found[0].related] == [first_compile]
    assert "`encoder`" in found[0].message


def test_dk105_dk106_code_pretending_two_models_contain_each_other_reports_nothing() -> None:
    # Not Keras (`a.add(b)` raises there), but the rule must neither loop nor
    # crash when no shared model is outermost: both lookups come back empty.
    source = (
        HEADER
        + "a = Sequential([layers.Dense(4)])\n"
        + "b = Sequential([a])\n"
        + "a.add(b)\n"
        + "a.compile(optimizer='adam', loss='mse')\n"
        + "a.fit(x, y)\n"
        + "b.compile(optimizer='adam', loss='mse')\n"
        + "b.fit(x, y)\n"
    )
    assert [code for code, _ in _codes(source) if code in ("DK105", "DK106")] == []


def test_dk101_freeze_found_past_many_unrelated_compiles() -> None:
    source = (
        HEADER
        + "d = Sequential([layers.Dense(1)])\n"
        + "d.compile(optimizer='adam', loss='mse')\n"
        + "d.trainable = False\n"
        + _independent_blocks(30)
        + "g = Sequential([layers.Dense(2)])\n"
        + "combined = Sequential([g, d])\n"
        + "combined.compile(optimizer='adam', loss='mse')\n"
        + "for step in range(10):\n"
        + "    d.train_on_batch(x, y)\n"
        + "    combined.train_on_batch(z, y)\n"
    )
    freeze = source.splitlines().index("d.trainable = False") + 1
    assert ("DK101", freeze) in _codes(source)


def test_dk202_and_dk201_inner_loop_after_many_loops() -> None:
    loops = "".join(
        f"for step in range(3):\n    m{i}.fit(x, y)\n    p{i} = m{i}.predict(x)\n"
        for i in range(20)
    )
    source = (
        HEADER
        + _independent_blocks(20)
        + loops
        + "g = Sequential([layers.Dense(2)])\n"
        + "d = Sequential([layers.Dense(1)])\n"
        + "d.compile(optimizer='adam', loss='mse')\n"
        + "for epoch in range(5):\n"
        + "    for step in range(10):\n"
        + "        fake = g.predict(z)\n"
        + "        d.train_on_batch(fake, y)\n"
        + "        g.train_on_batch(z, y)\n"
    )
    lines = source.splitlines()
    inner_loop = lines.index("    for step in range(10):") + 1
    predict = lines.index("        fake = g.predict(z)") + 1
    found = _codes(source)
    # fit-then-predict per loop is evaluation (no DK202); the GAN's inner loop is reported.
    assert [line for code, line in found if code == "DK202"] == [predict]
    assert [line for code, line in found if code == "DK201"] == [inner_loop]
