"""Evidence for the rule corrections found in real use (DK103 on layers, DK104 beyond
`compile()`, DK203): each fixture runs on Keras 3, TensorFlow and torch backends, in
a subprocess, and does what the rule's message says.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import Run
from test_rule_evidence import BACKENDS, assert_unknown_variable, check_keras3

pytestmark = pytest.mark.evidence


def runs(name: str, code: str) -> list[Run]:
    return [Run(name, code, backend) for backend in BACKENDS]


# --- DK103: some layers unfrozen after compile + fit, no recompile ----------------

FINETUNE = """
from probe import attempt, emit, load_fixture

ns = load_fixture("finetune_top_layers")
emit({"error": attempt(ns["train"])[1]})
"""


@pytest.mark.parametrize("run", runs("finetune_top_layers", FINETUNE), ids=str)
def test_dk103_unfreezing_layers_without_recompile_fails(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert_unknown_variable(obs["error"], "training after unfreezing the top layers", v)


# --- DK104: `optimizers.get("adam")` is one object ---------------------------------

OPTIMIZER_GET = """
from probe import attempt, emit, load_fixture

ns = load_fixture("optimizer_from_get")
emit({"error": attempt(ns["train"])[1]})
"""


@pytest.mark.parametrize("run", runs("optimizer_from_get", OPTIMIZER_GET), ids=str)
def test_dk104_optimizer_from_get_serves_one_model(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert_unknown_variable(
        obs["error"], "the second model's step with the shared `get` optimizer", v
    )


# --- DK104: one optimizer, two hand-written steps over different variables ---------

TWO_STEPS = """
from probe import attempt, emit, load_fixture

ns = load_fixture("one_optimizer_two_steps")
emit({"error": attempt(ns["train"])[1]})
"""


@pytest.mark.parametrize("run", runs("one_optimizer_two_steps", TWO_STEPS), ids=str)
def test_dk104_apply_gradients_to_other_variables_fails(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert_unknown_variable(obs["error"], "the decoder's apply_gradients", v)


# --- DK203: a compile per step rebuilds the train function and the optimizer ------

RECOMPILE = """
import keras
from probe import emit, load_fixture

ns = load_fixture("compile_in_training_loop")
builds = []
real = keras.Model.make_train_function

def counting(self, *args, **kwargs):
    # A build is a call that finds no train function (compile() drops it).
    builds.append(getattr(self, "train_function", None) is None)
    return real(self, *args, **kwargs)

keras.Model.make_train_function = counting
steps = 12
model = ns["train"](steps=steps)
recompiled = {"builds": sum(builds), "iterations": int(keras.ops.convert_to_numpy(model.optimizer.iterations))}

# The same loop with one compile before it.
builds.clear()
control = ns["build_model"]()
control.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
import numpy as np
x = np.random.default_rng(0).normal(size=(32, 8)).astype("float32")
for _ in range(steps):
    control.train_on_batch(x, x[:, :1])
once = {"builds": sum(builds), "iterations": int(keras.ops.convert_to_numpy(control.optimizer.iterations))}
emit({"steps": steps, "recompiled": recompiled, "once": once})
"""


@pytest.mark.parametrize("run", runs("compile_in_training_loop", RECOMPILE), ids=str)
def test_dk203_each_compile_rebuilds_the_train_function_and_the_optimizer(run: Run) -> None:
    obs: dict[str, Any] = run.result()
    v = check_keras3(obs)
    steps = obs["steps"]
    assert obs["once"] == {"builds": 1, "iterations": steps}, obs
    assert obs["recompiled"]["builds"] == steps, (
        f"{v}: a compile per step no longer rebuilds the train function each step: "
        f"update DK203's message: {obs}"
    )
    assert obs["recompiled"]["iterations"] == 1, (
        f"{v}: the optimizer given anew per compile no longer starts over: "
        f"update DK203's message: {obs}"
    )
