from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.diagnostics import Severity
from darklint.keras.vocabulary import TRAINS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule
from darklint.rules.toggles import ToggleKind, toggle_patterns

if TYPE_CHECKING:
    import libcst as cst

# The consequence, by the order of the program (Keras-GAN's, jacobgil's);
# where each step happens is in the related places, not the sentence.
NEVER_TRAINS = (
    "on Keras 3 it never trains, as it was compiled before the freeze and is trained without "
    "recompiling (Keras 2 trained it through its compile-time snapshot)"
)
NEVER_TRAINS_INSIDE = (
    "on Keras 3 it never trains in `{holder}`, which was compiled before the freeze and is trained "
    "without recompiling (Keras 2 trained it through its compile-time snapshot)"
)
TRAINED_BY_COMBINED = (
    "it is set back to trainable before `{combined}` is trained, so on Keras 3 `{combined}`'s steps "
    "update it too (Keras 2 kept it frozen)"
)


class TrainableToggledAroundCompile(KerasRule):
    """A model is frozen with `trainable = False` only so that a combined model compiles without it.

    ## What it does
    Finds `X.trainable = False` followed by `compile()` of another model that
    contains `X` (the classic Keras GAN trick: freeze the discriminator, build
    `combined = Model(z, D(G(z)))`, compile it), when the program then relies
    on the freeze being a per-compile snapshot:

    - **Keras-GAN order**: `X` (or a model holding it) was compiled *before*
      the freeze and is trained later, still frozen, without being recompiled;
    - **jacobgil/keras-dcgan order**: `X.trainable = True` is set back *after*
      the combined compile, and the combined model is then trained while `X`
      is trainable. (jacobgil's own loop sets `X.trainable = False` again before
      each combined step; those in-loop toggles are DK103's business.)

    ## Why is this bad?
    The trick depends on a Keras 2 implementation detail: Keras 2 snapshots
    `trainable` at `compile()` time and re-imposes it around each train call.
    Keras 3 reads the flag when the train function is traced, on every
    backend (measured with keras 3.15.1):

    - Keras-GAN order: `D.train_on_batch` **never changes D's weights**; its
      optimizer's `iterations` stays 0. TensorFlow and torch print one "no
      trainable weights" warning, jax prints nothing at all.
    - jacobgil order: the combined model's step **also updates D**, because D's
      weights are trainable again when the combined train function is traced.

    Either way the GAN silently trains something other than what was written.

    ## Example
    ```python
    discriminator.compile(loss="binary_crossentropy", optimizer=Adam())
    discriminator.trainable = False
    combined = Model(z, discriminator(generator(z)))
    combined.compile(loss="binary_crossentropy", optimizer=Adam())
    for step in range(steps):
        discriminator.train_on_batch(x, y)  # never trains on Keras 3
        combined.train_on_batch(z, ones)
    ```

    ## Use instead
    Override `train_step` in one `keras.Model` subclass (keras.io "DCGAN
    overriding `train_step`"): take each network's gradients with
    `tf.GradientTape`, apply them with that network's own optimizer, and train
    with `fit()`. No flag is toggled and nothing is compiled twice.

    ## PyTorch reference
    `reference_impls/gan.py`: one optimizer per network, the discriminator
    step on `fake.detach()`, the generator step through D without touching
    any flag.

    ## Fix safety
    No automatic fix: the training loop has to be restructured.

    ## References
    - keras-team/keras#6405 (`trainable` needs a recompile, by design)
    - eriklindernoren/Keras-GAN#22, #73, #91; jacobgil/keras-dcgan#10, #19
    - tensorflow/tensorflow#117169 ("TODO: respect compiled trainable state")
    """

    code = "DK101"
    name = "trainable-toggled-around-compile"
    message = "`{frozen}` is frozen only around `{combined}.compile()`: {consequence}"
    help = "override `train_step` (one optimizer per network)"
    severity = Severity.ERROR
    reference = "reference_impls/gan.py"
    # A freeze, a compile and a training call (darklint.gate).
    requires_names = ("trainable", "compile", TRAINS)

    def finish(self) -> None:
        semantic = self.semantic
        reported: set[int] = set()
        for pattern in toggle_patterns(semantic):
            if id(pattern.freeze.node) in reported:
                continue
            reported.add(id(pattern.freeze.node))
            frozen = semantic.label(pattern.freeze.subject)
            combined = semantic.label(pattern.compile.subject)
            train = pattern.train.node if pattern.train else None
            related: dict[str, cst.CSTNode | None] = {
                f"`{combined}` compiled here": pattern.compile.node
            }
            if pattern.kind is ToggleKind.NEVER_TRAINS and pattern.own_compile is not None:
                holder = semantic.label(pattern.own_compile.subject)
                own = pattern.own_compile.model == pattern.freeze.model
                consequence = (NEVER_TRAINS if own else NEVER_TRAINS_INSIDE).format(holder=holder)
                related[f"`{holder}` compiled here"] = pattern.own_compile.node
                related[f"`{holder}` trained here"] = train
            else:
                assert pattern.reset is not None
                consequence = TRAINED_BY_COMBINED.format(combined=combined)
                related["set back to trainable here"] = pattern.reset.node
                related[f"`{combined}` trained here"] = train
            self.report(
                pattern.freeze.node,
                related=related,
                frozen=frozen,
                combined=combined,
                consequence=consequence,
            )

    VALID = (
        # A helper that only reads the flag changes nothing.
        Valid(
            """
import keras
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="mse")

def is_frozen(net):
    return not net.trainable

if is_frozen(d):
    print("frozen")
combined = keras.Sequential([keras.Sequential([keras.layers.Dense(2)]), d])
combined.compile(optimizer="adam", loss="mse")
d.fit(x, y)
"""
        ),
        # A toggle helper nobody calls.
        Valid(
            """
import keras

def make_trainable(net, flag):
    net.trainable = flag
    for layer in net.layers:
        layer.trainable = flag

d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="mse")
d.fit(x, y)
"""
        ),
        # Transfer learning through a helper: freeze, compile, fit; unfreeze, recompile.
        Valid(
            """
import keras

def set_trainable(net, flag):
    net.trainable = flag

base = keras.applications.MobileNetV2(weights=None, include_top=False, pooling="avg")
set_trainable(base, False)
model = keras.Sequential([base, keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
model.fit(x, y)
set_trainable(base, True)
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="mse")
model.fit(x, y)
"""
        ),
        # Transfer learning: freeze, compile, train, unfreeze, recompile, train.
        Valid(
            """
from tensorflow import keras
base = keras.applications.MobileNetV2(include_top=False, weights=None)
base.trainable = False
model = keras.Sequential([base, keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
model.fit(x, y)
base.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="mse")
model.fit(x, y)
"""
        ),
        # The idiomatic Keras 3 GAN: a train_step override, nothing toggled.
        Valid(
            """
import keras
import tensorflow as tf

class GAN(keras.Model):
    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    def train_step(self, real):
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(self.discriminator(real))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        return {"d_loss": d_loss}
"""
        ),
        # torch modules have no `trainable`/compile semantics of Keras.
        Valid(
            """
import torch
d = torch.nn.Linear(2, 1)
d.trainable = False
combined = torch.compile(torch.nn.Sequential(d))
"""
        ),
        # A local class named Model is not Keras.
        Valid(
            """
import keras

class Model:
    def __init__(self, *parts): self.parts = parts
    def compile(self, optimizer): pass
    def train_on_batch(self, x, y): pass

d = Model()
d.compile("adam")
d.trainable = False
combined = Model(d)
combined.compile("adam")
d.train_on_batch(x, y)
"""
        ),
        # Frozen for good: a fixed feature extractor inside a trained model.
        Valid(
            """
from keras import Model, Sequential, layers
encoder = Sequential([layers.Dense(8)])
encoder.trainable = False
model = Sequential([encoder, layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y)
"""
        ),
    )
    INVALID = (
        # Built under a flag, returned with `None` in its place when the flag is unset.
        Invalid(
            """
import keras

def create_model(flags):
    encoder = keras.Sequential([keras.layers.Dense(2)])
    if flags.adversarial:
        discriminator = keras.Sequential([keras.layers.Dense(1)])
    if flags.adversarial:
        discriminator.compile(optimizer="adam", loss="binary_crossentropy")
        discriminator.trainable = False  # expect: DK101
        generator = keras.Sequential([encoder, discriminator])
        generator.compile(optimizer="adam", loss="binary_crossentropy")
        return encoder, discriminator, generator
    return encoder, None, None

def train(flags):
    encoder, discriminator, generator = create_model(flags)
    for epoch in range(10):
        discriminator.fit(x, y)
        generator.fit(x, y)
"""
        ),
        # A closure made by a factory method freezes the adversary: reported at its call.
        Invalid(
            """
import keras

class Debiaser:
    def __init__(self):
        self.classifier = keras.Sequential([keras.layers.Dense(1)])
        self.adversary = keras.Sequential([keras.layers.Dense(1)])
        self.adversary.compile(optimizer="adam", loss="binary_crossentropy")
        self._toggle = self._make_toggle(self.adversary)
        self._toggle(False)  # expect: DK101
        self.combined = keras.Sequential([self.classifier, self.adversary])
        self.combined.compile(optimizer="adam", loss="binary_crossentropy")

    def _make_toggle(self, net):
        def toggle(flag):
            net.trainable = flag
        return toggle

    def fit(self, x, y, z):
        for step in range(10):
            self.adversary.train_on_batch(x, z)
            self.combined.train_on_batch(x, y)
"""
        ),
        # A wrapper class's freeze(flag) method.
        Invalid(
            """
import keras

class Discriminator:
    def __init__(self):
        self.model = keras.Sequential([keras.layers.Dense(1)])
        self.model.compile(optimizer="adam", loss="binary_crossentropy")

    def freeze(self, flag):
        self.model.trainable = flag

D = Discriminator()
D.freeze(False)  # expect: DK101
gan = keras.Sequential([keras.Sequential([keras.layers.Dense(2)]), D.model])
gan.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(10):
    D.model.train_on_batch(x, y)
    gan.train_on_batch(z, y)
"""
        ),
        # A recursive helper that walks the layers, with a try: still a toggle helper.
        Invalid(
            """
import keras

def set_trainable(model, trainable=False):
    model.trainable = trainable
    try:
        layers = model.layers
    except AttributeError:
        return
    for layer in layers:
        set_trainable(layer, trainable)

d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
set_trainable(d, False)  # expect: DK101
gan = keras.Sequential([keras.Sequential([keras.layers.Dense(2)]), d])
gan.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(10):
    d.train_on_batch(x, y)
    gan.train_on_batch(z, y)
"""
        ),
        # Outputs unpacked from the frozen model's call (Keras-GAN acgan/infogan).
        Invalid(
            """
from keras import Input, Model, layers, optimizers
x = Input((4,))
h = layers.Dense(8)(x)
d = Model(x, [layers.Dense(1)(h), layers.Dense(3)(h)])
d.compile(loss=["binary_crossentropy", "categorical_crossentropy"], optimizer=optimizers.Adam())
z = Input((2,))
g = Model(z, layers.Dense(4)(z))
d.trainable = False  # expect: DK101
valid, label = d(g(z))
combined = Model(z, [valid, label])
combined.compile(loss=["binary_crossentropy", "categorical_crossentropy"], optimizer=optimizers.Adam())
for step in range(10):
    d.train_on_batch(a, b)
    combined.train_on_batch(c, e)
"""
        ),
        # WGAN-GP in Keras-GAN: each net compiled only inside the other's wrapper.
        Invalid(
            """
from keras import Input, Model, Sequential, layers, optimizers
critic = Sequential([layers.Input((4,)), layers.Dense(1)])
generator = Sequential([layers.Input((2,)), layers.Dense(4)])
z = Input((2,))
x = Input((4,))
critic_model = Model([x, z], [critic(x), critic(generator(z))])
generator.trainable = False  # expect: DK101
critic_model.compile(loss=["mse", "mse"], optimizer=optimizers.RMSprop())
critic.trainable = False  # expect: DK101
generator.trainable = True
generator_model = Model(z, critic(generator(z)))
generator_model.compile(loss="mse", optimizer=optimizers.RMSprop())
for step in range(10):
    critic_model.train_on_batch([a, b], [c, e])
    generator_model.train_on_batch(b, c)
"""
        ),
        # Models handed to a class that nobody instantiates in this file (keras-dann).
        Invalid(
            """
from keras import Sequential

class DANN:
    def __init__(self, feature_extractor, label_predictor, domain_classifier):
        self.label_model = Sequential([feature_extractor, label_predictor])
        self.domain_model = Sequential([feature_extractor, domain_classifier])
        self.label_model.compile(optimizer="adam", loss="mse")
        feature_extractor.trainable = False  # expect: DK101
        self.domain_model.compile(optimizer="adam", loss="mse")
        feature_extractor.trainable = True

    def fit(self, x, y, yd):
        for step in range(10):
            self.label_model.train_on_batch(x, y)
            self.domain_model.train_on_batch(x, yd)
"""
        ),
        # Networks built in another module, stacked and frozen here.
        Invalid(
            """
from keras.models import Sequential
from keras.optimizers import SGD
from model import get_discriminator, get_generator

def stack(g, d):
    model = Sequential()
    model.add(g)
    d.trainable = False  # expect: DK101
    model.add(d)
    return model

d = get_discriminator()
g = get_generator()
d_on_g = stack(g, d)
d_on_g.compile(loss="binary_crossentropy", optimizer=SGD())
d.trainable = True
d.compile(loss="binary_crossentropy", optimizer=SGD())
for step in range(10):
    d.train_on_batch(a, b)
    d_on_g.train_on_batch(c, b)
"""
        ),
        # Both orders at once: D is set back to trainable before it ever trains, so the gan step trains it.
        Invalid(
            """
from keras import Input, Model, Sequential, layers, optimizers
generator = Sequential([layers.Input((2,)), layers.Dense(4)])
discriminator = Sequential([layers.Input((4,)), layers.Dense(1, activation="sigmoid")])
discriminator.compile(loss="binary_crossentropy", optimizer=optimizers.Adam())
discriminator.trainable = False  # expect: DK101
z = Input((2,))
gan = Model(z, discriminator(generator(z)))
gan.compile(loss="binary_crossentropy", optimizer=optimizers.Adam())
discriminator.trainable = True
discriminator.fit(a, b)
for step in range(10):
    discriminator.train_on_batch(a, b)
    gan.train_on_batch(c, b)
"""
        ),
        Invalid(
            """
from keras.models import Model, Sequential
from keras.layers import Dense, Input
from keras.optimizers import Adam

d = Sequential([Dense(1)])
d.compile(loss="binary_crossentropy", optimizer=Adam())
g = Sequential([Dense(2)])
z = Input((2,))
d.trainable = False  # expect: DK101
combined = Model(z, d(g(z)))
combined.compile(loss="binary_crossentropy", optimizer=Adam())
for step in range(10):
    d.train_on_batch(x, y)
    combined.train_on_batch(noise, y)
"""
        ),
        # Keras-GAN's class layout, through self attributes and build_* methods.
        Invalid(
            """
import tensorflow as tf
from tensorflow.keras.optimizers import Adam

class GAN:
    def __init__(self):
        self.discriminator = self.build_discriminator()
        self.discriminator.compile(loss="binary_crossentropy", optimizer=Adam())
        self.generator = self.build_generator()
        z = tf.keras.Input(shape=(2,))
        self.discriminator.trainable = False  # expect: DK101
        self.combined = tf.keras.Model(z, self.discriminator(self.generator(z)))
        self.combined.compile(loss="binary_crossentropy", optimizer=Adam())

    def build_discriminator(self):
        return tf.keras.Sequential([tf.keras.layers.Dense(1)])

    def build_generator(self):
        model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
        return model

    def train(self, epochs):
        for epoch in range(epochs):
            self.discriminator.train_on_batch(x, y)
            self.combined.train_on_batch(z, y)
"""
        ),
        # jacobgil/keras-dcgan: freeze while building, compile, unfreeze.
        Invalid(
            """
from keras.models import Sequential
from keras.layers import Dense

def generator_containing_discriminator(g, d):
    model = Sequential()
    model.add(g)
    d.trainable = False  # expect: DK101
    model.add(d)
    return model

d = Sequential([Dense(1)])
g = Sequential([Dense(2)])
d_on_g = generator_containing_discriminator(g, d)
d_on_g.compile(loss="binary_crossentropy", optimizer="SGD")
d.trainable = True
d.compile(loss="binary_crossentropy", optimizer="SGD")
for index in range(10):
    d.train_on_batch(x, y)
    d_on_g.train_on_batch(noise, y)
"""
        ),
    )
