"""Run a fixture project's real entry point and measure its models; subprocess only.

Like ``probe.py``, imported only inside the evidence subprocesses (it imports
Keras). :func:`run_project` runs ``fixtures/projects/<name>/`` the way
``python train.py`` (or ``python -m gan.train``) does from that folder: the
folder is the working directory and ``sys.path[0]``, the entry point runs as
``__main__``, and its own imports (``models``, ``trainer``, ``utils``, the
``gan`` package...) are the project's modules. Nothing of the project is
changed: only ``keras.Model.train_on_batch`` is wrapped, to snapshot every
model's weights (sub-models included) right before the first train call that
involves it, and to count each model's calls, optimizer steps and errors.

After the script ends (or raises), the script's globals give the roles:
``discriminator``, ``generator`` and ``gan`` are the names every fixture
project binds. A script that raises is observed, not hidden: its error and the
project line it came from are part of the result.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from probe import describe_error, iterations, max_change, seed_everything, slot_names, weights

PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "projects"
ROLES = ("discriminator", "generator", "gan")

# project: ("path", script file) for `python <file>`, ("module", name) for `python -m <name>`
ENTRY_POINTS: dict[str, tuple[str, str]] = {
    "builder_module": ("path", "train.py"),
    "trainer_module": ("path", "main.py"),
    "toggle_utils": ("path", "gan.py"),
    "models_package": ("path", "train.py"),
    "module_globals": ("path", "train.py"),
    "relative_package": ("module", "gan.train"),
}


def _submodels(model: Any) -> Iterator[Any]:
    """``model`` and every Keras model nested in its layers."""
    import keras

    yield model
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            yield from _submodels(layer)


class Recorder:
    """Weights before the first train call of each model, and every train call."""

    def __init__(self) -> None:
        self.before: dict[int, tuple[Any, list[np.ndarray]]] = {}
        self.calls: list[dict[str, Any]] = []

    def snapshot(self, model: Any) -> None:
        for m in _submodels(model):
            if id(m) not in self.before:
                self.before[id(m)] = (m, weights(m))

    @contextlib.contextmanager
    def spying(self) -> Iterator[None]:
        import keras

        original = keras.Model.train_on_batch
        recorder = self

        def train_on_batch(self: Any, *args: Any, **kwargs: Any) -> Any:
            recorder.snapshot(self)
            steps_before = iterations(self)
            call: dict[str, Any] = {"model": id(self), "error": None, "steps": None}
            recorder.calls.append(call)
            try:
                return original(self, *args, **kwargs)
            except Exception as exc:
                call["error"] = describe_error(exc)
                raise
            finally:
                steps_after = iterations(self)
                if steps_before is not None and steps_after is not None:
                    call["steps"] = steps_after - steps_before

        keras.Model.train_on_batch = train_on_batch
        try:
            yield
        finally:
            keras.Model.train_on_batch = original


def _script_globals(exc: BaseException, script: Path) -> dict[str, Any]:
    """The globals of the entry point's module-level frame in ``exc``'s traceback."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "<module>" and Path(code.co_filename).resolve() == script:
            return dict(tb.tb_frame.f_globals)
        tb = tb.tb_next
    return {}


def _project_line(exc: BaseException, folder: Path) -> str | None:
    """``file:line`` of the deepest traceback frame inside the project folder."""
    where = None
    tb = exc.__traceback__
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename).resolve()
        if path.is_relative_to(folder):
            where = f"{path.relative_to(folder).as_posix()}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


@contextlib.contextmanager
def _as_if_run_from(folder: Path) -> Iterator[None]:
    """cwd and ``sys.path[0]`` = ``folder``; the project's modules forgotten afterwards."""
    cwd, path, modules = os.getcwd(), list(sys.path), set(sys.modules)
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            file = getattr(sys.modules[name], "__file__", None)
            if file and Path(file).resolve().is_relative_to(folder):
                del sys.modules[name]


def run_project(name: str, root: str | Path = PROJECTS, seed: int = 0) -> dict[str, Any]:
    """Run project ``name``'s entry point; the measured observations (JSON-able)."""
    folder = (Path(root) / name).resolve()
    kind, target = ENTRY_POINTS[name]
    script = (
        folder / target if kind == "path" else folder / (target.replace(".", "/") + ".py")
    ).resolve()
    recorder = Recorder()
    error = where = None
    namespace: dict[str, Any] = {}
    with _as_if_run_from(folder), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seed_everything(seed)
        with recorder.spying():
            try:
                if kind == "path":
                    namespace = runpy.run_path(str(script), run_name="__main__")
                else:
                    namespace = runpy.run_module(target, run_name="__main__", alter_sys=True)
            except Exception as exc:  # the script's failure is an observation
                error, where = describe_error(exc), _project_line(exc, folder)
                namespace = _script_globals(exc, script)
    models = {role: namespace.get(role) for role in ROLES}
    obs: dict[str, Any] = {
        "project": name,
        "error": error,
        "error_at": where,
        "found": {role: model is not None for role, model in models.items()},
        "no_trainable_weights_warnings": sum(
            "does not have any trainable weights" in str(w.message) for w in caught
        ),
    }
    for role, model in models.items():
        if model is None:
            continue
        mine = [c for c in recorder.calls if c["model"] == id(model)]
        entry: dict[str, Any] = {
            "train_calls": len(mine),
            "steps": sum(c["steps"] or 0 for c in mine),
            "errors": [c["error"] for c in mine if c["error"] is not None],
            "trainable_weights": len(model.trainable_weights),
            "change": None,
            "bit_identical": None,
        }
        if id(model) in recorder.before:  # took part in a train call
            before, after = recorder.before[id(model)][1], weights(model)
            entry["change"] = max_change(before, after)
            entry["bit_identical"] = all(
                b.dtype == a.dtype and b.tobytes() == a.tobytes()
                for b, a in zip(before, after, strict=True)
            )
        obs[role] = entry
    d, g, gan = models["discriminator"], models["generator"], models["gan"]
    if d is not None and gan is not None:
        shared = getattr(d, "optimizer", None) is getattr(gan, "optimizer", None)
        obs["optimizer_shared"] = shared
        if shared and d.optimizer is not None:
            optimizer = d.optimizer
            obs["shared_optimizer"] = {
                "steps": iterations(d),
                "slots_for_d_kernel": len(slot_names(optimizer, d.layers[0].kernel)),
                "slots_for_g_kernel": (
                    None if g is None else len(slot_names(optimizer, g.layers[0].kernel))
                ),
            }
    return obs
