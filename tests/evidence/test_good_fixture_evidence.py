"""Evidence that the good fixtures really train (they must also lint clean).

Each test runs a good fixture in a subprocess (see ``harness.py``) and checks that
the networks it claims to train move, so "no report here" is never "no report on
code that does not work".
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from harness import Run, describe_versions

pytestmark = pytest.mark.evidence


def check_keras3(obs: dict[str, Any]) -> str:
    v = describe_versions(obs)
    keras_version = obs["versions"]["keras"] or ""
    assert keras_version.startswith("3."), f"evidence is for Keras 3, ran {v}"
    return v


TRAIN_STEP_GAN = """
from probe import emit, load_fixture, max_change, weights

ns = load_fixture("good_train_step_gan")
gan = ns["build_gan"]()
d0, g0 = weights(gan.discriminator), weights(gan.generator)
history = gan.fit(ns["load_dataset"](n=128, batch_size=16), epochs=2, verbose=0)
emit({
    "d_change": max_change(d0, weights(gan.discriminator)),
    "g_change": max_change(g0, weights(gan.generator)),
    "history": history.history,
    "iterations": [int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)],
})
"""


@pytest.mark.parametrize("run", [Run("good_train_step_gan", TRAIN_STEP_GAN, "tensorflow")], ids=str)
def test_good_train_step_gan_trains_both_nets_with_fit(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert obs["d_change"] > 0.0, f"{v}: the train_step GAN no longer trains D: {obs}"
    assert obs["g_change"] > 0.0, f"{v}: the train_step GAN no longer trains G: {obs}"
    assert {"d_loss", "g_loss"} <= set(obs["history"]), (
        f"{v}: History lacks d_loss/g_loss: {sorted(obs['history'])}"
    )
    assert all(math.isfinite(x) for x in obs["history"]["g_loss"]), obs
    assert obs["iterations"] == [16, 16], obs  # 128 samples / 16 x 2 epochs, each net


TRANSFER = """
from probe import attempt, emit, load_fixture, spy

ns = load_fixture("good_transfer_learning")

def tags(m):
    return "model" if any(layer.name == "base_model" for layer in m.layers) else None

with spy("fit", tags, lambda m: {"base": m.get_layer("base_model")}) as fits:
    _, error = attempt(ns["train"], head_epochs=1, fine_tune_epochs=1)
emit({"fits": fits, "error": error})
"""


@pytest.mark.parametrize("run", [Run("good_transfer_learning", TRANSFER, "tensorflow")], ids=str)
def test_good_transfer_learning_fine_tunes_after_recompile(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert obs["error"] is None, f"{v}: transfer learning failed: {obs['error']}"
    head_fit, fine_tune_fit = obs["fits"]
    assert head_fit["changes"]["base"] == 0.0, f"{v}: frozen base moved: {obs}"
    assert fine_tune_fit["changes"]["base"] > 0.0, (
        f"{v}: the base did not train after unfreeze + recompile: {obs}"
    )


WGAN_GP = """
from probe import emit, load_fixture, max_change, weights

ns = load_fixture("good_wgan_gp")
wgan = ns["build_wgan"]()
d0, g0 = weights(wgan.discriminator), weights(wgan.generator)
history = wgan.fit(ns["load_dataset"](n=64, batch_size=16), epochs=1, verbose=0)
emit({
    "d_change": max_change(d0, weights(wgan.discriminator)),
    "g_change": max_change(g0, weights(wgan.generator)),
    "history": history.history,
    "iterations": [
        int(wgan.d_optimizer.iterations), int(wgan.g_optimizer.iterations)
    ],
})
"""


@pytest.mark.parametrize("run", [Run("good_wgan_gp", WGAN_GP, "tensorflow")], ids=str)
def test_good_wgan_gp_trains(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert obs["d_change"] > 0.0, f"{v}: WGAN-GP no longer trains the critic: {obs}"
    assert obs["g_change"] > 0.0, f"{v}: WGAN-GP no longer trains G: {obs}"
    assert {"d_loss", "g_loss"} <= set(obs["history"]), obs
    assert all(math.isfinite(x) for x in obs["history"]["d_loss"]), obs
    assert obs["iterations"] == [12, 4], obs  # 4 batches, 3 critic steps per G step


PREDICT_FOR_PLOTTING = """
from probe import emit, load_fixture, max_change, weights

ns = load_fixture("good_predict_for_plotting")
autoencoder = ns["RingAutoencoder"]()
w0 = weights(autoencoder.model)
autoencoder.train(epochs=3, sample_interval=2)
emit({
    "change": max_change(w0, weights(autoencoder.model)),
    "samples": autoencoder.samples,
})
"""


@pytest.mark.parametrize(
    "run", [Run("good_predict_for_plotting", PREDICT_FOR_PLOTTING, "tensorflow")], ids=str
)
def test_good_predict_for_plotting_trains_and_samples(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    assert obs["change"] > 0.0, f"{v}: the autoencoder did not train: {obs}"
    assert [epoch for epoch, _ in obs["samples"]] == [0, 2], obs


TORCH_NEAR_MISS = """
import sys
from probe import emit, load_fixture, max_change, weights

ns = load_fixture("good_torch_near_miss")
initial = {}
for name in ("Generator", "Discriminator"):
    cls = ns["train"].__globals__[name]
    original_init = cls.__init__

    def init(self, *args, _init=original_init, _name=name, **kwargs):
        _init(self, *args, **kwargs)
        initial[_name] = (self, weights(self))

    cls.__init__ = init
generator, discriminator, history = ns["train"](steps=60, log_every=1000)
import torch
emit({
    "changes": {
        name: max_change(w0, weights(net)) for name, (net, w0) in initial.items()
    },
    "returned_the_trained_nets": [
        initial["Generator"][0] is generator,
        initial["Discriminator"][0] is discriminator,
    ],
    "d_loss": history["d_loss"][-1],
    "g_loss": history["g_loss"][-1],
    "modes": history["modes"][-1],
    "keras_imported": "keras" in sys.modules,
    "tensorflow_imported": "tensorflow" in sys.modules,
    "torch": torch.__version__,
})
"""


@pytest.mark.parametrize("run", [Run("good_torch_near_miss", TORCH_NEAR_MISS, None)], ids=str)
def test_good_torch_near_miss_trains_without_keras(run: Run) -> None:
    obs = run.result()
    v = f"torch {obs['torch']}"
    assert not obs["keras_imported"], obs
    assert not obs["tensorflow_imported"], obs
    assert obs["returned_the_trained_nets"] == [True, True], obs
    assert obs["changes"]["Generator"] > 0.0, f"{v}: G did not train: {obs}"
    assert obs["changes"]["Discriminator"] > 0.0, f"{v}: D did not train: {obs}"
    assert math.isfinite(obs["d_loss"]), obs
    assert math.isfinite(obs["g_loss"]), obs
