# Thresholds for reference_impls/feature_matching_gan.py, measured on CPU (torch 2.13.0, 2 threads)
# with train(steps=2000), 2500 evaluation samples, ring std 0.05 (3 sigma = 0.15):
#
#   seed   modes covered   high-quality fraction   (untrained G, steps=0: 0 modes, 0.0)
#   MEASURED
#
# Chosen: modes >= MIN_MODES and quality >= MIN_QUALITY. MARGIN

from reference_impls import feature_matching_gan

STEPS = 2000
MIN_MODES = 6
MIN_QUALITY = 0.6


def passes(metrics: dict) -> bool:
    return metrics["modes_covered"] >= MIN_MODES and metrics["high_quality_fraction"] >= MIN_QUALITY


def test_trained_gan_covers_the_ring() -> None:
    metrics = feature_matching_gan.train(steps=STEPS, seed=0)
    assert passes(metrics), metrics


def test_untrained_generator_fails_the_same_check() -> None:
    metrics = feature_matching_gan.train(steps=0, seed=0)
    assert not passes(metrics), metrics
