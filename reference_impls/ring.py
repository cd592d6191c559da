"""Ring-of-Gaussians toy data and the usual GAN mode-coverage metrics.

The data set is the classic 2-D mixture of ``n_modes`` isotropic Gaussians whose
centres sit evenly on a circle (Metz et al. 2017, "Unrolled GANs"). A generated
sample is *high quality* when it lies within 3 standard deviations of some
centre; a mode is *covered* when enough high-quality samples land on it.
"""

from __future__ import annotations

import math

import torch

N_MODES = 8
RADIUS = 2.0
STD = 0.05


def ring_centers(
    n_modes: int = N_MODES, radius: float = RADIUS, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """The ``(n_modes, 2)`` mixture centres, evenly spaced on a circle."""
    angles = torch.arange(n_modes, device=device) * (2 * math.pi / n_modes)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def sample_ring(
    n: int,
    generator: torch.Generator | None = None,
    *,
    n_modes: int = N_MODES,
    radius: float = RADIUS,
    std: float = STD,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Draw ``n`` points from the ring mixture, directly on ``device``.

    ``generator`` must live on ``device`` (``torch.Generator(device=device)``).
    """
    mode = torch.randint(n_modes, (n,), generator=generator, device=device)
    noise = torch.randn(n, 2, generator=generator, device=device)
    return ring_centers(n_modes, radius, device)[mode] + std * noise


def mode_coverage(
    samples: torch.Tensor,
    *,
    n_modes: int = N_MODES,
    radius: float = RADIUS,
    std: float = STD,
    min_share: float = 0.25,
) -> tuple[int, float]:
    """Return ``(modes_covered, high_quality_fraction)`` for generated ``samples``.

    A sample is high quality when its nearest centre is within ``3 * std``. A mode
    is covered when it receives at least ``min_share`` of its fair share
    (``len(samples) / n_modes``) of high-quality samples, so a generator that
    sprays a handful of lucky points onto a mode does not get credit for it.
    """
    centers = ring_centers(n_modes, radius, samples.device)
    nearest_dist, nearest_mode = torch.cdist(samples.float(), centers).min(dim=1)
    good = nearest_dist <= 3 * std
    per_mode = torch.bincount(nearest_mode[good], minlength=n_modes)
    covered = int((per_mode >= min_share * len(samples) / n_modes).sum())
    return covered, float(good.float().mean())
