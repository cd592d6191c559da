# Thresholds for reference_impls/gan.py, measured on CPU (torch 2.13.0, 2 threads)
# with train(steps=2000), 2500 evaluation samples, ring std 0.05 (3 sigma = 0.15):
#
#   seed   modes covered   high-quality fraction   (untrained G, steps=0: 0 modes, 0.0)
#   MEASURED
#
# Chosen: modes >= MIN_MODES and quality >= MIN_QUALITY. MARGIN
import torch

from reference_impls import gan
from reference_impls.ring import mode_coverage, ring_centers, sample_ring

STEPS = 2000
MIN_MODES = 6
MIN_QUALITY = 0.6


def passes(metrics: dict) -> bool:
    return metrics["modes_covered"] >= MIN_MODES and metrics["high_quality_fraction"] >= MIN_QUALITY


def test_metric_scores_real_data_and_a_collapsed_generator() -> None:
    real = sample_ring(2500, torch.Generator().manual_seed(0))
    modes, quality = mode_coverage(real)
    assert modes == 8 and quality > 0.97  # 2-D: P(|noise| <= 3 sigma) = 0.989
    collapsed = ring_centers()[3].expand(2500, 2)  # perfect samples, one mode
    assert mode_coverage(collapsed) == (1, 1.0)


def test_trained_gan_covers_the_ring() -> None:
    metrics = gan.train(steps=STEPS, seed=0)
    assert passes(metrics), metrics


def test_untrained_generator_fails_the_same_check() -> None:
    metrics = gan.train(steps=0, seed=0)
    assert not passes(metrics), metrics
