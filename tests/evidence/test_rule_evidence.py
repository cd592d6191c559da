"""Evidence that each rule's message states what really happens on Keras 3.

Every test runs a bad fixture from ``fixtures/`` in a subprocess on a given Keras
backend (see ``harness.py``), drives it a few steps and asserts the consequence the
rule's message claims (RULES.md, KERAS_FACTS.md). The versions measured are in
every failure message; when an assertion fails because Keras changed its
behaviour, the message says which fact and which rule message to update.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import Run, describe_versions

pytestmark = pytest.mark.evidence

BACKENDS = ("tensorflow", "torch")


def check_keras3(obs: dict[str, Any]) -> str:
    """The versions line for messages; the facts below are about Keras 3."""
    v = describe_versions(obs)
    keras_version = obs["versions"]["keras"] or ""
    assert keras_version.startswith("3."), f"evidence is for Keras 3, ran {v}"
    return v


def assert_unknown_variable(error: dict[str, str] | None, what: str, v: str) -> None:
    assert error is not None, f"{v}: {what} no longer fails"
    assert error["type"] == "ValueError", f"{v}: {what} now fails differently: {error}"
    assert "Unknown variable" in error["message"], f"{v}: {what} now fails differently: {error}"


# --- DK101: Keras-GAN order (compile D, freeze D, compile combined, train both) ---

KERAS_GAN = """
from probe import attempt, by_model, count_warnings, emit, iterations, load_fixture, spy

ns = load_fixture("keras_gan")
gan = ns["GAN"]()
D, G, combined = gan.discriminator, gan.generator, gan.combined
names = {id(D): "D", id(combined): "combined"}
errors = []
with count_warnings("does not have any trainable weights") as warned:
    with spy(
        "train_on_batch",
        tags=lambda m: names.get(id(m)),
        watch=lambda m: {"D": D, "G": G},
    ) as calls:
        for _ in range(3):  # three runs of one epoch each: a failure ends a run
            errors.append(attempt(gan.train, epochs=1, sample_interval=1000)[1])
emit({
    "errors": errors,
    "calls": by_model(calls),
    "optimizer_shared": D.optimizer is combined.optimizer,
    "optimizer_iterations": iterations(D),
    "warnings": warned[0],
})
"""


@pytest.mark.parametrize("run", [Run("keras_gan", KERAS_GAN, "tensorflow")], ids=str)
def test_dk101_keras_gan_order_tensorflow_d_never_trains(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    d_calls, c_calls = obs["calls"]["D"], obs["calls"]["combined"]
    assert obs["errors"] == [None, None, None], f"{v}: Keras-GAN loop failed: {obs}"
    assert obs["optimizer_shared"], "fixture no longer shares one Adam (Keras-GAN does)"
    assert (d_calls["calls"], c_calls["calls"]) == (6, 3), obs
    assert d_calls["changes"]["D"] == 0.0, (
        f"{v}: Keras no longer leaves D untrained in the Keras-GAN order "
        f"(D moved by {d_calls['changes']['D']:.3g} in D.train_on_batch): "
        "update KERAS_FACTS.md and DK101's message"
    )
    assert d_calls["iterations"] == 0, (
        f"{v}: D.train_on_batch now steps the optimizer ({d_calls['iterations']} "
        "steps): update KERAS_FACTS.md and DK101's message"
    )
    # The shared Adam counts only the combined steps: D's six calls never reached it.
    assert obs["optimizer_iterations"] == c_calls["iterations"] == 3, obs
    assert c_calls["changes"]["G"] > 0.0, f"{v}: G no longer trains via combined"
    assert c_calls["changes"]["D"] == 0.0, f"{v}: combined now trains frozen D"
    assert obs["warnings"] >= 1, (
        f"{v}: Keras no longer warns 'does not have any trainable weights' for D"
    )


@pytest.mark.parametrize("run", [Run("keras_gan", KERAS_GAN, "torch")], ids=str)
def test_dk101_keras_gan_order_torch_nothing_trains(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    d_calls, c_calls = obs["calls"]["D"], obs["calls"]["combined"]
    assert (d_calls["changes"]["D"], d_calls["iterations"]) == (0.0, 0), (
        f"{v}: Keras no longer leaves D untrained in the Keras-GAN order on torch "
        f"({d_calls}): update KERAS_FACTS.md and DK101's message"
    )
    # The one Adam shared by D and combined: every combined step fails, so G
    # never trains either.
    assert (c_calls["calls"], len(c_calls["errors"])) == (3, 3), (
        f"{v}: combined.train_on_batch no longer fails on every step on torch "
        f"({c_calls}): update KERAS_FACTS.md and DK101/DK104's messages"
    )
    for error in obs["errors"]:
        assert_unknown_variable(error, "combined.train_on_batch (shared Adam)", v)
    assert c_calls["changes"]["G"] == 0.0, f"{v}: G trained despite the error"


# --- DK101: jacobgil/keras-dcgan order (freeze while stacking, unfreeze, compile D) ---

JACOBGIL = """
import keras
import numpy as np
from keras.optimizers import SGD
from probe import by_model, emit, load_fixture, max_change, slot_names, spy, weights

ns = load_fixture("jacobgil_dcgan")

# 1. train()'s set-up, line for line up to its loop; then the stack's first step,
#    as a loop without jacobgil's in-loop toggles would run it.
d = ns["discriminator_model"]()
g = ns["generator_model"]()
d_on_g = ns["generator_containing_discriminator"](g, d)
d_optim = SGD(learning_rate=0.0005, momentum=0.9, nesterov=True)
g_optim = SGD(learning_rate=0.0005, momentum=0.9, nesterov=True)
g.compile(loss="binary_crossentropy", optimizer="SGD")
d_on_g.compile(loss="binary_crossentropy", optimizer=g_optim)
d.trainable = True
d.compile(loss="binary_crossentropy", optimizer=d_optim)
noise = np.random.uniform(-1, 1, (16, ns["LATENT_DIM"]))
d0, g0 = weights(d), weights(g)
d_on_g.train_on_batch(noise, np.ones(16))
stack_step = {
    "d_change": max_change(d0, weights(d)),
    "g_change": max_change(g0, weights(g)),
    "d_kernel_slots_in_g_optim": slot_names(g_optim, d.layers[0].kernel),
}

# 2. The fixture's own train(), in-loop toggles included.
def is_stack(m):
    return len(m.layers) == 2 and all(isinstance(x, keras.Model) for x in m.layers)

with spy(
    "train_on_batch",
    tags=lambda m: "d_on_g" if is_stack(m) else "d",
    watch=lambda m: {"d": m.layers[1], "g": m.layers[0]} if is_stack(m) else {"d": m},
) as calls:
    ns["train"](BATCH_SIZE=64, epochs=1)
emit({"stack_step": stack_step, "loop": by_model(calls)})
"""


@pytest.mark.parametrize("run", [Run("jacobgil_dcgan", JACOBGIL, b) for b in BACKENDS], ids=str)
def test_dk101_jacobgil_order_combined_trains_d(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    step = obs["stack_step"]
    assert step["d_change"] > 0.0, (
        f"{v}: Keras no longer trains D through the combined model in the jacobgil "
        "order (d.trainable = True before the first step): update KERAS_FACTS.md "
        "and DK101's message"
    )
    assert step["d_kernel_slots_in_g_optim"], (
        f"{v}: the combined model's optimizer has no slots for D's kernel: {step}"
    )
    assert step["g_change"] > 0.0, f"{v}: G did not train: {step}"
    # With jacobgil's in-loop `d.trainable = False` before each combined step
    # (DK103), the flag is read when the step is traced (TF: first call, after the
    # toggle) or run (torch), so in the loop the combined steps leave D alone.
    loop = obs["loop"]
    assert loop["d"]["changes"]["d"] > 0.0, f"{v}: d.train_on_batch no longer trains D"
    assert loop["d_on_g"]["changes"]["d"] == 0.0, (
        f"{v}: the in-loop toggle before d_on_g.train_on_batch no longer keeps D "
        f"out of the combined step ({loop['d_on_g']}): update KERAS_FACTS.md (when "
        "Keras 3 reads `trainable`) and DK103's message"
    )
    assert loop["d_on_g"]["changes"]["g"] > 0.0, f"{v}: G did not train in the loop"


# --- DK101: the jacobgil order without the in-loop toggles (freeze_while_stacking.py) ---

FREEZE_WHILE_STACKING = """
import keras
from probe import by_model, emit, load_fixture, spy

ns = load_fixture("freeze_while_stacking")

def is_stack(m):
    return len(m.layers) == 2 and all(isinstance(x, keras.Model) for x in m.layers)

with spy(
    "train_on_batch",
    tags=lambda m: "d_on_g" if is_stack(m) else "d",
    watch=lambda m: {"d": m.layers[1], "g": m.layers[0]} if is_stack(m) else {"d": m},
) as calls:
    ns["train"](BATCH_SIZE=64, epochs=1)
emit({"loop": by_model(calls)})
"""


@pytest.mark.parametrize(
    "run", [Run("freeze_while_stacking", FREEZE_WHILE_STACKING, b) for b in BACKENDS], ids=str
)
def test_dk101_freeze_while_stacking_combined_trains_d(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    loop = obs["loop"]
    assert loop["d_on_g"]["changes"]["d"] > 0.0, (
        f"{v}: the stack's steps no longer move D once d.trainable is set back to True "
        f"({loop['d_on_g']}): update KERAS_FACTS.md and DK101's jacobgil-order message"
    )
    assert loop["d_on_g"]["changes"]["g"] > 0.0, f"{v}: G did not train: {loop['d_on_g']}"
    assert loop["d"]["changes"]["d"] > 0.0, f"{v}: d.train_on_batch no longer trains D"


# --- DK102: D frozen before its own compile ---

FROZEN_BEFORE_COMPILE = """
from probe import count_warnings, emit, iterations, load_fixture, max_change, weights

ns = load_fixture("frozen_before_compile")
pretraining = ns["DiscriminatorPretraining"]()
D = pretraining.discriminator
w0 = weights(D)
with count_warnings("does not have any trainable weights") as warned:
    history = pretraining.train(epochs=2)
emit({
    "d_change": max_change(w0, weights(D)),
    "trainable_weights": len(D.trainable_weights),
    "iterations": iterations(D),
    "loss": history.history["loss"],
    "warnings": warned[0],
})
"""


@pytest.mark.parametrize(
    "run", [Run("frozen_before_compile", FROZEN_BEFORE_COMPILE, "tensorflow")], ids=str
)
def test_dk102_frozen_before_compile_never_trains(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert obs["trainable_weights"] == 0, obs
    assert (obs["d_change"], obs["iterations"]) == (0.0, 0), (
        f"{v}: a model compiled while frozen now trains in fit() "
        f"(max |dw| = {obs['d_change']:.3g}, {obs['iterations']} optimizer steps): "
        "update KERAS_FACTS.md and DK102's message"
    )
    assert obs["loss"][0] == obs["loss"][-1], f"{v}: loss moved: {obs['loss']}"


# --- DK103: base unfrozen after the first fit, no recompile ---

UNFREEZE = """
from probe import attempt, emit, load_fixture, spy

ns = load_fixture("unfreeze_without_recompile")

def tags(m):
    return "model" if any(layer.name == "base" for layer in m.layers) else None

def watch(m):
    return {"base": m.get_layer("base"), "head": m.layers[-1]}

with spy("fit", tags, watch) as fits:
    result, error = attempt(ns["train"], head_epochs=1, fine_tune_epochs=1)
obs = {"fits": fits, "error": error}
if result is not None:
    base, model, _ = result
    x, y = ns["load_data"]()
    # a batch of another shape makes the TF backend retrace the train function
    with spy("train_on_batch", tags, watch) as steps:
        attempt(model.train_on_batch, x[:5], y[:5])
    obs["new_shape_step"] = steps[0]
emit(obs)
"""


@pytest.mark.parametrize(
    "run", [Run("unfreeze_without_recompile", UNFREEZE, "tensorflow")], ids=str
)
def test_dk103_unfreeze_without_recompile_tensorflow_is_ignored(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    first, second = obs["fits"]
    assert obs["error"] is None, f"{v}: second fit failed on TF: {obs['error']}"
    assert first["changes"]["base"] == 0.0, obs
    assert first["changes"]["head"] > 0.0, obs
    assert second["changes"]["head"] > 0.0, obs
    assert second["changes"]["base"] == 0.0, (
        f"{v}: on the TF backend the unfreeze now takes effect in the second fit "
        f"without a recompile (base moved {second['changes']['base']:.3g}): update "
        "KERAS_FACTS.md and DK103's message"
    )
    # A retrace (new batch shape) reads the flag -- and the optimizer, built for
    # the head's variables only, rejects the base's.
    assert_unknown_variable(
        obs["new_shape_step"]["error"], "a step with a new batch shape (retrace)", v
    )


@pytest.mark.parametrize("run", [Run("unfreeze_without_recompile", UNFREEZE, "torch")], ids=str)
def test_dk103_unfreeze_without_recompile_torch_fails_at_once(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    first, second = obs["fits"]
    assert first["error"] is None, obs
    assert first["changes"]["base"] == 0.0, obs
    # torch reads the flag at the very next step: the base's variables reach an
    # optimizer built without them. Same source as on TF, different behaviour.
    assert_unknown_variable(second["error"], "the second fit on torch", v)
    assert second["changes"]["base"] == 0.0, obs


# --- DK104: one optimizer instance, two compiles ---

SHARED_OPTIMIZER = """
from probe import attempt, emit, load_fixture, spy

ns = load_fixture("shared_optimizer")
names = ("autoencoder", "classifier")
with spy(
    "fit",
    tags=lambda m: m.name if m.name in names else None,
    watch=lambda m: {m.name: m},
) as fits:
    _, error = attempt(ns["train"], epochs=1)
emit({"error": error, "fits": fits})
"""


@pytest.mark.parametrize(
    "run", [Run("shared_optimizer", SHARED_OPTIMIZER, b) for b in BACKENDS], ids=str
)
def test_dk104_shared_optimizer_second_model_fails(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    autoencoder, classifier = obs["fits"]
    assert autoencoder["model"] == "autoencoder", obs
    assert autoencoder["error"] is None, obs
    assert autoencoder["changes"]["autoencoder"] > 0.0, obs
    assert classifier["model"] == "classifier", obs
    assert_unknown_variable(
        classifier["error"], "the second model's first fit with a shared optimizer", v
    )
    assert classifier["changes"]["classifier"] == 0.0, obs
    assert obs["error"] == classifier["error"], obs


# --- DK106: two compiled models sharing an encoder ---

MULTITASK = """
import numpy as np
from probe import emit, load_fixture, slot_names, spy

ns = load_fixture("multitask_shared_encoder")
names = ("regression", "classification")
with spy(
    "fit",
    tags=lambda m: m.name if m.name in names else None,
    watch=lambda m: {"encoder": m.get_layer("encoder")},
) as fits:
    encoder, reg_model, cls_model = ns["train"](epochs=1)
kernel = encoder.get_layer("enc_1").kernel
momentum = kernel.path.replace("/", "_") + "_momentum"

def moment(model):
    (var,) = [v for v in model.optimizer.variables if v.name == momentum]
    return np.asarray(var)

emit({
    "fits": fits,
    "distinct_optimizers": reg_model.optimizer is not cls_model.optimizer,
    "slots": {
        "regression": slot_names(reg_model.optimizer, kernel),
        "classification": slot_names(cls_model.optimizer, kernel),
    },
    "optimizer_variables": {
        "regression": len(reg_model.optimizer.variables),
        "classification": len(cls_model.optimizer.variables),
    },
    "iterations": {
        "regression": int(reg_model.optimizer.iterations),
        "classification": int(cls_model.optimizer.iterations),
    },
    "momentum_difference": float(np.abs(moment(reg_model) - moment(cls_model)).max()),
})
"""


@pytest.mark.parametrize("run", [Run("multitask_shared_encoder", MULTITASK, "tensorflow")], ids=str)
def test_dk106_shared_encoder_gets_two_adam_states(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert [f["model"] for f in obs["fits"]] == ["regression", "classification"], obs
    for fit in obs["fits"]:
        assert fit["error"] is None, f"{v}: {fit['model']}.fit failed: {fit}"
        assert fit["changes"]["encoder"] > 0.0, (
            f"{v}: {fit['model']}.fit no longer moves the shared encoder: {fit}"
        )
    assert obs["distinct_optimizers"], obs
    for task, slots in obs["slots"].items():
        assert sorted(slots) == ["enc_1_kernel_momentum", "enc_1_kernel_velocity"], (
            f"{v}: {task}'s Adam no longer keeps its own moments for the shared "
            f"encoder kernel ({slots}): update KERAS_FACTS.md and DK106's message"
        )
    assert obs["iterations"] == {"regression": 16, "classification": 16}, obs
    assert obs["momentum_difference"] > 0.0, (
        f"{v}: the two optimizers' moments for the shared kernel are identical"
    )


# --- DK301: feature-matching sub-model built from D's intermediate layer ---

FEATURE_MATCHING = """
import keras
import numpy as np
from probe import attempt, by_model, emit, load_fixture, slot_names, spy

ns = load_fixture("feature_matching")
gan = ns["FeatureMatchingGAN"]()
D, G, feat, combined = (
    gan.discriminator, gan.generator, gan.feature_extractor, gan.combined
)
d_ids = {id(v) for v in D.weights}
# the same wrapper, uncompiled: the feature objective cannot train without compile
unwrapped = keras.Model(combined.inputs, combined.outputs)
noise = np.random.normal(size=(16, gan.latent_dim))
_, uncompiled_error = attempt(
    unwrapped.train_on_batch, noise, [np.ones((16, 1)), np.zeros((16, 8))]
)
names = {id(D): "D", id(combined): "combined"}
with spy(
    "train_on_batch",
    tags=lambda m: names.get(id(m)),
    watch=lambda m: {"D": D, "G": G},
) as calls:
    _, error = attempt(gan.train, epochs=3)
kernel = D.get_layer("feat").kernel
emit({
    "feat_weights": [v.path for v in feat.weights],
    "feat_shares_d_variables": all(id(v) in d_ids for v in feat.weights),
    "compiled": [bool(getattr(m, "compiled", False)) for m in (D, combined)],
    "distinct_optimizers": D.optimizer is not combined.optimizer,
    "uncompiled_error": uncompiled_error,
    "error": error,
    "calls": by_model(calls),
    "feat_kernel_slots": {
        "D": slot_names(D.optimizer, kernel),
        "combined": slot_names(combined.optimizer, kernel),
    },
})
"""


@pytest.mark.parametrize("run", [Run("feature_matching", FEATURE_MATCHING, "tensorflow")], ids=str)
def test_dk301_feature_submodel_shares_d_and_needs_another_compile(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert obs["feat_weights"], obs
    assert obs["feat_shares_d_variables"], (
        f"{v}: the intermediate-output sub-model no longer shares D's variables: {obs}"
    )
    assert obs["uncompiled_error"] is not None, (
        f"{v}: an uncompiled wrapper now trains: DK301's 'another compile' is stale"
    )
    assert "compile" in obs["uncompiled_error"]["message"], obs["uncompiled_error"]
    assert obs["compiled"] == [True, True], obs
    assert obs["distinct_optimizers"], obs
    assert obs["error"] is None, f"{v}: feature-matching loop failed: {obs['error']}"
    calls = obs["calls"]
    assert calls["D"]["changes"]["D"] > 0.0, f"{v}: D did not train: {calls}"
    assert calls["combined"]["changes"]["G"] > 0.0, f"{v}: G did not train: {calls}"
    # Nothing frozen: the feature objective also moves D, with a second Adam state
    # for D's weights (DK106 on the combined compile).
    assert calls["combined"]["changes"]["D"] > 0.0, obs
    for owner, slots in obs["feat_kernel_slots"].items():
        assert len(slots) == 2, f"{v}: {owner}'s Adam has no moments for feat: {obs}"


# --- DK302: gradients with respect to the inputs ---

ADVERSARIAL = """
import keras
from probe import attempt, emit, fixture_path, load_fixture
import runpy

has_gradients = hasattr(keras.backend, "gradients")
_, fgsm_error = attempt(
    runpy.run_path, fixture_path("fgsm_k_gradients"), run_name="__main__"
)
ns = load_fixture("vat_tape_watch")
model, vat_error = attempt(ns["train"], steps=20)
emit({
    "keras_backend_has_gradients": has_gradients,
    "fgsm_error": fgsm_error,
    "vat_error": vat_error,
    "vat_iterations": None if model is None else int(model.optimizer.iterations),
})
"""


@pytest.mark.parametrize("run", [Run("fgsm_k_gradients", ADVERSARIAL, "tensorflow")], ids=str)
def test_dk302_k_gradients_is_gone_in_keras3(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert not obs["keras_backend_has_gradients"], (
        f"{v}: keras.backend.gradients exists again: update DK302's message"
    )
    error = obs["fgsm_error"]
    assert error is not None, f"{v}: the Keras 2 FGSM script now runs on Keras 3"
    assert error["type"] == "AttributeError", (
        f"{v}: the Keras 2 FGSM script fails differently on Keras 3: {error}"
    )
    assert "gradients" in error["message"], error
    # The tf.GradientTape spelling runs (on the TF backend).
    assert obs["vat_error"] is None, obs
    assert obs["vat_iterations"] == 20, obs
