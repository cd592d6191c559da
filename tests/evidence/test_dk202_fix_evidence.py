"""DK202's fix, end to end: the fixed program parses, re-lints clean and trains the same.

The fix rewrites `m.predict(x)` as `m.predict_on_batch(x)`. Here darklint fixes a
real fixture, and Keras runs the original and the fixed program from the same
seed: the trained weights must be identical (the fix only removes per-call
overhead), and `predict` must print one progress bar per call on the default
verbose where `predict_on_batch` prints none (the log flood DK202's message names).
"""

from __future__ import annotations

import ast

import pytest
from harness import ROOT, Run

from darklint.engine import lint_path
from darklint.fixes import apply_fixes

pytestmark = pytest.mark.evidence

BACKENDS = ("tensorflow", "torch")
FIXTURE = ROOT / "fixtures" / "freeze_while_stacking.py"
ALL = frozenset({"DK202"})


def test_fixed_fixture_parses_and_relints_clean(tmp_path) -> None:
    outcome = lint_path(FIXTURE, str(FIXTURE), ALL)
    assert [d.code for d in outcome.diagnostics] == ["DK202"]
    fixed = apply_fixes(FIXTURE.read_text(), outcome.diagnostics).text
    assert "predict_on_batch(noise)" in fixed
    ast.parse(fixed)
    copy = tmp_path / "fixed.py"
    copy.write_text(fixed)
    assert lint_path(copy, str(copy), ALL).diagnostics == ()


SAME_TRAINING = """
import pathlib, runpy, tempfile
import keras
from darklint.engine import lint_path
from darklint.fixes import apply_fixes
from probe import emit, fixture_path, max_change, seed_everything, weights

original = pathlib.Path(fixture_path("freeze_while_stacking"))
outcome = lint_path(original, str(original), frozenset({"DK202"}))
fixed = pathlib.Path(tempfile.mkdtemp()) / "fixed.py"
fixed.write_text(apply_fixes(original.read_text(), outcome.diagnostics).text)

def trained(path):
    seed_everything(0)
    ns = runpy.run_path(str(path), run_name="fixture")
    compiled = []
    real_compile = keras.Model.compile
    def remember(self, *args, **kwargs):
        compiled.append(self)
        return real_compile(self, *args, **kwargs)
    # Every model the program compiles is a model whose training we compare.
    keras.Model.compile = remember
    real_predict = keras.Model.predict
    differences = []
    def predict_and_compare(self, x, *args, **kwargs):
        result = real_predict(self, x, *args, **kwargs)
        differences.append(float(abs(result - self.predict_on_batch(x)).max()))
        return result
    keras.Model.predict = predict_and_compare
    try:
        ns["train"](BATCH_SIZE=16, epochs=1)
    finally:
        keras.Model.compile, keras.Model.predict = real_compile, real_predict
    return [weights(m) for m in compiled], differences

(before, differences), (after, _) = trained(original), trained(fixed)
emit({
    "models": len(before),
    "predict_calls": len(differences),
    "max_output_difference": max(differences),
    "max_weight_difference": max(max_change(a, b) for a, b in zip(before, after)),
})
"""


@pytest.mark.parametrize(
    "run", [Run("freeze_while_stacking-fix", SAME_TRAINING, b) for b in BACKENDS], ids=str
)
def test_fixed_program_computes_the_same(run: Run) -> None:
    obs = run.result()
    assert obs["models"] >= 3, obs
    assert obs["predict_calls"] > 0, obs
    # Every call: the same values from predict_on_batch as from predict.
    assert obs["max_output_difference"] == 0.0, (
        f"{obs['versions']}: predict_on_batch no longer returns predict's values: {obs}"
    )
    # And the whole training run is identical, weight for weight.
    assert obs["max_weight_difference"] == 0.0, obs


PROGRESS_BARS = """
import contextlib, io
import keras
import numpy as np
from probe import emit, seed_everything

seed_everything(0)
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8), keras.layers.Dense(1)])
x = np.zeros((16, 2), dtype="float32")
counts = {}
for name, call in (("predict", lambda: model.predict(x)), ("predict_on_batch", lambda: model.predict_on_batch(x))):
    printed = 0
    for _ in range(5):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            call()
        printed += "/step" in out.getvalue()  # a progress bar was printed by this call
    counts[name] = printed
emit({"progress_bars": counts})
"""


@pytest.mark.parametrize(
    "run", [Run("predict-progress-bars", PROGRESS_BARS, b) for b in BACKENDS], ids=str
)
def test_predict_prints_a_progress_bar_per_call(run: Run) -> None:
    counts = run.result()["progress_bars"]
    assert counts == {"predict": 5, "predict_on_batch": 0}, counts
