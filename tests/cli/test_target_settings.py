"""Target settings: ``backend`` trims the backend-specific parts of messages.

The messages are built from per-backend data in the rules (DK103, DK104,
DK302), so each backend gets exactly its own clause; ``any`` (the default)
names them all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import DK104_SOURCE, here, run_all, write

from darklint.engine import lint_text

# DK103: `d.trainable` set to False after `combined` (holding d) was compiled.
DK103_SOURCE = """\
import keras
d = keras.Sequential([keras.layers.Dense(1)])
combined = keras.Sequential([d])
combined.compile(optimizer="adam", loss="mse")
d.trainable = False
combined.fit(x, y)
"""

CLAUSES = {
    "DK103": {
        "tensorflow": "on TensorFlow it applies only at a retrace",
        "torch": "on torch at the next step",
        "jax": "on jax the next training call raises",
    },
    "DK104": {
        "tensorflow": "on TensorFlow",
        "torch": "on torch",
        "jax": "on jax a shape error",
    },
}
SOURCES = {"DK103": DK103_SOURCE, "DK104": DK104_SOURCE}


def message(code: str, backend: str | None) -> str:
    target = () if backend is None else (("backend", backend),)
    (found,) = [
        d
        for d in lint_text(SOURCES[code], "x.py", frozenset({code}), target=target).diagnostics
        if d.code == code
    ]
    return found.message


@pytest.mark.parametrize("code", sorted(CLAUSES))
@pytest.mark.parametrize("backend", ["tensorflow", "torch", "jax"])
def test_a_backend_gets_only_its_own_clause(code: str, backend: str) -> None:
    text = message(code, backend)
    for other, clause in CLAUSES[code].items():
        assert (clause in text) == (other == backend), (backend, other, text)


@pytest.mark.parametrize("code", sorted(CLAUSES))
def test_any_backend_names_them_all(code: str) -> None:
    text = message(code, None)
    assert text == message(code, "any")
    if code == "DK104":
        # Backends that behave alike share one clause.
        assert "`ValueError: Unknown variable` on TensorFlow and torch;" in text
        assert CLAUSES[code]["jax"] in text
    else:
        for clause in CLAUSES[code].values():
            assert clause in text, text


def test_dk302_says_nothing_about_the_tape_on_tensorflow() -> None:
    from darklint.rules.dk302_adversarial_input_gradient import AdversarialInputGradient

    (case,) = [c for c in AdversarialInputGradient.INVALID if "GradientTape" in c.code][:1]
    found = {
        backend: [
            d.message
            for d in lint_text(
                case.code, "x.py", frozenset({"DK302"}), target=(("backend", backend),)
            ).diagnostics
        ]
        for backend in ("tensorflow", "torch", "any")
    }
    assert all("TensorFlow backend only" not in m for m in found["tensorflow"]), found
    assert all("TensorFlow backend only" in m for m in found["torch"]), found
    assert found["any"] == found["torch"]


def test_the_setting_is_read_per_file_and_keys_the_cache(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.darklint]\nbackend = "torch"\n',
            "a.py": DK104_SOURCE,
            "jax/pyproject.toml": '[tool.darklint]\nbackend = "jax"\n',
            "jax/a.py": DK104_SOURCE,
        },
    )
    (first,) = run_all(tmp_path, here("--format", "json", "--select", "DK104"))
    by_path = {d["path"]: d["message"] for d in first.json()}
    assert "on torch" in by_path["a.py"]
    assert "jax" not in by_path["a.py"]
    assert "on jax" in by_path["jax/a.py"]
    assert "torch" not in by_path["jax/a.py"]
    # Changing the setting changes the cached result too.
    write(tmp_path, {"pyproject.toml": '[tool.darklint]\nbackend = "tensorflow"\n'})
    (second,) = run_all(tmp_path, here("--format", "json", "--select", "DK104"))
    message = {d["path"]: d["message"] for d in second.json()}["a.py"]
    assert "on TensorFlow" in message
    assert "torch" not in message


def test_an_unknown_backend_is_a_configuration_error(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.darklint]\nbackend = "mxnet"\n', "a.py": "x = 1\n"})
    (result,) = run_all(tmp_path, here("a.py"))
    assert result.returncode == 2, result
    assert 'backend must be one of "any" | "tensorflow" | "torch" | "jax"' in result.stderr
