"""Virtual adversarial training (Miyato et al. 2018) on two moons with 10 labels.

Linked from darklint rule DK302 adversarial-input-gradient. The Keras pitfall it
avoids: building the input-gradient graph by hand next to ``train_on_batch``,
with a ``tf.GradientTape`` that watches the input (TensorFlow-only: it does
nothing for Keras 3 on torch or jax) or Keras 2's ``K.gradients(loss,
model.input)``, which Keras 3 no longer has. Here the adversarial direction is
one ``torch.autograd.grad(kl, d)`` call inside the training step: the gradient
with respect to the perturbation ``d`` only, which leaves the parameters' ``.grad``
untouched, and its loss joins the same scalar that the one optimizer minimises.

One power iteration finds the direction the prediction is most sensitive to; the
model is then trained to give the same prediction at ``x + eps * direction`` on
unlabelled points (the KL consistency loss), with ONE optimizer and the usual
cross-entropy on the few labelled points.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from reference_impls._cli import main

log = logging.getLogger(__name__)


def two_moons(
    n: int, generator: torch.Generator, *, noise: float = 0.1, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles (as sklearn's ``make_moons``), shuffled."""
    y = torch.randint(2, (n,), generator=generator, device=device)
    t = torch.rand(n, generator=generator, device=device) * math.pi
    outer = torch.stack([t.cos(), t.sin()], dim=1)
    inner = torch.stack([1 - t.cos(), 0.5 - t.sin()], dim=1)
    x = torch.where(y[:, None] == 0, outer, inner)
    return x + noise * torch.randn(n, 2, generator=generator, device=device), y


def _unit(d: torch.Tensor) -> torch.Tensor:
    return d / (d.flatten(1).norm(dim=1).view(-1, *[1] * (d.dim() - 1)) + 1e-12)


def vat_loss(
    model: nn.Module,
    x: torch.Tensor,
    generator: torch.Generator,
    *,
    xi: float = 1e-2,
    eps: float = 0.3,
    n_power: int = 1,
) -> torch.Tensor:
    """KL(p(y|x) || p(y|x + r_adv)) with ``r_adv`` found by power iteration."""
    with torch.no_grad():  # the clean prediction is the target, not trained through
        p_clean = F.softmax(model(x), dim=1)
    d = _unit(torch.randn(x.shape, generator=generator, device=x.device))
    for _ in range(n_power):
        d.requires_grad_()
        kl = F.kl_div(F.log_softmax(model(x + xi * d), dim=1), p_clean, reduction="batchmean")
        # Gradient w.r.t. the perturbation only: parameters' .grad stay untouched.
        (grad,) = torch.autograd.grad(kl, d)
        d = _unit(grad)
    r_adv = eps * d  # d is a plain tensor again here, so r_adv is a constant
    return F.kl_div(F.log_softmax(model(x + r_adv), dim=1), p_clean, reduction="batchmean")


def make_model(hidden: int = 64) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2)
    )


def train(
    steps: int = 1000,
    seed: int = 0,
    device: str = "cpu",
    *,
    n_labelled_per_class: int = 5,
    n_unlabelled: int = 1000,
    n_test: int = 2000,
    batch_size: int = 256,
    lr: float = 1e-3,
    vat_weight: float = 1.0,
    xi: float = 1e-2,
    eps: float = 0.3,
    log_every: int = 250,
) -> dict[str, Any]:
    """Train with VAT; ``vat_weight=0`` is the labels-only baseline."""
    torch.manual_seed(seed)
    rng = torch.Generator(device=device).manual_seed(seed)
    x_pool, y_pool = two_moons(n_unlabelled, rng, device=device)
    x_test, y_test = two_moons(n_test, rng, device=device)
    # The first n points of each class (the pool is already shuffled) keep labels.
    labelled = torch.cat([(y_pool == c).nonzero()[:n_labelled_per_class, 0] for c in (0, 1)])
    x_lab, y_lab = x_pool[labelled], y_pool[labelled]

    model = make_model().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for step in range(1, steps + 1):
        ce = F.cross_entropy(model(x_lab), y_lab)
        if vat_weight:
            batch = x_pool[torch.randint(n_unlabelled, (batch_size,), generator=rng, device=device)]
            lds = vat_loss(model, batch, rng, xi=xi, eps=eps)
        else:
            lds = torch.zeros((), device=device)
        loss = ce + vat_weight * lds
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if log_every and step % log_every == 0:
            log.info("step %d  ce %.4f  vat %.4f", step, ce.item(), lds.item())

    with torch.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    return {"steps": steps, "seed": seed, "vat_weight": vat_weight, "accuracy": round(accuracy, 4)}


if __name__ == "__main__":
    main(train, __doc__, default_steps=1000)
