"""Keras names are resolved through the file's imports, never matched by spelling."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from semantic_helpers import build

from darklint.keras.facts import EventKind
from darklint.keras.names import ImportTable
from darklint.keras.vocabulary import Kind, classify, keras_path


def table(source: str) -> ImportTable:
    imports = ImportTable()
    module = cst.parse_module(textwrap.dedent(source))
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    imports.add(small)
    return imports


def kind_of(imports: ImportTable, expression: str) -> tuple[Kind, str] | None:
    return imports.keras_kind(cst.parse_expression(expression))


# keras_path -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qualified", "path"),
    [
        ("keras.Model", "Model"),
        ("keras.models.Model", "models.Model"),
        ("keras.src.models.Model", "models.Model"),
        ("keras.src.models.model.Model", "models.model.Model"),
        ("tensorflow.keras.Model", "Model"),
        ("tensorflow.keras.layers.Dense", "layers.Dense"),
        ("tensorflow.keras.optimizers.legacy.Adam", "optimizers.legacy.Adam"),
        ("tensorflow.python.keras.models.Sequential", "models.Sequential"),
        ("tensorflow.optimizers.Adam", "optimizers.Adam"),
        ("tf_keras.Sequential", "Sequential"),
        ("tf_keras.src.models.Model", "models.Model"),
        ("keras", ""),
        ("tensorflow.keras", ""),
    ],
)
def test_keras_path_reduces_every_spelling_to_the_path_inside_keras(
    qualified: str, path: str
) -> None:
    assert keras_path(qualified) == path


@pytest.mark.parametrize(
    "qualified",
    [
        "torch.nn.Module",
        "torch.nn.Sequential",
        "sklearn.pipeline.Pipeline",
        "mylib.keras.Model",
        "kerastuner.Model",
        "keras_cv.models.Model",
        "tensorflow.Module",
        "tensorflow",
        "tensorflow_addons.optimizers.AdamW",
        "Model",
    ],
)
def test_keras_path_is_none_outside_keras(qualified: str) -> None:
    assert keras_path(qualified) is None


# classify -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("Model", Kind.MODEL_CLASS),
        ("models.Model", Kind.MODEL_CLASS),
        ("Sequential", Kind.MODEL_CLASS),
        ("models.Sequential", Kind.MODEL_CLASS),
        ("models.load_model", Kind.MODEL_FACTORY),
        ("models.clone_model", Kind.MODEL_FACTORY),
        ("saving.load_model", Kind.MODEL_FACTORY),
        ("applications.VGG16", Kind.MODEL_FACTORY),
        ("applications.resnet50.ResNet50", Kind.MODEL_FACTORY),
        ("optimizers.Adam", Kind.OPTIMIZER),
        ("optimizers.legacy.Adam", Kind.OPTIMIZER),
        ("optimizers.RMSprop", Kind.OPTIMIZER),
        ("layers.Dense", Kind.LAYER),
        ("Input", Kind.INPUT),
        ("layers.Input", Kind.INPUT),
        ("backend.gradients", Kind.BACKEND),
    ],
)
def test_classify(path: str, kind: Kind) -> None:
    assert classify(path) is kind


@pytest.mark.parametrize(
    "path",
    [
        "optimizers.schedules.ExponentialDecay",
        "optimizers.schedules.PiecewiseConstantDecay",
        "applications.vgg16.preprocess_input",
        "layers.concatenate",
        "utils.to_categorical",
    ],
)
def test_classify_other(path: str) -> None:
    assert classify(path) is Kind.OTHER


def test_schedules_are_not_optimizers() -> None:
    assert classify("optimizers.schedules.ExponentialDecay") is not Kind.OPTIMIZER


# ImportTable ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("imports", "expression", "expected"),
    [
        ("import keras", "keras.Model", (Kind.MODEL_CLASS, "Model")),
        ("import keras", "keras.models.Sequential", (Kind.MODEL_CLASS, "models.Sequential")),
        ("from keras import Model", "Model", (Kind.MODEL_CLASS, "Model")),
        ("from keras.models import Model as M", "M", (Kind.MODEL_CLASS, "models.Model")),
        ("import tensorflow as tf", "tf.keras.Model", (Kind.MODEL_CLASS, "Model")),
        ("from tensorflow import keras", "keras.Sequential", (Kind.MODEL_CLASS, "Sequential")),
        (
            "from tensorflow.keras import layers as L",
            "L.Dense",
            (Kind.LAYER, "layers.Dense"),
        ),
        ("import tensorflow.keras as K", "K.Model", (Kind.MODEL_CLASS, "Model")),
        ("import tf_keras", "tf_keras.Sequential", (Kind.MODEL_CLASS, "Sequential")),
        ("import tf_keras as keras", "keras.Model", (Kind.MODEL_CLASS, "Model")),
        (
            "from keras.src.models import Model",
            "Model",
            (Kind.MODEL_CLASS, "models.Model"),
        ),
        ("import keras", "keras.applications.VGG16", (Kind.MODEL_FACTORY, "applications.VGG16")),
        (
            "import keras",
            "keras.models.load_model",
            (Kind.MODEL_FACTORY, "models.load_model"),
        ),
        (
            "from keras.models import clone_model",
            "clone_model",
            (Kind.MODEL_FACTORY, "models.clone_model"),
        ),
        ("import keras", "keras.optimizers.Adam", (Kind.OPTIMIZER, "optimizers.Adam")),
        (
            "import tensorflow as tf",
            "tf.keras.optimizers.legacy.Adam",
            (Kind.OPTIMIZER, "optimizers.legacy.Adam"),
        ),
        ("import tensorflow as tf", "tf.optimizers.Adam", (Kind.OPTIMIZER, "optimizers.Adam")),
        (
            "from keras.optimizers import Adam",
            "Adam",
            (Kind.OPTIMIZER, "optimizers.Adam"),
        ),
        (
            "from keras import backend as K",
            "K.gradients",
            (Kind.BACKEND, "backend.gradients"),
        ),
        ("import keras.models", "keras.models.Model", (Kind.MODEL_CLASS, "models.Model")),
    ],
)
def test_import_table_resolves(imports: str, expression: str, expected: tuple[Kind, str]) -> None:
    assert kind_of(table(imports), expression) == expected


def test_schedule_resolves_but_is_not_an_optimizer() -> None:
    imports = table("import keras")
    assert kind_of(imports, "keras.optimizers.schedules.ExponentialDecay") == (
        Kind.OTHER,
        "optimizers.schedules.ExponentialDecay",
    )


@pytest.mark.parametrize(
    ("imports", "expression"),
    [
        # Not imported at all: a bare ``Model`` is not Keras' however it is spelled.
        ("import keras", "Model"),
        ("import keras", "Sequential"),
        ("import tensorflow as tf", "keras.Model"),
        # Imported, but not from Keras.
        ("from mylib import Model", "Model"),
        ("from mylib.keras import Model", "Model"),
        ("import torch.nn as nn", "nn.Sequential"),
        ("import torch", "torch.nn.Module"),
        ("from sklearn.pipeline import Pipeline", "Pipeline"),
        ("import tensorflow as tf", "tf.Module"),
        # A relative import is the project's own module.
        ("from .keras import Model", "Model"),
        ("from .models import Sequential", "Sequential"),
    ],
)
def test_import_table_does_not_spell_match(imports: str, expression: str) -> None:
    assert kind_of(table(imports), expression) is None


def test_star_import_from_keras_resolves_model_names() -> None:
    imports = table("from keras.models import *")
    assert imports.star_modules == ["keras.models"]
    assert imports.imports_keras
    assert kind_of(imports, "Sequential") == (Kind.MODEL_CLASS, "models.Sequential")
    assert kind_of(imports, "Model") == (Kind.MODEL_CLASS, "models.Model")
    # A name that is nothing Keras-shaped is not claimed by the star import.
    assert kind_of(imports, "np") is None


def test_star_import_from_tensorflow_keras_layers() -> None:
    imports = table("from tensorflow.keras.layers import *")
    assert kind_of(imports, "Dense") == (Kind.LAYER, "layers.Dense")


def test_star_import_from_elsewhere_is_ignored() -> None:
    imports = table("from numpy import *\nfrom torch.nn import *")
    assert imports.star_modules == []
    assert not imports.imports_keras
    assert kind_of(imports, "Sequential") is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import keras", True),
        ("import tensorflow as tf", True),
        ("from tensorflow import keras", True),
        ("import tf_keras", True),
        ("from keras.layers import Dense", True),
        ("import numpy as np\nimport torch", False),
        ("import tensorflow_datasets as tfds", False),
        ("import keras_tuner", False),
        ("from mylib.keras import Model", False),
        ("from .keras import Model", False),
        ("x = 'import keras'", False),
    ],
)
def test_imports_keras(source: str, expected: bool) -> None:
    assert table(source).imports_keras is expected


# Through the semantic model -----------------------------------------------------

CONSTRUCTORS = [
    ("import keras", "keras.Sequential()"),
    ("import keras", "keras.Model(inp, out)"),
    ("from keras import Model", "Model(inp, out)"),
    ("from keras.models import Model as M", "M(inp, out)"),
    ("import tensorflow as tf", "tf.keras.Model(inp, out)"),
    ("import tensorflow as tf", "tf.keras.models.Sequential()"),
    ("from tensorflow import keras", "keras.Sequential()"),
    ("import tensorflow.keras as K", "K.Model(inp, out)"),
    ("import tf_keras", "tf_keras.Sequential()"),
    ("import tf_keras as keras", "keras.Sequential()"),
    ("from keras.src.models import Model", "Model(inp, out)"),
    ("import keras", "keras.src.models.Model(inp, out)"),
    ("from keras.models import *", "Sequential()"),
    ("from tensorflow.keras.models import *", "Model(inp, out)"),
    ("import keras", "keras.applications.VGG16(weights=None)"),
    ("import tensorflow as tf", "tf.keras.applications.resnet50.ResNet50()"),
    ("import keras", "keras.models.load_model('d.keras')"),
    ("from tensorflow.keras.models import load_model", "load_model('d.h5')"),
    ("import keras", "keras.models.clone_model(other)"),
    ("import keras", "keras.saving.load_model('d.keras')"),
]


@pytest.mark.parametrize(("imports", "constructor"), CONSTRUCTORS)
def test_every_spelling_builds_a_model(imports: str, constructor: str) -> None:
    built = build(
        f"""
        {imports}
        m = {constructor}
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y)
        """
    )
    assert built.sem.imports_keras
    assert built.labels() == {"m"}
    assert built.trace() == [("compile", "m", 3), ("train", "m", 4)]


def test_layers_alias_builds_a_functional_model_containing_nothing() -> None:
    built = build(
        """
        import keras
        from tensorflow.keras import layers as L
        inp = keras.Input(shape=(3,))
        out = L.Dense(1)(L.Dense(8)(inp))
        m = keras.Model(inp, out)
        """
    )
    m = built.model("m")
    assert built.sem.models[m].kind.value == "functional"
    assert built.sem.models[m].contains == set()


@pytest.mark.parametrize(
    ("imports", "constructor"),
    [
        ("import keras", "keras.optimizers.Adam(1e-3)"),
        ("import tensorflow as tf", "tf.keras.optimizers.legacy.Adam(1e-3)"),
        ("import tensorflow as tf", "tf.optimizers.Adam(1e-3)"),
        ("from keras.optimizers import Adam", "Adam(1e-3)"),
        ("from tensorflow.keras.optimizers import RMSprop as R", "R()"),
    ],
)
def test_optimizers_are_recognised(imports: str, constructor: str) -> None:
    built = build(
        f"""
        {imports}
        import keras
        m = keras.Sequential()
        opt = {constructor}
        m.compile(optimizer=opt, loss="mse")
        """
    )
    assert len(built.sem.optimizers) == 1
    compile_event = built.only(EventKind.COMPILE, "m")
    assert compile_event.optimizer is not None
    assert built.sem.optimizer(compile_event.optimizer).label == "opt"


def test_learning_rate_schedule_is_not_an_optimizer() -> None:
    built = build(
        """
        import keras
        m = keras.Sequential()
        schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 1000, 0.9)
        m.compile(optimizer=schedule, loss="mse")
        """
    )
    assert built.sem.optimizers == {}
    assert built.only(EventKind.COMPILE, "m").optimizer is None


def test_string_optimizer_is_not_an_optimizer_object() -> None:
    built = build(
        """
        import keras
        m = keras.Sequential()
        m.compile(optimizer="adam", loss="mse")
        """
    )
    assert built.sem.optimizers == {}
    assert built.only(EventKind.COMPILE, "m").optimizer is None


def test_local_class_model_is_not_keras() -> None:
    built = build(
        """
        import keras

        class Model:
            def compile(self, **kw):
                pass

            def fit(self, x):
                pass

        m = Model()
        m.compile(optimizer="adam")
        m.fit(x)
        """
    )
    assert built.sem.imports_keras
    assert built.sem.models == {}
    assert built.sem.trace == ()


def test_local_class_model_shadows_a_star_import() -> None:
    built = build(
        """
        from keras.models import *

        class Sequential:
            def fit(self, x):
                pass

        m = Sequential()
        m.fit(x)
        """
    )
    assert built.sem.models == {}
    assert built.sem.trace == ()


def test_local_function_named_sequential_is_not_keras() -> None:
    built = build(
        """
        import keras

        def Sequential(*layers):
            return list(layers)

        m = Sequential(1, 2)
        m.fit(x)
        """
    )
    assert built.sem.models == {}
    assert built.sem.trace == ()


def test_torch_module_is_not_keras() -> None:
    built = build(
        """
        import keras
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                return x

        net = Net()
        seq = nn.Sequential(nn.Linear(2, 2))
        other = torch.nn.Sequential()
        net.trainable = False
        seq.fit(x)
        other.compile()
        """
    )
    assert built.sem.models == {}
    assert built.sem.trace == ()


def test_sklearn_pipeline_is_not_keras() -> None:
    built = build(
        """
        import keras
        from sklearn.pipeline import Pipeline
        from sklearn.linear_model import LogisticRegression

        pipe = Pipeline([("clf", LogisticRegression())])
        pipe.fit(x, y)
        pipe.predict(x)
        """
    )
    assert built.sem.models == {}
    assert built.sem.trace == ()


def test_model_imported_from_another_library_is_not_keras() -> None:
    built = build(
        """
        import keras
        from mylib.keras import Model
        from .models import Sequential

        a = Model()
        b = Sequential()
        a.compile(optimizer="adam")
        b.fit(x)
        """
    )
    assert built.sem.models == {}
    assert built.sem.trace == ()


def test_file_without_keras_import_gets_an_empty_model() -> None:
    built = build(
        """
        import numpy as np

        class Model:
            pass

        keras = object()
        m = keras.Sequential()
        m.trainable = False
        m.compile(optimizer="adam")
        m.fit(x)
        """
    )
    assert built.sem.imports_keras is False
    assert built.sem.models == {}
    assert built.sem.trace == ()
    assert built.sem.optimizers == {}
    assert built.sem.gradients == ()


def test_import_inside_a_function_counts() -> None:
    built = build(
        """
        def build():
            from keras.models import Sequential
            return Sequential()

        m = build()
        m.fit(x)
        """
    )
    assert built.sem.imports_keras
    assert built.labels() == {"m"}
    assert built.trace() == [("train", "m", 6)]


def test_keras_name_bound_to_a_variable_is_still_keras() -> None:
    built = build(
        """
        import keras
        model_cls = keras.Sequential
        m = model_cls()
        m.fit(x)
        """
    )
    assert built.labels() == {"m"}


def test_star_import_of_keras_itself_resolves_submodules() -> None:
    # `from keras import *` binds `models`, `optimizers`, `layers`, ...
    built = build(
        """
        from keras import *
        m = models.Sequential()
        opt = optimizers.Adam()
        m.compile(optimizer=opt, loss="mse")
        """
    )
    assert built.labels() == {"m"}
    assert built.only(EventKind.COMPILE, "m").optimizer is not None


def test_scipy_minimize_is_not_an_optimizer_step() -> None:
    built = build(
        """
        import keras
        import scipy.optimize
        from scipy import optimize

        result = scipy.optimize.minimize(f, x0)
        other = optimize.minimize(f, x0)
        """
    )
    assert built.sem.trace == ()
    assert not [e for e in built.sem.trace if e.kind in (EventKind.TRAIN, EventKind.STEP)]
