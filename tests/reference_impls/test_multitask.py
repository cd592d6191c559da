# Thresholds for reference_impls/multitask.py, measured on CPU (torch 2.13.0, 2 threads)
# with fit(steps=1000):
#
#   seed   trained r2 / accuracy    untrained (steps=0) r2 / accuracy
#   MEASURED
#
# Chosen: r2 >= MIN_R2 and accuracy >= MIN_ACCURACY. MARGIN
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


def passes(metrics: dict) -> bool:
    return metrics["r2"] >= MIN_R2 and metrics["accuracy"] >= MIN_ACCURACY


@pytest.fixture(scope="module")
def trained() -> tuple[torch.nn.Module, torch.optim.Optimizer, dict]:
    return multitask.fit(steps=STEPS, seed=0)


def test_both_heads_learn(trained: tuple) -> None:
    _, _, metrics = trained
    assert metrics["r2"] >= MIN_R2, metrics
    assert metrics["accuracy"] >= MIN_ACCURACY, metrics


def test_untrained_model_fails_the_same_check(trained: tuple) -> None:
    untrained = multitask.train(steps=0, seed=0)
    assert not passes(untrained), untrained
    _, _, metrics = trained
    assert metrics["r2"] > untrained["r2"] + 0.5
    assert metrics["accuracy"] > untrained["accuracy"] + 0.3


def test_one_optimizer_holds_exactly_one_state_per_parameter(trained: tuple) -> None:
    model, opt, _ = trained
    params = list(model.parameters())
    assert len(opt.state) == len(params)
    assert {id(p) for p in opt.state} == {id(p) for p in params}
    for p in model.trunk.parameters():
        # In exactly one param group of the one optimizer, i.e. one Adam state...
        assert sum(q is p for group in opt.param_groups for q in group["params"]) == 1
        # ...stepped once per training step (one backward of the summed loss),
        # not once per task as with one optimizer per head.
        assert int(opt.state[p]["step"]) == STEPS


def test_cli_prints_one_json_line_last() -> None:
    # The CLI shared by all four modules: loss log on stderr, JSON result last on stdout.
    out = subprocess.run(
        [sys.executable, "-m", "reference_impls.multitask", "--steps", "3", "--seed", "1"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["steps"] == 3 and result["seed"] == 1 and result["seconds"] >= 0
