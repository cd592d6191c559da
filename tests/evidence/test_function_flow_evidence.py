"""Evidence for the flows across functions (parameters, returns, helpers, closures, wrappers).

Each fixture moves its models through functions the way real projects do, and
keeps one of the hazards darklint reports. On Keras 3, TensorFlow and torch
backends, in subprocesses:

- the Keras-GAN order done through a trainer's parameters, a toggle helper with a
  flag, a closure and a wrapper's ``freeze(flag)``: the frozen network's own
  ``train_on_batch`` never changes its weights (DK101), while the combined
  model trains;
- FGSM split over helpers with ``keras.backend``: ``AttributeError`` (DK302);
- a builder returning ``(model, features)``: the feature model shares the
  discriminator's variables, and the matching wrapper's optimizer keeps a second
  Adam state for them (DK301, DK106).
"""

from __future__ import annotations

import pytest
from harness import Run
from test_rule_evidence import BACKENDS, check_keras3

pytestmark = pytest.mark.evidence

FROZEN = """
from probe import attempt, by_model, emit, load_fixture, spy

ns = load_fixture({fixture!r})

def tag(model):
    # The network frozen around the combined compile has {frozen_inputs} input(s).
    return "frozen" if model.inputs[0].shape[-1] == {frozen_inputs} else "combined"

def watch(model):
    return {{"self": model}}

with spy("train_on_batch", tags=tag, watch=watch) as calls:
    _, error = attempt(ns[{entry!r}], **{kwargs!r})
emit({{"error": error, "calls": by_model(calls)}})
"""

CASES = {
    # fixture: (entry point, keyword arguments, inputs of the frozen network)
    "trainer_with_parameters": ("main", {"steps": 4}, 2),
    "toggle_helper_flag": ("train", {"steps": 4}, 2),
    "closure_toggle": ("train", {"steps": 4}, 1),
    "wrapper_freeze": ("train", {"steps": 4}, 2),
}


def frozen_runs() -> list[Run]:
    return [
        Run(
            fixture,
            FROZEN.format(fixture=fixture, entry=entry, kwargs=kwargs, frozen_inputs=inputs),
            backend,
        )
        for fixture, (entry, kwargs, inputs) in CASES.items()
        for backend in BACKENDS
    ]


@pytest.mark.parametrize("run", frozen_runs(), ids=str)
def test_the_network_frozen_through_a_function_never_trains(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert obs["error"] is None, f"{v}: {run.fixture} failed: {obs['error']}"
    frozen, combined = obs["calls"]["frozen"], obs["calls"]["combined"]
    assert frozen["calls"] >= 4, obs
    assert frozen["changes"]["self"] == 0.0, (
        f"{v}: the network frozen around the combined compile now trains in {run.fixture} "
        f"(moved by {frozen['changes']['self']:.3g}): update DK101's message"
    )
    assert combined["changes"]["self"] > 0.0, f"{v}: the combined model no longer trains: {obs}"


FGSM = """
from probe import attempt, emit, load_fixture

ns = load_fixture("fgsm_two_functions")
emit({"error": attempt(ns["train"], steps=2)[1]})
"""


@pytest.mark.parametrize(
    "run", [Run("fgsm_two_functions", FGSM, backend) for backend in BACKENDS], ids=str
)
def test_fgsm_over_helpers_with_keras_backend_fails_on_keras3(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    error = obs["error"]
    assert error is not None, f"{v}: the Keras 2 FGSM helpers now run on Keras 3"
    assert error["type"] == "AttributeError", error
    assert "keras.backend" in error["message"], error


FEATURES = """
from probe import emit, load_fixture, slot_names

ns = load_fixture("features_builder")
generator, discriminator, features, matching = ns["train"](steps=3)
kernel = discriminator.get_layer("feat").kernel
emit({
    "shares_variables": any(v is kernel for v in features.trainable_variables),
    "slots": {
        "discriminator": len(slot_names(discriminator.optimizer, kernel)),
        "matching": len(slot_names(matching.optimizer, kernel)),
    },
    "distinct_optimizers": discriminator.optimizer is not matching.optimizer,
})
"""


@pytest.mark.parametrize(
    "run", [Run("features_builder", FEATURES, backend) for backend in BACKENDS], ids=str
)
def test_a_features_builder_gives_a_second_adam_state(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert obs["shares_variables"], f"{v}: the feature model no longer shares D's kernel: {obs}"
    assert obs["distinct_optimizers"], obs
    assert obs["slots"] == {"discriminator": 2, "matching": 2}, (
        f"{v}: D's feature kernel no longer has two Adam states: {obs}"
    )
