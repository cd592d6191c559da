"""Gradients with respect to inputs (``semantic.gradients``): adversarial perturbations vs penalties."""

from __future__ import annotations

from semantic_helpers import build, line_of


def test_fgsm_with_tape_watch_perturbs_inputs() -> None:
    source = """
        import tensorflow as tf
        import keras

        model = keras.Sequential()

        def adversarial_step(x, y, eps=0.01):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = loss_fn(y, model(x))
            g = tape.gradient(loss, x)
            x_adv = x + eps * tf.sign(g)
            model.train_on_batch(x_adv, y)
        """
    built = build(source)
    (gradient,) = built.sem.gradients
    assert gradient.perturbs_inputs is True
    assert gradient.backend_call is False
    assert built.line(gradient.node) == line_of(source, "tape.gradient")


def test_fgsm_with_stop_gradient_and_subtraction() -> None:
    built = build(
        """
        import tensorflow as tf

        def attack(model, x, y, eps):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = model.compiled_loss(y, model(x))
            grad = tape.gradient(loss, x)
            signed = tf.stop_gradient(tf.sign(grad))
            return tf.clip_by_value(x - eps * signed, 0.0, 1.0)
        """
    )
    (gradient,) = built.sem.gradients
    assert gradient.perturbs_inputs is True


def test_vat_style_normalised_direction_perturbs_inputs() -> None:
    built = build(
        """
        import tensorflow as tf

        def vat_loss(model, x, xi=1e-6, eps=2.0):
            d = tf.random.normal(tf.shape(x))
            with tf.GradientTape() as tape:
                tape.watch(d)
                dist = kl(model(x), model(x + xi * d))
            g = tape.gradient(dist, d)
            r_adv = eps * tf.math.l2_normalize(g)
            return kl(model(x), model(x + r_adv))
        """
    )
    (gradient,) = built.sem.gradients
    assert gradient.perturbs_inputs is True


def test_wgan_gp_penalty_does_not_perturb_inputs() -> None:
    source = """
        import tensorflow as tf
        import keras

        discriminator = keras.Sequential()

        def gradient_penalty(real, fake):
            alpha = tf.random.uniform([32, 1, 1, 1], 0.0, 1.0)
            interpolated = real + alpha * (fake - real)
            with tf.GradientTape() as gp_tape:
                gp_tape.watch(interpolated)
                pred = discriminator(interpolated, training=True)
            g = gp_tape.gradient(pred, interpolated)
            norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=[1, 2, 3]))
            gp = tf.reduce_mean((norm - 1.0) ** 2)
            return gp
        """
    built = build(source)
    (gradient,) = built.sem.gradients
    assert gradient.perturbs_inputs is False
    assert built.line(gradient.node) == line_of(source, "gp_tape.gradient")


def test_wgan_gp_keras_example_list_form_does_not_perturb_inputs() -> None:
    built = build(
        """
        import tensorflow as tf

        def gradient_penalty(self, batch_size, real_images, fake_images):
            alpha = tf.random.normal([batch_size, 1, 1, 1], 0.0, 1.0)
            diff = fake_images - real_images
            interpolated = real_images + alpha * diff
            with tf.GradientTape() as gp_tape:
                gp_tape.watch(interpolated)
                pred = self.discriminator(interpolated, training=True)
            grads = gp_tape.gradient(pred, [interpolated])[0]
            norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
            gp = tf.reduce_mean((norm - 1.0) ** 2)
            return gp
        """
    )
    assert not any(g.perturbs_inputs for g in built.sem.gradients)


def test_keras_backend_gradients_wrt_model_input() -> None:
    source = """
        from keras import backend as K
        from keras.models import Sequential

        model = Sequential()
        loss = K.mean(model.output)
        grads = K.gradients(loss, model.input)
        """
    built = build(source)
    (gradient,) = built.sem.gradients
    assert gradient.backend_call is True
    assert built.line(gradient.node) == line_of(source, "K.gradients")


def test_keras_backend_gradients_wrt_model_input_in_a_list_perturbs() -> None:
    built = build(
        """
        import keras.backend as K
        import keras

        model = keras.Sequential()
        loss = K.mean(model.output)
        grads = K.gradients(loss, [model.input])[0]
        x_adv = model.input + 0.01 * K.sign(grads)
        """
    )
    (gradient,) = built.sem.gradients
    assert gradient.backend_call is True
    assert gradient.perturbs_inputs is True


def test_tf_keras_backend_gradients_spelling() -> None:
    built = build(
        """
        import tensorflow as tf

        model = tf.keras.models.load_model("m.h5")
        grads = tf.keras.backend.gradients(loss, model.inputs)
        """
    )
    (gradient,) = built.sem.gradients
    assert gradient.backend_call is True


def test_gradients_wrt_trainable_weights_are_not_recorded() -> None:
    built = build(
        """
        import tensorflow as tf
        import keras
        from keras import backend as K

        model = keras.Sequential()
        optimizer = keras.optimizers.Adam()
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_weights)
        grads2 = tape.gradient(loss, model.trainable_variables)
        grads3 = K.gradients(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        """
    )
    assert built.sem.gradients == ()


def test_gradient_wrt_unwatched_tensor_is_not_recorded() -> None:
    built = build(
        """
        import tensorflow as tf

        def step(model, x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x))
            g = tape.gradient(loss, x)
            return x + 0.1 * tf.sign(g)
        """
    )
    assert built.sem.gradients == ()


def test_gradient_used_only_for_logging_does_not_perturb() -> None:
    built = build(
        """
        import tensorflow as tf

        def saliency(model, x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                score = model(x)
            g = tape.gradient(score, x)
            return tf.reduce_max(tf.abs(g), axis=-1)
        """
    )
    (gradient,) = built.sem.gradients
    assert gradient.perturbs_inputs is False


def test_fgsm_with_a_list_of_sources_perturbs_inputs() -> None:
    # `tape.gradient(loss, [x])[0]` is the same gradient as `tape.gradient(loss, x)`.
    built = build(
        """
        import tensorflow as tf

        def attack(model, x, y, eps):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = model.compiled_loss(y, model(x))
            grads = tape.gradient(loss, [x])[0]
            return x + eps * tf.sign(grads)
        """
    )
    (gradient,) = built.sem.gradients
    assert gradient.perturbs_inputs is True
