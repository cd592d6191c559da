from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.keras.facts import EventKind, GradientId
from darklint.keras.vocabulary import STEPS
from darklint.rule import Invalid, Valid
from darklint.rules.base import KerasRule

BACKEND = (
    "`keras.backend.gradients` does not exist in Keras 3 (AttributeError), and the perturbation "
    "graph is built by hand around the training calls"
)
TAPE = (
    "the adversarial step is hand-built around the model instead of inside its train step, so its "
    "loss never reaches fit()'s logs or callbacks"
)
# What a `tf.GradientTape` around a Keras model means per backend: nothing
# more on TensorFlow; elsewhere the code cannot run as it is.
TAPE_BACKENDS = {
    "torch": "the tape works on the TensorFlow backend only",
    "jax": "the tape works on the TensorFlow backend only",
}


class AdversarialInputGradient(KerasRule):
    """Gradients with respect to the inputs are used to build perturbed training inputs by hand.

    ## What it does
    Finds a gradient of a loss with respect to a Keras model's inputs
    (`K.gradients(loss, model.input)`, or `tape.gradient(loss, x)` after
    `tape.watch(x)` on data) whose result is added to the inputs
    (FGSM, VAT: `x + eps * sign(grad)`) when those perturbed inputs reach a
    training call: `fit`/`train_on_batch`, or the loss of an optimizer step
    (`apply_gradients` of the weight gradients of a loss on them), through
    `K.function`, helpers and return values. Not reported: perturbed inputs
    only evaluated or predicted on (robustness evaluation is not adversarial
    training), a gradient penalty (WGAN-GP: the gradient's norm used inside a
    loss), a saliency map, and adversarial training written inside a
    `train_step` override, the idiomatic Keras 3 place for it.

    ## Why is this bad?
    `keras.backend.gradients` (and the symbolic graph it worked on) does not
    exist in Keras 3: such code fails with `AttributeError`. Written with
    `tf.GradientTape` around `train_on_batch`, the perturbation is computed
    outside the model's train step, the adversarial and consistency losses
    are invisible to `fit()`'s History and callbacks, and the code is tied to
    the TensorFlow backend.

    ## Example
    ```python
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = loss_fn(y, model(x))
    grad = tape.gradient(loss, x)
    model.train_on_batch(x + 0.1 * tf.sign(grad), y)
    ```

    ## Use instead
    Compute the perturbation and the adversarial loss inside a `train_step`
    override, so that one optimizer step covers the whole objective.

    ## PyTorch reference
    `reference_impls/vat.py`: virtual adversarial training with power
    iteration, a KL consistency loss, one optimizer.

    ## Fix safety
    No automatic fix.

    ## References
    - Goodfellow et al. (FGSM, 2015); Miyato et al. (VAT, 2018)
    - keras.io, "Customizing what happens in fit()"
    """

    code = "DK302"
    name = "adversarial-input-gradient"
    message = "gradient with respect to the inputs builds perturbed training inputs: {consequence}"
    help = "compute the perturbation and the adversarial loss inside a `train_step` override"
    severity = Severity.WARNING
    reference = "reference_impls/vat.py"
    # A tape's `.gradient` in a file that trains (`EventKind.TRAIN`/`STEP`), or
    # `keras.backend.gradients` (darklint.gate; the two alternatives, as choices).
    requires_names = (
        ("GradientTape", "gradients"),
        ("gradient", "gradients"),
        (*STEPS, "gradients"),
    )

    def finish(self) -> None:
        semantic = self.semantic
        # The gradients whose perturbed inputs some training call is given.
        trained_on: set[GradientId] = set()
        for event in semantic.trace:
            if event.kind is EventKind.TRAIN or event.kind is EventKind.STEP:
                trained_on |= event.perturbed
            if event.kind is EventKind.TRAIN:
                # The model's own objective includes a loss on perturbed inputs.
                for model in semantic.closure(event.subject):
                    trained_on |= semantic.models[model].adversarial
        for gradient in semantic.gradients:
            if not gradient.perturbs_inputs or gradient.id not in trained_on:
                continue
            if gradient.function is not None and gradient.function.name.value == "train_step":
                continue
            if gradient.backend_call:
                consequence = BACKEND
            else:
                backends = self.for_backends(TAPE_BACKENDS)
                consequence = f"{TAPE}, and {backends}" if backends else TAPE
            self.report(gradient.node, consequence=consequence)

    VALID = (
        # WGAN-GP: the gradient's norm is used inside a loss only.
        Valid(
            """
import tensorflow as tf
from tensorflow import keras

class WGANGP(keras.Model):
    def gradient_penalty(self, real, fake):
        alpha = tf.random.uniform([tf.shape(real)[0], 1])
        interpolated = real + alpha * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(interpolated)
            pred = self.discriminator(interpolated, training=True)
        grads = tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1]))
        return tf.reduce_mean((norm - 1.0) ** 2)
"""
        ),
        # A saliency map that never feeds training.
        Valid(
            """
import tensorflow as tf
import keras
model = keras.models.load_model("m.keras")
image = tf.Variable(x)
with tf.GradientTape() as tape:
    tape.watch(image)
    loss = model(image)[:, 3]
grads = tape.gradient(loss, image)
saliency = tf.reduce_max(tf.abs(grads), axis=-1)
"""
        ),
        # FGSM for a robustness evaluation: the perturbed inputs are only evaluated.
        Valid(
            """
import tensorflow as tf
import keras
model = keras.models.load_model("m.keras")
x = tf.convert_to_tensor(x_test)
with tf.GradientTape() as tape:
    tape.watch(x)
    loss = keras.losses.sparse_categorical_crossentropy(y_test, model(x))
grad = tape.gradient(loss, x)
x_adv = tf.clip_by_value(x + 0.1 * tf.sign(grad), 0, 1)
print(model.evaluate(x_adv, y_test), model.predict(x_adv).argmax(-1))
"""
        ),
        # The Keras 2 spelling, building the perturbed inputs but never training on them.
        Valid(
            """
from keras import backend as K
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy")
loss = K.categorical_crossentropy(model.output, target)
grads = K.gradients(loss, model.input)[0]
adversarial = K.function([model.input], [model.input + 0.1 * K.sign(grads)])
accuracy = model.evaluate(adversarial([x_test])[0], y_test)
"""
        ),
        # Weight gradients applied by an optimizer are ordinary training.
        Valid(
            """
import tensorflow as tf
import keras
model = keras.Sequential([keras.layers.Dense(1)])
opt = keras.optimizers.Adam()
with tf.GradientTape() as tape:
    loss = tf.reduce_mean(model(x))
grads = tape.gradient(loss, model.trainable_variables)
opt.apply_gradients(zip(grads, model.trainable_variables))
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import numpy as np
import tensorflow as tf
import keras
model = keras.Sequential([keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
loss_fn = keras.losses.SparseCategoricalCrossentropy()
for step in range(10):
    x = tf.convert_to_tensor(batch_x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = loss_fn(batch_y, model(x))
    grad = tape.gradient(loss, x)  # expect: DK302
    x_adv = x + 0.1 * tf.sign(grad)
    model.train_on_batch(np.concatenate([batch_x, x_adv]), np.concatenate([batch_y, batch_y]))
"""
        ),
        Invalid(
            """
from keras import backend as K
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy")
loss = K.categorical_crossentropy(model.output, target)
grads = K.gradients(loss, model.input)[0]  # expect: DK302
adversarial = K.function([model.input], [model.input + 0.1 * K.sign(grads)])
for x, y in batches:
    model.train_on_batch(adversarial([x])[0], y)
"""
        ),
        # Keras 2 adversarial training in a Model subclass: the loss on the
        # perturbed inputs is added to the model's losses, and fit trains it.
        Invalid(
            """
from keras import backend as K
from keras.layers import Dense, Input
from keras.losses import categorical_crossentropy
from keras.models import Model

class AdversarialTraining(Model):
    def setup(self, eps):
        loss = categorical_crossentropy(self.inputs[1], self.outputs[0])
        grads = K.stop_gradient(K.gradients(loss, self.inputs[0]))[0]  # expect: DK302
        perturbed = self.inputs[0] + eps * K.sign(grads)
        self.add_loss(categorical_crossentropy(self.inputs[1], self.call([perturbed, self.inputs[1]])))
        return self

x, y = Input((2,)), Input((2,))
model = AdversarialTraining([x, y], Dense(2, activation="softmax")(x)).setup(0.1)
model.compile(optimizer="adam", loss=categorical_crossentropy)
model.fit([x_train, y_train], y_train)
"""
        ),
        # A hand-written adversarial step: the loss on the perturbed batch is
        # minimised by an optimizer outside any train_step.
        Invalid(
            """
import tensorflow as tf
import keras
model = keras.Sequential([keras.layers.Dense(2)])
opt = keras.optimizers.Adam()
for x, y in dataset:
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = keras.losses.sparse_categorical_crossentropy(y, model(x))
    grad = tape.gradient(loss, x)  # expect: DK302
    x_adv = x + 0.01 * tf.sign(grad)
    with tf.GradientTape() as tape:
        adv_loss = keras.losses.sparse_categorical_crossentropy(y, model(x_adv))
    grads = tape.gradient(adv_loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
"""
        ),
        # The gradient in one function, the perturbation in another, training in a third.
        Invalid(
            """
import numpy as np
import keras
from keras import backend as K

def input_gradient(model, x, label):
    loss = model.output[:, label]
    return K.function([model.input], K.gradients(loss, model.input))([x])[0]  # expect: DK302

def fgsm(model, x, label, eps):
    return (x + eps * np.sign(input_gradient(model, x, label))).clip(0, 1)

model = keras.Sequential([keras.layers.Dense(2)])
model.compile(optimizer="adam", loss="mse")
for x, y in batches:
    model.train_on_batch(fgsm(model, x, 1, 0.1), y)
"""
        ),
    )
