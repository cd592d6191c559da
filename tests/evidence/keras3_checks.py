"""The evidence for every row of ``darklint.keras.keras3_removals``, as data for one subprocess.

``checks()`` turns each row into small programs: the old spelling (it must
raise the row's error, or for DK506 behave as the row says), and the new
one (darklint's own fix of the old program, or the row's hand-written
replacement), which must run.  Rows of modules, names and backend functions
get their programs generated for each package they apply to (``keras`` and
``tf.keras``) and each way of reaching them (``import``, ``from … import``,
attribute).  Plain Python: the pytest process builds the checks with
darklint, the subprocess (``DRIVER``) runs them on Keras.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from darklint.engine import lint_text
from darklint.fixes import fix_until_stable
from darklint.keras import keras3_removals as table
from darklint.keras.keras3_removals import Fix, Row
from darklint.rules.keras3_common import backend_error, missing_error, module_error

DK5 = frozenset(row.code for row in table.ROWS)
ROOTS = {"keras": "keras", "tf.keras": "tensorflow.keras"}
IMPORTS = {"keras": "import keras", "tf.keras": "import tensorflow as tf"}
SPELLED = {"keras": "keras", "tf.keras": "tf.keras"}


@dataclass(frozen=True)
class Check:
    key: str
    row: str
    kind: str  # raises | runs | observe | compare | exists | dir | params | accepts
    program: str = ""
    error: str = ""  # raises: "Type: message" with … where it varies
    observe: str = ""
    expected: Any = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def old(self) -> bool:
        """Evidence of what the old spelling does (not of the replacement)."""
        return self.kind in ("raises", "dir") or (self.kind == "observe" and "old" in self.key)


def lint(program: str) -> list[Any]:
    return list(lint_text(program, "evidence.py", DK5).diagnostics)


def fixed(program: str, unsafe: bool) -> str:
    result, _ = fix_until_stable(program, lint(program), lint, unsafe=unsafe)
    return result.text


def _new_program(row: Row, old: str) -> str | None:
    if row.fix is not Fix.NONE:
        return fixed(old, unsafe=row.fix is Fix.UNSAFE)
    return row.new_program or None


def _explicit(row: Row) -> list[Check]:
    """Rows with a program of their own: arguments, attributes, saving, DK506, legacy optimizers."""
    found: list[Check] = []
    new = _new_program(row, row.program)
    if row.observe:
        found.append(
            Check(
                f"{row.id}:old",
                row.id,
                "observe",
                row.program,
                observe=row.observe,
                expected=row.observed_old,
            )
        )
        assert new is not None
        found.append(
            Check(
                f"{row.id}:new",
                row.id,
                "observe",
                new,
                observe=row.observe,
                expected=row.observed_new,
            )
        )
        return found
    found.append(Check(f"{row.id}:old", row.id, "raises", row.program, error=row.error))
    if new is not None:
        found.append(Check(f"{row.id}:new", row.id, "runs", new))
    return found


def _module(row: Row) -> list[Check]:
    found: list[Check] = []
    for package in sorted(row.packages):
        root, spelled = ROOTS[package], SPELLED[package]
        parent, _, last = row.name.rpartition(".")
        name = next(iter(sorted(row.moves)), "anything")
        key = f"{row.id}:{package}"
        error = module_error(f"{root}.{row.name}")
        found += [
            Check(f"{key}:import", row.id, "raises", f"import {root}.{row.name}\n", error=error),
            Check(
                f"{key}:from",
                row.id,
                "raises",
                f"from {root}.{row.name} import {name}\n",
                error=error,
            ),
            Check(
                f"{key}:attribute",
                row.id,
                "raises",
                f"{IMPORTS[package]}\nmodule = {spelled}.{row.name}\n",
                error=missing_error(package, parent, last),
            ),
        ]
        safe = sorted(set(row.moves) - set(row.unsafe_moves))
        if safe:
            old = f"from {root}.{row.name} import {safe[0]}\n"
            found.append(Check(f"{key}:new", row.id, "runs", fixed(old, unsafe=False)))
        for moved, target in sorted(row.moves.items()):
            found.append(
                Check(
                    f"{key}:moved:{moved}",
                    row.id,
                    "exists",
                    details={"module": f"{root}.{target}", "name": row.renames.get(moved, moved)},
                )
            )
    return found


def _name(row: Row) -> list[Check]:
    if row.program:
        return _explicit(row)
    found: list[Check] = []
    parent, _, last = row.name.rpartition(".")
    for package in sorted(table.PUBLIC):
        root, key = ROOTS[package], f"{row.id}:{package}"
        if package not in row.packages:
            # Kept there: the rule must stay quiet on that spelling.
            found.append(
                Check(
                    f"{key}:kept",
                    row.id,
                    "exists",
                    details={"module": f"{root}.{parent}", "name": last},
                )
            )
            continue
        if row.fix is not Fix.NONE:
            old = f"from {root}.{parent} import {last}\n"
            found.append(Check(f"{key}:new", row.id, "runs", fixed(old, unsafe=False)))
        found += [
            Check(
                f"{key}:from",
                row.id,
                "raises",
                f"from {root}.{parent} import {last}\n",
                error=missing_error(package, parent, last, imported=True),
            ),
            Check(
                f"{key}:attribute",
                row.id,
                "raises",
                f"{IMPORTS[package]}\nthing = {SPELLED[package]}.{row.name}\n",
                error=missing_error(package, parent, last),
            ),
        ]
    return found


# The arguments of a backend row's `same`/`differs`, as Keras 3 tensors (DRIVER has them too).
X_SETUP = """\
import keras
import numpy as np
values = np.array([[-1.5, 0.5, 2.0], [3.0, -0.25, 1.0]], dtype="float32")
x = keras.ops.convert_to_tensor(values)
xi = keras.ops.convert_to_tensor(np.array([[1, 2, 3], [4, 5, 7]], dtype="int32"))
p = keras.ops.convert_to_tensor(np.abs(values) + 0.5)
q = keras.ops.convert_to_tensor(np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]], dtype="float32"))
e = keras.ops.convert_to_tensor(values[:, None, :])
v = keras.Variable(values)
"""


def _backend(row: Row) -> list[Check]:
    if row.name == "*":
        return [
            Check(
                "backend-other:keras:dir",
                row.id,
                "dir",
                details={"module": "keras.backend"},
                expected=sorted(table.BACKEND_KEPT),
            ),
            Check(
                "backend-other:tf.keras:dir",
                row.id,
                "dir",
                details={"module": "tensorflow.keras.backend"},
                expected=sorted(table.TF_KERAS_BACKEND),
            ),
            Check(
                "backend-other:keras:sample",
                row.id,
                "raises",
                "from keras import backend as K\nK.batch_dot\n",
                error=backend_error("batch_dot", "keras"),
            ),
        ]
    found: list[Check] = []
    for package in sorted(row.packages):
        root, key = ROOTS[package], f"{row.id}:{package}"
        found += [
            Check(
                f"{key}:attribute",
                row.id,
                "raises",
                f"from {root} import backend as K\nK.{row.name}\n",
                error=backend_error(row.name, package),
            ),
            Check(
                f"{key}:from",
                row.id,
                "raises",
                f"from {root}.backend import {row.name}\n",
                error=backend_error(row.name, package, imported=True),
            ),
        ]
    if row.new:
        found.append(
            Check(
                f"{row.id}:params",
                row.id,
                "params",
                details={"function": f"keras.{row.new}"},
                expected=list(row.params),
            )
        )
    if row.same or row.differs:
        old = f"from keras import backend as K\n{X_SETUP}y = K.{row.name}({row.same or row.differs})\n"
        found.append(Check(f"{row.id}:new", row.id, "runs", fixed(old, unsafe=True)))
    if row.same:
        # Safe: what Keras 2 computed, bit for bit; unsafe: close on ordinary inputs.
        expected = "exact" if row.fix is Fix.SAFE else "close"
        found.append(
            Check(
                f"{row.id}:same",
                row.id,
                "compare",
                details={"name": row.name, "new": row.new, "args": row.same},
                expected=expected,
            )
        )
    if row.differs:
        found.append(
            Check(
                f"{row.id}:differs",
                row.id,
                "compare",
                details={"name": row.name, "new": row.new, "args": row.differs},
                expected="differs",
            )
        )
    return found


def _accepts(row: Row) -> list[Check]:
    """A keyword row's classes all take the new keyword in Keras 3 (the fix's target)."""
    classes = sorted(name for name in row.where if name[:1].isupper())
    if not row.new or not classes or row.code != "DK501" or "Model" in classes:
        return []
    return [
        Check(
            f"{row.id}:accepts", row.id, "accepts", details={"classes": classes, "keyword": row.new}
        )
    ]


def _attribute_params(row: Row) -> list[Check]:
    if row.code != "DK502" or not row.params:
        return []
    return [
        Check(
            f"{row.id}:params",
            row.id,
            "params",
            details={"function": f"keras.Model.{row.new}", "subset": True},
            expected=list(row.params),
        )
    ]


def checks() -> list[Check]:
    found: list[Check] = []
    for row in table.ROWS:
        if row in table.MODULES:
            found += _module(row)
        elif row in table.NAMES:
            found += _name(row)
        elif row in table.BACKEND:
            found += _backend(row)
        else:
            found += _explicit(row) + _accepts(row) + _attribute_params(row)
    return found


def as_json(found: list[Check]) -> list[dict[str, Any]]:
    return [asdict(check) for check in found]


# Runs in the subprocess (``harness.run_snippet``), with the checks as JSON in CHECKS.
DRIVER = r"""
import base64, importlib, inspect, json, os, tempfile, warnings, zlib
import numpy as np
from probe import describe_error, emit

checks = json.loads(zlib.decompress(base64.b64decode(CHECKS)))
os.chdir(tempfile.mkdtemp())
X = np.array([[-1.5, 0.5, 2.0], [3.0, -0.25, 1.0]], dtype="float32")
DATA = {
    "x": X,
    "xi": np.array([[1, 2, 3], [4, 5, 7]], dtype="int32"),
    "p": np.abs(X) + 0.5,
    "q": np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]], dtype="float32"),
    "e": X[:, None, :],
}


def run(program, observe=""):
    out = {"error": None}
    namespace = {"__name__": "evidence"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(program, "evidence.py", "exec"), namespace)
            if observe:
                out["observed"] = eval(observe, namespace)
        except Exception as error:
            out["error"] = describe_error(error)
    out["warnings"] = sorted({str(w.message)[:200] for w in caught})
    return out


def compare(name, new, args):
    import keras
    import tensorflow as tf
    k2_env = {key: tf.constant(value) for key, value in DATA.items()}
    k2_env["v"] = tf.Variable(X)
    k3_env = {key: keras.ops.convert_to_tensor(value) for key, value in DATA.items()}
    k3_env["v"] = keras.Variable(X)
    old = eval(f"f({args})", dict(k2_env, f=getattr(tf.keras.backend, name)))
    module, _, function = new.rpartition(".")
    new_f = getattr(importlib.import_module("keras." + module), function)
    try:
        result = eval(f"f({args})", dict(k3_env, f=new_f))
    except Exception as error:
        return {"exact": False, "close": False, "new_error": describe_error(error)}
    if isinstance(old, map):
        old = list(old)
    a = np.asarray(old) if not isinstance(old, list) else np.asarray([np.asarray(t) for t in old])
    b = keras.ops.convert_to_numpy(result)
    same_dtype = a.dtype == b.dtype and a.shape == b.shape
    exact = bool(same_dtype and np.array_equal(a, b, equal_nan=True))
    close = bool(same_dtype and np.allclose(a, b, rtol=1e-6, atol=0, equal_nan=True))
    return {"exact": exact, "close": close, "old": [str(a.dtype), list(a.shape)],
            "new": [str(b.dtype), list(b.shape)],
            "max_diff": float(np.max(np.abs(a.astype("float64") - b))) if same_dtype and a.size else None}


results = {}
for check in checks:
    kind, details = check["kind"], check["details"]
    try:
        if kind in ("raises", "runs", "observe"):
            out = run(check["program"], check["observe"])
        elif kind == "compare":
            out = compare(details["name"], details["new"], details["args"])
        elif kind == "exists":
            module = importlib.import_module(details["module"])
            out = {"exists": hasattr(module, details["name"])}
        elif kind == "dir":
            module = importlib.import_module(details["module"])
            out = {"names": sorted(n for n in dir(module) if not n.startswith("_"))}
        elif kind == "params":
            path, _, attr = details["function"].rpartition(".")
            owner = path.split(".")
            thing = importlib.import_module(owner[0])
            for part in owner[1:]:
                thing = getattr(thing, part)
            out = {"params": [p for p in inspect.signature(getattr(thing, attr)).parameters if p != "self"]}
        elif kind == "accepts":
            import keras
            out = {"missing": [c for c in details["classes"]
                               if details["keyword"] not in inspect.signature(getattr(keras.layers, c)).parameters]}
        else:
            out = {"crash": f"unknown kind {kind}"}
    except Exception as error:
        out = {"crash": describe_error(error)}
    results[check["key"]] = out
emit({"results": results})
"""
