"""``keras-version`` in ``[tool.darklint]``: a project pinned to Keras 2 gets no DK5xx."""

from __future__ import annotations

from pathlib import Path

from test_cli import in_process, write

KERAS2_CODE = """\
from keras.optimizers import Adam
from keras.layers.merge import concatenate
opt = Adam(lr=0.0002, decay=1e-6)
"""


def test_keras_version_2_turns_the_keras3_family_off(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": KERAS2_CODE})
    on_keras3 = in_process(tmp_path, "--no-cache", "--format", "json", "a.py")
    assert {code for *_, code in on_keras3.found()} == {"DK501", "DK504", "DK506"}, on_keras3

    write(tmp_path, {"pyproject.toml": "[tool.darklint]\nkeras-version = 2\n"})
    on_keras2 = in_process(tmp_path, "--no-cache", "--format", "json", "a.py")
    assert on_keras2.returncode == 0, on_keras2
    assert on_keras2.found() == []
    # Even when selected by name: the project is on Keras 2.
    selected = in_process(tmp_path, "--no-cache", "--select", "DK5", "a.py")
    assert selected.returncode == 0, selected

    write(tmp_path, {"pyproject.toml": "[tool.darklint]\nkeras-version = 3\n"})
    assert in_process(tmp_path, "--no-cache", "a.py").returncode == 1


def test_keras_version_must_be_2_or_3(tmp_path: Path) -> None:
    for value in ("4", '"3"', "true"):
        write(
            tmp_path,
            {"a.py": KERAS2_CODE, "pyproject.toml": f"[tool.darklint]\nkeras-version = {value}\n"},
        )
        result = in_process(tmp_path, "--no-cache", "a.py")
        assert result.returncode == 2, result
        assert result.stdout == ""
        config = (tmp_path / "pyproject.toml").resolve()
        assert f"{config}: [tool.darklint] keras-version must be one of 3 | 2" in result.stderr, (
            result
        )
