"""A shared trunk with two heads, trained with ONE optimizer on a weighted loss sum.

Linked from darklint rule DK105 compile-per-branch. The Keras pitfall it avoids:
building one ``Model`` per head over a shared trunk and compiling each with its
own optimizer. The trunk then gets two optimizers, each with its own moment
estimates and step counter, and alternating ``train_on_batch`` calls update it
twice per "step" with stale, inconsistent Adam state. Here the trunk has exactly
one optimizer state, and each step is ``loss = w_reg * mse + w_cls * bce``
followed by one ``backward()`` and one ``step()``.

The two synthetic tasks are related on purpose: both targets are functions of
the same hidden representation of the input, which is what makes sharing a
trunk worthwhile.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from reference_impls._cli import main

log = logging.getLogger(__name__)

IN_DIM = 8
LATENT_DIM = 4


class MultiTaskNet(nn.Module):
    def __init__(self, in_dim: int = IN_DIM, hidden: int = 64) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.regression_head = nn.Linear(hidden, 1)
        self.classification_head = nn.Linear(hidden, 1)  # a logit

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.regression_head(h).squeeze(-1), self.classification_head(h).squeeze(-1)


def make_tasks(
    n: int, generator: torch.Generator, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``(x, y_reg, y_cls)``; both targets read the same latent ``tanh(2 x W)``.

    The task (``W`` and both read-outs) and the samples all come from
    ``generator``: draw train and test in one call and split them.
    """
    w = torch.randn(IN_DIM, LATENT_DIM, generator=generator, device=device) / IN_DIM**0.5
    a, b = torch.randn(2, LATENT_DIM, generator=generator, device=device)
    x = torch.randn(n, IN_DIM, generator=generator, device=device)
    z = torch.tanh(2 * x @ w)
    y_reg = z @ a + 0.1 * torch.randn(n, generator=generator, device=device)
    y_cls = (z @ b > 0).float()
    return x, y_reg, y_cls


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y_reg: torch.Tensor, y_cls: torch.Tensor
) -> dict[str, float]:
    """Test R^2 of the regression head and accuracy of the classification head."""
    pred_reg, logit = model(x)
    r2 = 1 - F.mse_loss(pred_reg, y_reg) / y_reg.var(unbiased=False)
    accuracy = ((logit > 0).float() == y_cls).float().mean()
    return {"r2": round(r2.item(), 4), "accuracy": round(accuracy.item(), 4)}


def fit(
    steps: int = 1000,
    seed: int = 0,
    device: str = "cpu",
    *,
    n_train: int = 2048,
    n_test: int = 2048,
    batch_size: int = 128,
    lr: float = 1e-3,
    loss_weights: tuple[float, float] = (1.0, 1.0),
    log_every: int = 250,
) -> tuple[MultiTaskNet, torch.optim.Optimizer, dict[str, Any]]:
    """Train and return ``(model, optimizer, metrics)`` so callers can inspect both."""
    torch.manual_seed(seed)
    rng = torch.Generator(device=device).manual_seed(seed)
    x, y_reg, y_cls = make_tasks(n_train + n_test, rng, device)
    (x_train, x_test), (reg_train, reg_test), (cls_train, cls_test) = (
        t.split([n_train, n_test]) for t in (x, y_reg, y_cls)
    )
    model = MultiTaskNet().to(device)
    # ONE optimizer over every parameter: trunk and both heads share one Adam state.
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    w_reg, w_cls = loss_weights

    for step in range(1, steps + 1):
        i = torch.randint(n_train, (batch_size,), generator=rng, device=device)
        pred_reg, logit = model(x_train[i])
        reg_loss = F.mse_loss(pred_reg, reg_train[i])
        cls_loss = F.binary_cross_entropy_with_logits(logit, cls_train[i])
        # One scalar, one backward: the trunk receives both tasks' gradients,
        # already weighted, in a single update.
        loss = w_reg * reg_loss + w_cls * cls_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if log_every and step % log_every == 0:
            log.info("step %d  reg %.4f  cls %.4f", step, reg_loss.item(), cls_loss.item())

    metrics = {"steps": steps, "seed": seed}
    metrics.update(evaluate(model, x_test, reg_test, cls_test))
    return model, opt, metrics


def train(steps: int = 1000, seed: int = 0, device: str = "cpu", **kwargs: Any) -> dict[str, Any]:
    """Train and return the test metrics (``steps=0`` scores the untrained model)."""
    return fit(steps, seed, device, **kwargs)[2]


if __name__ == "__main__":
    main(train, __doc__, default_steps=1000)
