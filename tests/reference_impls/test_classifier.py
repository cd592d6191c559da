# Proves reference_impls/classifier.py learns a binary and a 3-class task with
# logit-returning models and the logit losses (BCEWithLogitsLoss, CrossEntropyLoss).
#
# Measured on CPU, torch 2.13.0, one thread, fit(steps=300), 2048 test points:
#
#   seed   trained: binary / 3-class accuracy   untrained (steps=0): binary / 3-class
#   0      0.972 / 0.982                        0.434 / 0.353
#   1      0.962 / 0.981                        0.414 / 0.435
#   2      0.953 / 0.974                        0.514 / 0.389
#   3      0.968 / 0.981                        0.478 / 0.376
#   4      0.969 / 0.978                        0.461 / 0.365
#
# Chosen: binary >= 0.92 and 3-class >= 0.94. The test runs seed 0 (margins 0.052
# and 0.042); the worst seeds keep 0.033 (binary) and 0.034 (3-class).
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from reference_impls import classifier

STEPS = 300
MIN_BINARY = 0.92
MIN_MULTICLASS = 0.94

Trained = tuple[classifier.Classifier, classifier.Classifier, dict]


@pytest.fixture(scope="module")
def trained() -> Trained:
    return classifier.fit(steps=STEPS, seed=0)


def passes(metrics: dict) -> bool:
    return (
        metrics["binary_accuracy"] >= MIN_BINARY
        and metrics["multiclass_accuracy"] >= MIN_MULTICLASS
    )


def test_both_classifiers_learn(trained: Trained) -> None:
    _, _, metrics = trained
    assert passes(metrics), metrics


def test_untrained_models_fail_the_same_check(trained: Trained) -> None:
    untrained = classifier.train(steps=0, seed=0)
    assert not passes(untrained), untrained
    _, _, metrics = trained
    assert metrics["binary_accuracy"] > untrained["binary_accuracy"] + 0.3
    assert metrics["multiclass_accuracy"] > untrained["multiclass_accuracy"] + 0.3


def test_binary_head_is_not_constant(trained: Trained) -> None:
    # What a softmax over one unit (DK401) produces is a constant prediction; the
    # reference predicts positives at about the labels' rate.
    _, _, metrics = trained
    gen = torch.Generator().manual_seed(0)
    _, y_binary, _ = classifier.make_tasks(4096, gen)
    label_rate = y_binary[2048:].mean().item()
    assert abs(metrics["binary_positive_rate"] - label_rate) < 0.05, (metrics, label_rate)


def test_models_return_logits_and_losses_take_logits(trained: Trained) -> None:
    binary, multiclass, _ = trained
    # No activation after the last Linear: nothing to pair wrongly with the loss.
    assert isinstance(binary.net[-1], nn.Linear)
    assert isinstance(multiclass.net[-1], nn.Linear)
    x = torch.randn(512, classifier.IN_DIM, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits_b, logits_c = binary(x), multiclass(x)
    assert logits_b.shape == (512,)
    assert logits_c.shape == (512, classifier.N_CLASSES)
    # Trained logits leave [0, 1] on both sides: they are scores, not probabilities.
    assert logits_b.min() < 0.0 < 1.0 < logits_b.max()
    assert logits_c.min() < 0.0 < 1.0 < logits_c.max()


def test_cli_prints_one_json_line_last() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "reference_impls.classifier", "--steps", "3", "--seed", "1"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert (result["steps"], result["seed"]) == (3, 1)
    assert {"binary_accuracy", "multiclass_accuracy"} <= set(result)
    assert result["seconds"] >= 0
