"""Linting Keras code never imports Keras (or TensorFlow, or torch).

darklint runs in pre-commit hooks and editors, in environments that may have
the frameworks installed: importing one would cost seconds and could run
arbitrary import-time code.  A fresh interpreter lints Keras, TensorFlow and
torch code, a notebook included, through ``darklint.cli.main``, then looks at
``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("keras", "tensorflow", "torch", "jax")

KERAS_SOURCE = """\
import keras
import tensorflow as tf
import torch
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam()
a = Sequential([layers.Dense(1)])
b = Sequential([layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")
with tf.GradientTape() as tape:
    loss = a(torch.zeros(1))
"""

SCRIPT = """\
import json, sys
import darklint
from darklint.cli import main

before = sorted(m for m in {heavy!r} if m in sys.modules)
code = main(["--no-cache", "--jobs", "1", "--format", "json", "--show-source", "model.py", "nb.ipynb"])
after = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(json.dumps({{"code": code, "before": before, "after": after}}), file=sys.stderr)
"""


def _run(script: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """Run ``script`` in a fresh interpreter; its report is the last line of its stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads(proc.stderr.strip().splitlines()[-1])


def test_linting_keras_code_imports_no_framework(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(KERAS_SOURCE)
    cell = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": KERAS_SOURCE.splitlines(keepends=True),
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook))
    proc, report = _run(SCRIPT.format(heavy=HEAVY), tmp_path)
    # The run really linted the Keras code...
    assert report["code"] == 1
    assert {(d["path"], d["code"]) for d in json.loads(proc.stdout)} >= {
        ("model.py", "DK104"),
        ("nb.ipynb", "DK104"),
    }
    # ...without importing what it lints.
    assert report["before"] == []
    assert report["after"] == []


LIGHT_SCRIPT = """\
import json, sys
from darklint.cli import main

code = main(["--no-cache", "--jobs", "1", "plain.py", "docs.py"])
print(json.dumps({"code": code, "libcst": "libcst" in sys.modules}), file=sys.stderr)
"""


def test_files_the_gate_stops_never_import_libcst(tmp_path: Path) -> None:
    """libcst's import alone costs more than a pre-commit run on a plain file.

    A file without Keras, and one that only talks about ``model.compile()``
    in a docstring, stop at the gate: the run must not pay for libcst.
    """
    (tmp_path / "plain.py").write_text("import os\nprint(os.getcwd())\n")
    (tmp_path / "docs.py").write_text('"""Call keras model.compile() then fit()."""\nx = 1\n')
    _, report = _run(LIGHT_SCRIPT, tmp_path)
    assert report == {"code": 0, "libcst": False}
