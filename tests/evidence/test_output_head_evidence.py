"""Evidence for DK401-DK405 and DK901 (output head vs loss): what each pairing does on Keras 3.

One subprocess per backend (see ``harness.py``) trains every model of the five
bad fixtures and of ``good_classifier_heads.py`` (MLP 8 -> 16 -> head, Adam 1e-2,
20 epochs, 512 samples: the setting of KERAS_FACTS.md "Output head vs loss"),
each from the same seed and on the same data (every fixture's ``load_data``
draws the same arrays), so each bad pairing is compared with its right pair.

Measured (keras 3.15.1, tensorflow-cpu 2.21.0, torch 2.13.0 CPU), seeds 0 / 1 / 2
(the seed draws the data and the weights; the tests run seed 0). Final epoch
loss, training accuracy; "right" is the good fixture's pair on the same labels.

  right pairs, TF: binary acc 0.996 / 1.000 / 0.996 (loss 0.035 / 0.031 / 0.025),
    3-class acc 0.998 / 1.000 / 0.998 (loss 0.036 / 0.039 / 0.045), tags per-tag
    acc 0.992 / 0.997 / 0.995, exact 0.977 / 0.990 / 0.986; torch within 0.01.
  DK401 softmax over one unit (Dense, Activation layer, Conv2D), both backends:
    every output exactly 1.0, acc = positive rate 0.496 / 0.564 / 0.553, and a
    Keras run-time warning. TF loss falls exactly as the right pair's (0.035 /
    0.031 / 0.025); torch flat at 8.03 / 6.94 / 7.13 (conv: 11.1-11.2).
  DK402 sigmoid / softmax + from_logits=True: TF warns and its loss equals the
    right pair's to the last digit. torch: binary 0.514 / 0.487 / 0.491 against a
    floor of 0.505 / 0.479 / 0.483 (right pair 0.034 / 0.032 / 0.030), 3 classes
    0.572 / 0.575 / 0.573 against 0.551 (right 0.039 / 0.048 / 0.043); accuracy
    unharmed (>= 0.994), no warning.
  DK403 linear head: categorical_crossentropy acc TF 0.209 / 0.377 / 0.213, torch
    0.350 / 0.207 / 0.217 (loss TF 4.86 / 1.66 / 5.57: rises on seeds 0 and 2
    only); sparse_categorical_crossentropy TF 0.480 / 0.730 / 0.689, torch as
    categorical. binary_crossentropy: acc TF 0.996 / 0.986 / 0.992, torch
    0.998 / 0.977 / 0.982 (right 0.996-1.000), 76-90 % of the outputs outside
    [0, 1]; a positive scored anywhere below 0 costs 16.118.
  DK404 relu + categorical_crossentropy: NaN from the first epoch on both. TF:
    NaN in all 20 epochs, outputs NaN, one class predicted (acc 0.352 / 0.367 /
    0.363); torch: NaN in 17 / 8 / 19 epochs, outputs finite, acc 0.777 / 0.904 /
    0.965. relu + sparse: torch as categorical; TF finite, acc 0.369 / 0.557 /
    0.439. tanh + categorical_crossentropy: acc TF 0.332 / 0.109 / 0.553, torch
    0.705 / 0.188 / 0.100, final loss >= 0.955 (21x the right pair's).
  DK901 softmax(3) + binary_crossentropy on tags: per-tag acc TF 0.711 / 0.763 /
    0.712, torch 0.646 / 0.725 / 0.657; exact TF 0.293 / 0.395 / 0.299, torch
    0.316 / 0.398 / 0.326. TF's loss equals the sigmoid pair's (0.048 / 0.044 /
    0.042): it is computed on the pre-softmax logits; torch 0.504 / 0.418 / 0.504.
  DK405 one sigmoid unit + categorical_crossentropy: loss 0.0 in every epoch on
    TF (every sample predicted negative: acc 0.504 / 0.436 / 0.447), below 7e-8
    on torch (acc 0.570 / 0.311 / 0.516): Adam turns the rounding noise into
    full-size steps, so the weights wander but never learn the labels.

Margins below are set from the worst of these seeds. Runtime: one subprocess per
backend, 33-41 s (TF) and 18-22 s (torch) each; the whole file took 42-52 s under
pytest (the two side by side) on a loaded 2-core machine.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from harness import Run, describe_versions

pytestmark = pytest.mark.evidence

BACKENDS = ("tensorflow", "torch")

SNIPPET = """
import math, warnings
import numpy as np
import keras
from probe import emit, load_fixture, seed_everything

SEED = 0


def drive(ns, fn, *args):
    # Same seed before every model: a bad pairing starts from the right pair's weights.
    seed_everything(SEED)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        model, history = ns[fn](*args, seed=SEED)
    losses = [float(v) for v in history.history["loss"]]
    rec = {
        "loss": losses,
        "nan_epochs": [i for i, v in enumerate(losses) if math.isnan(v)],
        "warnings": sorted({str(w.message)[:200] for w in warned if "__array__" not in str(w.message)}),
    }
    return rec, model


def scored(rec, out):
    rec["out_min"], rec["out_max"] = float(np.nanmin(out)), float(np.nanmax(out))
    rec["out_nan"] = bool(np.isnan(out).any())
    return out


def binary(drove, x, y):
    rec, model = drove
    out = scored(rec, keras.ops.convert_to_numpy(model(x, training=False)))
    predicted = out[:, 0] > 0.5
    rec["acc"] = float(np.mean(predicted == (y[:, 0] > 0.5)))
    rec["positive_rate"] = float(np.mean(predicted))
    rec["label_rate"] = float(np.mean(y))
    rec["outside_0_1"] = float(np.mean((out < 0) | (out > 1)))
    return rec


def multiclass(drove, x, classes):
    rec, model = drove
    out = scored(rec, keras.ops.convert_to_numpy(model(x, training=False)))
    predicted = np.argmax(out, axis=1)
    rec["acc"] = float(np.mean(predicted == classes))
    rec["classes_predicted"] = len(set(predicted.tolist()))
    return rec


def multilabel(drove, x, tags):
    rec, model = drove
    out = scored(rec, keras.ops.convert_to_numpy(model(x, training=False)))
    predicted = out > 0.5
    rec["acc"] = float(np.mean(predicted == (tags > 0.5)))
    rec["exact"] = float(np.mean(np.all(predicted == (tags > 0.5), axis=1)))
    return rec


obs = {"seed": SEED}

ns = load_fixture("good_classifier_heads", SEED)
x, y, classes, tags = ns["load_data"](seed=SEED)
obs["good"] = {
    "binary": binary(drive(ns, "train", "binary"), x, y),
    "multiclass": multiclass(drive(ns, "train", "multiclass"), x, classes),
    "binary_logits": binary(drive(ns, "train", "binary_logits"), x, y),
    "multiclass_logits": multiclass(drive(ns, "train", "multiclass_logits"), x, classes),
    "multilabel": multilabel(drive(ns, "train", "multilabel"), x, tags),
}
rec, model = drive(ns, "train", "two_heads")
heads = model(x, training=False)
rec["kind_acc"] = float(np.mean(
    np.argmax(keras.ops.convert_to_numpy(heads["kind"]), axis=1) == classes))
rec["flag_acc"] = float(np.mean(
    (keras.ops.convert_to_numpy(heads["flag"]) > 0.5) == (y > 0.5)))
obs["good"]["two_heads"] = rec

ns = load_fixture("softmax_single_unit", SEED)
images, masks = ns["load_masks"](seed=SEED)
rec, model = drive(ns, "train_segmenter")
scored(rec, keras.ops.convert_to_numpy(model(images, training=False)))
obs["DK401"] = {
    "dense": binary(drive(ns, "train"), x, y),
    "activation_layer": binary(drive(ns, "train_softmax_layer"), x, y),
    "conv": rec,
}

ns = load_fixture("sigmoid_head_logits_loss", SEED)
obs["DK402"] = {
    "binary": binary(drive(ns, "train_binary"), x, y),
    "multiclass": multiclass(drive(ns, "train_multiclass"), x, classes),
}

ns = load_fixture("linear_head_probability_loss", SEED)
obs["DK403"] = {
    "multiclass": multiclass(drive(ns, "train_multiclass"), x, classes),
    "sparse": multiclass(drive(ns, "train_sparse"), x, classes),
    "binary": binary(drive(ns, "train_binary"), x, y),
}
# binary_crossentropy of a positive sample scored below 0: one value whatever the score
obs["DK403"]["bce_positive_scored_below_0"] = [
    float(keras.ops.convert_to_numpy(keras.losses.binary_crossentropy(
        np.ones((1, 1), "float32"), np.full((1, 1), s, "float32")))[0])
    for s in (-0.01, -0.5, -3.0, -30.0)
]

ns = load_fixture("relu_head_crossentropy", SEED)
obs["DK404"] = {
    name: multiclass(drive(ns, "train_" + name), x, classes) for name in ns["HEADS"]
}

ns = load_fixture("softmax_multilabel_bce", SEED)
obs["DK901"] = {"softmax": multilabel(drive(ns, "train"), x, tags)}

# DK405: categorical_crossentropy over one sigmoid unit.
ns = load_fixture("single_unit_categorical", SEED)
rec = binary(drive(ns, "train"), x, y)
obs["DK405"] = {"sigmoid": rec}

emit(obs)
"""


RUNS = {backend: Run("output_heads", SNIPPET, backend, timeout=600) for backend in BACKENDS}


def runs(*backends: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("run", [RUNS[b] for b in backends], ids=str)


def check_keras3(obs: dict[str, Any]) -> str:
    """The versions line for messages; the facts below are about Keras 3."""
    v = describe_versions(obs)
    keras_version = obs["versions"]["keras"] or ""
    assert keras_version.startswith("3."), f"evidence is for Keras 3, ran {v}"
    return v


def warned(rec: dict[str, Any], text: str) -> bool:
    return any(text in w for w in rec["warnings"])


SOFTMAX_ONE_UNIT_WARNING = "This axis has size 1. The softmax operation will always return"
FROM_LOGITS_WARNING = "received `from_logits=True`, but the `output` argument was produced by"
# Least loss a from_logits loss can reach on outputs already squashed to [0, 1]:
# -log sigmoid(1) for a positive, -log(1 - sigmoid(0)) for a negative, and
# -log(e / (e + 2)) for one of 3 classes given a one-hot softmax.
FLOOR_POSITIVE = math.log1p(math.exp(-1.0))  # 0.3133
FLOOR_NEGATIVE = math.log(2.0)  # 0.6931
FLOOR_3_CLASSES = math.log1p(2.0 / math.e)  # 0.5514
BCE_CLIPPED = -math.log(1e-7)  # 16.118: Keras clips probabilities to [1e-7, 1 - 1e-7]


# --- the right pairs (good_classifier_heads.py) ---


@runs(*BACKENDS)
def test_good_classifier_heads_train(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    good = obs["good"]
    for name, rec in good.items():
        losses = rec["loss"]
        assert not rec["nan_epochs"], f"{v}: right pair {name} has NaN losses: {rec}"
        assert losses[-1] < 0.25 * losses[0], f"{v}: right pair {name} did not train: {rec}"
        for text in ("softmax", "from_logits"):
            assert not warned(rec, text), (
                f"{v}: Keras now warns about the right pair {name}: {rec['warnings']}"
            )
    for name in ("binary", "multiclass", "binary_logits", "multiclass_logits", "multilabel"):
        assert good[name]["acc"] >= 0.95, f"{v}: right pair {name}: {good[name]}"
    assert good["multilabel"]["exact"] >= 0.9, good["multilabel"]
    assert good["two_heads"]["kind_acc"] >= 0.95, good["two_heads"]
    assert good["two_heads"]["flag_acc"] >= 0.95, good["two_heads"]
    # sigmoid / softmax heads give probabilities; logit heads give scores
    assert good["binary"]["out_min"] >= 0.0, good["binary"]
    assert good["binary"]["out_max"] <= 1.0, good["binary"]
    assert good["binary_logits"]["outside_0_1"] > 0.5, good["binary_logits"]


# --- DK401 softmax-over-single-unit ---


@runs(*BACKENDS)
def test_dk401_softmax_over_one_unit_predicts_one_for_every_sample(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    good = obs["good"]["binary"]
    for form, rec in obs["DK401"].items():
        assert rec["out_min"] == rec["out_max"] == 1.0, (
            f"{v}: softmax over one unit ({form}) no longer outputs 1.0 everywhere: {rec}: "
            "update KERAS_FACTS.md and DK401's message"
        )
        assert warned(rec, SOFTMAX_ONE_UNIT_WARNING), (
            f"{v}: Keras no longer warns at run time about {form}: {rec['warnings']}"
        )
    for form in ("dense", "activation_layer"):
        rec = obs["DK401"][form]
        # every sample called positive: the accuracy is the positive rate
        assert rec["positive_rate"] == 1.0, rec
        assert rec["acc"] == rec["label_rate"], rec
        assert rec["acc"] <= good["acc"] - 0.3, (rec, good)


@runs("tensorflow")
def test_dk401_tensorflow_loss_falls_while_predictions_stay_constant(run: Run) -> None:
    # binary_crossentropy reads the cached pre-softmax logit: the loss is the right
    # pair's, the model's outputs are all 1.0. The training log looks healthy.
    obs = run.result()
    v = check_keras3(obs)
    good = obs["good"]["binary"]
    for form in ("dense", "activation_layer"):
        rec = obs["DK401"][form]
        assert rec["loss"][-1] < 0.2 * rec["loss"][0], (
            f"{v}: the TF loss no longer falls for softmax over one unit ({form}): {rec}: "
            "update DK401's message"
        )
        assert rec["loss"][-1] <= 2 * good["loss"][-1] + 0.02, (rec["loss"], good["loss"])


@runs("torch")
def test_dk401_torch_loss_is_flat(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    for form, rec in obs["DK401"].items():
        losses = rec["loss"]
        assert max(losses) - min(losses) < 1e-3, f"{v}: {form} loss moved on torch: {rec}"
        # every negative costs -log(1e-7) = 16.1 (clipped 1.0), every positive 0
        assert losses[-1] > 5.0, f"{v}: {form}: {rec}"


# --- DK402 probability-head-with-logits-loss ---


@runs("tensorflow")
def test_dk402_tensorflow_strips_the_activation_and_warns(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    for name, activation in (("binary", "Sigmoid"), ("multiclass", "Softmax")):
        rec, right = obs["DK402"][name], obs["good"][name]
        assert any(
            FROM_LOGITS_WARNING in w and f"{activation} activation" in w for w in rec["warnings"]
        ), (
            f"{v}: TF no longer warns about {activation} + from_logits=True: "
            f"{rec['warnings']}: update KERAS_FACTS.md and DK402's message"
        )
        assert rec["loss"][-1] <= 1.5 * right["loss"][-1] + 0.01, (
            f"{v}: TF no longer recovers the right loss for {name}: {rec['loss']} vs "
            f"{right['loss']}: update DK402's message"
        )


@runs("torch")
def test_dk402_torch_trains_the_double_activation_silently(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    rec, right = obs["DK402"]["binary"], obs["good"]["binary"]
    rate = rec["label_rate"]
    floor = rate * FLOOR_POSITIVE + (1 - rate) * FLOOR_NEGATIVE
    assert rec["loss"][-1] >= floor - 1e-3, (
        f"{v}: torch loss {rec['loss'][-1]:.4f} went below the double-sigmoid floor "
        f"{floor:.4f}: the sigmoid is no longer applied twice; update DK402's message"
    )
    assert rec["loss"][-1] > 5 * right["loss"][-1], (rec["loss"], right["loss"])
    multi, right_multi = obs["DK402"]["multiclass"], obs["good"]["multiclass"]
    assert multi["loss"][-1] >= FLOOR_3_CLASSES - 1e-3, (
        f"{v}: torch loss {multi['loss'][-1]:.4f} went below the double-softmax floor "
        f"{FLOOR_3_CLASSES:.4f}: update DK402's message"
    )
    assert multi["loss"][-1] > 5 * right_multi["loss"][-1], (multi["loss"], right_multi["loss"])
    for r in (rec, multi):
        assert not warned(r, "from_logits"), f"{v}: torch now warns: {r['warnings']}"


# --- DK403 linear-head-with-probability-loss ---


@runs(*BACKENDS)
def test_dk403_linear_head_with_categorical_crossentropy_does_not_learn(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    right = obs["good"]["multiclass"]
    for name, gap in (("multiclass", 0.4), ("sparse", 0.2)):
        rec = obs["DK403"][name]
        assert rec["acc"] <= right["acc"] - gap, (
            f"{v}: linear head + {name} categorical crossentropy now learns "
            f"(acc {rec['acc']:.3f} vs {right['acc']:.3f}): update DK403's message"
        )
        assert rec["loss"][-1] > 10 * right["loss"][-1], (rec["loss"], right["loss"])


@runs(*BACKENDS)
def test_dk403_linear_head_with_binary_crossentropy_outputs_scores_not_probabilities(
    run: Run,
) -> None:
    obs = run.result()
    v = check_keras3(obs)
    rec = obs["DK403"]["binary"]
    assert rec["out_min"] < 0.0, rec
    assert rec["out_max"] > 1.0, rec
    assert rec["outside_0_1"] > 0.5, f"{v}: most outputs are in [0, 1] now: {rec}"
    # a positive scored anywhere below 0 costs the same: no gradient to fix it
    for loss in obs["DK403"]["bce_positive_scored_below_0"]:
        assert loss == pytest.approx(BCE_CLIPPED, abs=1e-3), (
            f"{v}: binary_crossentropy no longer clips scores: "
            f"{obs['DK403']['bce_positive_scored_below_0']}: update DK403's message"
        )


# --- DK404 unnormalised-head-with-crossentropy ---


@runs(*BACKENDS)
def test_dk404_relu_head_with_categorical_crossentropy_gives_nan_loss(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    rec = obs["DK404"]["relu"]
    assert rec["nan_epochs"][:1] == [0], (
        f"{v}: relu + categorical_crossentropy no longer NaN from the first epoch: "
        f"{rec['loss']}: update KERAS_FACTS.md and DK404's message"
    )


@runs("tensorflow")
def test_dk404_tensorflow_relu_head_dies(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    rec, right = obs["DK404"]["relu"], obs["good"]["multiclass"]
    assert len(rec["nan_epochs"]) == len(rec["loss"]), rec["loss"]
    assert rec["out_nan"], (
        f"{v}: TF relu + categorical_crossentropy no longer leaves NaN outputs: {rec}"
    )
    assert rec["classes_predicted"] == 1, rec
    sparse = obs["DK404"]["relu_sparse"]
    assert sparse["acc"] <= right["acc"] - 0.3, (sparse, right)


@runs("torch")
def test_dk404_torch_relu_head_trains_under_a_nan_loss(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    for name in ("relu", "relu_sparse"):
        rec = obs["DK404"][name]
        # NaN from the first epoch (samples whose 3 relu outputs are all 0: 0 / 0)...
        assert rec["nan_epochs"][:1] == [0], (
            f"{v}: relu + {name} loss is no longer NaN on torch: {rec['loss']}"
        )
        # ...but those samples give no gradient and the weights stay finite
        assert not rec["out_nan"], f"{v}: torch relu head outputs NaN now: {rec}"


@runs(*BACKENDS)
def test_dk404_tanh_head_with_categorical_crossentropy_does_not_learn(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    rec, right = obs["DK404"]["tanh"], obs["good"]["multiclass"]
    assert rec["acc"] <= right["acc"] - 0.2, (
        f"{v}: tanh + categorical_crossentropy now learns (acc {rec['acc']:.3f} vs "
        f"{right['acc']:.3f}): update DK404's message"
    )
    assert rec["loss"][-1] > 10 * right["loss"][-1], (rec["loss"], right["loss"])


# --- DK901 softmax head on multi-label tags ---


@runs(*BACKENDS)
def test_dk901_softmax_head_cannot_predict_several_tags(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    rec, right = obs["DK901"]["softmax"], obs["good"]["multilabel"]
    assert rec["acc"] <= right["acc"] - 0.15, (
        f"{v}: softmax + binary_crossentropy on tags now learns (per-tag acc "
        f"{rec['acc']:.3f} vs {right['acc']:.3f}): update DK901's message"
    )
    assert rec["exact"] <= right["exact"] - 0.4, (rec, right)


@runs(*BACKENDS)
def test_dk405_categorical_crossentropy_over_one_unit_trains_nothing(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    rec, right = obs["DK405"]["sigmoid"], obs["good"]["binary"]
    # The one unit is divided by itself: 0 on TensorFlow, a rounding error (below
    # 1e-7) on torch, in every epoch; the labels never reach the gradients.
    assert max(rec["loss"]) < 1e-6, (
        f"{v}: categorical_crossentropy over one unit is no longer 0 ({rec['loss']}): "
        "update DK405's message"
    )
    assert rec["acc"] <= right["acc"] - 0.3, (rec, right)


@runs("tensorflow")
def test_dk901_tensorflow_loss_hides_it(run: Run) -> None:
    # TF computes binary_crossentropy on the cached pre-softmax logits.
    obs = run.result()
    v = check_keras3(obs)
    rec, right = obs["DK901"]["softmax"], obs["good"]["multilabel"]
    assert rec["loss"][-1] <= 2 * right["loss"][-1] + 0.02, (
        f"{v}: TF's loss now shows the softmax on tags ({rec['loss'][-1]:.3f} vs "
        f"{right['loss'][-1]:.3f}): update DK901's message"
    )
