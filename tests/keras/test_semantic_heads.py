"""Output heads and losses: the last activation of each output, the losses each compile gives."""

from __future__ import annotations

import pytest
from semantic_helpers import Built, build

from darklint.keras.facts import EventKind


def heads(built: Built, label: str) -> list[tuple[str | None, int | None, str | None] | None]:
    info = built.sem.models[built.model(label)]
    assert info.heads is not None, f"{label}: heads not known"
    return [None if h is None else (h.activation, h.units, h.name) for h in info.heads]


def losses(built: Built) -> list[tuple[str | None, bool | None, int | str | None, str]]:
    return [
        (loss.name, loss.from_logits, loss.output, built.module.code_for_node(loss.node))
        for event in built.sem.events(EventKind.COMPILE)
        for loss in event.losses
    ]


def test_sequential_list_and_add() -> None:
    built = build(
        """
import keras
from keras import layers
a = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")])
b = keras.Sequential()
b.add(layers.Dense(16, activation="relu"))
b.add(layers.Dense(1))
b.add(layers.Activation("sigmoid"))
"""
    )
    assert heads(built, "a") == [("softmax", 3, None)]
    assert heads(built, "b") == [("sigmoid", 1, None)]


def test_functional_outputs_follow_layer_calls() -> None:
    built = build(
        """
import tensorflow as tf
from tensorflow.keras import layers
x = tf.keras.Input((8,))
h = layers.Dense(16, activation=tf.nn.relu)(x)
kind = layers.Dense(3, name="kind")(h)
kind = layers.Dropout(0.5)(kind)
real = layers.Dense(1, activation=tf.keras.activations.sigmoid, name="real")(h)
model = tf.keras.Model(inputs=x, outputs=[kind, real])
"""
    )
    assert heads(built, "model") == [("linear", 3, "kind"), ("sigmoid", 1, "real")]


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("layers.Dense(4, activation=None)", ("linear", 4, None)),
        ('layers.Dense(4, "tanh")', ("tanh", 4, None)),
        ('layers.Dense(units=4, activation="swish")', ("silu", 4, None)),
        ('layers.Conv2D(2, 3, activation="softmax")', ("softmax", 2, None)),
        (
            'layers.Conv2D(2, 3, activation="softmax", data_format="channels_first")',
            ("softmax", None, None),
        ),
        ("layers.TimeDistributed(layers.Dense(5, activation='softmax'))", ("softmax", 5, None)),
        ("layers.ReLU()", ("relu", 16, None)),
    ],
)
def test_layer_spellings(layer: str, expected: tuple[str, int | None, None]) -> None:
    built = build(
        f"""
import keras
from keras import layers
x = keras.Input((8,))
h = layers.Dense(16)(x)
model = keras.Model(x, {layer}(h))
"""
    )
    assert heads(built, "model") == [expected]


def test_what_the_code_does_not_show_is_unknown() -> None:
    built = build(
        """
import keras
from keras import layers
def build(activation):
    x = keras.Input((8,))
    variable = keras.Model(x, layers.Dense(3, activation=activation)(x))
    return variable
x = keras.Input((8,))
recurrent = keras.Model(x, layers.LSTM(3)(x))
flat = keras.Model(x, layers.Flatten()(layers.Dense(1, activation="softmax")(x)))
axis = keras.Model(x, layers.Softmax(axis=1)(layers.Dense(1)(x)))
"""
    )
    assert heads(built, "variable") == [(None, 3, None)]
    assert built.sem.models[built.model("recurrent")].heads is None
    # The activation stays, the axis it normalised is no longer known.
    assert heads(built, "flat") == [("softmax", None, None)]
    assert heads(built, "axis") == [(None, 1, None)]


def test_a_model_called_as_a_layer_gives_its_head() -> None:
    built = build(
        """
import keras
from keras import layers
base = keras.Sequential([layers.Dense(2, activation="softmax")])
x = keras.Input((8,))
wrapped = keras.Model(x, base(x))
"""
    )
    assert heads(built, "wrapped") == [("softmax", 2, None)]


def test_loss_spellings() -> None:
    built = build(
        """
import keras
from keras import layers, losses
m = keras.Sequential([layers.Dense(1)])
m.compile(optimizer="adam", loss="bce")
m.compile("adam", losses.BinaryCrossentropy(from_logits=True))
m.compile(optimizer="adam", loss=keras.losses.categorical_crossentropy)
loss_fn = losses.SparseCategoricalCrossentropy()
m.compile(optimizer="adam", loss=loss_fn)
m.compile(optimizer="adam", loss=losses.CategoricalCrossentropy(from_logits=flag))
m.compile(optimizer="adam", loss="mse")
m.compile(optimizer="adam", loss=my_loss)
"""
    )
    assert losses(built) == [
        ("binary_crossentropy", False, None, '"bce"'),
        ("binary_crossentropy", True, None, "losses.BinaryCrossentropy(from_logits=True)"),
        ("categorical_crossentropy", False, None, "keras.losses.categorical_crossentropy"),
        ("sparse_categorical_crossentropy", False, None, "loss_fn"),
        (
            "categorical_crossentropy",
            None,
            None,
            "losses.CategoricalCrossentropy(from_logits=flag)",
        ),
        (None, False, None, '"mse"'),
        # `my_loss`, a name the walk knows nothing of: no loss at all.
    ]


def test_losses_per_output_list_and_dict() -> None:
    built = build(
        """
import keras
m = keras.Sequential([keras.layers.Dense(1)])
m.compile(optimizer="adam", loss=["categorical_crossentropy", "mse"])
m.compile(optimizer="adam", loss={"kind": "categorical_crossentropy", "real": "bce"})
"""
    )
    assert losses(built) == [
        ("categorical_crossentropy", False, 0, '"categorical_crossentropy"'),
        (None, False, 1, '"mse"'),
        ("categorical_crossentropy", False, "kind", '"categorical_crossentropy"'),
        ("binary_crossentropy", False, "real", '"bce"'),
    ]


def test_saved_trainable_flag_is_restored_exactly() -> None:
    built = build(
        """
import keras
d = keras.Sequential([keras.layers.Dense(1)])
saved = d.trainable
d.trainable = False
d.trainable = saved
"""
    )
    values = [set(event.value) for event in built.sem.events(EventKind.TRAINABLE)]
    assert values == [{False}, {True}]
