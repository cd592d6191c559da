# Thresholds for reference_impls/vat.py, measured on CPU (torch 2.13.0, 2 threads)
# with train(steps=1000), 5 labels per class, 1000 unlabelled and 2000 test points:
#
#   seed   VAT accuracy   labels-only accuracy (vat_weight=0)   gap
#   MEASURED
#
# Chosen: VAT accuracy >= MIN_ACCURACY and at least MIN_GAIN above labels-only. MARGIN
import pytest
import torch

from reference_impls import vat

STEPS = 1000
MIN_ACCURACY = 0.95
MIN_GAIN = 0.05


@pytest.fixture(scope="module")
def accuracies() -> tuple[float, float]:
    with_vat = vat.train(steps=STEPS, seed=0)["accuracy"]
    labels_only = vat.train(steps=STEPS, seed=0, vat_weight=0.0)["accuracy"]
    return with_vat, labels_only


def test_vat_learns_two_moons_from_ten_labels(accuracies: tuple[float, float]) -> None:
    with_vat, _ = accuracies
    assert with_vat >= MIN_ACCURACY


def test_labels_only_baseline_is_clearly_worse(accuracies: tuple[float, float]) -> None:
    with_vat, labels_only = accuracies
    assert labels_only < MIN_ACCURACY
    assert with_vat - labels_only >= MIN_GAIN


def test_adversarial_direction_leaves_parameter_grads_alone() -> None:
    torch.manual_seed(0)
    rng = torch.Generator().manual_seed(0)
    model = vat.make_model()
    x, _ = vat.two_moons(64, rng)
    loss = vat.vat_loss(model, x, rng)
    # The power iteration differentiates w.r.t. the perturbation only...
    assert all(p.grad is None for p in model.parameters())
    # ...and the returned loss still trains the parameters.
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
