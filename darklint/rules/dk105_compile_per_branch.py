from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.facts import Event, ModelId
from darklint.keras.semantic import SemanticModel, unique_by_node
from darklint.keras.vocabulary import TRAINS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule
from darklint.rules.shared_weights import SharedTrainable, outermost, trained_compiles

ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}


class CompilePerBranch(KerasRule):
    """One more wrapper model and `compile()` per branch of the objective through the same network.

    ## What it does
    Finds a `compile()` of a trained model that contains, or shares a
    sub-model or layers with, another model that is compiled and trained on
    its own: the 2nd, 3rd … compiled training path through the same network
    (the classic GAN's `combined` next to the discriminator, even with the
    discriminator frozen; a feature-matching wrapper next to both).
    Reported at each later compile. Not reported: recompiling the same model
    (transfer learning, a changed loss), a model wrapping a compiled one that
    is never trained on its own (a distillation teacher, a frozen loss
    network compiled only to predict), a model compiled only to evaluate or
    predict, a model whose class overrides `train_step`, and a compile that
    DK106 reports (the shared weights trainable in both: the more specific
    finding).

    ## Why is this bad?
    This is the structure "Defense Against the Dark Keras" warns about. With
    `fit()`/`train_on_batch` as the only way to train, every branch of the
    objective — the generator's adversarial loss through D, a
    feature-matching loss through D's features — needs its own wrapper
    model, its own `compile()` and its own optimizer (measured on keras
    3.15.1: the combined model's Adam keeps its own step counter and moments
    beside D's), and back-propagation through the shared network is
    written once more per branch. Keeping D out of the generator's update
    then needs the `trainable` toggling of DK101–DK103, whose behaviour
    differs between Keras 2 and the Keras 3 backends.

    ## Example
    ```python
    discriminator.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")
    discriminator.trainable = False
    combined = Model(z, discriminator(generator(z)))
    combined.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")
    ```

    ## Use instead
    One `keras.Model` subclass overriding `train_step`, with one optimizer
    per player, trained by `fit()` (History, callbacks and TensorBoard
    included):

    ```python
    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator, self.generator = discriminator, generator
            self.latent_dim = latent_dim

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
            self.loss_fn = loss_fn

        def train_step(self, real):
            batch = ops.shape(real)[0]
            z = keras.random.normal((batch, self.latent_dim))
            fake = self.generator(z)
            with tf.GradientTape() as tape:
                d_loss = self.loss_fn(ops.ones((batch, 1)), self.discriminator(real)) + \\
                    self.loss_fn(ops.zeros((batch, 1)), self.discriminator(fake))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            with tf.GradientTape() as tape:
                g_loss = self.loss_fn(ops.ones((batch, 1)), self.discriminator(self.generator(z)))
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            return {"d_loss": d_loss, "g_loss": g_loss}
    ```

    A feature-matching loss is one more term in the same `train_step`
    (the discriminator returns its features too), not one more model.

    ## PyTorch reference
    `reference_impls/gan.py` (one optimizer per network, no wrapper model)
    and `reference_impls/feature_matching_gan.py` (D returns its logit and
    its features; the feature loss is one more term).

    ## Fix safety
    No automatic fix: the training loop must be restructured.

    ## References
    - "Defense Against the Dark Keras" (the compile-per-branch complaint)
    - keras.io, "DCGAN overriding `train_step`"
    """

    code = "DK105"
    name = "compile-per-branch"
    message = "{path}: each branch needs its own wrapper, compile and optimizer"
    help = "train every branch in one `train_step` override, with one optimizer per network"
    severity = Severity.INFO
    reference = "reference_impls/gan.py"
    # Compiles of models that are trained (darklint.gate).
    requires_names = ("compile", TRAINS)

    def finish(self) -> None:
        semantic = self.semantic
        compiles = trained_compiles(semantic)
        split = SharedTrainable(semantic, compiles)
        paths = _Paths(semantic, compiles)
        for later in unique_by_node(compiles):
            if semantic.models[later.subject].overrides:
                continue  # `train_step` / `compute_loss`: Keras' own place for the objective
            if split.first_sharing(later) is not None:
                continue  # DK106: the shared weights train in both compiles
            found = paths.first_branch(later)
            if found is None:
                continue
            earlier, shared, count = found
            model = semantic.label(later.subject)
            ordinal = ORDINALS.get(count, f"{count}th")
            if shared == later.model:
                # The jacobgil order: the wrappers first, the network compiled alone after.
                path = f"`{model}` compiled on its own is the {ordinal} compiled training path through it"
            else:
                network = f"`{semantic.label(shared)}`" if shared is not None else "shared layers"
                path = f"`{model}` is the {ordinal} compiled training path through {network}"
            self.report(
                later.node,
                related={f"`{semantic.label(earlier.subject)}` compiled here": earlier.node},
                path=path,
            )

    VALID = (
        # Two configurations of one program: each run compiles one of them.
        Valid(
            """
from keras import Input, Model, Sequential, layers
critic = Sequential([layers.Dense(1)])
actor = Sequential([layers.Dense(2)])
critic.compile(optimizer="adam", loss="mse")
if MODE == 2:
    z = Input((4,))
    combined = Model(z, critic(actor(z)))
    combined.compile(optimizer="adam", loss="mse")
else:
    actor.compile(optimizer="adam", loss="mse")
for batch in batches:
    critic.train_on_batch(batch, targets)
    if MODE == 2:
        combined.train_on_batch(batch, zeros)
    else:
        actor.train_on_batch(batch, actions)
"""
        ),
        # One model with two outputs and one compile.
        Valid(
            """
import keras
inp = keras.Input((4,))
h = keras.layers.Dense(8)(inp)
model = keras.Model(inp, [keras.layers.Dense(1)(h), keras.layers.Dense(3)(h)])
model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.5])
model.fit(x, [y1, y2])
"""
        ),
        # Transfer learning: the same model compiled again.
        Valid(
            """
import keras
base = keras.applications.MobileNetV2(weights=None, include_top=False, pooling="avg")
base.trainable = False
model = keras.Sequential([base, keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
base.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="mse")
model.fit(x, y)
"""
        ),
        # Distillation: the teacher is compiled and evaluated, never trained here.
        Valid(
            """
import keras
teacher = keras.models.load_model("teacher.keras")
teacher.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
teacher.evaluate(x_test, y_test)
inp = keras.Input((28, 28))
student = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
pair = keras.Model(inp, [student(inp), teacher(inp)])
pair.compile(optimizer="adam", loss=["mse", None])
pair.fit(x, [y, y])
"""
        ),
        # A second model used only for inference is never trained.
        Valid(
            """
import keras
encoder = keras.Sequential([keras.layers.Dense(8)])
inp = keras.Input((4,))
model = keras.Model(inp, keras.layers.Dense(1)(encoder(inp)))
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
encoder.compile(loss="mse")
encoder.evaluate(x, z)
"""
        ),
        # The keras.io GAN: one model overriding train_step, one compile.
        Valid(
            """
import keras

class GAN(keras.Model):
    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator

    def train_step(self, data):
        return {}

discriminator = keras.Sequential([keras.layers.Dense(1)])
discriminator.compile(optimizer="adam", loss="binary_crossentropy")
discriminator.fit(x, y)
gan = GAN(discriminator, keras.Sequential([keras.layers.Dense(2)]))
gan.compile(optimizer="adam")
gan.fit(dataset, epochs=10)
"""
        ),
    )
    INVALID = (
        # The classic GAN: D compiled, frozen, the combined model compiled.
        Invalid(
            """
from keras import Input, Model, Sequential, layers
d = Sequential([layers.Dense(1, activation="sigmoid")])
d.compile(optimizer="adam", loss="binary_crossentropy")
g = Sequential([layers.Dense(2)])
d.trainable = False
z = Input((2,))
combined = Model(z, d(g(z)))
combined.compile(optimizer="adam", loss="binary_crossentropy")  # expect: DK105
for step in range(100):
    d.train_on_batch(x, y)
    combined.train_on_batch(noise, ones)
"""
        ),
        # The jacobgil order: the combined model first, D compiled on its own after.
        Invalid(
            """
from keras.models import Sequential
from keras.layers import Dense
d = Sequential([Dense(1)])
g = Sequential([Dense(2)])
d.trainable = False
d_on_g = Sequential([g, d])
d_on_g.compile(loss="binary_crossentropy", optimizer="SGD")
d.trainable = True
d.compile(loss="binary_crossentropy", optimizer="SGD")  # expect: DK105
for index in range(10):
    d.train_on_batch(x, y)
    d_on_g.train_on_batch(noise, y)
"""
        ),
        # Two models sharing a raw layer, each compiled and trained.
        Invalid(
            """
import keras
shared = keras.layers.Dense(8)
a, b = keras.Input((4,)), keras.Input((4,))
first = keras.Model(a, keras.layers.Dense(1)(shared(a)))
second = keras.Model(b, keras.layers.Dense(3)(shared(b)))
first.trainable = False
first.compile(optimizer="adam", loss="mse")
second.compile(optimizer="adam", loss="mse")  # expect: DK105
first.fit(x, y)
second.fit(x, z)
"""
        ),
    )


class _Paths:
    """The compiled, trained models through each network, looked up per model and per layer."""

    def __init__(self, semantic: SemanticModel, compiles: list[Event]) -> None:
        self.semantic = semantic
        # Per model: the compiles (in trace order) of trained models holding it.
        self.holding: dict[ModelId, list[Event]] = {}
        # Per weighted layer: the compiles of trained models holding it.
        self.holding_layer: dict[int, list[Event]] = {}
        for event in compiles:
            for model in semantic.closure(event.subject):
                self.holding.setdefault(model, []).append(event)
                for kind, layer in semantic.models[model].weights or ():
                    if kind == "layer":
                        self.holding_layer.setdefault(layer, []).append(event)

    def first_branch(self, later: Event) -> tuple[Event, ModelId | None, int] | None:
        """The first compile of another trained model sharing weights with ``later``.

        With the outermost shared model (None: only raw layers are shared) and
        how many distinct models, ``later``'s included, compiled a training
        path through it by then.
        """
        semantic = self.semantic
        found: tuple[Event, ModelId | None, list[Event]] | None = None
        closure = semantic.closure(later.subject)
        shared = [m for m in closure if self._earlier(self.holding.get(m, ()), later) is not None]
        if shared:
            network = outermost(semantic, sorted(shared))
            if network is None:
                return None  # code pretending two models contain each other: not Keras
            events = self.holding[network]
            earlier = self._earlier(events, later)
            assert earlier is not None
            found = earlier, network, events
        else:
            for model in closure:
                for kind, layer in semantic.models[model].weights or ():
                    events = self.holding_layer.get(layer, [])
                    earlier = self._earlier(events, later) if kind == "layer" else None
                    if earlier is not None and (found is None or earlier.index < found[0].index):
                        found = earlier, None, events
        if found is None:
            return None
        earlier, network, events = found
        models = {event.model for event in events if event.index < later.index}
        return earlier, network, len(models | {later.model})

    @staticmethod
    def _earlier(events: list[Event] | tuple[()], later: Event) -> Event | None:
        """The first of ``events`` before ``later`` compiling another model."""
        for event in events:
            if event.index >= later.index:
                return None
            if event.model != later.model and not event.exclusive(later):
                return event
        return None
