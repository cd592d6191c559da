"""Generated programs: no crash, DK001 exactly when CPython rejects, and a --fix that holds.

The programs and the properties are in ``reliability_programs.py`` (shared
with ``scripts/fuzz.py``, which runs 100,000 of them).  Here each source runs
a fixed number of examples, derandomized so that CI is reproducible, without
a deadline (a slow example is not a failure) and without the example
database (nothing written into the checkout).  Together they run
``sum(EXAMPLES.values())`` = 1,100 programs; each test prints how many ran.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from reliability_programs import (
    ALL_CODES,
    COMMENTED_CALLS,
    PropertyFailed,
    Tally,
    check_program,
    grammar_programs,
    mutated_fixtures,
    node_programs,
    spliced_programs,
)

from darklint.engine import lint_text
from darklint.fixes import apply_fixes

pytestmark = [
    pytest.mark.slow,
    # hypothesmith compiles what it generates: `1()` and the like warn.
    pytest.mark.filterwarnings("ignore::SyntaxWarning"),
]

# Each of the mutated sources checks at least this many programs with fixes.
MIN_FIXED_PROGRAMS = 10
EXAMPLES = {"grammar": 300, "node": 200, "fixtures": 400, "spliced": 200}
STRATEGIES = {
    "grammar": grammar_programs,
    "node": node_programs,
    "fixtures": mutated_fixtures,
    "spliced": spliced_programs,
}


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


@pytest.mark.parametrize("source", sorted(EXAMPLES))
def test_generated_programs(
    source: str, capsys: pytest.CaptureFixture[str], record_property: pytest.RecordProperty
) -> None:
    tally = Tally()
    seen: list[str] = []

    @_settings(EXAMPLES[source])
    @given(STRATEGIES[source]())
    def run(program: str) -> None:
        seen.append(program)
        check_program(program, tally)

    run()
    summary = f"{source}: {tally}"
    record_property("summary", summary)
    with capsys.disabled():
        print(f"\n[generated] {summary}")
    # Every example ran (hypothesis can stop early when a space is exhausted).
    assert len(seen) >= EXAMPLES[source]
    assert tally.programs == len(seen)
    if source in ("fixtures", "spliced"):
        # The mutations keep most programs valid, and enough of them carry a
        # fix for the fix properties to be exercised.  A floor, not a rate:
        # hypothesis's derandomized draws also depend on what else ran in the
        # process (the spliced source gave 39 fixed programs alone, 19 in the
        # whole suite; 19% of 25,000 in the 100,000-program run).
        assert tally.valid > tally.programs // 2
        assert tally.with_fixes >= MIN_FIXED_PROGRAMS


def test_nested_predicts_are_fixed_in_one_run() -> None:
    """The outer call's fix spans the inner one: --fix applies the second in a second pass."""
    program = (
        "import keras\n"
        "g = keras.Sequential([keras.layers.Dense(2)])\n"
        "d = keras.Sequential([keras.layers.Dense(1)])\n"
        'd.compile(optimizer="adam", loss="mse")\n'
        "for step in range(10):\n"
        "    fake = g.predict(g.predict(noise, verbose=0))\n"
        "    d.train_on_batch(fake, zeros)\n"
    )
    tally = Tally()
    check_program(program, tally)
    assert tally.fixes_applied == 2


# Each commented call, and what --fix makes of it (None: no fix offered).
COMMENTED_FIXES = {
    COMMENTED_CALLS[0]: "g.predict_on_batch(\n        noise,  # the latent batch\n    )",
    COMMENTED_CALLS[1]: None,  # the comment is on the dropped keyword
    COMMENTED_CALLS[2]: None,  # on its own line, above the dropped keyword
    COMMENTED_CALLS[3]: "g.predict_on_batch(noise,  # the batch\n    )",
    COMMENTED_CALLS[4]: None,  # inside the dropped keyword's value
    COMMENTED_CALLS[5]: "g.predict_on_batch(\n        noise,  # the batch\n    )",
}


@pytest.mark.parametrize(
    ("call", "fixed"),
    list(COMMENTED_FIXES.items()),
    ids=[
        "comment-after-the-input",
        "comment-after-a-keyword",
        "comment-above-a-keyword",
        "comment-then-a-keyword-aligned",
        "comment-in-a-keyword-value",
        "comment-after-the-input-alone",
    ],
)
def test_dk202_fix_keeps_comments_inside_the_call(call: str, fixed: str | None) -> None:
    def program(call: str) -> str:
        return (
            "import keras\n"
            "g = keras.Sequential([keras.layers.Dense(2)])\n"
            "d = keras.Sequential([keras.layers.Dense(1)])\n"
            'd.compile(optimizer="adam", loss="mse")\n'
            "for step in range(10):\n"
            f"    fake = {call}\n"
            "    d.train_on_batch(fake, zeros)\n"
        )

    source = program(call.format(model="g", indent="    "))
    tally = Tally()
    check_program(source, tally)  # parses, keeps every comment, final
    [report] = [d for d in lint_text(source, "x.py", ALL_CODES).diagnostics if d.code == "DK202"]
    if fixed is None:
        assert report.fix is None
        assert tally.fixes_applied == 0
    else:
        assert apply_fixes(source, [report], unsafe=True).text == program(fixed)
        assert tally.fixes_applied == 1


@_settings(50)
@given(mutated_fixtures())
def test_the_property_catches_a_broken_fix(program: str) -> None:
    """The checker is not vacuous: a fix that breaks the code is reported."""
    from darklint import fixes

    tally = Tally()
    check_program(program, tally)
    if not tally.with_fixes:
        return  # nothing to fix: nothing to break
    real = fixes.apply_fixes

    def broken(text: str, diagnostics: object, *, unsafe: bool = False) -> fixes.FixResult:
        result = real(text, diagnostics, unsafe=unsafe)  # type: ignore[arg-type]
        return fixes.FixResult(result.text + "\n)", result.applied) if result.applied else result

    fixes.apply_fixes = broken  # type: ignore[assignment]
    try:
        with pytest.raises(PropertyFailed, match="does not parse"):
            check_program(program)
    finally:
        fixes.apply_fixes = real  # type: ignore[assignment]
