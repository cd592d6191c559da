# Proves reference_impls/multitask.py learns both tasks with one optimizer.
#
# Measured on CPU, torch 2.13.0, fit(steps=1000), 2048 test points (identical on
# 1 and 2 threads):
#
#   seed   trained: R^2 / accuracy   untrained (steps=0): R^2 / accuracy
#   0      0.989 / 0.958             -0.028 / 0.522
#   1      0.989 / 0.938             -0.043 / 0.564
#   2      0.968 / 0.969             -0.037 / 0.499
#   3      0.991 / 0.960             -0.013 / 0.622
#   4      0.989 / 0.946             -0.018 / 0.491
#
# Chosen: R^2 >= 0.9 and accuracy >= 0.88. The test runs seed 0 (margins 0.089
# and 0.078); the worst seeds keep 0.068 (R^2) and 0.058 (accuracy).
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from reference_impls import multitask

STEPS = 1000
MIN_R2 = 0.9
MIN_ACCURACY = 0.88

Trained = tuple[multitask.MultiTaskNet, torch.optim.Optimizer, dict]


@pytest.fixture(scope="module")
def trained() -> Trained:
    return multitask.fit(steps=STEPS, seed=0)


def passes(metrics: dict) -> bool:
    return metrics["r2"] >= MIN_R2 and metrics["accuracy"] >= MIN_ACCURACY


def test_both_heads_learn(trained: Trained) -> None:
    _, _, metrics = trained
    assert passes(metrics), metrics


def test_untrained_model_fails_the_same_check(trained: Trained) -> None:
    untrained = multitask.train(steps=0, seed=0)
    assert not passes(untrained), untrained
    _, _, metrics = trained
    assert metrics["r2"] > untrained["r2"] + 0.5
    assert metrics["accuracy"] > untrained["accuracy"] + 0.3


def test_one_optimizer_holds_exactly_one_state_per_parameter(trained: Trained) -> None:
    model, opt, _ = trained
    params = list(model.parameters())
    assert len(opt.state) == len(params)
    assert {id(p) for p in opt.state} == {id(p) for p in params}
    for p in model.trunk.parameters():
        # Listed once in the one optimizer, so it has exactly one Adam state...
        assert sum(q is p for group in opt.param_groups for q in group["params"]) == 1
        # ...stepped once per training step (one backward of the weighted sum),
        # not once per task as with one compiled model and optimizer per head.
        assert int(opt.state[p]["step"]) == STEPS


def test_cli_prints_one_json_line_last() -> None:
    # The CLI all four modules share: loss log on stderr, the JSON result last on stdout.
    out = subprocess.run(
        [sys.executable, "-m", "reference_impls.multitask", "--steps", "3", "--seed", "1"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert (result["steps"], result["seed"]) == (3, 1)
    assert result["seconds"] >= 0
