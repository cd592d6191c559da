"""Everything darklint knows of Keras' (and the array libraries') vocabulary, in one place.

Plain data and string functions: no libcst, no ``ast``, no import of Keras.
The name resolution (:mod:`darklint.keras.names`), the interpreter, the
semantic model and the rules' gate requirements all read their words here,
so a new Keras fact is one edit in this file.

Sections: where Keras lives (roots, aliases, submodules) and what a path
inside it names (``Kind``); model methods and attributes the interpreter
gives an effect; what the array libraries call (reductions, array
constructors); layers without weights; and the identifiers each rule needs
in a file before it can fire (the gate's requirements, by family).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping

# --- Where Keras lives ---------------------------------------------------------

# Top-level module paths under which Keras' public API lives, longest first.
KERAS_ROOTS = (
    "tensorflow.python.keras",
    "tensorflow.compat.v2.keras",
    "tensorflow.compat.v1.keras",
    "tensorflow.keras",
    "keras.api._v2.keras",
    "keras.api",
    "keras.src",
    "keras._tf_keras.keras",
    "tf_keras.src",
    "tf_keras",
    "keras",
)
# TF 2 re-exports Keras' optimizers at the top level (``tf.optimizers.Adam``).
TF_ALIASES: Mapping[str, str] = {"tensorflow.optimizers": "optimizers"}
# The top-level modules a file must import for anything in it to be Keras
# (``tf_keras`` contains ``keras``: a text without either word imports none).
KERAS_IMPORTS = frozenset({"keras", "tensorflow", "tf_keras"})
# What `from keras import *` binds as submodules (`models.Sequential(...)`).
KERAS_SUBMODULES = frozenset(
    {
        "models",
        "layers",
        "optimizers",
        "applications",
        "backend",
        "losses",
        "metrics",
        "callbacks",
        "ops",
        "saving",
        "utils",
        "activations",
        "initializers",
        "regularizers",
        "constraints",
    }
)
MODEL_CLASSES = frozenset({"Model", "Sequential", "Functional"})
MODEL_FACTORIES = frozenset({"load_model", "clone_model", "model_from_json", "model_from_config"})


class Kind(enum.Enum):
    MODEL_CLASS = "model class"
    MODEL_FACTORY = "model factory"
    OPTIMIZER = "optimizer"
    LAYER = "layer"
    INPUT = "input"
    BACKEND = "backend function"
    OTHER = "other"


def keras_path(qualified: str) -> str | None:
    """``tf.keras.layers.Dense`` (resolved to ``tensorflow.keras.layers.Dense``) -> ``layers.Dense``."""
    for alias, target in TF_ALIASES.items():
        if qualified == alias or qualified.startswith(alias + "."):
            return target + qualified[len(alias) :]
    for root in KERAS_ROOTS:
        if qualified == root:
            return ""
        if qualified.startswith(root + "."):
            return qualified[len(root) + 1 :]
    return None


# Which Keras a root reaches (``keras_package``): the ``keras`` package's public
# API, TensorFlow's ``tf.keras`` (Keras 3 with TensorFlow's compatibility extras,
# such as 137 functions of the old ``keras.backend``), Keras 3's internals, or a
# Keras 2 (``tf_keras``; TensorFlow's frozen ``tensorflow.python.keras`` copy).
KERAS_PACKAGES: Mapping[str, str] = {
    "tensorflow.python.keras": "keras2",
    "tensorflow.compat.v2.keras": "tf.keras",
    "tensorflow.compat.v1.keras": "tf.keras",
    "tensorflow.keras": "tf.keras",
    "keras.api._v2.keras": "keras2",
    "keras.api": "keras",
    "keras.src": "keras.src",
    "keras._tf_keras.keras": "tf.keras",
    "tf_keras.src": "keras2",
    "tf_keras": "keras2",
    "keras": "keras",
}


def keras_package(qualified: str) -> str | None:
    """Which Keras ``qualified`` names: "keras", "tf.keras", "keras.src" or "keras2" (None: not Keras)."""
    for alias in TF_ALIASES:
        if qualified == alias or qualified.startswith(alias + "."):
            return "tf.keras"
    for root in KERAS_ROOTS:
        if qualified == root or qualified.startswith(root + "."):
            return KERAS_PACKAGES[root]
    return None


def classify(path: str) -> Kind:
    """What a path inside Keras names (``models.Model`` -> MODEL_CLASS)."""
    parts = path.split(".")
    last = parts[-1]
    if last in MODEL_CLASSES:
        return Kind.MODEL_CLASS
    if last in MODEL_FACTORIES:
        return Kind.MODEL_FACTORY
    if parts[0] == "applications" and len(parts) > 1 and last[:1].isupper():
        return Kind.MODEL_FACTORY
    if last == "Input" or last == "InputLayer":
        return Kind.INPUT
    if (
        parts[0] == "optimizers"
        and (last[:1].isupper() or last == "get")
        and "schedules" not in parts
    ):
        # `optimizers.get("adam")` makes an instance, unlike the string alone.
        return Kind.OPTIMIZER
    if parts[0] == "layers" and last[:1].isupper():
        return Kind.LAYER
    if parts[0] == "backend":
        return Kind.BACKEND
    return Kind.OTHER


@functools.lru_cache(maxsize=4096)
def kind_of(qualified: str) -> tuple[Kind, str] | None:
    """(kind, path inside Keras) of a qualified name: the same few names recur in every call."""
    path = keras_path(qualified)
    if path is None:
        return None
    return classify(path), path


# --- Model methods and attributes ---------------------------------------------

TRAIN_METHODS = frozenset({"fit", "train_on_batch", "fit_generator"})
PREDICT_METHODS = frozenset({"predict"})
# Methods only a Keras model has: a value they are called on is one.
KERAS_ONLY_METHODS = frozenset({"train_on_batch", "test_on_batch", "predict_on_batch"})
# Methods a Keras model shares with scikit-learn, XGBoost and torch wrappers:
# they make a *parameter* of a function in a Keras file a model (a trainer's
# `model.fit(...)`), never the result of another library's call.
MODEL_LIKE_METHODS = frozenset({"fit", "fit_generator", "predict"})
# Hand-written optimizer steps: `opt.apply_gradients(...)`, `opt.minimize(...)`,
# and Keras 3's `opt.apply(...)` (on an optimizer only: `apply` is common).
GRADIENT_STEP_METHODS = frozenset({"apply_gradients", "minimize"})
OPTIMIZER_STEP_METHODS = frozenset({"apply"})
# A model's attributes that are its variables (what an optimizer step updates).
VARIABLE_ATTRIBUTES = frozenset(
    {"trainable_variables", "trainable_weights", "weights", "variables"}
)
# `Model` methods a subclass overrides to train its own way.
TRAINING_HOOKS = frozenset({"train_step", "compute_loss"})
# What `predict` uses when `batch_size` is not given (keras 3.15.1).
PREDICT_DEFAULT_BATCH_SIZE = 32

# --- What the array libraries call ----------------------------------------------

# Calls that reduce a tensor: what comes out of them is no longer a
# perturbation shaped like the input (a gradient *penalty* goes through them).
REDUCTIONS = frozenset(
    {
        "sum",
        "mean",
        "reduce_sum",
        "reduce_mean",
        "reduce_max",
        "reduce_min",
        "max",
        "min",
        "norm",
        "sqrt",
        "argmax",
        "argmin",
        "std",
        "var",
        "dot",
        "matmul",
        "einsum",
        "batch_dot",
        "l2_loss",
        "square_sum",
        "prod",
        "reduce_prod",
        "global_norm",
    }
)
# The class whose instances record gradients (`tf.GradientTape()`).
GRADIENT_TAPE = "GradientTape"


def is_gradient_tape(qualified: str) -> bool:
    """``tensorflow.GradientTape`` under any import of it (``tf.GradientTape``, ``from tensorflow import GradientTape``)."""
    return qualified.split(".")[0] == "tensorflow" and qualified.split(".")[-1] == GRADIENT_TAPE


# Qualified name -> (position, keyword) of the argument holding an array's
# shape (an int, or a tuple/list whose first item is the number of rows).
# Keras' own functions are keyed by their path inside Keras, prefixed with
# ``keras.`` (``keras.random.normal`` under any spelling).
SHAPE_ARGUMENT: Mapping[str, tuple[int, str | None]] = {
    "numpy.random.normal": (2, "size"),
    "numpy.random.uniform": (2, "size"),
    "numpy.random.randint": (2, "size"),
    "numpy.random.binomial": (2, "size"),
    "numpy.random.choice": (1, "size"),
    "numpy.random.standard_normal": (0, "size"),
    "numpy.random.random": (0, "size"),
    "numpy.random.random_sample": (0, "size"),
    "numpy.random.rand": (0, None),
    "numpy.random.randn": (0, None),
    "numpy.zeros": (0, "shape"),
    "numpy.ones": (0, "shape"),
    "numpy.empty": (0, "shape"),
    "numpy.full": (0, "shape"),
    "tensorflow.random.normal": (0, "shape"),
    "tensorflow.random.uniform": (0, "shape"),
    "tensorflow.random.truncated_normal": (0, "shape"),
    "tensorflow.zeros": (0, "shape"),
    "tensorflow.ones": (0, "shape"),
    "keras.random.normal": (0, "shape"),
    "keras.random.uniform": (0, "shape"),
    "keras.random.truncated_normal": (0, "shape"),
    "keras.ops.zeros": (0, "shape"),
    "keras.ops.ones": (0, "shape"),
    "torch.randn": (0, None),
    "torch.rand": (0, None),
    "torch.zeros": (0, None),
    "torch.ones": (0, None),
}
# Functions that reshape their first argument: (position, keyword) of the new shape.
RESHAPE_ARGUMENT: Mapping[str, tuple[int, str | None]] = {
    "numpy.reshape": (1, "newshape"),
    "tensorflow.reshape": (1, "shape"),
    "keras.ops.reshape": (1, "newshape"),
}
# Functions that add an axis: a new first axis makes one row.
EXPAND_DIMS = frozenset({"numpy.expand_dims", "tensorflow.expand_dims", "keras.ops.expand_dims"})
# Functions that make an array of a literal list: one row per item.
FROM_LIST = frozenset({"numpy.array", "numpy.asarray"})
NEWAXIS = "numpy.newaxis"

# --- Layers ------------------------------------------------------------------------

# Two models built over the same weighted layers have the same variables, even
# when their heads differ by an `Activation` or a `Lambda` (the semi-supervised
# GAN's two discriminators).  A layer class not listed here has weights.
WEIGHTLESS_LAYERS = frozenset(
    {
        "Activation",
        "ActivityRegularization",
        "Add",
        "AlphaDropout",
        "Average",
        "AveragePooling1D",
        "AveragePooling2D",
        "AveragePooling3D",
        "Concatenate",
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
        "Dot",
        "Dropout",
        "ELU",
        "Flatten",
        "GaussianDropout",
        "GaussianNoise",
        "GlobalAveragePooling1D",
        "GlobalAveragePooling2D",
        "GlobalAveragePooling3D",
        "GlobalMaxPooling1D",
        "GlobalMaxPooling2D",
        "GlobalMaxPooling3D",
        "InputLayer",
        "Lambda",
        "LeakyReLU",
        "Masking",
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "Maximum",
        "Minimum",
        "Multiply",
        "Permute",
        "ReLU",
        "RepeatVector",
        "Reshape",
        "Softmax",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "Subtract",
        "ThresholdedReLU",
        "UpSampling1D",
        "UpSampling2D",
        "UpSampling3D",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
    }
)


def has_weights(path: str) -> bool:
    """``layers.Dense`` -> True, ``layers.Activation`` -> False (a path inside Keras)."""
    return path.split(".")[-1] not in WEIGHTLESS_LAYERS


# --- What the rules cannot fire without (the gate's requirements) ------------------
# Identifiers, as the gate matches them in a file's code (a tuple is a choice).

# Training calls (``TRAIN_METHODS``).
TRAINS = ("fit", "fit_generator", "train_on_batch")
# Training calls and hand-written optimizer steps (``EventKind.STEP``).
STEPS = (*TRAINS, *sorted(GRADIENT_STEP_METHODS), *sorted(OPTIMIZER_STEP_METHODS))
# Everything a Keras model can come from: the model classes and factories,
# ``applications.*``, and the uses that promote an unknown value to a model
# (``x.trainable = False``, ``x.compile(loss=...)``, ``x.train_on_batch(...)``,
# a trainer parameter's ``fit``/``predict``).
MAKES_MODELS = (
    *sorted(MODEL_CLASSES),
    *sorted(MODEL_FACTORIES),
    "applications",
    "trainable",
    "compile",
    *sorted(KERAS_ONLY_METHODS),
    *sorted(MODEL_LIKE_METHODS),
)

# --- Output heads and losses (DK4xx) -------------------------------------------------

# Layers whose `activation=` applies over their last axis, and the argument
# (position 0, or this keyword) that sets that axis' size.  Recurrent layers
# are left out: their `activation` is the cell's, not the output's.
HEAD_LAYERS: Mapping[str, str] = {
    "Dense": "units",
    **dict.fromkeys(
        (
            "Conv1D",
            "Conv2D",
            "Conv3D",
            "Convolution1D",
            "Convolution2D",
            "Convolution3D",
            "Conv1DTranspose",
            "Conv2DTranspose",
            "Conv3DTranspose",
            "Convolution2DTranspose",
            "Deconvolution2D",
            "SeparableConv1D",
            "SeparableConv2D",
        ),
        "filters",
    ),
}
# Layers that are an activation: the one they apply (None: the `Activation`
# layer's argument says).  `Softmax` normalises over its `axis` (last by default).
ACTIVATION_LAYERS: Mapping[str, str | None] = {
    "Activation": None,
    "Softmax": "softmax",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "PReLU": "prelu",
    "ThresholdedReLU": "relu",
}
# Layers an output goes through unchanged (noise, regularisation: the same
# activation, the same last axis), and those that keep its values but move
# its axes (the softmax was over an axis that may no longer be the last).
KEEPS_HEAD = frozenset(
    {
        "Dropout",
        "AlphaDropout",
        "GaussianDropout",
        "GaussianNoise",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "ActivityRegularization",
    }
)
MOVES_AXES = frozenset({"Flatten", "Reshape", "Permute", "RepeatVector"})
# A wrapper applying the layer it is given (`TimeDistributed(Dense(3, "softmax"))`).
HEAD_WRAPPERS = frozenset({"TimeDistributed"})
# Keras' names of activations, under each spelling `activations.get` takes
# (keras 3.15.1; `None` and "linear" are no activation), and the functions of
# other libraries that are the same activation.
ACTIVATION_ALIASES: Mapping[str, str] = {
    "swish": "silu",
    "linear": "linear",
}
ACTIVATION_FUNCTIONS: Mapping[str, str] = {
    "tensorflow.nn.softmax": "softmax",
    "tensorflow.math.softmax": "softmax",
    "tensorflow.nn.sigmoid": "sigmoid",
    "tensorflow.math.sigmoid": "sigmoid",
    "tensorflow.sigmoid": "sigmoid",
    "tensorflow.nn.relu": "relu",
    "tensorflow.nn.tanh": "tanh",
    "tensorflow.math.tanh": "tanh",
    "tensorflow.tanh": "tanh",
    "tensorflow.nn.elu": "elu",
    "tensorflow.nn.selu": "selu",
    "tensorflow.nn.softplus": "softplus",
    "tensorflow.math.softplus": "softplus",
    "tensorflow.nn.leaky_relu": "leaky_relu",
}
# The crossentropies whose probability/logits convention DK4xx checks, by
# every name `losses.get` takes for them (keras 3.15.1) and their classes.
CROSSENTROPY_ALIASES: Mapping[str, str] = {
    "binary_crossentropy": "binary_crossentropy",
    "bce": "binary_crossentropy",
    "BCE": "binary_crossentropy",
    "BinaryCrossentropy": "binary_crossentropy",
    "categorical_crossentropy": "categorical_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
}
# The loss classes (not functions) that take `from_logits=`.
LOSS_CLASSES = frozenset(
    {"BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"}
)


def activation_name(spelled: str) -> str:
    """Keras' name of an activation spelled as `activations.get` takes it."""
    return ACTIVATION_ALIASES.get(spelled, spelled)
