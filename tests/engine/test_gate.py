"""The gate never changes a result: gated and ungated runs give the same diagnostics.

The gate (``darklint.gate``) skips libcst for a file whose text or code cannot
make a rule fire.  ``DARKLINT_NO_GATE=1`` turns it off, so every rule runs on
every file that parses; the two runs must agree on every corpus: the
fixtures, every rule's embedded VALID/INVALID cases, Keras programs spelled
in unusual ways, and (``-m slow``) the whole of the installed ``keras/src``.

The rules' requirements are the semantic model's vocabulary, taken from
``darklint.keras.vocabulary``; the gate itself knows no Keras word.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from darklint import gate
from darklint.diagnostics import Diagnostic
from darklint.engine import lint_path, lint_text, rules_to_run
from darklint.keras import vocabulary
from darklint.registry import all_rules, rules_by_code

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures").glob("*.py"))
ALL_CODES = frozenset(rule.code for rule in all_rules())


def _ungated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(gate.ENV_DISABLE, "1")


def _both(source: str, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[Diagnostic, ...], ...]:
    gated = lint_text(source, "case.py", ALL_CODES)
    with monkeypatch.context() as patch:
        _ungated(patch)
        ungated = lint_text(source, "case.py", ALL_CODES)
    assert not gated.crashes
    assert not ungated.crashes
    return gated.diagnostics, ungated.diagnostics


# The vocabulary ---------------------------------------------------------------


def test_the_gate_knows_no_keras_word() -> None:
    """Rules state their requirements; the gate only matches them."""
    text = (ROOT / "darklint" / "gate.py").read_text().lower()
    assert "keras" not in text
    assert "tensorflow" not in text


def test_no_rule_imports_the_gate() -> None:
    for path in sorted((ROOT / "darklint" / "rules").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "darklint.gate" not in imported, path.name


def test_every_keras_rule_requires_a_keras_import() -> None:
    for rule in all_rules():
        expected = frozenset() if rule.engine_rule else vocabulary.KERAS_IMPORTS
        assert rule.requires_imports == expected, rule.code


def test_training_calls_are_the_semantic_models() -> None:
    assert set(vocabulary.TRAINS) == vocabulary.TRAIN_METHODS
    steps = vocabulary.TRAIN_METHODS | vocabulary.GRADIENT_STEP_METHODS
    assert steps | vocabulary.OPTIMIZER_STEP_METHODS <= set(vocabulary.STEPS)


def test_model_sources_cover_the_semantic_models() -> None:
    makers = vocabulary.MODEL_CLASSES | vocabulary.MODEL_FACTORIES | {"applications"}
    # Promotion of an unknown value: `x.trainable = False`, `x.compile(loss=...)`.
    assert makers | {"trainable", "compile"} <= set(vocabulary.MAKES_MODELS)
    assert vocabulary.classify("applications.VGG16") is vocabulary.Kind.MODEL_FACTORY


def test_predict_gate_names_every_predict_method() -> None:
    dk202 = rules_by_code()["DK202"]
    assert set(dk202.requires_names[:1]) >= vocabulary.PREDICT_METHODS


def test_every_keras_rule_gates_on_names() -> None:
    for rule in all_rules():
        if not rule.engine_rule:
            assert rule.requires_names, rule.code


# The code facts -------------------------------------------------------------------


def _facts(source: str) -> gate.CodeFacts:
    return gate.code_facts(ast.parse(source))


def test_identifiers_exclude_strings_and_comments() -> None:
    facts = _facts(
        '"""model.compile(); model.fit(x)"""\n'
        "import os  # model.train_on_batch\n"
        'x = "predict"\n'
        'f"{y.trainable} GradientTape"\n'
    )
    assert {"os", "x", "y", "trainable"} <= facts.names
    assert facts.names.isdisjoint({"compile", "fit", "train_on_batch", "predict", "GradientTape"})


def test_identifiers_include_every_kind_of_name() -> None:
    facts = _facts(
        "import tensorflow.keras.models as km\n"
        "from keras.optimizers import Adam as A\n"
        "from keras.models import *\n"
        "def build(layers, *, loss=None):\n"
        "    global G\n"
        "    m.compile(optimizer=A(), loss='mse')\n"
        "class GAN(km.Model): pass\n"
        "match v:\n"
        "    case Point(x=px): pass\n"
        "    case {'k': v, **rest}: pass\n"
    )
    assert {"tensorflow", "keras", "models", "km", "optimizers", "Adam", "A"} <= facts.names
    assert {"build", "layers", "loss", "G", "m", "compile", "optimizer", "GAN", "Model"} <= (
        facts.names
    )
    assert {"Point", "x", "px", "rest"} <= facts.names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import keras\n", True),
        ("import tensorflow as tf\n", True),
        ("import tf_keras.models\n", True),
        ("from keras import layers\n", True),
        ("from tensorflow.keras.models import Model\n", True),
        ("def f():\n    if x:\n        from keras import *\n", True),
        ("from .keras import layers\n", False),
        ("import kerasish\nfrom keras_cv import x\n", False),
        ('"""import keras"""\n# import tensorflow\n', False),
    ],
)
def test_imports_keras_from_import_statements(source: str, expected: bool) -> None:
    assert _facts(source).imports_any(vocabulary.KERAS_IMPORTS) is expected


def test_choices_need_one_token() -> None:
    tokens: gate.Tokens = ("compile", ("fit", "train_on_batch"))
    assert gate.names_have(gate.words("m.compile(); m.train_on_batch(x)"), tokens)
    assert not gate.names_have(gate.words("m.compile()"), tokens)
    assert gate.names_have(frozenset({"compile", "fit"}), tokens)
    assert not gate.names_have(frozenset({"compile", "fitted"}), tokens)


def test_words_are_identifiers_as_python_reads_them() -> None:
    assert {"m", "compile", "fit", "x"} <= gate.words("m.compile();m.fit(x)  # é")
    assert "fit" not in gate.words("m.fitted(x)")
    # Identifiers are NFKC-normalised: full-width letters spell `fit`.
    assert "fit" in gate.words("m.\uff46\uff49\uff54(x)")
    assert "café" in gate.words("café = 1")


def test_docstring_examples_do_not_pass_the_gate() -> None:
    source = (
        "import keras\n"
        '"""Example:\n\n    model = keras.Sequential()\n    model.compile(loss="mse")\n'
        '    model.fit(x, y)\n    model.predict(x)\n"""\n'
        "def helper():\n    return keras.ops.zeros(1)\n"
    )
    assert rules_to_run(ALL_CODES, source) != []  # the text alone would let it through
    assert rules_to_run(ALL_CODES, source, ast.parse(source)) == []


def test_disabled_gate_runs_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    _ungated(monkeypatch)
    expected = [rule for rule in all_rules() if not rule.engine_rule]
    assert rules_to_run(ALL_CODES, "x = 1\n", ast.parse("x = 1\n")) == expected


# Gated == ungated -------------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=[path.name for path in FIXTURES])
def test_fixtures(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gated, ungated = _both(path.read_text(encoding="utf-8"), monkeypatch)
    assert gated == ungated


CASES = [
    pytest.param(case.code, id=f"{rule.code}-{kind}-{index}")
    for rule in all_rules()
    for kind, cases in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, case in enumerate(cases)
]


@pytest.mark.parametrize("source", CASES)
def test_rule_cases(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    gated, ungated = _both(source, monkeypatch)
    assert gated == ungated


# Keras spelled in the ways the semantic model resolves but a reader might not.
UNUSUAL = {
    "tf_aliases": """\
import tensorflow as tf
opt = tf.optimizers.Adam()
a = tf.keras.Sequential([tf.keras.layers.Dense(1)])
b = tf.keras.Sequential([tf.keras.layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")
""",
    "star_import": """\
from keras.models import *
from keras.layers import *
from keras.optimizers import *
g = Sequential([Dense(4)])
d = Sequential([Dense(1)])
d.compile(optimizer=Adam(), loss="mse")
d.trainable = False
gan = Sequential([g, d])
gan.compile(optimizer=Adam(), loss="mse")
for step in range(10):
    d.train_on_batch(x, y)
    gan.train_on_batch(z, y)
""",
    "promoted": """\
import keras
from nets import get_generator, get_discriminator
g = get_generator()
d = get_discriminator()
d.compile(loss="mse")
for step in range(10):
    fake = g.predict(z)
    d.train_on_batch(fake, y)
    g.train_on_batch(z, y)
""",
    "backend_gradients": """\
from keras import backend as K
from keras.models import load_model
model = load_model("m.keras")
grads = K.gradients(model.output, model.input)[0]
adversarial = model.input + 0.1 * K.sign(grads)
""",
    "feature_matching": """\
import keras
from keras import Model
base = keras.applications.VGG16()
features = Model(base.input, base.get_layer("block3_pool").output)
gan = keras.Sequential([features, keras.layers.Dense(1)])
gan.compile(optimizer="adam", loss="mse")
gan.fit(x, y)
""",
    "tape_step": """\
import tensorflow as tf
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(1)])
opt = keras.optimizers.Adam()
for x, y in data:
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = model(x)
    g = tape.gradient(loss, x)
    x_adv = x + 0.01 * tf.sign(g)
    opt.apply_gradients(zip(grads, model.trainable_variables))
""",
}


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_unusual_spellings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    gated, ungated = _both(UNUSUAL[name], monkeypatch)
    assert gated == ungated


def test_unusual_spellings_do_find_something(monkeypatch: pytest.MonkeyPatch) -> None:
    found = {d.code for source in UNUSUAL.values() for d in _both(source, monkeypatch)[0]}
    assert len(found) >= 4, found


# The installed keras/src, every file, gated and ungated ---------------------------------


def _keras_src() -> Path | None:
    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        return None
    src = Path(next(iter(spec.submodule_search_locations))) / "src"
    return src if src.is_dir() else None


def _gated_and_ungated(path: str) -> tuple[str, bool, tuple[str, ...], bool]:
    """Whether both runs agree on ``path``, their crashes, and whether the ungated one analysed it."""
    gated = lint_path(Path(path), path, ALL_CODES)
    os.environ[gate.ENV_DISABLE] = "1"
    try:
        ungated = lint_path(Path(path), path, ALL_CODES)
    finally:
        del os.environ[gate.ENV_DISABLE]
    same = gated.diagnostics == ungated.diagnostics
    return path, same, (*gated.crashes, *ungated.crashes), ungated.analysed


@pytest.mark.slow
def test_keras_src() -> None:
    src = _keras_src()
    if src is None:
        pytest.skip("keras is not installed")
    # Biggest first: the pool stays busy to the end.
    files = sorted((str(p) for p in src.rglob("*.py")), key=lambda p: -os.path.getsize(p))
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_gated_and_ungated, files, chunksize=4))
    assert all(analysed for *_, analysed in results)  # the ungated run really was
    assert not [crash for _, _, crashes, _ in results for crash in crashes]
    assert not [path for path, same, _, _ in results if not same]
