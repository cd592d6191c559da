"""Which values the semantic model proves are Keras models, and under which names."""

from __future__ import annotations

from semantic_helpers import build, line_of

from darklint.keras.facts import EventKind


def test_constructor_kinds() -> None:
    built = build(
        """
        import keras
        from keras import layers

        inp = keras.Input(shape=(4,))
        functional = keras.Model(inp, layers.Dense(1)(inp))
        seq = keras.Sequential([layers.Dense(1)])
        loaded = keras.models.load_model("m.keras")
        cloned = keras.models.clone_model(seq)
        vgg = keras.applications.VGG16(weights=None)
        """
    )
    kinds = {info.label: info.kind.value for info in built.sem.models.values()}
    assert kinds == {
        "functional": "functional",
        "seq": "sequential",
        "loaded": "loaded",
        "cloned": "loaded",
        "vgg": "loaded",
    }


def test_functional_model_with_keyword_arguments() -> None:
    built = build(
        """
        import keras
        inp = keras.Input(shape=(4,))
        out = keras.layers.Dense(1)(inp)
        m = keras.Model(inputs=inp, outputs=out, name="m")
        m.fit(x, y)
        """
    )
    assert built.labels() == {"m"}
    assert built.trace() == [("train", "m", 5)]


def test_subclass_of_keras_model() -> None:
    built = build(
        """
        import keras

        class GAN(keras.Model):
            def call(self, x):
                return x

        gan = GAN()
        gan.compile(optimizer="adam")
        gan.fit(x)
        """
    )
    gan = built.model("gan")
    assert built.sem.models[gan].kind.value == "subclass"
    assert built.trace() == [("compile", "gan", 8), ("train", "gan", 9)]


def test_subclass_of_a_subclass_of_tf_keras_model() -> None:
    built = build(
        """
        import tensorflow as tf

        class Base(tf.keras.Model):
            pass

        class Child(Base):
            pass

        net = Child()
        net.fit(x)
        """
    )
    assert built.labels() == {"net"}
    assert built.sem.models[built.model("net")].kind.value == "subclass"


def test_subclass_of_sequential_imported_by_name() -> None:
    built = build(
        """
        from tensorflow.keras.models import Sequential

        class MySeq(Sequential):
            pass

        net = MySeq()
        net.fit(x)
        """
    )
    assert built.labels() == {"net"}


def test_plain_class_is_not_a_model() -> None:
    built = build(
        """
        import keras

        class Trainer:
            def fit(self, x):
                pass

        t = Trainer()
        t.fit(x)
        t.trainable = False
        """
    )
    assert built.sem.models == {}
    assert built.sem.trace == ()


def test_return_value_of_a_same_file_function() -> None:
    built = build(
        """
        from keras.models import Sequential, Model
        from keras.layers import Input, Dense

        def build_discriminator():
            model = Sequential()
            model.add(Dense(1))
            img = Input(shape=(28,))
            validity = model(img)
            return Model(img, validity)

        D = build_discriminator()
        D.compile(optimizer="adam", loss="bce")
        D.train_on_batch(x, y)
        """
    )
    assert built.labels() == {"model", "D"}
    d = built.model("D")
    assert built.sem.models[d].kind.value == "functional"
    assert built.contained("D") == {"model"}
    assert built.trace() == [("compile", "D", 12), ("train", "D", 13)]


def test_return_value_of_a_method_bound_to_self_attribute() -> None:
    source = """
        from keras.models import Sequential, Model
        from keras.layers import Input, Dense

        class GAN:
            def __init__(self):
                self.discriminator = self.build_discriminator()
                self.discriminator.compile(optimizer="adam", loss="bce")

            def build_discriminator(self):
                model = Sequential()
                model.add(Dense(1))
                img = Input(shape=(28,))
                return Model(img, model(img))

            def train(self, epochs):
                for epoch in range(epochs):
                    self.discriminator.train_on_batch(x, y)
        """
    built = build(source)
    # The outermost name wins: `self.discriminator`, not a local of the builder.
    assert built.labels() == {"model", "self.discriminator"}
    assert built.contained("self.discriminator") == {"model"}
    compile_line = line_of(source, ".compile(")
    train_line = line_of(source, "train_on_batch")
    # `train()` is never called: it is walked afterwards, and still knows the attribute.
    assert built.trace() == [
        ("compile", "self.discriminator", compile_line),
        ("train", "self.discriminator", train_line),
        ("train", "self.discriminator", train_line),
    ]


def test_class_instantiated_at_module_level() -> None:
    source = """
        import keras

        class GAN:
            def __init__(self):
                self.generator = keras.Sequential()
                self.discriminator = keras.Sequential()
                self.discriminator.compile(optimizer="adam", loss="bce")

            def train(self, epochs):
                self.discriminator.train_on_batch(x, y)
                self.generator.predict(z)

        gan = GAN()
        gan.train(10)
        """
    built = build(source)
    assert built.labels() == {"self.generator", "self.discriminator"}
    assert built.trace() == [
        ("compile", "self.discriminator", line_of(source, ".compile(")),
        ("train", "self.discriminator", line_of(source, "train_on_batch")),
        ("predict", "self.generator", line_of(source, ".predict(")),
    ]
    # The training happened through the module-level call: it is not in a loop,
    # and it was not walked a second time afterwards.
    train = built.only(EventKind.TRAIN)
    assert train.loops == ()


def test_class_instantiated_and_trained_in_a_main_function() -> None:
    source = """
        import keras

        class GAN:
            def __init__(self):
                self.d = keras.Sequential()

            def train(self):
                self.d.fit(x)

        def main():
            gan = GAN()
            gan.train()

        if __name__ == "__main__":
            main()
        """
    built = build(source)
    assert built.labels() == {"self.d"}
    assert built.trace() == [("train", "self.d", line_of(source, ".fit("))]


def test_subclass_model_instance_trained_through_its_own_method() -> None:
    source = """
        import keras

        class GAN(keras.Model):
            def __init__(self):
                super().__init__()
                self.generator = keras.Sequential()
                self.discriminator = keras.Sequential()

            def train(self, epochs):
                self.discriminator.fit(x)

        gan = GAN()
        gan.compile(optimizer="adam")
        gan.train(3)
        """
    built = build(source)
    assert built.labels() == {"gan", "self.generator", "self.discriminator"}
    # A subclassed model tracks the models assigned to its attributes.
    assert built.contained("gan") == {"self.generator", "self.discriminator"}
    assert built.trace() == [
        ("compile", "gan", line_of(source, "gan.compile")),
        ("train", "self.discriminator", line_of(source, ".fit(")),
    ]


def test_module_global_used_in_a_function() -> None:
    source = """
        import keras

        D = keras.Sequential()
        D.compile(optimizer="adam")

        def train():
            D.fit(x)

        train()
        """
    built = build(source)
    assert built.labels() == {"D"}
    assert built.trace() == [("compile", "D", 4), ("train", "D", 7)]


def test_module_global_used_in_an_uncalled_function() -> None:
    built = build(
        """
        import keras

        def train():
            D.fit(x)

        D = keras.Sequential()
        D.compile(optimizer="adam")
        """
    )
    # train() is walked after the module body, when D is bound.
    assert built.trace() == [("compile", "D", 7), ("train", "D", 4)]


def test_locals_of_a_function() -> None:
    built = build(
        """
        import keras

        def main():
            local = keras.Sequential()
            alias = local
            alias.compile(optimizer="adam")
            local.fit(x)
        """
    )
    local = built.model("local")
    assert [name for _, name in built.sem.models[local].names] == ["local", "alias"]
    assert built.trace() == [("compile", "local", 6), ("train", "local", 7)]


def test_locals_of_different_functions_do_not_leak() -> None:
    built = build(
        """
        import keras

        def a():
            m = keras.Sequential()
            m.compile(optimizer="adam")

        def b():
            m.fit(x)
        """
    )
    assert built.trace() == [("compile", "m", 5)]


def test_self_attribute_across_methods_init_first() -> None:
    # `train` is written before `__init__`, and neither is called: `__init__`
    # is still walked first so `train()` knows the attribute.
    source = """
        import keras

        class Trainer:
            def train(self):
                self.model.fit(x)

            def __init__(self):
                self.model = keras.Sequential()
                self.model.compile(optimizer="adam")
        """
    built = build(source)
    assert built.trace() == [
        ("compile", "self.model", line_of(source, ".compile(")),
        ("train", "self.model", line_of(source, ".fit(")),
    ]


def test_self_attribute_set_in_a_build_method_called_from_init() -> None:
    source = """
        import keras

        class Trainer:
            def __init__(self):
                self.build()

            def build(self):
                self.model = keras.models.load_model("x.keras")

            def train(self):
                self.model.fit(x)
        """
    built = build(source)
    assert built.labels() == {"self.model"}
    assert built.trace() == [("train", "self.model", line_of(source, ".fit("))]


def test_attributes_of_two_instances_of_one_class_share_facts() -> None:
    # Documented simplification: one abstract instance per plain class.
    built = build(
        """
        import keras

        class Holder:
            def __init__(self):
                self.model = keras.Sequential()

        a = Holder()
        b = Holder()
        a.model.fit(x)
        b.model.fit(x)
        """
    )
    assert len(built.sem.models) == 1
    assert [kind for kind, _, _ in built.trace()] == ["train", "train"]


def test_factory_with_a_model_argument_returns_a_new_model() -> None:
    built = build(
        """
        from keras.models import Sequential, clone_model
        a = Sequential()
        b = clone_model(a)
        """
    )
    assert built.labels() == {"a", "b"}
    assert built.model("a") != built.model("b")


def test_function_returning_a_model_from_one_branch() -> None:
    built = build(
        """
        import keras

        def make(kind):
            if kind == "big":
                return keras.Sequential()
            return None

        m = make("big")
        m.fit(x)
        """
    )
    assert built.labels() == {"m"}
    assert built.trace() == [("train", "m", 9)]


def test_function_called_twice_returns_two_models() -> None:
    built = build(
        """
        import keras

        def make():
            return keras.Sequential()

        G = make()
        D = make()
        """
    )
    assert built.labels() == {"G", "D"}


def test_init_is_walked_before_the_other_methods_of_an_uncalled_class() -> None:
    """`class GAN():` is no call of GAN: `train()` must still see what `__init__` built."""
    built = build(
        """
        import keras

        class GAN():
            def train(self, epochs):
                for epoch in range(epochs):
                    self.discriminator.train_on_batch(x, y)

            def __init__(self):
                self.discriminator = keras.Sequential([keras.layers.Dense(1)])
                self.discriminator.compile(optimizer="adam", loss="mse")
        """
    )
    assert [kind for kind, _, _ in built.trace()] == ["compile", "train", "train"]
