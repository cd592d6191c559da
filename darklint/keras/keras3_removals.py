"""What Keras 3 removed, renamed or silently ignores: the one table behind DK501-DK506.

Each row is one API of Keras 2 (or Keras 1, still in the wild): how Keras 3
(3.15.1, TensorFlow and torch backends) answers it, what to write instead and
whether darklint's fix is exact.  The rules match and fix from these rows,
their docs render them, and ``tests/evidence/test_keras3_evidence.py`` runs
every row on Keras 3: the old spelling must raise exactly ``error`` (or, for
DK506, behave as ``error`` says) and the replacement must run.  A row without
evidence fails the suite.

Which Keras a name reaches matters: ``tf.keras`` in Keras 3 keeps 137
functions of the old ``keras.backend`` and ``ImageDataGenerator`` that the
``keras`` package dropped (``packages``); ``tf_keras`` and
``tensorflow.python.keras`` are Keras 2 and never reported.

Plain data: importing it imports neither libcst nor Keras.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

KERAS3 = frozenset({"keras", "tf.keras", "keras.src"})
PUBLIC = frozenset({"keras", "tf.keras"})
KERAS_ONLY = frozenset({"keras"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Fix(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


@dataclass(frozen=True, kw_only=True)
class Row:
    """One API and what Keras 3 does with it.

    ``error`` is the exception Keras 3 raises, as ``Type: message`` with
    ``…`` where the message varies (DK506: what silently happens instead).
    ``new`` is the Keras 3 spelling the fix writes (a keyword, an attribute,
    a function path inside Keras, a module path inside Keras).
    """

    id: str
    code: str
    api: str
    error: str
    replacement: str
    fix: Fix = Fix.NONE
    why: str = ""  # why the fix is unsafe, or why there is none
    packages: frozenset[str] = KERAS3
    name: str = ""  # the keyword, attribute, function or module path (inside Keras)
    new: str = ""
    where: frozenset[str] = frozenset()  # the callees or owners it applies to
    # Evidence: a whole program, run on Keras 3 as written and after darklint's
    # fix (or with ``new_program`` where there is no fix); DK506 rows compare
    # ``observe`` (an expression) against ``observed_old``/``observed_new``.
    program: str = ""
    new_program: str = ""
    observe: str = ""
    observed_old: object = None
    observed_new: object = None
    # DK503: the arguments the ``keras.ops`` function takes (a call passing others
    # gets no fix), one it needs given (Keras 2's default differs), and argument
    # lists on which Keras 2's function and the new one give the same result
    # (``same``) or not (``differs``: why the fix is unsafe).
    params: tuple[str, ...] = ()
    needs: str = ""
    same: str = ""
    differs: str = ""
    # DK504: where each name of a removed module lives now (inside Keras), and
    # the names that moved but behave differently there (name -> why).
    moves: dict[str, str] = field(default_factory=dict)
    unsafe_moves: dict[str, str] = field(default_factory=dict)
    # Names that moved under another name (Keras 2's aliases): imported as
    # ``<new> as <old>``, so the name the file binds stays.
    renames: dict[str, str] = field(default_factory=dict)


# Callees of an argument row: Keras class names (the last part of their path),
# "optimizers.*" (any Keras optimizer but the legacy ones) or ".fit" (a method).
OPTIMIZERS = "optimizers.*"
KERNEL_LAYERS = _words(
    "Conv1D Conv1DTranspose Conv2D Conv2DTranspose Conv3D Conv3DTranspose ConvLSTM1D ConvLSTM2D "
    "ConvLSTM3D Convolution1D Convolution2D Convolution3D Convolution2DTranspose Dense GRU LSTM "
    "SimpleRNN"
)
PADDING_LAYERS = _words(
    "AveragePooling1D AveragePooling2D AveragePooling3D AvgPool1D AvgPool2D AvgPool3D Conv1D "
    "Conv1DTranspose Conv2D Conv2DTranspose Conv3D Conv3DTranspose Convolution1D Convolution2D "
    "Convolution3D Convolution2DTranspose DepthwiseConv2D MaxPool1D MaxPool2D MaxPool3D "
    "MaxPooling1D MaxPooling2D MaxPooling3D SeparableConv1D SeparableConv2D "
    "SeparableConvolution1D SeparableConvolution2D"
)
CONV_LAYERS = _words(
    "Conv1D Conv2D Conv3D Conv2DTranspose Conv3DTranspose Convolution1D Convolution2D Convolution3D "
    "Convolution2DTranspose SeparableConv1D SeparableConv2D SeparableConvolution1D "
    "SeparableConvolution2D"
)
BIAS_LAYERS = KERNEL_LAYERS | frozenset({"DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"})
# Keras 2 defaulted their `pool_size` to 2 per dimension; Keras 3 requires it.
AVERAGE_POOLING = _words(
    "AveragePooling1D AveragePooling2D AveragePooling3D AvgPool1D AvgPool2D AvgPool3D"
)
# Keras 2 read `Conv2D(64, 3, 3)` as `kernel_size=(3, 3)` (its "legacy interface").
CONV2D_LAYERS = _words(
    "Conv2D Convolution2D Conv2DTranspose Convolution2DTranspose SeparableConv2D "
    "SeparableConvolution2D"
)

MODEL = 'import keras\nimport numpy as np\nmodel = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\nmodel.compile(optimizer="sgd", loss="mse")\nx, y = np.zeros((8, 2)), np.zeros((8, 1))\n'
BATCHES = MODEL + "\n\ndef batches():\n    while True:\n        yield x, y\n\n\n"

ARGUMENTS = (
    Row(id="optimizer-lr", code="DK501", api="`Adam(lr=…)` (any optimizer)", name="lr",
        new="learning_rate", where=frozenset({OPTIMIZERS}), fix=Fix.SAFE,
        error="ValueError: Argument(s) not recognized: {'lr': …}",
        replacement="use `learning_rate=`",
        program="import keras\nopt = keras.optimizers.Adam(lr=0.0002, beta_1=0.5)\n"),
    Row(id="fit-nb-epoch", code="DK501", api="`model.fit(nb_epoch=…)`", name="nb_epoch",
        new="epochs", where=frozenset({".fit", ".fit_generator"}), fix=Fix.SAFE,
        error="TypeError: …fit() got an unexpected keyword argument 'nb_epoch'",
        replacement="use `epochs=`",
        program=MODEL + "model.fit(x, y, nb_epoch=2, verbose=0)\n"),
    Row(id="layer-init", code="DK501", api="`Dense(init=…)`", name="init",
        new="kernel_initializer", where=KERNEL_LAYERS, fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to …: {'init': …}",
        replacement="use `kernel_initializer=`",
        program="import keras\nlayer = keras.layers.Dense(2, init=\"glorot_uniform\")\n"),
    Row(id="embedding-init", code="DK501", api="`Embedding(init=…)`", name="init",
        new="embeddings_initializer", where=frozenset({"Embedding"}), fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to Embedding: {'init': …}",
        replacement="use `embeddings_initializer=`",
        program="import keras\nlayer = keras.layers.Embedding(10, 4, init=\"uniform\")\n"),
    Row(id="embedding-W-regularizer", code="DK501", api="`Embedding(W_regularizer=…)`",
        name="W_regularizer", new="embeddings_regularizer", where=frozenset({"Embedding"}),
        fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to Embedding: {'W_regularizer': …}",
        replacement="use `embeddings_regularizer=`",
        program="import keras\nlayer = keras.layers.Embedding(10, 4, W_regularizer=keras.regularizers.l2(0.01))\n"),
    Row(id="layer-border-mode", code="DK501", api="`Conv2D(border_mode=…)`", name="border_mode",
        new="padding", where=PADDING_LAYERS, fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to …: {'border_mode': …}",
        replacement="use `padding=`",
        program="import keras\nlayer = keras.layers.Conv2D(2, (3, 3), border_mode=\"same\")\n"),
    Row(id="layer-W-regularizer", code="DK501", api="`Dense(W_regularizer=…)`",
        name="W_regularizer", new="kernel_regularizer", where=KERNEL_LAYERS, fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to …: {'W_regularizer': …}",
        replacement="use `kernel_regularizer=`",
        program="import keras\nlayer = keras.layers.Dense(2, W_regularizer=keras.regularizers.l2(0.01))\n"),
    Row(id="layer-b-regularizer", code="DK501", api="`Dense(b_regularizer=…)`",
        name="b_regularizer", new="bias_regularizer", where=KERNEL_LAYERS, fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to …: {'b_regularizer': …}",
        replacement="use `bias_regularizer=`",
        program="import keras\nlayer = keras.layers.Dense(2, b_regularizer=keras.regularizers.l2(0.01))\n"),
    Row(id="layer-subsample", code="DK501", api="`Conv2D(subsample=…)`", name="subsample",
        new="strides", where=CONV_LAYERS, fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to …: {'subsample': …}",
        replacement="use `strides=`",
        program="import keras\nlayer = keras.layers.Conv2D(2, (3, 3), subsample=(2, 2))\n"),
    Row(id="layer-bias", code="DK501", api="`Dense(bias=False)`", name="bias", new="use_bias",
        where=BIAS_LAYERS, fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to …: {'bias': …}",
        replacement="use `use_bias=`",
        program="import keras\nlayer = keras.layers.Dense(2, bias=False)\n"),
    Row(id="dense-output-dim", code="DK501", api="`Dense(output_dim=…)`", name="output_dim",
        new="units", where=frozenset({"Dense"}), fix=Fix.SAFE,
        error="TypeError: Dense.__init__() missing 1 required positional argument: 'units'",
        replacement="use `units=`",
        program="import keras\nlayer = keras.layers.Dense(output_dim=2)\n"),
    Row(id="model-input", code="DK501", api="`Model(input=…)`", name="input", new="inputs",
        where=frozenset({"Model", "Functional"}), fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to Model: {…'input': …}",
        replacement="use `inputs=`",
        program="import keras\ni = keras.Input((2,))\nmodel = keras.Model(input=i, outputs=keras.layers.Dense(1)(i))\n"),
    Row(id="model-output", code="DK501", api="`Model(output=…)`", name="output", new="outputs",
        where=frozenset({"Model", "Functional"}), fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to Model: {…'output': …}",
        replacement="use `outputs=`",
        program="import keras\ni = keras.Input((2,))\nmodel = keras.Model(inputs=i, output=keras.layers.Dense(1)(i))\n"),
    Row(id="average-pooling-size", code="DK501", api="`AveragePooling2D()` (no `pool_size`)",
        needs="pool_size", where=AVERAGE_POOLING, fix=Fix.SAFE,
        error="TypeError: …__init__() missing 1 required positional argument: 'pool_size'",
        replacement="write Keras 2's default, `pool_size=(2, 2)` (`MaxPooling2D` still has it)",
        why="written into a call without arguments",
        program="import keras\nlayer = keras.layers.AveragePooling2D()\n"),
    Row(id="batchnorm-mode", code="DK501", api="`BatchNormalization(mode=…)`", name="mode",
        where=frozenset({"BatchNormalization"}), fix=Fix.SAFE,
        error="ValueError: Unrecognized keyword arguments passed to BatchNormalization: {'mode': …}",
        replacement="drop `mode=0` (Keras 2 already refused the other modes)",
        why="dropped when it is `0`, Keras 2's one mode",
        program="import keras\nlayer = keras.layers.BatchNormalization(mode=0)\n",
        new_program="import keras\nlayer = keras.layers.BatchNormalization()\n"),
)  # fmt: skip

IGNORED = (
    Row(id="optimizer-decay", code="DK506", api="`Adam(decay=…)` (any optimizer)", name="decay",
        where=frozenset({OPTIMIZERS}), fix=Fix.SAFE,
        error="is ignored (only a `UserWarning`): the learning rate never decays",
        replacement=(
            "use `learning_rate=keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, "
            "decay_rate=decay)`, exactly Keras 2's decay"
        ),
        why="needs the learning rate written in the call, and a name the file "
        "already binds to Keras or its optimizers",
        program=(
            "import keras\nimport numpy as np\n"
            "opt = keras.optimizers.SGD(learning_rate=0.1, decay=0.5)\n"
            "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
            "model.compile(optimizer=opt, loss=\"mse\")\n"
            "model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=2, epochs=1, verbose=0)\n"
        ),
        observe="round(float(opt.learning_rate), 6)", observed_old=0.1,
        observed_new=round(0.1 / (1 + 0.5 * 4), 6)),
    Row(id="optimizer-lr-assignment", code="DK506", api="`model.optimizer.lr = …`", name="lr",
        new="learning_rate", where=frozenset({"optimizer"}), fix=Fix.SAFE,
        error="sets a plain Python attribute: the learning rate does not change",
        replacement="assign `model.optimizer.learning_rate`",
        program=MODEL + "model.optimizer.lr = 0.5\n",
        observe="round(float(model.optimizer.learning_rate), 6)", observed_old=0.01,
        observed_new=0.5),
    Row(id="conv2d-positional-kernel", code="DK506", api="`Conv2D(64, 3, 3)`", name="",
        where=CONV2D_LAYERS, fix=Fix.SAFE, packages=KERAS_ONLY,
        error=(
            "means `strides=3` where Keras 2 read `kernel_size=(3, 3)`: a 3× smaller output "
            "per side, and no error"
        ),
        replacement="write the kernel size as a tuple: `Conv2D(64, (3, 3))`",
        program="import keras\nmodel = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Convolution2D(8, 3, 3, padding=\"same\")])\n",
        observe="model.output_shape", observed_old=(None, 4, 4, 8),
        observed_new=(None, 12, 12, 8)),
)  # fmt: skip

FIT_KEYWORDS = _words(
    "steps_per_epoch epochs verbose callbacks validation_data validation_steps validation_freq "
    "class_weight shuffle initial_epoch"
)
ATTRIBUTES = (
    Row(id="fit-generator", code="DK502", api="`model.fit_generator(…)`", name="fit_generator",
        new="fit", where=frozenset({"model"}), fix=Fix.SAFE, params=tuple(sorted(FIT_KEYWORDS)),
        error="AttributeError: '…' object has no attribute 'fit_generator'",
        replacement="use `fit` (it takes generators and `PyDataset`s)",
        why="only with the generator as the one positional argument and keywords `fit` takes "
        "(`workers`/`use_multiprocessing`/`max_queue_size` belong to a `PyDataset` now); on "
        "TensorFlow a generator must then yield a tuple of inputs, not a list",
        program=BATCHES + "model.fit_generator(batches(), steps_per_epoch=2, epochs=1, verbose=0)\n"),
    Row(id="evaluate-generator", code="DK502", api="`model.evaluate_generator(…)`",
        name="evaluate_generator", new="evaluate", where=frozenset({"model"}), fix=Fix.SAFE,
        params=("callbacks", "steps", "verbose"), needs="verbose",
        error="AttributeError: '…' object has no attribute 'evaluate_generator'",
        replacement="use `evaluate` (it takes generators)",
        why="unsafe without `verbose=`: `evaluate` prints a progress bar where "
        "`evaluate_generator` printed none",
        program=BATCHES + "model.evaluate_generator(batches(), steps=2, verbose=0)\n"),
    Row(id="predict-generator", code="DK502", api="`model.predict_generator(…)`",
        name="predict_generator", new="predict", where=frozenset({"model"}), fix=Fix.UNSAFE,
        params=("callbacks", "steps", "verbose"),
        error="AttributeError: '…' object has no attribute 'predict_generator'",
        replacement="use `predict` (it takes generators)",
        why="`predict` needs the generator to yield tuples `(x,)` where Keras 2 took bare "
        "arrays, and prints a progress bar without `verbose=`",
        program=BATCHES.replace("yield x, y", "yield (x,)") + "model.predict_generator(batches(), steps=2, verbose=0)\n"),
    Row(id="predict-classes", code="DK502", api="`model.predict_classes(x)`",
        name="predict_classes", where=frozenset({"model"}),
        error="AttributeError: '…' object has no attribute 'predict_classes'",
        replacement="use `np.argmax(model.predict(x), axis=-1)` (softmax) or "
        "`(model.predict(x) > 0.5).astype(\"int32\")` (sigmoid)",
        why="which one depends on the output activation",
        program=MODEL + "classes = model.predict_classes(x)\n",
        new_program=MODEL + "classes = (model.predict(x, verbose=0) > 0.5).astype(\"int32\")\n"),
    Row(id="optimizer-lr-read", code="DK502", api="`model.optimizer.lr`", name="lr",
        new="learning_rate", where=frozenset({"optimizer"}), fix=Fix.SAFE,
        error="AttributeError: '…' object has no attribute 'lr'",
        replacement="use `.learning_rate`",
        program=MODEL + "rate = float(model.optimizer.lr)\n"),
    Row(id="get-output-at", code="DK502", api="`layer.get_output_at(0)`", name="get_output_at",
        where=frozenset({"model", "layer"}),
        error="AttributeError: '…' object has no attribute 'get_output_at'",
        replacement="use `layer.output` (a layer called once), or keep what each call returns",
        why="which call's output it was depends on the node index",
        program=MODEL + "out = model.layers[0].get_output_at(0)\n",
        new_program=MODEL + "out = model.layers[0].output\n"),
)  # fmt: skip

SAVING = (
    Row(id="save-weights-extension", code="DK505", api="`model.save_weights(\"w.h5\")`",
        name="save_weights", new=".weights.h5", where=frozenset({"model"}), fix=Fix.UNSAFE,
        error="ValueError: The filename must end in `.weights.h5`. Received: filepath=…",
        replacement="name the file `….weights.h5`",
        why="the file name changes: whatever loads or ships the old name must follow",
        program=MODEL + "model.save_weights(\"w.h5\")\n"),
    Row(id="save-extension", code="DK505", api="`model.save(\"dir\")`", name="save",
        new=".keras", where=frozenset({"model"}), fix=Fix.UNSAFE,
        error="ValueError: Invalid filepath extension for saving. …",
        replacement="save to `….keras` (or `….h5`), or `model.export(\"dir\")` for a SavedModel",
        why="the file name and format change (a `.keras` zip, not a SavedModel directory)",
        program=MODEL + "model.save(\"saved_model\")\n"),
    Row(id="checkpoint-weights-extension", code="DK505",
        api="`ModelCheckpoint(\"w.h5\", save_weights_only=True)`", name="ModelCheckpoint",
        new=".weights.h5", where=frozenset({"weights"}), fix=Fix.UNSAFE,
        error="ValueError: When using `save_weights_only=True` in `ModelCheckpoint`, the "
        "filepath provided must end in `.weights.h5` …",
        replacement="name the file `….weights.h5`",
        why="the file name changes",
        program="import keras\ncheckpoint = keras.callbacks.ModelCheckpoint(\"w.h5\", save_weights_only=True)\n"),
    Row(id="checkpoint-extension", code="DK505", api="`ModelCheckpoint(\"m.hdf5\")`",
        name="ModelCheckpoint", new=".keras", where=frozenset({"model"}), fix=Fix.UNSAFE,
        error="ValueError: The filepath provided must end in `.keras` (Keras model format). …",
        replacement="name the file `….keras` (or `….h5`)",
        why="the file name changes (`.hdf5` becomes `.h5`, same format; anything else `.keras`)",
        program="import keras\ncheckpoint = keras.callbacks.ModelCheckpoint(\"m.hdf5\")\n"),
)  # fmt: skip


# DK503 ------------------------------------------------------------------------

# What `keras.backend` still has in Keras 3 (the evidence compares with `dir()`).
BACKEND_KEPT = _words(
    "backend clear_session epsilon floatx get_uid image_data_format is_float_dtype is_int_dtype "
    "is_keras_tensor result_type set_epsilon set_floatx set_image_data_format "
    "standardize_dtype"
)
# What `tf.keras.backend` has in Keras 3: Keras 2's functions, kept for TensorFlow
# users (`from tensorflow.keras import backend as K; K.mean(x)` still works).
TF_KERAS_BACKEND = BACKEND_KEPT | _words(
    "abs all any arange argmax argmin batch_dot batch_flatten batch_get_value "
    "batch_normalization batch_set_value bias_add binary_crossentropy binary_focal_crossentropy "
    "cast cast_to_floatx categorical_crossentropy categorical_focal_crossentropy clip "
    "concatenate constant conv1d conv2d conv2d_transpose conv3d cos count_params ctc_batch_cost "
    "ctc_decode ctc_label_dense_to_sparse cumprod cumsum depthwise_conv2d dot dropout dtype elu "
    "equal eval exp expand_dims eye flatten foldl foldr gather get_value gradients greater "
    "greater_equal hard_sigmoid in_top_k int_shape is_sparse l2_normalize less less_equal log "
    "map_fn max maximum mean min minimum moving_average_update name_scope ndim not_equal one_hot "
    "ones ones_like permute_dimensions pool2d pool3d pow prod random_bernoulli random_normal "
    "random_normal_variable random_uniform random_uniform_variable relu repeat repeat_elements "
    "reshape resize_images resize_volumes reverse rnn round separable_conv2d set_value shape "
    "sigmoid sign sin softmax softplus softsign sparse_categorical_crossentropy "
    "spatial_2d_padding spatial_3d_padding sqrt square squeeze stack std stop_gradient sum switch "
    "tanh temporal_padding tile to_dense transpose truncated_normal update update_add update_sub "
    "var variable zeros zeros_like"
)
NO_DROP_IN = "no drop-in: Keras 3 has no symbolic graph to take it from"


def _backend(
    name: str, replacement: str, new: str = "", fix: Fix = Fix.NONE, **more: object
) -> Row:
    return Row(
        id=f"backend-{name}",
        code="DK503",
        api=f"`K.{name}`",
        name=name,
        new=new,
        fix=fix,
        error=f"AttributeError: module 'keras.backend' has no attribute '{name}'",
        replacement=replacement if replacement[0].islower() else f"use {replacement}",
        packages=KERAS_ONLY if name in TF_KERAS_BACKEND else PUBLIC,
        **more,  # type: ignore[arg-type]
    )


# `K.<name>` -> `keras.<new>`, same arguments (and the same values and dtypes
# as Keras 2's on the evidence's ``same`` arguments): safe fixes.
SAME_OPS = (
    ("sum", "ops.sum", "x axis keepdims", "xi, axis=1"),
    ("max", "ops.max", "x axis keepdims", "x, 1, True"),
    ("min", "ops.min", "x axis keepdims", "x, axis=0"),
    ("square", "ops.square", "x", "xi"),
    ("abs", "ops.abs", "x", "x"),
    ("exp", "ops.exp", "x", "x"),
    ("log", "ops.log", "x", "p"),
    ("pow", "ops.power", "x1 x2", "p, 3"),
    ("maximum", "ops.maximum", "x1 x2", "x, p"),
    ("minimum", "ops.minimum", "x1 x2", "x, p"),
    ("stack", "ops.stack", "x axis", "[x, p], 1"),
    ("reshape", "ops.reshape", "x newshape", "x, (3, 2)"),
    ("transpose", "ops.transpose", "x", "x"),
    ("cast", "ops.cast", "x dtype", 'xi, "float32"'),
    ("sign", "ops.sign", "x", "x"),
    ("tanh", "ops.tanh", "x", "x"),
    ("sigmoid", "ops.sigmoid", "x", "x"),
    ("softmax", "ops.softmax", "x axis", "x"),
    ("zeros_like", "ops.zeros_like", "x dtype", "xi"),
    ("ones_like", "ops.ones_like", "x dtype", "x"),
    ("greater", "ops.greater", "x1 x2", "x, p"),
    ("equal", "ops.equal", "x1 x2", "xi, xi"),
    ("tile", "ops.tile", "x repeats", "x, (2, 1)"),
    ("repeat_elements", "ops.repeat", "x repeats axis", "x, 2, 1"),
    ("std", "ops.std", "x axis keepdims", "x, 1"),
    ("var", "ops.var", "x axis keepdims", "x, 1"),
)
X = ("x",)
BACKEND = (
    *(
        _backend(name, f"`keras.{new}`", new, Fix.SAFE, params=tuple(params.split()), same=same)
        for name, new, params, same in SAME_OPS
    ),
    _backend("gradients", "use a `train_step` with `tf.GradientTape` (or `torch.autograd.grad`); "
             "see `reference_impls/vat.py`", why=NO_DROP_IN),
    _backend("function", "call the model (`model(x, training=False)`) or a "
             "`keras.Model(inputs, outputs)` built for the outputs", why=NO_DROP_IN),
    _backend("get_session", "drop it: Keras 3 has no session", why=NO_DROP_IN),
    _backend("set_session", "drop it: Keras 3 has no session", why=NO_DROP_IN),
    _backend("set_learning_phase", "pass `training=True`/`False` when calling a model or layer",
             why=NO_DROP_IN),
    _backend("learning_phase", "pass `training=True`/`False` when calling a model or layer",
             why=NO_DROP_IN),
    _backend("placeholder", "`keras.Input(shape=…)` (without the batch dimension)",
             why="the shape loses its batch dimension"),
    _backend("variable", "`keras.Variable(value)`", why="its arguments differ"),
    _backend("set_value", "`x.assign(value)`", why="the call changes shape"),
    _backend("get_value", "`keras.ops.convert_to_numpy(x)`", "ops.convert_to_numpy", Fix.UNSAFE,
             why="it also takes what is not a variable", params=X, same="v"),
    _backend("update", "`x.assign(value)`", why="the call changes shape"),
    _backend("int_shape", "`tuple(x.shape)`", why="the call changes shape"),
    _backend("ndim", "`len(x.shape)`", why="the call changes shape"),
    _backend("shape", "`keras.ops.shape(x)` (a tuple, not a tensor)",
             why="a tuple where Keras 2 gave a tensor"),
    _backend("image_dim_ordering", "`K.image_data_format()` (`\"channels_last\"`, not `\"tf\"`)",
             why="its values differ"),
    _backend("set_image_dim_ordering", "`K.set_image_data_format(\"channels_last\")`",
             why="its values differ"),
    _backend("mean", "`keras.ops.mean`", "ops.mean", Fix.UNSAFE, params=("x", "axis", "keepdims"),
             why="an integer input gives a float mean where Keras 2 truncated",
             same="x, axis=1", differs="xi, axis=1"),
    _backend("sqrt", "`keras.ops.sqrt`", "ops.sqrt", Fix.UNSAFE, params=X,
             why="Keras 2 clipped negative inputs to 0; `keras.ops.sqrt` gives NaN",
             same="p", differs="x"),
    _backend("concatenate", "`keras.ops.concatenate` with `axis=` (Keras 2's default was -1, "
             "Keras 3's is 0)", "ops.concatenate", Fix.SAFE, params=("xs", "axis"), needs="axis",
             why="only with `axis=` written", same="[x, p], -1", differs="[x, p]"),
    _backend("expand_dims", "`keras.ops.expand_dims` with the axis written (Keras 2's default "
             "was -1)", "ops.expand_dims", Fix.SAFE, params=("x", "axis"), needs="axis",
             why="only with the axis written", same="x, 1"),
    _backend("permute_dimensions", "`keras.ops.transpose(x, axes)`", "ops.transpose", Fix.SAFE,
             params=("x", "axes"), same="x, (1, 0)"),
    _backend("clip", "`keras.ops.clip`", "ops.clip", Fix.UNSAFE, params=("x", "x_min", "x_max"),
             why="Keras 2 took `None` for no bound; `keras.ops.clip` raises", same="x, 0.0, 1.0",
             differs="x, None, 1.0"),
    _backend("stop_gradient", "`keras.ops.stop_gradient`", "ops.stop_gradient", Fix.UNSAFE,
             params=("variable",), why="Keras 2 also took a list of tensors, one by one; "
             "Keras 3 stacks it (TensorFlow) or fails (torch)", same="x"),
    _backend("relu", "`keras.ops.relu` (Keras 2's `alpha`/`max_value`: `keras.ops.leaky_relu`, "
             "`keras.ops.clip`)", "ops.relu", Fix.SAFE, params=X, same="x"),
    _backend("squeeze", "`keras.ops.squeeze` with the axis written", "ops.squeeze", Fix.SAFE,
             params=("x", "axis"), needs="axis", why="only with the axis written",
             same="e, 1"),
    _backend("argmax", "`keras.ops.argmax` with the axis written (Keras 2's default was -1, "
             "Keras 3 flattens)", "ops.argmax", Fix.UNSAFE, params=("x", "axis"), needs="axis",
             why="only with the axis written, and the indices are int32 where Keras 2's were int64",
             differs="x, 1"),
    _backend("dot", "`keras.ops.matmul` (2-D) or `keras.ops.tensordot`",
             why="N-D shapes follow other rules"),
    _backend("batch_flatten", "`keras.layers.Flatten()`", why="a layer, not a function"),
    _backend("flatten", "`keras.ops.reshape(x, (-1,))`", why="the call changes shape"),
    _backend("zeros", "`keras.ops.zeros` (a tensor; Keras 2 made a variable)",
             why="a tensor where Keras 2 made a variable"),
    _backend("ones", "`keras.ops.ones` (a tensor; Keras 2 made a variable)",
             why="a tensor where Keras 2 made a variable"),
    _backend("switch", "`keras.ops.where` (or `keras.ops.cond`)", why="the call changes shape"),
    _backend("random_normal", "`keras.random.normal`", "random.normal", Fix.UNSAFE,
             params=("shape", "mean", "stddev", "dtype", "seed"),
             why="other random numbers (Keras 3 seeds differently)"),
    _backend("random_uniform", "`keras.random.uniform`", "random.uniform", Fix.UNSAFE,
             params=("shape", "minval", "maxval", "dtype", "seed"),
             why="other random numbers (Keras 3 seeds differently)"),
    _backend("binary_crossentropy", "`keras.ops.binary_crossentropy`", "ops.binary_crossentropy",
             Fix.UNSAFE, params=("target", "output", "from_logits"),
             why="Keras 2 added `epsilon` inside the logarithms", same="q, q",
             differs="q, p / 5"),
    _backend("categorical_crossentropy", "`keras.ops.categorical_crossentropy`",
             "ops.categorical_crossentropy", Fix.UNSAFE,
             params=("target", "output", "from_logits", "axis"),
             why="compared with Keras 2's on one input only", same="q, q"),
    Row(id="backend-other", code="DK503", api="any other `K.…` of Keras 2", name="*",
        error="AttributeError: module 'keras.backend' has no attribute '…'",
        replacement="look for it in `keras.ops`, `keras.random` or `keras.layers`",
        packages=PUBLIC, why="no general rule"),
)  # fmt: skip

# DK504 --------------------------------------------------------------------------

_LAYERS = "layers"


def _to(target: str, names: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), target)


def _module(name: str, replacement: str, moves: dict[str, str], **more: object) -> Row:
    return Row(
        id=f"module-{name}",
        code="DK504",
        api=f"`keras.{name}`",
        name=name,
        moves=moves,
        fix=Fix.SAFE if moves else Fix.NONE,
        error=f"ModuleNotFoundError: No module named 'keras.{name}'",
        replacement=replacement,
        **{"packages": PUBLIC, **more},  # type: ignore[arg-type]
    )


POOLING = (
    "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D "
    "GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GlobalAveragePooling1D "
    "GlobalAveragePooling2D GlobalAveragePooling3D MaxPool1D MaxPool2D MaxPool3D AvgPool1D "
    "AvgPool2D AvgPool3D"
)
# Keras 2's aliases of the transposed convolutions.
DECONV = {"Deconv2D": "Conv2DTranspose", "Deconv3D": "Conv3DTranspose"}
MODULES = (
    _module("layers.merge", "import them from `keras.layers`; Keras 1's `merge([a, b], "
            "mode=\"concat\")` is `concatenate([a, b])`, and a `_Merge` subclass (WGAN-GP's "
            "random average) becomes a `keras.layers.Layer` subclass",
            _to(_LAYERS, "concatenate Concatenate add Add multiply Multiply average Average "
                "maximum Maximum minimum Minimum dot Dot subtract Subtract")),
    _module("utils.np_utils", "import them from `keras.utils`",
            _to("utils", "normalize to_categorical"),
            unsafe_moves={"to_categorical": "returns float64 where Keras 2 returned float32"}),
    _module("layers.advanced_activations", "import them from `keras.layers`",
            _to(_LAYERS, "LeakyReLU PReLU ELU Softmax ReLU")),
    _module("layers.convolutional", "import them from `keras.layers`",
            _to(_LAYERS, "Conv1D Conv2D Conv3D Convolution1D Convolution2D Convolution3D "
                "Conv2DTranspose Conv3DTranspose SeparableConv1D SeparableConv2D DepthwiseConv2D "
                "UpSampling1D UpSampling2D UpSampling3D ZeroPadding1D ZeroPadding2D ZeroPadding3D "
                "Cropping1D Cropping2D Cropping3D Deconv2D Deconv3D " + POOLING),
            renames=DECONV),
    _module("layers.core", "import them from `keras.layers`",
            _to(_LAYERS, "Dense Activation Dropout Flatten Reshape Lambda Permute RepeatVector "
                "ActivityRegularization Masking SpatialDropout1D SpatialDropout2D "
                "SpatialDropout3D")),
    _module("layers.normalization", "import them from `keras.layers`",
            _to(_LAYERS, "BatchNormalization LayerNormalization")),
    _module("layers.recurrent", "import them from `keras.layers`",
            _to(_LAYERS, "LSTM GRU SimpleRNN RNN LSTMCell GRUCell SimpleRNNCell StackedRNNCells")),
    _module("layers.pooling", "import them from `keras.layers`", _to(_LAYERS, POOLING)),
    _module("layers.embeddings", "import it from `keras.layers`", _to(_LAYERS, "Embedding")),
    _module("layers.wrappers", "import them from `keras.layers`",
            _to(_LAYERS, "TimeDistributed Bidirectional Wrapper")),
    _module("layers.noise", "import them from `keras.layers`",
            _to(_LAYERS, "GaussianNoise GaussianDropout AlphaDropout")),
    _module("engine", "import `Layer`, `InputSpec`, `Input` and `InputLayer` from "
            "`keras.layers`, `Model` and `Sequential` from `keras.models`",
            {**_to(_LAYERS, "Layer InputSpec Input InputLayer"), **_to("models", "Model Sequential")}),
    _module("wrappers.scikit_learn", "use `KerasClassifier`/`KerasRegressor` of the SciKeras "
            "package (`scikeras.wrappers`)", {}, why="another package, another API"),
    _module("utils.generic_utils", "import them from `keras.utils`",
            _to("utils", "get_custom_objects CustomObjectScope custom_object_scope Progbar "
                "serialize_keras_object deserialize_keras_object")),
    _module("utils.vis_utils", "import them from `keras.utils`",
            _to("utils", "plot_model model_to_dot")),
    _module("utils.data_utils", "import them from `keras.utils`",
            _to("utils", "get_file Sequence"),
            unsafe_moves={"Sequence": "it is `PyDataset`: `workers` and `use_multiprocessing` "
                          "move to its constructor"}),
    _module("utils.layer_utils", "use `keras.utils.get_source_inputs`; "
            "`convert_all_kernels_in_model` (Theano kernels) has no counterpart",
            _to("utils", "get_source_inputs")),
    _module("backend.tensorflow_backend", "use TensorFlow itself (`tf.config`, `tf.compat.v1`)", {},
            why="no Keras counterpart"),
    _module("preprocessing.text", "use `keras.layers.TextVectorization`", {},
            packages=KERAS_ONLY, why="another API"),
)  # fmt: skip

NAMES = (
    Row(id="name-ImageDataGenerator", code="DK504", api="`ImageDataGenerator`",
        name="preprocessing.image.ImageDataGenerator", packages=KERAS_ONLY,
        error="AttributeError: module 'keras.preprocessing.image' has no attribute "
        "'ImageDataGenerator'",
        replacement="use `keras.utils.image_dataset_from_directory` and augmentation layers "
        "(`RandomFlip`, `RandomRotation`, …); `tf.keras` still has it",
        why="another API"),
    Row(id="name-multi_gpu_model", code="DK504", api="`multi_gpu_model`",
        name="utils.multi_gpu_model", packages=PUBLIC,
        error="AttributeError: module 'keras.utils' has no attribute 'multi_gpu_model'",
        replacement="build the model under `tf.distribute.MirroredStrategy().scope()`",
        why="another API"),
    Row(id="name-Merge", code="DK504", api="`keras.layers.Merge`", name="layers.Merge",
        packages=PUBLIC,
        error="AttributeError: module 'keras.layers' has no attribute 'Merge'",
        replacement="use `keras.layers.Concatenate`, `Add`, `Multiply`, …", why="another API"),
    *(
        Row(id=f"name-{old}", code="DK504", api=f"`{old}`", name=f"layers.{old}", packages=PUBLIC,
            error=f"AttributeError: module 'keras.layers' has no attribute '{old}'",
            replacement=f"use `keras.layers.{new}` (Keras 2's `{old}` was an alias of it)",
            new=new, fix=Fix.SAFE, why=f"in imports: `{new} as {old}` keeps the name bound")
        for old, new in DECONV.items()
    ),
    Row(id="name-optimizers-legacy", code="DK504", api="`keras.optimizers.legacy.Adam(…)`",
        name="optimizers.legacy", packages=PUBLIC,
        error="ImportError: `keras.optimizers.legacy` is not supported in Keras 3. …",
        replacement="use `keras.optimizers.Adam(learning_rate=…)`",
        why="another implementation",
        program="from keras.optimizers.legacy import Adam\nopt = Adam(learning_rate=0.001)\n",
        new_program="from keras.optimizers import Adam\nopt = Adam(learning_rate=0.001)\n"),
)  # fmt: skip

ROWS: tuple[Row, ...] = (*ARGUMENTS, *IGNORED, *ATTRIBUTES, *BACKEND, *MODULES, *NAMES, *SAVING)
BY_ID = {row.id: row for row in ROWS}


def rows_of(code: str) -> tuple[Row, ...]:
    return tuple(row for row in ROWS if row.code == code)


def names_of(code: str) -> tuple[str, ...]:
    """The identifiers a file needs for the rule ``code`` to fire (its gate tokens)."""
    return tuple(sorted({row.name.split(".")[-1] for row in rows_of(code) if row.name}))
