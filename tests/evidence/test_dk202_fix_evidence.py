"""DK202's fix, end to end: what it changes, and when that is nothing at all.

The fix rewrites `m.predict(x)` as `m.predict_on_batch(x)`. `predict` runs its
input in batches of 32 rows, `predict_on_batch` in one: the fix is safe only
when the input is visibly at most one batch, and unsafe otherwise. Here
Keras shows both halves of that: with more rows, `predict` runs several
batches where `predict_on_batch` runs one, and the values can differ in the
last bits; with one batch (the fixture's 16 rows), the fixed program trains
weight for weight like the original. And `predict` prints one progress bar per
call on the default verbose where `predict_on_batch` prints none (the log
flood DK202's message names).
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
    # The fixture's batch size is a parameter of train(): not visibly one batch.
    [diagnostic] = outcome.diagnostics
    assert diagnostic.fix is not None
    assert not diagnostic.fix.safe
    assert apply_fixes(FIXTURE.read_text(), outcome.diagnostics).text == FIXTURE.read_text()
    fixed = apply_fixes(FIXTURE.read_text(), outcome.diagnostics, unsafe=True).text
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
# Unsafe in general (the batch size is a parameter), exact at the 16 rows used here.
fixed.write_text(apply_fixes(original.read_text(), outcome.diagnostics, unsafe=True).text)

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


BATCHING = """
import keras
import numpy as np
from keras import ops
from probe import emit, seed_everything

seed_everything(0)
seen = []

class Rows(keras.layers.Layer):
    # Records the rows of every batch the model runs (eagerly, see compile).
    def call(self, x):
        rows = ops.shape(x)[0]
        if isinstance(rows, int):  # not while Keras traces the model symbolically
            seen.append(rows)
        return x

model = keras.Sequential([keras.Input((8,)), Rows(), keras.layers.Dense(4)])
model.compile(run_eagerly=True)
x = np.random.normal(size=(100, 8)).astype("float32")
batches = {}
for name, call in (("predict", lambda: model.predict(x, verbose=0)), ("predict_on_batch", lambda: model.predict_on_batch(x))):
    seen.clear()
    call()
    batches[name] = list(seen)

# Values: one batch of 33 rows against predict's 32 + 1, on a few small models.
differences = []
for layers in (
    [keras.Input((100,)), keras.layers.Dense(256, activation="relu"), keras.layers.Dense(784, activation="tanh")],
    [keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, padding="same", activation="relu"), keras.layers.Conv2D(64, 3, strides=2, padding="same"), keras.layers.Flatten(), keras.layers.Dense(1)],
):
    net = keras.Sequential(layers)
    rows = np.random.normal(size=(33, *net.input_shape[1:])).astype("float32")
    differences.append(float(np.abs(net.predict(rows, verbose=0) - np.asarray(net.predict_on_batch(rows))).max()))
emit({"batches": batches, "differences": differences})
"""


@pytest.mark.parametrize("run", [Run("predict-batching", BATCHING, b) for b in BACKENDS], ids=str)
def test_predict_on_batch_runs_all_rows_at_once(run: Run) -> None:
    """Why the fix is unsafe beyond one batch: another batching, other last bits."""
    obs = run.result()
    assert obs["batches"] == {"predict": [32, 32, 32, 4], "predict_on_batch": [100]}, (
        f"{obs['versions']}: predict no longer batches by 32: update DK202's fix safety: {obs}"
    )
    assert max(obs["differences"]) > 0.0, (
        f"{obs['versions']}: predict and predict_on_batch now agree bit for bit on 33 rows: "
        f"update DK202's Fix safety section: {obs}"
    )
