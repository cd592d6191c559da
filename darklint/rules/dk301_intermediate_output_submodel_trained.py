from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.facts import Event, EventKind, ModelId
from darklint.keras.semantic import SemanticModel
from darklint.keras.vocabulary import TRAINS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule


class IntermediateOutputSubmodelTrained(KerasRule):
    """A sub-model built on another model's intermediate layer is trained as part of a compiled model.

    ## What it does
    Finds `Model(D.input, D.get_layer(...).output)` (or `D.layers[i].output`,
    or `layer.output` of a layer of another model) when that sub-model is
    itself compiled and trained, or is part of a model that is (feature
    matching, a perceptual loss through a trained wrapper), and the model
    whose layer it exposes is trained (on its own, or trainable in a model
    that is). Pure feature extraction and inference (style transfer with a
    frozen VGG used only inside a loss function) and a frozen, never-trained
    loss network inside a trained wrapper (SRGAN's VGG perceptual loss) are
    not reported: no optimizer ever holds their weights.

    ## Why is this bad?
    The sub-model shares D's variables. To train a generator on a feature
    objective, Keras needs one more wrapper model (`Model(z, [D(G(z)),
    feat(G(z))])`), one more `compile()` and one more optimizer per
    objective; keeping D out of the generator's update then needs the
    `trainable` toggling of DK101, and with the Keras-GAN ordering D never
    trains on Keras 3. The objective of the paper (a distance between mean
    features) is spread over wrappers and loss lists.

    ## Example
    ```python
    feat = Model(D.input, D.get_layer("feat").output)
    combined = Model(z, [D(G(z)), feat(G(z))])
    combined.compile(optimizer=Adam(), loss=["binary_crossentropy", "mse"])
    ```

    ## Use instead
    Make D return both its logit and its features, and compute the
    feature-matching loss inside a `train_step` override.

    ## PyTorch reference
    `reference_impls/feature_matching_gan.py`: `D(x)` returns `(logit,
    features)`; the generator loss is the distance between mean real and fake
    features; no extra wrapper model.

    ## Fix safety
    No automatic fix.

    ## References
    - Salimans et al., "Improved Techniques for Training GANs" (2016)
    """

    code = "DK301"
    name = "intermediate-output-submodel-trained"
    message = (
        "`{feature}` exposes an intermediate layer of `{model}` and is trained through `{trained}`: "
        "every feature objective needs another wrapper model, compile() and optimizer over "
        "`{model}`'s shared weights"
    )
    help = "return the features from `{model}` too and compute the feature loss in one `train_step`"
    severity = Severity.WARNING
    reference = "reference_impls/feature_matching_gan.py"
    # A layer's output (`m.layers[i].output`, `m.get_layer(...).output`) in a
    # model that is compiled and trained (darklint.gate).
    requires_names = ("compile", TRAINS, ("output", "outputs"), ("layers", "get_layer"))

    def finish(self) -> None:
        semantic = self.semantic
        compiles = list(semantic.events(EventKind.COMPILE))
        for feature in semantic.models.values():
            if feature.feature_of is None or not self._trains(
                feature.feature_of, feature.id, compiles
            ):
                continue
            for compile_event in semantic.events(EventKind.COMPILE):
                trained_model = compile_event.subject
                if semantic.contains(trained_model, feature.id) and semantic.is_trained(
                    trained_model
                ):
                    self.report(
                        feature.feature_anchor or feature.node,
                        feature=feature.label,
                        model=semantic.label(feature.feature_of),
                        trained=semantic.label(trained_model),
                        related={
                            f"`{semantic.label(trained_model)}` compiled here": compile_event.node
                        },
                    )
                    break

    def _trains(self, model: ModelId, feature: ModelId, compiles: list[Event]) -> bool:
        """Some trained model's compile holds ``model``'s weights as trainable, other than
        through the feature model: a backbone trained only as part of the model built
        on its intermediate layers (DeepLab's encoder, a U-Net on a pretrained
        network, whatever wraps that model) is that model's own part, not a
        second objective over it.  (A model truncated in place is its own feature model.)"""
        semantic = self.semantic
        return any(
            (_holds_besides(semantic, event.subject, model, feature) or model == feature)
            and semantic.contains(event.subject, model)
            and True in semantic.effective_trainable(event, model)
            and semantic.is_trained(event.subject)
            for event in compiles
        )

    VALID = (
        # An encoder-decoder on a backbone's intermediate layers (DeepLab v3+,
        # a U-Net on a pretrained network): the backbone trains only as part of it.
        Valid(
            """
import keras
from keras import Input, Model, layers
inp = Input((64, 64, 3))
x = layers.Conv2D(8, 3, name="block1")(inp)
x = layers.Conv2D(16, 3, name="block2")(x)
encoder = Model(inp, layers.Conv2D(32, 3)(x))
skip = encoder.get_layer("block1").output
deep = layers.UpSampling2D()(encoder.output)
out = layers.Conv2D(2, 1)(layers.Concatenate()([layers.Resizing(62, 62)(skip), layers.Resizing(62, 62)(deep)]))
segmenter = Model(encoder.input, out)
segmenter.compile(optimizer="adam", loss="categorical_crossentropy")
segmenter.fit(x_train, y_train)
critic = keras.Sequential([layers.Flatten(), layers.Dense(1)])
adapted = Model(inp, critic(segmenter(inp)))
adapted.compile(optimizer="adam", loss="binary_crossentropy")
adapted.fit(x_target, y_domain)
"""
        ),
        # SRGAN's perceptual loss: a truncated VGG, frozen and never trained,
        # inside the trained generator wrapper.
        Valid(
            """
from keras.applications import VGG19
from keras.layers import Input
from keras.models import Model
vgg = VGG19(weights="imagenet")
vgg.outputs = [vgg.layers[20].output]
img = Input(shape=(224, 224, 3))
loss_net = Model(inputs=img, outputs=vgg(img))
loss_net.trainable = False
lr = Input(shape=(56, 56, 3))
sr = generator(lr)
srgan = Model(lr, [discriminator(sr), loss_net(sr)])
srgan.compile(optimizer="adam", loss=["binary_crossentropy", "mse"])
srgan.train_on_batch(x, [y, features])
"""
        ),
        # keras.io style transfer: a feature extractor used inside a loss only.
        Valid(
            """
import keras
import tensorflow as tf
vgg = keras.applications.VGG19(weights=None, include_top=False)
outputs = {layer.name: layer.output for layer in vgg.layers}
feature_extractor = keras.Model(inputs=vgg.inputs, outputs=outputs)
optimizer = keras.optimizers.SGD(1.0)
for i in range(10):
    with tf.GradientTape() as tape:
        loss = compute_loss(feature_extractor, image)
    grads = tape.gradient(loss, image)
    optimizer.apply_gradients([(grads, image)])
"""
        ),
        # Feature extraction for inference.
        Valid(
            """
from keras import Model
from keras.models import load_model
classifier = load_model("c.keras")
embedder = Model(classifier.input, classifier.get_layer("embedding").output)
vectors = embedder.predict(images)
"""
        ),
    )
    INVALID = (
        # A builder returning `(model, features)`.
        Invalid(
            """
from keras import Input, Model, Sequential, layers

def build_discriminator():
    x = Input((2,))
    model = Model(x, layers.Dense(1)(layers.Dense(8, name="feat")(x)))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    features = Model(model.inputs, model.get_layer("feat").output)  # expect: DK301
    return model, features

d, feat = build_discriminator()
g = Sequential([layers.Dense(2)])
z = Input((4,))
matching = Model(z, feat(g(z)))
matching.compile(optimizer="adam", loss="mse")
for step in range(10):
    d.train_on_batch(x, y)
    matching.train_on_batch(noise, targets)
"""
        ),
        # A discriminator truncated in place (`D.outputs = [...]`) and trained
        # through the combined model: reported at the truncation.
        Invalid(
            """
from keras import Input, Model, Sequential, layers
D = Sequential([layers.Input((2,)), layers.Dense(8, name="feat"), layers.Dense(1)])
D.compile(optimizer="adam", loss="binary_crossentropy")
D.outputs = [D.layers[0].output]  # expect: DK301
G = Sequential([layers.Dense(2)])
z = Input((2,))
combined = Model(z, D(G(z)))
combined.compile(loss="mse", optimizer="adam")
combined.fit(a, b)
D.fit(x, y)
"""
        ),
        Invalid(
            """
from keras import Model, Sequential, Input, layers
from keras.optimizers import Adam
D = Sequential([layers.Dense(8, name="feat"), layers.Dense(1, activation="sigmoid")])
G = Sequential([layers.Dense(2)])
D.build((None, 2))
feat = Model(D.inputs, D.get_layer("feat").output)  # expect: DK301
z = Input((2,))
combined = Model(z, [D(G(z)), feat(G(z))])
combined.compile(optimizer=Adam(), loss=["binary_crossentropy", "mse"])
combined.fit(noise, [ones, real_features])
"""
        ),
    )


def _holds_besides(semantic: SemanticModel, outer: ModelId, model: ModelId, avoid: ModelId) -> bool:
    """``outer`` holds ``model`` (or is it) through models other than ``avoid``."""
    seen: set[ModelId] = set()
    stack = [outer]
    while stack:
        current = stack.pop()
        if current == avoid or current in seen:
            continue
        if current == model:
            return True
        seen.add(current)
        stack.extend(semantic.models[current].contains)
    return False
