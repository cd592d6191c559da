"""A plain GAN on the 8-Gaussian ring, written the way Keras GAN tutorials can't.

Linked from darklint rules DK101 trainable-toggled-around-compile, DK102
model-compiled-while-frozen, DK103 trainable-changed-after-compile, DK104
optimizer-instance-reused, DK201 manual-multi-model-train-loop and DK202
predict-in-training-loop. What it does instead of the Keras pitfall:

* DK101/DK102/DK103: no ``trainable`` (here: ``requires_grad``) toggling at all.
  The generator step backpropagates *through* D, but only ``opt_g`` steps, so D
  cannot change. On Keras 3, flipping ``trainable`` around ``compile()`` silently
  leaves the discriminator untrained, or lets the combined model train it too.
* DK104: one optimizer per network. On Keras 3 an optimizer passed to a second
  ``compile()`` fails with "Unknown variable" on the second model's first train
  call; here each Adam owns exactly its network's parameters and moments.
* DK201: one explicit loop with two clearly separated steps; the D step sees
  ``fake.detach()`` so its loss never reaches G's parameters.
* DK202: G is called directly (under ``torch.no_grad()`` for sampling) instead of
  ``model.predict`` inside the loop, which rebuilds a tf.function, converts to
  NumPy and breaks the graph on every iteration.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from reference_impls._cli import main
from reference_impls.ring import mode_coverage, sample_ring

log = logging.getLogger(__name__)

LATENT_DIM = 8
HIDDEN = 128


def make_generator(latent_dim: int = LATENT_DIM, hidden: int = HIDDEN) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(latent_dim, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 2),
    )


def make_discriminator(hidden: int = HIDDEN) -> nn.Sequential:
    # Outputs a logit: BCE-with-logits is numerically safer than sigmoid + BCE.
    return nn.Sequential(
        nn.Linear(2, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, 1),
    )


@torch.no_grad()
def sample(g: nn.Module, n: int, generator: torch.Generator, device: str) -> torch.Tensor:
    """Draw ``n`` points from G. Just call the module: no ``predict`` detour."""
    return g(torch.randn(n, LATENT_DIM, generator=generator, device=device))


def train(
    steps: int = 2000,
    seed: int = 0,
    device: str = "cpu",
    *,
    batch_size: int = 256,
    lr: float = 1e-3,
    n_eval: int = 2500,
    log_every: int = 500,
) -> dict[str, Any]:
    """Train the GAN for ``steps`` D+G updates; ``steps=0`` scores an untrained G."""
    torch.manual_seed(seed)  # parameter init
    data_rng = torch.Generator(device=device).manual_seed(seed)  # batches and noise
    g, d = make_generator().to(device), make_discriminator().to(device)
    # One optimizer per network: each owns only its own parameters and moments.
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999))
    bce = F.binary_cross_entropy_with_logits
    ones = torch.ones(batch_size, 1, device=device)
    zeros = torch.zeros(batch_size, 1, device=device)

    for step in range(1, steps + 1):
        real = sample_ring(batch_size, data_rng, device=device)
        fake = g(torch.randn(batch_size, LATENT_DIM, generator=data_rng, device=device))

        # D step. detach(): the D loss must not build gradients into G.
        d_loss = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        # G step (non-saturating loss). Gradients flow through D to reach G, and
        # they do land in D's .grad too, but only opt_g steps; opt_d.zero_grad()
        # discards them before the next D step. No requires_grad toggling needed.
        g_loss = bce(d(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

        if log_every and step % log_every == 0:
            log.info("step %d  d_loss %.4f  g_loss %.4f", step, d_loss.item(), g_loss.item())

    # Evaluate on a fixed noise stream so the score does not depend on `steps`.
    eval_rng = torch.Generator(device=device).manual_seed(10_000 + seed)
    samples = sample(g, n_eval, eval_rng, device)
    modes, quality = mode_coverage(samples)
    with torch.no_grad():
        real = sample_ring(n_eval, eval_rng, device=device)
        d_loss = bce(d(real), torch.ones_like(real[:, :1])) + bce(
            d(samples), torch.zeros_like(real[:, :1])
        )
        g_loss = bce(d(samples), torch.ones_like(real[:, :1]))
    return {
        "steps": steps,
        "seed": seed,
        "modes_covered": modes,
        "high_quality_fraction": round(quality, 4),
        "d_loss": round(d_loss.item(), 4),
        "g_loss": round(g_loss.item(), 4),
    }


if __name__ == "__main__":
    main(train, __doc__, default_steps=2000)
