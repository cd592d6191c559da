"""Binary and multi-class classifiers whose models return logits.

Linked from darklint rules DK401-DK404 (output head vs loss). The Keras pitfall
it avoids: the output activation and the loss are chosen in two places (the last
layer's ``activation=`` and ``compile(loss=...)``), so a softmax over one unit,
a sigmoid followed by a ``from_logits=True`` loss, or a linear / relu head
followed by a probability crossentropy are all easy to write, and each backend
handles some of them differently. Here the model's ``forward`` returns raw
logits, and the only losses used are the ones that take logits:
``BCEWithLogitsLoss`` for one binary output and ``CrossEntropyLoss`` for several
classes (class indices as targets). There is no activation to pair wrongly;
probabilities are computed where they are needed (``torch.sigmoid`` /
``torch.softmax`` in ``evaluate``), and the fused losses are numerically stable.

The synthetic tasks: 8 Gaussian features; the binary label is the sign of a
random linear function plus a small noisy quadratic term, the three classes the
argmax of three random linear functions.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

from reference_impls._cli import main

log = logging.getLogger(__name__)

IN_DIM = 8
N_CLASSES = 3


class Classifier(nn.Module):
    """An MLP returning logits: shape (n,) for ``n_outputs=1``, (n, k) otherwise."""

    def __init__(self, n_outputs: int, in_dim: int = IN_DIM, hidden: int = 32) -> None:
        super().__init__()
        self.n_outputs = n_outputs
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.net(x)
        return logits.squeeze(-1) if self.n_outputs == 1 else logits


def make_tasks(
    n: int, generator: torch.Generator, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``(x, y_binary, y_class)``: float 0/1 labels and int64 class indices."""
    w = torch.randn(IN_DIM, generator=generator, device=device)
    v = torch.randn(IN_DIM, generator=generator, device=device)
    w3 = torch.randn(IN_DIM, N_CLASSES, generator=generator, device=device)
    x = torch.randn(n, IN_DIM, generator=generator, device=device)
    score = x @ w + 0.5 * (x @ v) ** 2 / IN_DIM - 0.3
    y_binary = (score + 0.2 * torch.randn(n, generator=generator, device=device) > 0).float()
    y_class = (x @ w3).argmax(dim=1)
    return x, y_binary, y_class


@torch.no_grad()
def evaluate(
    binary: Classifier,
    multiclass: Classifier,
    x: torch.Tensor,
    y_binary: torch.Tensor,
    y_class: torch.Tensor,
) -> dict[str, float]:
    """Test accuracy of both models and the range of their probabilities."""
    p_binary = torch.sigmoid(binary(x))
    p_class = torch.softmax(multiclass(x), dim=1)
    return {
        "binary_accuracy": round(((p_binary > 0.5).float() == y_binary).float().mean().item(), 4),
        "multiclass_accuracy": round((p_class.argmax(dim=1) == y_class).float().mean().item(), 4),
        # the positive rate predicted: a constant head (softmax over one unit) gives 0 or 1
        "binary_positive_rate": round((p_binary > 0.5).float().mean().item(), 4),
    }


def fit(
    steps: int = 300,
    seed: int = 0,
    device: str = "cpu",
    *,
    n_train: int = 2048,
    n_test: int = 2048,
    batch_size: int = 64,
    lr: float = 1e-2,
    log_every: int = 100,
) -> tuple[Classifier, Classifier, dict[str, Any]]:
    """Train both classifiers; return ``(binary, multiclass, metrics)``."""
    torch.manual_seed(seed)
    rng = torch.Generator(device=device).manual_seed(seed)
    x, y_binary, y_class = make_tasks(n_train + n_test, rng, device)
    (x_train, x_test), (b_train, b_test), (c_train, c_test) = (
        t.split([n_train, n_test]) for t in (x, y_binary, y_class)
    )
    binary = Classifier(1).to(device)
    multiclass = Classifier(N_CLASSES).to(device)
    # The losses take logits: sigmoid / log-softmax are fused inside them.
    binary_loss = nn.BCEWithLogitsLoss()
    multiclass_loss = nn.CrossEntropyLoss()
    opt_b = torch.optim.Adam(binary.parameters(), lr=lr)
    opt_c = torch.optim.Adam(multiclass.parameters(), lr=lr)

    for step in range(1, steps + 1):
        i = torch.randint(n_train, (batch_size,), generator=rng, device=device)
        loss_b = binary_loss(binary(x_train[i]), b_train[i])
        opt_b.zero_grad(set_to_none=True)
        loss_b.backward()
        opt_b.step()
        loss_c = multiclass_loss(multiclass(x_train[i]), c_train[i])
        opt_c.zero_grad(set_to_none=True)
        loss_c.backward()
        opt_c.step()
        if log_every and step % log_every == 0:
            log.info("step %d  binary %.4f  multiclass %.4f", step, loss_b.item(), loss_c.item())

    metrics: dict[str, Any] = {"steps": steps, "seed": seed}
    metrics.update(evaluate(binary, multiclass, x_test, b_test, c_test))
    return binary, multiclass, metrics


def train(steps: int = 300, seed: int = 0, device: str = "cpu", **kwargs: Any) -> dict[str, Any]:
    """Train and return the test metrics (``steps=0`` scores the untrained models)."""
    return fit(steps, seed, device, **kwargs)[2]


if __name__ == "__main__":
    main(train, __doc__, default_steps=300)
