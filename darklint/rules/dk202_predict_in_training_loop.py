from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.diagnostics import Severity
from darklint.fixes import call_keeping
from darklint.keras.facts import Event, EventKind
from darklint.keras.vocabulary import (
    MAKES_MODELS,
    PREDICT_DEFAULT_BATCH_SIZE,
    STEPS,
)
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.base import KerasRule
from darklint.rules.training_steps import step_loop, training_loops

if TYPE_CHECKING:
    import libcst as cst

# predict_on_batch takes the batch alone: these keywords only steer predict's
# own batching and logging, which a single batch does not need.
DROPPABLE_KEYWORDS = frozenset({"verbose", "batch_size"})


def _shows_progress(call: cst.Call) -> bool:
    """Whether the call prints a progress bar: ``verbose`` not given, or given as 1/2/True/"auto"."""
    import libcst as cst

    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "verbose":
            value = arg.value
            if type(value) is cst.Integer:
                return int(value.value, 0) != 0
            if type(value) is cst.Name:
                return value.value == "True"
            return type(value) is cst.SimpleString and value.evaluated_value == "auto"
    return not any(arg.star for arg in call.args)


class PredictInTrainingLoop(KerasRule):
    """`model.predict()` runs on every step of a loop that trains a Keras model.

    ## What it does
    Finds `m.predict(...)` on a Keras model that runs as often as a training
    step: inside the innermost loop that trains a Keras model
    (`train_on_batch`, `fit`, `optimizer.apply_gradients`), or in a loop
    nested in it, directly or in a function that loop calls. Not reported: a
    `predict` once per epoch (in the epoch loop, around an inner loop that
    trains), under an `if` that runs it only on some iterations
    (`if epoch % 10 == 0`, `if step == 0`), in an evaluation loop that trains
    nothing, or on the model the same iteration has just `fit` on a whole
    dataset (cross-validation folds, per-epoch evaluation: that is what
    `predict` is for). A `predict` before the `fit` it feeds, or on a single
    batch (a DQN acting on one state every step), is reported.

    ## Why is this bad?
    `predict` is built for whole datasets: each call builds a data pipeline,
    batches, and (with the default `verbose`) prints a progress bar. Per
    call on one batch it is 33–72× slower than `m(x, training=False)` and far
    slower than `predict_on_batch` (keras 3.15.1 and tf-keras 2.21, measured);
    in a GAN loop that generates fakes every step this dominates the run and
    floods the log. TensorFlow maintainers say `predict` is not meant for
    loops (tensorflow/tensorflow#40261, #44711).

    ## Example
    ```python
    for step in range(steps):
        fake = generator.predict(noise)
        discriminator.train_on_batch(fake, zeros)
    ```

    ## Use instead
    `generator.predict_on_batch(noise)`, or `generator(noise, training=False)`
    (a tensor), or generate inside a `train_step` override.

    ## PyTorch reference
    `reference_impls/gan.py`: the generator is called directly, under
    `torch.no_grad()` where no gradient is wanted.

    ## Fix safety
    `m.predict(x)` becomes `m.predict_on_batch(x)` when the call has one
    positional argument and no arguments other than `verbose`/`batch_size`.
    `predict` splits its input into batches of `batch_size` rows (32 by
    default) where `predict_on_batch` runs all rows at once, so the fix is
    **safe** only when the code spells out that the input is at most one such
    batch: an array made with a literal number of rows
    (`np.random.normal(0, 1, (16, 100))`, a local or module constant), a
    slice of one (`x[i:i + 16]`), or one sample (`state.reshape(1, -1)`,
    `x[None]`, `np.array([state])`). Then both run the same single batch and
    return the same values (an evidence test compares them on Keras 3); only
    the per-call overhead and the progress bar go. Otherwise the fix is
    **unsafe**: one big batch takes more memory than `predict`'s batches (on
    a GPU it can run out), and results can differ in the last bits (measured:
    33 rows, 1.8e-7 on TensorFlow, 3.9e-7 on torch). A batch size that is a
    parameter counts as unknown: a caller can pass any. Every comment of the
    call stays: one after `x,` stays with `x`, and a call with a comment on a
    dropped `verbose`/`batch_size` gets no fix.

    ## References
    - tensorflow/tensorflow#40261, #44711, #33009; keras-team/keras#13118
    - google/deepvariant PR #1089; nmma PR #42 (~25× faster)
    """

    code = "DK202"
    name = "predict-in-training-loop"
    message = (
        "`{model}.predict()` runs on every iteration of the training loop: 33–72× "
        "slower per call than `{model}(x, training=False)`{progress}"
    )
    help = "use `{model}.predict_on_batch(x)` or `{model}(x, training=False)`"
    severity = Severity.WARNING
    reference = "reference_impls/gan.py"
    fix_safety = FixSafety.SOMETIMES_SAFE
    fix_title = "Use `predict_on_batch`"
    # `predict` on a model, and training in the same loop (darklint.gate).
    requires_names = ("predict", STEPS, MAKES_MODELS)

    def finish(self) -> None:
        import libcst as cst  # not at module level: the rule table stays libcst-free

        semantic = self.semantic
        training_in = training_loops(semantic)
        occurrences: dict[int, list[Event]] = {}
        for predict in semantic.events(EventKind.PREDICT):
            occurrences.setdefault(id(predict.node), []).append(predict)
        for walks in occurrences.values():
            predict = walks[0]
            loop = next((found for walk in walks if (found := step_loop(walk, training_in))), None)
            call = predict.node
            if (
                loop is None
                or not isinstance(call, cst.Call)
                or not isinstance(call.func, cst.Attribute)
                or self._evaluates_after_fit(walks, training_in[loop])
            ):
                continue
            one_batch = all(
                walk.rows is not None
                and walk.batch_size is not None
                and walk.rows <= walk.batch_size
                for walk in walks
            )
            self.report(
                call,
                related={"training loop": loop.node},
                model=self.context.module.code_for_node(call.func.value),
                progress=" and prints a progress bar on every call"
                if _shows_progress(call)
                else "",
                fix=self._fix(call, safe=one_batch),
            )

    @staticmethod
    def _evaluates_after_fit(walks: list[Event], in_loop: list[Event]) -> bool:
        """`model.fit(...)` then `model.predict(x_val)` once per fold or epoch: what predict is for.

        ``in_loop``: the training events of the predict's training loop.  Not
        so when the predict comes before the fit (its values feed the
        training, as in a DQN step) or runs on one batch (acting on a state).
        """
        predict = walks[0]
        if predict.model not in {event.model for event in in_loop} or not all(
            event.kind is EventKind.TRAIN and event.method in ("fit", "fit_generator")
            for event in in_loop
        ):
            return False
        fitted_first = min(event.index for event in in_loop) < predict.index
        one_batch = all(
            walk.rows is not None and walk.rows <= PREDICT_DEFAULT_BATCH_SIZE for walk in walks
        )
        return fitted_first and not one_batch

    @staticmethod
    def _fix(call: cst.Call, *, safe: bool) -> Replacement | None:
        """``predict_on_batch`` with the input alone, keeping every comment of the call."""
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        others = [arg for arg in call.args if arg not in positional]
        if len(positional) != 1 or any(
            arg.star or arg.keyword is None or arg.keyword.value not in DROPPABLE_KEYWORDS
            for arg in others
        ):
            return None
        new = call_keeping(call, positional, method="predict_on_batch")
        return None if new is None else Replacement(call, new, safe=safe)

    VALID = (
        # k-fold cross-validation: fit, then predict the held-out fold.
        Valid(
            """
from keras import layers, models
scores = []
for fold in range(5):
    model = models.Sequential([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x[:80], y[:80], epochs=5)
    scores.append(model.predict(x[80:]))
"""
        ),
        # Per-epoch evaluation: fit an epoch on the whole data, predict the validation set.
        Valid(
            """
import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
for epoch in range(10):
    model.fit(x, y, epochs=1, verbose=0)
    scores.append(model.predict(x_val, verbose=0))
"""
        ),
        # predict in a sampling function called every N epochs.
        Valid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
g.compile(optimizer="adam", loss="mse")

def sample_images(epoch):
    images = g.predict(noise)
    save(images, epoch)

for epoch in range(100):
    g.train_on_batch(x, y)
    if epoch % 10 == 0:
        sample_images(epoch)
"""
        ),
        # Once per epoch: the epoch loop draws samples, its inner loop trains.
        Valid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for epoch in range(100):
    for real in batches:
        d.train_on_batch(real, ones)
    samples = g.predict(z_sample)
    if epoch == 0:
        first = g.predict(z_sample)
"""
        ),
        # Under an `if` that lets it run on one step in a hundred.
        Valid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(10_000):
    d.train_on_batch(real, ones)
    if step % 100 == 0:
        plot(g.predict(z_sample))
"""
        ),
        # An evaluation loop that trains nothing.
        Valid(
            """
import keras
model = keras.models.load_model("m.keras")
for batch in batches:
    scores.append(model.predict(batch, verbose=0))
"""
        ),
        # sklearn's predict in a loop that fits a Keras model.
        Valid(
            """
import keras
from sklearn.linear_model import LogisticRegression
clf = LogisticRegression()
net = keras.Sequential([keras.layers.Dense(1)])
net.compile(optimizer="adam", loss="mse")
for batch in batches:
    labels = clf.predict(batch)
    net.train_on_batch(batch, labels)
"""
        ),
    )
    INVALID = (
        # A method inherited from the agent's base class, called on every step.
        Invalid(
            """
import numpy as np
import keras

class Agent:
    def __init__(self):
        self.q_model = keras.Sequential([keras.layers.Dense(2)])
        self.q_model.compile(optimizer="adam", loss="mse")

    def act(self, state):
        return np.argmax(self.q_model.predict(state))  # expect: DK202

class DoubleAgent(Agent):
    def learn(self, states, targets):
        self.q_model.fit(states, targets, epochs=1, verbose=0)

agent = DoubleAgent()
for step in range(1000):
    action = agent.act(state)
    agent.learn(states, targets)
"""
        ),
        # A trainer whose models are parameters: `predict` on a model that the
        # loop's `train_on_batch` calls make Keras models.
        Invalid(
            """
import numpy as np
import keras

class Trainer:
    def train(self, generator, discriminator, gan, data, epochs):
        for epoch in range(epochs):
            for x, y in data:
                fake = generator.predict(x)  # expect: DK202
                discriminator.train_on_batch(np.concatenate([y, fake]), labels)
                gan.train_on_batch(x, valid)
"""
        ),
        # The input is one batch of a literal size: the fix is exact (safe).
        Invalid(
            """
import numpy as np
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    noise = np.random.normal(0, 1, (16, 2))
    fake = g.predict(noise, verbose=0)  # expect: DK202
    d.train_on_batch(fake, zeros)
""",
            fixed="""
import numpy as np
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    noise = np.random.normal(0, 1, (16, 2))
    fake = g.predict_on_batch(noise)  # expect: DK202
    d.train_on_batch(fake, zeros)
""",
        ),
        # The batch size is a parameter: any caller may pass 10,000 rows, which
        # predict runs in batches of 32 and predict_on_batch at once. No safe fix ...
        Invalid(
            """
import numpy as np
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
def train(batch_size=16):
    for step in range(100):
        noise = np.random.normal(0, 1, (batch_size, 2))
        fake = g.predict(noise)  # expect: DK202
        d.train_on_batch(fake, zeros)
""",
            fixed="""
import numpy as np
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
def train(batch_size=16):
    for step in range(100):
        noise = np.random.normal(0, 1, (batch_size, 2))
        fake = g.predict(noise)  # expect: DK202
        d.train_on_batch(fake, zeros)
""",
        ),
        # ... and an unsafe one.
        Invalid(
            """
import numpy as np
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
def train(batch_size=16):
    for step in range(100):
        noise = np.random.normal(0, 1, (batch_size, 2))
        fake = g.predict(noise)  # expect: DK202
        d.train_on_batch(fake, zeros)
""",
            fixed="""
import numpy as np
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
def train(batch_size=16):
    for step in range(100):
        noise = np.random.normal(0, 1, (batch_size, 2))
        fake = g.predict_on_batch(noise)  # expect: DK202
        d.train_on_batch(fake, zeros)
""",
            unsafe=True,
        ),
        # A multi-line call with a batch size (unsafe): the comment after the
        # input stays with it, and each line keeps its indentation.
        Invalid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    if step % 2:
        fake = g.predict(  # expect: DK202
            noise,  # the latent batch
            batch_size=32,
            verbose=0,
        )
        d.train_on_batch(fake, zeros)
""",
            fixed="""
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    if step % 2:
        fake = g.predict_on_batch(  # expect: DK202
            noise,  # the latent batch
        )
        d.train_on_batch(fake, zeros)
""",
            unsafe=True,
        ),
        # A comment on a keyword the fix would drop: no fix, the comment stays.
        Invalid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    fake = g.predict(  # expect: DK202
        noise[:8],
        verbose=0,  # no progress bar
    )
    d.train_on_batch(fake, zeros)
""",
            fixed="""
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    fake = g.predict(  # expect: DK202
        noise[:8],
        verbose=0,  # no progress bar
    )
    d.train_on_batch(fake, zeros)
""",
            unsafe=True,
        ),
        # A call the fix cannot rewrite keeps its report without a fix.
        Invalid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
while True:
    fake = g.predict(noise, steps=1)  # expect: DK202
    d.fit(fake, zeros)
""",
            fixed="""
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
while True:
    fake = g.predict(noise, steps=1)  # expect: DK202
    d.fit(fake, zeros)
""",
            unsafe=True,
        ),
        # A DQN: the loop acts on one state and fits the model every step. The
        # fit does not make these "evaluation after training": the predicts
        # run first and feed it. One state is one batch: that fix is safe.
        Invalid(
            """
import numpy as np
import keras
model = keras.Sequential([keras.layers.Dense(2)])
model.compile(optimizer="adam", loss="mse")
for episode in range(10):
    state = env.reset()
    for t in range(200):
        q = model.predict(state.reshape(1, -1), verbose=0)  # expect: DK202
        state, reward, done = env.step(int(np.argmax(q)))
        states, actions, rewards = sample(memory)
        targets = model.predict(states, verbose=0)  # expect: DK202
        model.fit(states, targets, epochs=1, verbose=0)
""",
            fixed="""
import numpy as np
import keras
model = keras.Sequential([keras.layers.Dense(2)])
model.compile(optimizer="adam", loss="mse")
for episode in range(10):
    state = env.reset()
    for t in range(200):
        q = model.predict_on_batch(state.reshape(1, -1))  # expect: DK202
        state, reward, done = env.step(int(np.argmax(q)))
        states, actions, rewards = sample(memory)
        targets = model.predict(states, verbose=0)  # expect: DK202
        model.fit(states, targets, epochs=1, verbose=0)
""",
        ),
        # A helper that draws fakes, called on every step: reported in the helper.
        Invalid(
            """
import numpy as np
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")

def sample_fakes(gen, n):
    return gen.predict(np.random.normal(0, 1, (n, 2)), verbose=0)  # expect: DK202

for step in range(100):
    d.train_on_batch(sample_fakes(g, 16), zeros)
"""
        ),
    )
