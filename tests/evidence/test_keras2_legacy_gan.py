"""``darklint --fix`` on a Keras 2 GAN script: it runs further on Keras 3, the diff is minimal.

``fixtures/keras2_legacy_gan.py`` uses `Adam(lr=…, decay=…)`, `fit_generator`,
`np_utils`, `merge`, `init=`, `Model(input=, output=)`, `K.mean` and
`save_weights("….h5")`.  Here darklint fixes it (safe fixes, then unsafe ones
too) in this process; one subprocess per backend runs the three versions on
Keras 3: the original stops at its first removed import, the safely fixed one
gets further and stops where only an unsafe fix helps, the fully fixed one
trains to the end and saves its weights.
"""

from __future__ import annotations

import ast
import difflib
import json

import pytest
from harness import ROOT, Run, describe_versions

from darklint.diagnostics import Diagnostic
from darklint.engine import lint_text
from darklint.fixes import fix_until_stable
from darklint.registry import all_rules

FIXTURE = ROOT / "fixtures" / "keras2_legacy_gan.py"
ALL = frozenset(rule.code for rule in all_rules())
BACKENDS = ("tensorflow", "torch")


def lint(text: str) -> list[Diagnostic]:
    return list(lint_text(text, "keras2_legacy_gan.py", ALL).diagnostics)


ORIGINAL = FIXTURE.read_text()
SAFE, SAFE_LEFT = fix_until_stable(ORIGINAL, lint(ORIGINAL), lint)
UNSAFE, UNSAFE_LEFT = fix_until_stable(ORIGINAL, lint(ORIGINAL), lint, unsafe=True)


def _changed_lines(before: str, after: str) -> list[int]:
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines())
    return [
        line + 1
        for tag, start, end, _, _ in matcher.get_opcodes()
        if tag != "equal"
        for line in range(start, end)
    ]


def test_fix_is_idempotent_and_leaves_only_unsafe_fixes() -> None:
    for text, unsafe in ((SAFE.text, False), (UNSAFE.text, True)):
        ast.parse(text)
        again, _ = fix_until_stable(text, lint(text), lint, unsafe=unsafe)
        assert again.text == text
    left = {(d.code, d.line) for d in SAFE_LEFT if d.code.startswith("DK5")}
    # What only an unsafe fix covers: np_utils' float64, K.mean of integers, the file name.
    assert {code for code, _ in left} == {"DK503", "DK504", "DK505"}, left
    assert all(d.fix is None or not d.fix.safe for d in SAFE_LEFT)
    assert not [d for d in UNSAFE_LEFT if d.code.startswith("DK5")]


def test_fix_diff_is_minimal() -> None:
    """Only the lines a fix's edits touch change; no line is added or removed."""
    for result in (SAFE, UNSAFE):
        assert len(result.text.splitlines()) == len(ORIGINAL.splitlines())
        touched = set()
        for diagnostic in result.applied:
            assert diagnostic.fix is not None
            for edit in diagnostic.fix.edits:
                touched.update(range(edit.line, edit.end_line + 1))
        changed = _changed_lines(ORIGINAL, result.text)
        assert changed, "nothing was fixed"
        assert set(changed) <= touched, sorted(set(changed) - touched)
    # A safe fix rewrites what it reports and the import it needs, nothing else.
    assert len(_changed_lines(ORIGINAL, SAFE.text)) == 15


RUN = """
import json, os, runpy, sys, tempfile, traceback
from probe import emit, seed_everything

texts = json.loads(TEXTS)
# Keras 2 took a list of inputs from a generator; on TensorFlow, Keras 3's `fit` wants a tuple.
texts["unsafe_list"] = texts["unsafe"].replace(
    "yield (np.concatenate([x, fake]), np.concatenate([labels, labels])),",
    "yield [np.concatenate([x, fake]), np.concatenate([labels, labels])],",
)
assert texts["unsafe_list"] != texts["unsafe"]
os.chdir(tempfile.mkdtemp())
observed = {}
for name, text in texts.items():
    path = os.path.join(os.getcwd(), name + ".py")
    with open(path, "w") as handle:
        handle.write(text)
    seed_everything(0)
    try:
        namespace = runpy.run_path(path, run_name="fixture")
        namespace["train"](steps=5)
        observed[name] = {"error": None, "weights": sorted(os.listdir(os.getcwd()))}
    except Exception as error:
        line = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == path]
        observed[name] = {"error": type(error).__name__, "message": str(error)[:300],
                          "line": line[-1] if line else None}
emit(observed)
"""


def _first_line(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


@pytest.mark.evidence
@pytest.mark.parametrize(
    "run",
    [
        Run(
            "keras2_legacy_gan-fix",
            f"TEXTS = {json.dumps(json.dumps({'original': ORIGINAL, 'safe': SAFE.text, 'unsafe': UNSAFE.text}))}\n{RUN}",
            backend,
            240,
        )
        for backend in BACKENDS
    ],
    ids=str,
)
def test_fixed_script_runs_further_on_keras3(run: Run) -> None:
    obs = run.result()
    v = describe_versions(obs)
    original, safe, unsafe = obs["original"], obs["safe"], obs["unsafe"]
    # As written: the first removed import stops it.
    first = _first_line(ORIGINAL, "keras.layers.advanced_activations")
    assert (original["error"], original["line"]) == ("ModuleNotFoundError", first), (v, original)
    # Safely fixed: further, to the first thing only an unsafe fix covers.
    assert safe["error"] == "ModuleNotFoundError", (v, safe)
    assert "keras.utils.np_utils" in safe["message"], (v, safe)
    assert safe["line"] > first, (v, safe)
    # With the unsafe fixes too: it trains to the end and saves its weights.
    assert unsafe["error"] is None, (v, unsafe)
    assert "generator.weights.h5" in unsafe["weights"], (v, unsafe)
    # The caveat of `fit_generator` -> `fit` (DK502's docs): a generator yielding a
    # list of inputs fails in Keras 3's `fit` on TensorFlow, not on torch.
    listed = obs["unsafe_list"]
    if run.backend == "tensorflow":
        assert listed["error"] == "TypeError", listed
        assert "output_signature" in listed["message"], listed
        assert listed["line"] == _first_line(UNSAFE.text, "discriminator.fit("), listed
    else:
        assert listed["error"] is None, (v, listed)
