"""Evidence for DK105 (a compile per branch) and DK106's wrapper cases, on Keras 3.

`dark_keras_article.py` is the article's structure: D compiled on its own, the
combined model and a feature-matching model compiled as two more branches.
Each compile holds its own optimizer, with its own step counter and its own
moments for the weights it trains: the generator's weights get two (DK106),
and the combined model's optimizer runs beside D's (DK105). Since D is set
back to trainable before training, the combined step moves D too (DK101).

`distillation_teacher_trained.py` is the keras.io distiller without the
teacher frozen: the distiller's default train step updates the teacher too,
with a second Adam state beside the one of its own compile (DK106).
"""

from __future__ import annotations

import pytest
from harness import Run
from test_rule_evidence import BACKENDS, check_keras3

pytestmark = pytest.mark.evidence

ARTICLE = """
from probe import by_model, emit, load_fixture, slot_names, spy

ns = load_fixture("dark_keras_article")
D, G = ns["model_d"], ns["model_g"]
names = {id(D): "D", id(ns["model_gan"]): "gan", id(ns["model_fm"]): "fm"}
with spy("train_on_batch", tags=lambda m: names.get(id(m)), watch=lambda m: {"D": D, "G": G}) as calls:
    ns["train"](steps=6)
g_kernel = G.layers[0].kernel
d_kernel = D.get_layer("feature").kernel
optimizers = {name: model.optimizer for name, model in (("D", D), ("gan", ns["model_gan"]), ("fm", ns["model_fm"]))}
emit({
    "calls": by_model(calls),
    "distinct_optimizers": len({id(opt) for opt in optimizers.values()}),
    "iterations": {name: int(opt.iterations) for name, opt in optimizers.items()},
    "g_slots": {name: len(slot_names(opt, g_kernel)) for name, opt in optimizers.items()},
    "d_slots": {name: len(slot_names(opt, d_kernel)) for name, opt in optimizers.items()},
})
"""


@pytest.mark.parametrize(
    "run", [Run("dark_keras_article", ARTICLE, backend) for backend in BACKENDS], ids=str
)
def test_each_branch_compiles_its_own_optimizer(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    calls = obs["calls"]
    assert all(calls[name]["calls"] == 6 for name in ("D", "gan", "fm")), calls
    # Three compiles, three optimizers, each counting its own steps (DK105).
    assert obs["distinct_optimizers"] == 3, obs
    assert obs["iterations"] == {"D": 6, "gan": 6, "fm": 6}, (
        f"{v}: the branches' optimizers no longer step separately: {obs}"
    )
    # G's kernel has moments in both wrappers' optimizers: two Adam states (DK106).
    assert obs["g_slots"] == {"D": 0, "gan": 2, "fm": 2}, (
        f"{v}: G's weights no longer get two Adam states: {obs}"
    )
    # D was set trainable again before training: the combined step moves D (DK101),
    # and the gan's optimizer keeps moments for D's kernel beside D's own.
    assert calls["gan"]["changes"]["D"] > 0.0, f"{v}: the combined step no longer moves D: {calls}"
    assert obs["d_slots"]["D"] == obs["d_slots"]["gan"] == 2, obs


DISTILLATION = """
import numpy as np
from probe import emit, load_fixture, slot_names, spy

ns = load_fixture("distillation_teacher_trained")
teachers = []
real_make = ns["make"]

def make(units):
    model = real_make(units)
    if units == 32:
        teachers.append(model)
    return model

ns["train"].__globals__["make"] = make
with spy("fit", tags=lambda m: type(m).__name__, watch=lambda m: {"teacher": teachers[0]}) as fits:
    distiller = ns["train"](epochs=1)
teacher = teachers[0]
kernel = teacher.layers[0].kernel
emit({
    "fits": fits,
    "teacher_slots": {
        "teacher": len(slot_names(teacher.optimizer, kernel)),
        "distiller": len(slot_names(distiller.optimizer, kernel)),
    },
})
"""


@pytest.mark.parametrize(
    "run",
    [Run("distillation_teacher_trained", DISTILLATION, backend) for backend in BACKENDS],
    ids=str,
)
def test_an_unfrozen_teacher_is_trained_by_the_distiller(run: Run) -> None:
    obs = run.result()
    v = check_keras3(obs)
    [teacher_fit, distiller_fit] = obs["fits"]
    assert teacher_fit["model"] == "Sequential", obs
    assert distiller_fit["model"] == "Distiller", obs
    assert distiller_fit["changes"]["teacher"] > 0.0, (
        f"{v}: the distiller's step no longer moves an unfrozen teacher: update DK106: {obs}"
    )
    assert obs["teacher_slots"] == {"teacher": 2, "distiller": 2}, (
        f"{v}: the teacher's kernel no longer has two Adam states: {obs}"
    )
