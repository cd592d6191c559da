from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.diagnostics import Severity
from darklint.keras.facts import Event, EventKind, Loop
from darklint.keras.semantic import SemanticModel, unique_by_node
from darklint.keras.vocabulary import TRAINS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule
from darklint.rules.training_steps import step_loop, training_loops

if TYPE_CHECKING:
    import libcst as cst

RETRACE = "each compile discards the compiled train function, so every step builds it again"
# What the retrace costs, measured per backend (keras 3.15.1; jax was not measured).
RETRACE_COST = {
    "tensorflow": "100–400× slower per step on {backends}",
    "torch": "about 3× on {backends}",
}
FRESH_OPTIMIZER = (
    "; and the optimizer is new each time, so every step starts from step 0 with empty Adam "
    "moments: the training is not the one the optimizer's settings describe"
)


class CompileInTrainingLoop(KerasRule):
    """`compile()` runs on every step of a training loop.

    ## What it does
    Finds `m.compile(...)` that runs as often as a training step of `m`: in
    the innermost loop that trains `m` (`train_on_batch`, `fit`), or in a
    loop nested in it, directly or in a function that loop calls, and not
    under an `if` that runs it on some iterations only. Not reported: a model
    built anew in the same loop (cross-validation folds: a new model needs
    its compile), the transfer-learning recompile between two training phases,
    and a compile once per epoch around an inner loop that trains.

    ## Why is this bad?
    `compile()` throws away the model's compiled train function: the next
    train call traces and builds it again (an evidence test counts one build
    per step). Measured with `benchmarks/recompile_overhead.py` (keras
    3.15.1, a small MLP, batch 32, `train_on_batch`, two runs): 0.8–0.9 ms per
    step without recompiling; with a recompile per step 95–180 ms on
    TensorFlow (220–390 ms when the optimizer is new each time), and on torch
    4.3–5.1 ms against 1.4–1.5 ms.
    When the optimizer is given anew (`optimizer="adam"`,
    `optimizer=Adam(1e-4)`), each compile also creates a fresh optimizer:
    its step counter is back at 1 and its moments at zero on every step, so
    Adam never gets past its bias-corrected first step and the learning-rate
    schedule never advances. Old GAN code recompiles the discriminator in the
    loop to make a `trainable` toggle take effect; the toggle is the real
    problem (DK103).

    ## Example
    ```python
    for step in range(steps):
        d.trainable = True
        d.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")
        d.train_on_batch(x, y)
    ```

    ## Use instead
    Compile once, before the loop. To train two networks in turns, override
    `train_step` with one optimizer per network and choose the weights each
    gradient updates; no flag toggling and no recompiling.

    ## PyTorch reference
    `reference_impls/gan.py`: each optimizer is created once, before the
    loop, over its network's parameters.

    ## Fix safety
    No automatic fix: moving the compile out of the loop changes which
    optimizer state the steps share, a behaviour change to choose.

    ## References
    - keras.io, "Customizing what happens in fit()" (GAN `train_step`)
    - keras-team/keras#6405 (`trainable` needs a recompile, by design)
    """

    code = "DK203"
    name = "compile-in-training-loop"
    message = "`{model}.compile()` runs on every iteration of the training loop: {retrace}{fresh}"
    help = "compile `{model}` once, before the loop"
    severity = Severity.ERROR
    reference = "reference_impls/gan.py"
    # A compile and a training call (darklint.gate).
    requires_names = ("compile", TRAINS)

    def finish(self) -> None:
        import libcst as cst  # not at module level: the rule table stays libcst-free

        semantic = self.semantic
        training_in = training_loops(semantic)
        for compile_event in unique_by_node(semantic.events(EventKind.COMPILE)):
            loop = step_loop(compile_event, training_in)
            if loop is None or not self._trains_compiled(compile_event, training_in[loop]):
                continue
            if loop in semantic.models[compile_event.subject].loops:
                continue  # a new model on each iteration
            call = compile_event.node
            if not isinstance(call, cst.Call):
                continue
            cost = self.for_backends(RETRACE_COST)
            self.report(
                call,
                related={"training loop": loop.node},
                # The receiver as written; a compile helper's call names the model.
                model=self.context.module.code_for_node(call.func.value)
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "compile"
                else semantic.label(compile_event.subject),
                retrace=f"{RETRACE} (keras 3.15.1, measured: {cost})" if cost else RETRACE,
                fresh=FRESH_OPTIMIZER
                if _fresh_optimizer(call, compile_event, loop, semantic)
                else "",
            )

    def _trains_compiled(self, compile_event: Event, steps: list[Event]) -> bool:
        """The loop trains the compiled model (its train function is what the compile discards)."""
        return any(
            step.kind is EventKind.TRAIN and step.model == compile_event.model for step in steps
        )

    VALID = (
        # Compiled once, before the loop.
        Valid(
            """
import keras
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="mse")
for step in range(100):
    d.train_on_batch(x, y)
"""
        ),
        # Cross-validation: a new model in each fold needs its compile.
        Valid(
            """
import keras
for fold in range(5):
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x[fold], y[fold], epochs=10)
"""
        ),
        # Transfer learning: two phases, one recompile between them.
        Valid(
            """
import keras
base = keras.Sequential([keras.layers.Dense(4)])
base.trainable = False
model = keras.Sequential([base, keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=5)
base.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="mse")
model.fit(x, y, epochs=5)
"""
        ),
        # Once per epoch around an inner loop that trains, or every 100 steps.
        Valid(
            """
import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
for epoch in range(10):
    model.compile(optimizer=keras.optimizers.SGD(0.1 / (epoch + 1)), loss="mse")
    for x, y in batches:
        model.train_on_batch(x, y)
for step in range(1000):
    if step % 100 == 0:
        model.compile(optimizer=model.optimizer, loss="mse")
    model.train_on_batch(x, y)
"""
        ),
        # A torch module's compile is not Keras'.
        Valid(
            """
import torch
import keras
net = torch.nn.Linear(2, 1)
for step in range(100):
    net = torch.compile(net)
    loss = net(x).sum()
"""
        ),
    )
    INVALID = (
        # Old GAN code: recompile to make the toggle take effect, a new Adam each time.
        Invalid(
            """
import keras
from keras.optimizers import Adam
d = keras.Sequential([keras.layers.Dense(1)])
g = keras.Sequential([keras.layers.Dense(2)])
gan = keras.Sequential([g, d])
for step in range(100):
    d.trainable = True
    d.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")  # expect: DK203
    d.train_on_batch(x, y)
    d.trainable = False
    gan.compile(optimizer="adam", loss="binary_crossentropy")  # expect: DK203
    gan.train_on_batch(z, y)
"""
        ),
        # The same optimizer object: the retrace alone, in a helper called per step.
        Invalid(
            """
import keras
model = keras.Sequential([keras.layers.Dense(1)])
opt = keras.optimizers.Adam()

def step(x, y):
    model.compile(optimizer=opt, loss="mse")  # expect: DK203
    return model.train_on_batch(x, y)

for x, y in batches:
    step(x, y)
"""
        ),
    )


def _fresh_optimizer(
    call: cst.Call, compile_event: Event, loop: Loop, semantic: SemanticModel
) -> bool:
    """Each run of the compile gets a new optimizer: a string, a constructor, or one made in the loop."""
    import libcst as cst

    if compile_event.optimizer is not None:
        return loop in semantic.optimizer(compile_event.optimizer).loops
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "compile"):
        return False  # a compile helper's call: its arguments are not the compile's
    for position, arg in enumerate(call.args):
        if (arg.keyword is not None and arg.keyword.value == "optimizer") or (
            arg.keyword is None and position == 0
        ):
            return isinstance(arg.value, (cst.SimpleString, cst.Call))
    return False
