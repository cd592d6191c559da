"""What contains what: ``Model(z, D(G(z)))``, ``Sequential([G, D])``, ``seq.add(D)``, transitively."""

from __future__ import annotations

import libcst as cst
from semantic_helpers import Built, build

from darklint.keras.builder import SemanticBuilder
from darklint.keras.facts import EventKind, ModelKind

GD = """
import keras
from keras import layers
G = keras.Sequential([layers.Dense(4)])
D = keras.Sequential([layers.Dense(1)])
Q = keras.Sequential([layers.Dense(2)])
z = keras.Input(shape=(8,))
"""


def test_nested_calls_in_model_outputs() -> None:
    built = build(GD + "combined = keras.Model(z, D(G(z)))\n")
    assert built.contained("combined") == {"G", "D"}
    assert built.contained("D") == set()
    assert built.contained("G") == set()


def test_through_intermediate_variables() -> None:
    built = build(
        GD
        + """
img = G(z)
validity = D(img)
combined = keras.Model(z, validity)
"""
    )
    assert built.contained("combined") == {"G", "D"}


def test_keyword_outputs_list() -> None:
    built = build(
        GD
        + """
img = G(z)
combined = keras.Model(inputs=z, outputs=[D(img), Q(img)])
"""
    )
    assert built.contained("combined") == {"G", "D", "Q"}


def test_outputs_tuple_and_dict_values_of_a_layer_call() -> None:
    built = build(
        GD
        + """
h = keras.layers.Dense(4)(G(z))
combined = keras.Model(z, (D(h), Q(h)))
"""
    )
    assert built.contained("combined") == {"G", "D", "Q"}


def test_tensor_arithmetic_and_concatenate_keep_provenance() -> None:
    built = build(
        GD
        + """
a = G(z)
b = D(z)
both = keras.layers.concatenate([a, b])
summed = keras.layers.Add()([a, b]) + 1
m1 = keras.Model(z, both)
m2 = keras.Model(z, summed)
"""
    )
    assert built.contained("m1") == {"G", "D"}
    assert built.contained("m2") == {"G", "D"}


def test_model_on_inputs_of_another_model_contains_it() -> None:
    built = build(GD + "wrapped = keras.Model(D.input, D.output)\n")
    assert built.contained("wrapped") == {"D"}


def test_model_without_sub_models_contains_nothing() -> None:
    built = build(GD + "plain = keras.Model(z, keras.layers.Dense(1)(z))\n")
    assert built.contained("plain") == set()


def test_sequential_list() -> None:
    built = build(GD + "stack = keras.Sequential([G, D])\n")
    assert built.contained("stack") == {"G", "D"}


def test_sequential_keyword_layers() -> None:
    built = build(GD + "stack = keras.Sequential(layers=[G, keras.layers.Dense(1), D])\n")
    assert built.contained("stack") == {"G", "D"}


def test_sequential_add() -> None:
    built = build(
        GD
        + """
stack = keras.Sequential()
stack.add(G)
stack.add(keras.layers.Dense(3))
stack.add(D)
"""
    )
    assert built.contained("stack") == {"G", "D"}


def test_helper_result_contains_its_arguments() -> None:
    built = build(
        """
        from keras.models import Sequential
        from keras.layers import Dense

        def generator_model():
            model = Sequential()
            model.add(Dense(4))
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

        d = discriminator_model()
        g = generator_model()
        d_on_g = generator_containing_discriminator(g, d)
        """
    )
    assert built.labels() == {"d", "g", "d_on_g"}
    assert built.contained("d_on_g") == {"g", "d"}


def test_functional_helper_result_contains_its_arguments() -> None:
    built = build(
        """
        import keras

        def combine(g, d, latent_dim):
            z = keras.Input(shape=(latent_dim,))
            return keras.Model(z, d(g(z)))

        G = keras.Sequential()
        D = keras.Sequential()
        combined = combine(G, D, 100)
        """
    )
    assert built.contained("combined") == {"G", "D"}


def test_containment_is_transitive() -> None:
    built = build(
        """
        import keras
        inner = keras.Sequential()
        middle = keras.Sequential([inner])
        x = keras.Input(shape=(3,))
        outer = keras.Model(x, middle(x))
        top = keras.Sequential()
        top.add(outer)
        """
    )
    sem = built.sem
    inner, middle, outer, top = (built.model(n) for n in ("inner", "middle", "outer", "top"))
    assert sem.contains(middle, inner)
    assert sem.contains(outer, middle)
    assert sem.contains(outer, inner)
    assert sem.contains(top, inner)
    assert sem.closure(top) == frozenset({top, outer, middle, inner})
    # Not the other way round.
    assert not sem.contains(inner, top)
    assert not sem.contains(middle, outer)
    # Direct facts stay direct.
    assert sem.models[top].contains == {outer}


def test_containment_added_after_a_closure_was_computed() -> None:
    built = build(
        """
        import keras
        a = keras.Sequential()
        b = keras.Sequential()
        c = keras.Sequential()
        a.compile(optimizer="adam")
        a.add(b)
        b.add(c)
        """
    )
    a, c = built.model("a"), built.model("c")
    # The compile computed a's closure before the adds; the cache must not go stale.
    assert built.sem.contains(a, c)


def test_combined_does_not_make_its_parts_contain_each_other() -> None:
    built = build(GD + "combined = keras.Model(z, D(G(z)))\n")
    sem = built.sem
    assert not sem.contains(built.model("D"), built.model("G"))
    assert not sem.contains(built.model("G"), built.model("D"))


def test_predict_output_used_as_data_is_not_containment() -> None:
    built = build(
        GD
        + """
fake = G.predict(noise)
D.train_on_batch(fake, y)
"""
    )
    assert built.contained("D") == set()


def test_feature_sub_model_from_get_layer() -> None:
    built = build(
        GD
        + """
features = keras.Model(D.input, D.get_layer("feat").output)
"""
    )
    features, d = built.model("features"), built.model("D")
    assert built.sem.models[features].feature_of == d
    assert built.sem.contains(features, d)


def test_feature_sub_model_from_layers_index() -> None:
    built = build(
        GD
        + """
features = keras.Model(inputs=D.inputs, outputs=D.layers[-2].output)
"""
    )
    assert built.sem.models[built.model("features")].feature_of == built.model("D")


def test_feature_sub_model_from_a_self_attribute() -> None:
    built = build(
        """
        import keras

        class FM:
            def __init__(self):
                self.discriminator = keras.Sequential()
                self.features = keras.Model(
                    self.discriminator.input,
                    self.discriminator.get_layer("h").output,
                )
        """
    )
    features = built.model("self.features")
    assert built.sem.models[features].feature_of == built.model("self.discriminator")


def test_full_output_is_not_a_feature_sub_model() -> None:
    built = build(GD + "wrapped = keras.Model(D.input, D.output)\n")
    assert built.sem.models[built.model("wrapped")].feature_of is None


def test_feature_sub_model_used_inside_a_combined_model() -> None:
    built = build(
        GD
        + """
features = keras.Model(D.input, D.get_layer("feat").output)
combined = keras.Model(z, features(G(z)))
"""
    )
    assert built.contained("combined") == {"features", "G", "D"}


def test_dict_outputs() -> None:
    # Keras accepts a dict of named outputs; its values are the model's outputs.
    built = build(
        GD
        + """
img = G(z)
combined = keras.Model(z, {"validity": D(img), "code": Q(img)})
"""
    )
    assert built.contained("combined") == {"G", "D", "Q"}


def _holders_agree_with_contains(built: Built) -> None:
    sem = built.sem
    for inner in sem.models:
        expected = {outer for outer in sem.models if outer != inner and sem.contains(outer, inner)}
        assert sem.holders(inner) == expected, built.describe()


def test_holders_are_the_models_containing_one_transitively() -> None:
    built = build(
        GD
        + """
inner = keras.Sequential([G])
outer = keras.Sequential([inner, D])
combined = keras.Model(z, outer(z))
"""
    )
    assert {built.sem.label(m) for m in built.sem.holders(built.model("G"))} == {
        "inner",
        "outer",
        "combined",
    }
    assert built.sem.holders(built.model("combined")) == frozenset()
    _holders_agree_with_contains(built)


def test_the_builder_answers_containment_as_edges_are_added() -> None:
    # The walk asks what a model contains while it still adds edges
    # (`stack.add(D)`): the builder's answers follow, the frozen model's are final.
    builder = SemanticBuilder()
    g, d, stack = (
        builder.new_model(cst.Name(name), ModelKind.SEQUENTIAL, (), None, ()).id
        for name in ("G", "D", "stack")
    )
    builder.contain(stack, {g})
    assert builder.closure(stack) == {stack, g}
    builder.contain(stack, {d})
    assert builder.closure(stack) == {stack, g, d}
    frozen = builder.freeze()
    assert frozen.holders(d) == {stack}
    assert frozen.contains(stack, d)
    assert frozen.models[stack].contains == {g, d}


def test_holders_of_code_pretending_a_model_contains_itself() -> None:
    # `a.add(b)`, `b.add(a)`: not Keras, but the walk up must end.
    built = build(GD + "a = keras.Sequential([G])\nb = keras.Sequential([a])\na.add(b)\n")
    a, b = built.model("a"), built.model("b")
    assert built.sem.holders(a) == {b}
    assert built.sem.holders(b) == {a}
    _holders_agree_with_contains(built)


def test_holders_before_an_event_leave_out_models_made_after_it() -> None:
    built = build(
        GD
        + """
early = keras.Sequential([D])
D.trainable = False
late = keras.Sequential([D, G])
late.compile(optimizer="adam", loss="mse")
"""
    )
    sem = built.sem
    d, early, late = built.model("D"), built.model("early"), built.model("late")
    freeze = built.events(EventKind.TRAINABLE, "D")[0]
    compile_late = built.events(EventKind.COMPILE, "late")[0]
    assert sem.holders(d) == {early, late}
    assert sem.holders_before(d, freeze) == sorted({d, early})
    assert sem.holders_before(d, compile_late) == sorted({d, early, late})
