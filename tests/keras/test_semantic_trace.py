"""Trace order and the queries over it: toggle patterns, recompiles, loops, steps, optimizers."""

from __future__ import annotations

from semantic_helpers import FALSE, TRUE, build, line_of

from darklint.keras.facts import EventKind
from darklint.keras.semantic import unique_by_node
from darklint.rules.toggles import ToggleKind, toggle_patterns

KERAS_GAN = """
from keras.layers import Input, Dense
from keras.models import Sequential, Model
from keras.optimizers import Adam


class GAN:
    def __init__(self):
        optimizer = Adam(0.0002, 0.5)
        self.discriminator = self.build_discriminator()
        self.discriminator.compile(loss="binary_crossentropy", optimizer=optimizer)
        self.generator = self.build_generator()
        z = Input(shape=(100,))
        img = self.generator(z)
        self.discriminator.trainable = False
        validity = self.discriminator(img)
        self.combined = Model(z, validity)
        self.combined.compile(loss="binary_crossentropy", optimizer=optimizer)

    def build_generator(self):
        model = Sequential()
        model.add(Dense(784))
        noise = Input(shape=(100,))
        return Model(noise, model(noise))

    def build_discriminator(self):
        model = Sequential()
        model.add(Dense(1))
        img = Input(shape=(784,))
        return Model(img, model(img))

    def train(self, epochs):
        for epoch in range(epochs):
            gen_imgs = self.generator.predict(noise)
            d_loss_real = self.discriminator.train_on_batch(imgs, valid)
            d_loss_fake = self.discriminator.train_on_batch(gen_imgs, fake)
            g_loss = self.combined.train_on_batch(noise, valid)


if __name__ == "__main__":
    gan = GAN()
    gan.train(epochs=30000)
"""

JACOBGIL = """
from keras.models import Sequential
from keras.layers import Dense
from keras.optimizers import SGD


def generator_model():
    model = Sequential()
    model.add(Dense(1024))
    return model


def discriminator_model():
    model = Sequential()
    model.add(Dense(1))
    return model


def generator_containing_discriminator(g, d):
    model = Sequential()
    model.add(g)
    d.trainable = False
    model.add(d)
    return model


def train(BATCH_SIZE):
    d = discriminator_model()
    g = generator_model()
    d_on_g = generator_containing_discriminator(g, d)
    d_optim = SGD(lr=0.0005, momentum=0.9, nesterov=True)
    g_optim = SGD(lr=0.0005, momentum=0.9, nesterov=True)
    g.compile(loss="binary_crossentropy", optimizer="SGD")
    d_on_g.compile(loss="binary_crossentropy", optimizer=g_optim)
    d.trainable = True
    d.compile(loss="binary_crossentropy", optimizer=d_optim)
    for epoch in range(100):
        for index in range(10):
            generated_images = g.predict(noise, verbose=0)
            d_loss = d.train_on_batch(X, y)
            d.trainable = False
            g_loss = d_on_g.train_on_batch(noise, [1] * BATCH_SIZE)
            d.trainable = True
"""

TRANSFER = """
import keras

base = keras.applications.VGG16(weights="imagenet", include_top=False)
base.trainable = False
inputs = keras.Input(shape=(224, 224, 3))
x = base(inputs, training=False)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(), loss="bce")
model.fit(ds, epochs=20)
base.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="bce")
model.fit(ds, epochs=10)
"""


def test_keras_gan_trace_order() -> None:
    built = build(KERAS_GAN)
    d_compile = line_of(KERAS_GAN, "self.discriminator.compile")
    freeze = line_of(KERAS_GAN, "self.discriminator.trainable = False")
    c_compile = line_of(KERAS_GAN, "self.combined.compile")
    predict = line_of(KERAS_GAN, "self.generator.predict")
    real = line_of(KERAS_GAN, "train_on_batch(imgs")
    fake = line_of(KERAS_GAN, "train_on_batch(gen_imgs")
    comb = line_of(KERAS_GAN, "self.combined.train_on_batch")
    one_epoch = [
        ("predict", "self.generator", predict),
        ("train", "self.discriminator", real),
        ("train", "self.discriminator", fake),
        ("train", "self.combined", comb),
    ]
    assert built.trace() == [
        ("compile", "self.discriminator", d_compile),
        ("trainable", "self.discriminator", freeze),
        ("compile", "self.combined", c_compile),
        *one_epoch,
        *one_epoch,
    ]
    c = built.only(EventKind.COMPILE, "self.combined")
    assert built.state_at(c, "self.discriminator") == FALSE
    assert built.state_at(c, "self.generator") == TRUE
    epoch_line = line_of(KERAS_GAN, "for epoch")
    for event in built.events(EventKind.TRAIN):
        assert [built.line(loop.node) for loop in event.lexical_loops] == [epoch_line]
        assert event.function is not None
        assert event.function.name.value == "train"


def test_keras_gan_toggle_pattern_never_trains() -> None:
    built = build(KERAS_GAN)
    patterns = toggle_patterns(built.sem)
    assert len(patterns) == 1
    pattern = patterns[0]
    assert pattern.kind is ToggleKind.NEVER_TRAINS
    assert built.label_of(pattern.freeze) == "self.discriminator"
    assert built.line(pattern.freeze.node) == line_of(
        KERAS_GAN, "self.discriminator.trainable = False"
    )
    assert built.label_of(pattern.compile) == "self.combined"
    assert pattern.own_compile is built.only(EventKind.COMPILE, "self.discriminator")
    assert pattern.train is not None
    assert built.line(pattern.train.node) == line_of(KERAS_GAN, "train_on_batch(imgs")
    assert pattern.reset is None


def test_keras_gan_queries() -> None:
    built = build(KERAS_GAN)
    sem = built.sem
    d = built.model("self.discriminator")
    freeze = built.only(EventKind.TRAINABLE, "self.discriminator")
    c_compile = built.only(EventKind.COMPILE, "self.combined")
    d_compile = built.only(EventKind.COMPILE, "self.discriminator")
    assert sem.last_compile_before(d, freeze) is d_compile
    assert sem.last_compile_before(built.model("self.combined"), freeze) is None
    train = sem.trained_later_without_recompile(d, c_compile)
    assert train is not None
    assert train.kind is EventKind.TRAIN
    assert built.line(train.node) == line_of(KERAS_GAN, "train_on_batch(imgs")
    # The generator is never trained on its own.
    assert sem.trained_later_without_recompile(built.model("self.generator"), c_compile) is None
    assert sem.is_trained(d)
    assert not sem.is_trained(built.model("self.generator"))
    assert any(e.kind in (EventKind.TRAIN, EventKind.STEP) for e in sem.trace)


def test_keras_gan_shared_optimizer() -> None:
    built = build(KERAS_GAN)
    d_compile = built.only(EventKind.COMPILE, "self.discriminator")
    c_compile = built.only(EventKind.COMPILE, "self.combined")
    assert d_compile.optimizer is not None
    assert d_compile.optimizer is c_compile.optimizer
    assert built.sem.optimizer(d_compile.optimizer).label == "optimizer"
    assert len(built.sem.optimizers) == 1


# jacobgil's loop sets `d.trainable = False` before every combined step: Keras 3
# reads the flag then (TF: at the trace, torch: at each step), so the combined
# model leaves D alone (tests/evidence measured it) and there is no DK101
# pattern; the in-loop toggles are DK103's business.
JACOBGIL_WITHOUT_TOGGLES = JACOBGIL.replace("            d.trainable = False\n", "").replace(
    "            d.trainable = True\n", ""
)


def test_jacobgil_in_loop_toggles_leave_no_toggle_pattern() -> None:
    assert toggle_patterns(build(JACOBGIL).sem) == []


def test_jacobgil_order_without_loop_toggles_is_trained_by_combined() -> None:
    source = JACOBGIL_WITHOUT_TOGGLES
    assert source.count("trainable") == 2
    built = build(source)
    patterns = toggle_patterns(built.sem)
    assert len(patterns) == 1
    pattern = patterns[0]
    assert pattern.kind is ToggleKind.TRAINED_BY_COMBINED
    assert built.label_of(pattern.freeze) == "d"
    # A multi-purpose helper: anchored at the assignment inside it.
    assert built.line(pattern.freeze.node) == line_of(source, "d.trainable = False")
    assert built.label_of(pattern.compile) == "d_on_g"
    assert pattern.reset is not None
    assert built.line(pattern.reset.node) == line_of(source, "d.trainable = True")
    assert pattern.train is not None
    assert built.label_of(pattern.train) == "d_on_g"
    assert built.line(pattern.train.node) == line_of(source, "d_on_g.train_on_batch")
    assert pattern.own_compile is None


def test_jacobgil_optimizers_are_distinct() -> None:
    built = build(JACOBGIL)
    d_on_g = built.only(EventKind.COMPILE, "d_on_g").optimizer
    d = built.only(EventKind.COMPILE, "d").optimizer
    assert d_on_g is not None
    assert d is not None
    assert d_on_g != d
    labels = (built.sem.optimizer(d_on_g).label, built.sem.optimizer(d).label)
    assert labels == ("g_optim", "d_optim")
    # A string optimizer is no object.
    assert built.only(EventKind.COMPILE, "g").optimizer is None


def test_transfer_learning_has_no_toggle_pattern() -> None:
    built = build(TRANSFER)
    assert toggle_patterns(built.sem) == []
    assert built.trace() == [
        ("trainable", "base", line_of(TRANSFER, "base.trainable = False")),
        ("compile", "model", line_of(TRANSFER, "model.compile", 1)),
        ("train", "model", line_of(TRANSFER, "model.fit", 1)),
        ("trainable", "base", line_of(TRANSFER, "base.trainable = True")),
        ("compile", "model", line_of(TRANSFER, "model.compile", 2)),
        ("train", "model", line_of(TRANSFER, "model.fit", 2)),
    ]
    compiles = built.events(EventKind.COMPILE, "model")
    assert built.state_at(compiles[0], "base") == FALSE
    assert built.state_at(compiles[1], "base") == TRUE
    model = built.model("model")
    unfreeze = built.events(EventKind.TRAINABLE, "base")[1]
    # After the unfreeze, the model is recompiled before it trains again.
    assert built.sem.trained_later_without_recompile(model, unfreeze) is None
    assert built.sem.last_compile_before(model, unfreeze) is compiles[0]


def test_inline_optimizers_are_distinct() -> None:
    built = build(TRANSFER)
    first, second = (e.optimizer for e in built.events(EventKind.COMPILE, "model"))
    assert first is not None
    assert second is not None
    assert first != second
    assert len(built.sem.optimizers) == 2
    assert all(e.optimizer is not None for e in built.events(EventKind.COMPILE))


def test_trained_later_without_recompile_stops_at_a_recompile() -> None:
    built = build(
        """
        import keras
        m = keras.Sequential()
        m.compile(optimizer="adam")
        m.trainable = False
        m.compile(optimizer="adam")
        m.fit(x)
        """
    )
    sem = built.sem
    m = built.model("m")
    first_compile, second_compile = built.events(EventKind.COMPILE, "m")
    freeze = built.only(EventKind.TRAINABLE, "m")
    assert sem.trained_later_without_recompile(m, first_compile) is None
    assert sem.trained_later_without_recompile(m, freeze) is None
    assert sem.trained_later_without_recompile(m, second_compile) is built.only(EventKind.TRAIN)
    assert sem.last_compile_before(m, freeze) is first_compile
    assert sem.last_compile_before(m, first_compile) is None


def test_same_optimizer_bound_to_a_name_and_passed_twice() -> None:
    built = build(
        """
        import keras
        a = keras.Sequential()
        b = keras.Sequential()
        opt = keras.optimizers.Adam()
        a.compile(optimizer=opt, loss="mse")
        b.compile(opt, loss="mse")
        """
    )
    first = built.only(EventKind.COMPILE, "a").optimizer
    second = built.only(EventKind.COMPILE, "b").optimizer
    assert first is not None
    assert first == second
    assert built.sem.optimizer(first).label == "opt"


def test_inline_adam_passed_twice_is_two_optimizers() -> None:
    built = build(
        """
        import keras
        a = keras.Sequential()
        b = keras.Sequential()
        a.compile(optimizer=keras.optimizers.Adam(), loss="mse")
        b.compile(optimizer=keras.optimizers.Adam(), loss="mse")
        """
    )
    first = built.only(EventKind.COMPILE, "a").optimizer
    second = built.only(EventKind.COMPILE, "b").optimizer
    assert first is not None
    assert second is not None
    assert first != second


def test_model_optimizer_resolves_to_the_last_compile() -> None:
    built = build(
        """
        import keras
        a = keras.Sequential()
        b = keras.Sequential()
        a.compile(optimizer=keras.optimizers.SGD(), loss="mse")
        a.compile(optimizer=keras.optimizers.Adam(), loss="mse")
        b.compile(optimizer=a.optimizer, loss="mse")
        """
    )
    _, second = built.events(EventKind.COMPILE, "a")
    b_opt = built.only(EventKind.COMPILE, "b").optimizer
    assert b_opt is not None
    assert b_opt is second.optimizer


def test_model_optimizer_after_a_string_compile_is_unknown() -> None:
    built = build(
        """
        import keras
        a = keras.Sequential()
        b = keras.Sequential()
        a.compile(optimizer=keras.optimizers.SGD(), loss="mse")
        a.compile(optimizer="adam", loss="mse")
        b.compile(optimizer=a.optimizer, loss="mse")
        """
    )
    assert built.only(EventKind.COMPILE, "b").optimizer is None


def test_optimizer_in_a_self_attribute() -> None:
    built = build(
        """
        import keras

        class GAN:
            def __init__(self):
                self.opt = keras.optimizers.Adam()
                self.d = keras.Sequential()
                self.g = keras.Sequential()
                self.d.compile(optimizer=self.opt)
                self.g.compile(optimizer=self.opt)
        """
    )
    d = built.only(EventKind.COMPILE, "self.d").optimizer
    g = built.only(EventKind.COMPILE, "self.g").optimizer
    assert d is not None
    assert d == g
    assert built.sem.optimizer(d).label == "self.opt"


def test_loops_and_lexical_loops() -> None:
    source = """
        import keras
        G = keras.Sequential()
        D = keras.Sequential()

        def sample_images(gen):
            return gen.predict(noise)

        for epoch in range(3):
            for batch in range(10):
                D.train_on_batch(x, y)
            sample_images(G)
        """
    built = build(source)
    trains = built.events(EventKind.TRAIN, "D")
    predicts = built.events(EventKind.PREDICT, "G")
    # Outer loop twice, inner loop twice per outer pass.
    assert len(trains) == 4
    assert len(predicts) == 2
    assert len(unique_by_node(trains)) == 1
    assert len(unique_by_node(predicts)) == 1
    outer_line = line_of(source, "for epoch")
    inner_line = line_of(source, "for batch")
    train = trains[0]
    assert [built.line(loop.node) for loop in train.loops] == [outer_line, inner_line]
    assert train.lexical_loops == train.loops
    assert train.function is None
    predict = predicts[0]
    assert [built.line(loop.node) for loop in predict.loops] == [outer_line]
    # The loop is the caller's, not written around the predict.
    assert predict.lexical_loops == ()
    assert predict.function is not None
    assert predict.function.name.value == "sample_images"


def test_lexical_loops_inside_a_function_called_from_a_loop() -> None:
    source = """
        import keras
        G = keras.Sequential()

        def sample(gen):
            for i in range(2):
                gen.predict(noise)

        for epoch in range(3):
            sample(G)
        """
    built = build(source)
    predict = built.events(EventKind.PREDICT, "G")[0]
    assert [built.line(loop.node) for loop in predict.loops] == [
        line_of(source, "for epoch"),
        line_of(source, "for i in"),
    ]
    assert [built.line(loop.node) for loop in predict.lexical_loops] == [
        line_of(source, "for i in")
    ]


def test_event_outside_any_loop_has_no_loops() -> None:
    built = build(
        """
        import keras
        m = keras.Sequential()
        m.fit(x)
        """
    )
    event = built.only(EventKind.TRAIN)
    assert event.loops == ()
    assert event.lexical_loops == ()


def test_train_methods_recorded_with_their_name() -> None:
    built = build(
        """
        import keras
        m = keras.Sequential()
        m.fit(x)
        m.train_on_batch(x, y)
        m.fit_generator(gen)
        m.predict(x)
        m.evaluate(x)
        m.predict_on_batch(x)
        """
    )
    assert [(e.kind.value, e.method) for e in built.sem.trace] == [
        ("train", "fit"),
        ("train", "train_on_batch"),
        ("train", "fit_generator"),
        ("predict", "predict"),
    ]


def test_apply_gradients_is_a_step_event() -> None:
    source = """
        import keras
        import tensorflow as tf
        model = keras.Sequential()
        optimizer = keras.optimizers.Adam()

        for step in range(10):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
        """
    built = build(source)
    steps = built.events(EventKind.STEP)
    assert len(steps) == 2
    assert all(e.model is None for e in steps)
    assert built.line(steps[0].node) == line_of(source, "apply_gradients")
    assert [built.line(loop.node) for loop in steps[0].loops] == [line_of(source, "for step")]
    assert any(e.kind in (EventKind.TRAIN, EventKind.STEP) for e in built.sem.trace)
    assert not built.sem.is_trained(built.model("model"))


def test_nothing_trained() -> None:
    built = build(
        """
        import keras
        m = keras.Sequential()
        m.compile(optimizer="adam")
        m.predict(x)
        """
    )
    assert not any(e.kind in (EventKind.TRAIN, EventKind.STEP) for e in built.sem.trace)


def test_event_indexes_are_trace_positions() -> None:
    built = build(KERAS_GAN)
    assert [e.index for e in built.sem.trace] == list(range(len(built.sem.trace)))
    freeze = built.only(EventKind.TRAINABLE)
    later = [e for e in built.sem.trace[freeze.index + 1 :] if e.model == freeze.model]
    assert list(built.sem.events_after(freeze.subject, freeze)) == later
    assert built.sem.events_before(freeze.subject, freeze) == [
        e for e in built.sem.trace[: freeze.index] if e.model == freeze.model
    ]


def test_freeze_then_unfreeze_before_the_combined_compile_is_no_pattern() -> None:
    built = build(
        """
        import keras
        D = keras.Sequential()
        G = keras.Sequential()
        D.compile(optimizer="adam")
        D.trainable = False
        D.trainable = True
        combined = keras.Sequential([G, D])
        combined.compile(optimizer="adam")
        D.fit(x)
        combined.fit(x)
        """
    )
    assert toggle_patterns(built.sem) == []


def test_freeze_then_combined_compile_never_trained_is_no_pattern() -> None:
    built = build(
        """
        import keras
        D = keras.Sequential()
        G = keras.Sequential()
        D.trainable = False
        combined = keras.Sequential([G, D])
        combined.compile(optimizer="adam")
        combined.fit(x)
        """
    )
    # D never compiled on its own nor reset: it is simply a frozen part.
    assert toggle_patterns(built.sem) == []


def test_keras_gan_order_at_module_level_inside_a_loop() -> None:
    source = """
        import keras
        D = keras.Sequential()
        G = keras.Sequential()
        z = keras.Input(shape=(8,))
        D.compile(optimizer="adam")
        D.trainable = False
        combined = keras.Model(z, D(G(z)))
        combined.compile(optimizer="adam")
        for epoch in range(10):
            D.train_on_batch(x, y)
            combined.train_on_batch(z, y)
        """
    built = build(source)
    (pattern,) = toggle_patterns(built.sem)
    assert pattern.kind is ToggleKind.NEVER_TRAINS
    assert pattern.train is not None
    assert built.line(pattern.train.node) == line_of(source, "D.train_on_batch")
