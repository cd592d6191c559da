"""The walk terminates, stays linear and does not crash on unusual Python."""

from __future__ import annotations

import time

import libcst as cst
from semantic_helpers import build, line_of

from darklint.keras.facts import EventKind
from darklint.keras.semantic import build_semantic_model


def timed_build(source: str) -> tuple[float, object]:
    start = time.perf_counter()
    module = cst.parse_module(source)
    sem = build_semantic_model(module, source)
    return time.perf_counter() - start, sem


def chain(count: int, calls_per_function: int) -> str:
    lines = ["import keras", "", "def f0():", "    return keras.Sequential()", ""]
    for i in range(1, count):
        lines.append(f"def f{i}():")
        lines.extend(f"    r = f{i - 1}()" for _ in range(calls_per_function))
        lines.append("    return r")
        lines.append("")
    lines.append(f"m = f{count - 1}()")
    lines.append("m.compile(optimizer='adam')")
    lines.append("m.fit(x)")
    return "\n".join(lines) + "\n"


def test_chain_of_200_functions_finishes_quickly() -> None:
    elapsed, _ = timed_build(chain(200, 1))
    assert elapsed < 5.0


def test_chain_of_200_functions_still_finds_the_model() -> None:
    built = build(chain(200, 1))
    assert built.labels() == {"m"}
    assert [kind for kind, _, _ in built.trace()] == ["compile", "train"]


def test_chain_of_200_functions_each_calling_the_previous_twice_is_bounded() -> None:
    # Without a budget this is 2**200 inlined calls.
    elapsed, sem = timed_build(chain(200, 2))
    assert elapsed < 5.0
    assert sem.imports_keras  # type: ignore[attr-defined]


def test_many_calls_of_one_helper_from_many_functions_is_bounded() -> None:
    lines = [
        "import keras",
        "D = keras.Sequential()",
        "def helper():",
        "    D.trainable = False",
        "    D.trainable = True",
    ]
    for i in range(300):
        lines.append(f"def g{i}():")
        lines.extend("    helper()" for _ in range(5))
    for i in range(300):
        lines.append(f"g{i}()")
    source = "\n".join(lines) + "\n"
    elapsed, sem = timed_build(source)
    assert elapsed < 5.0
    # Linear: the trace is bounded by the file size, not by the number of call paths.
    assert len(sem.trace) <= 50 * len(lines)  # type: ignore[attr-defined]


def test_deeply_nested_loops_are_bounded() -> None:
    depth = 20
    lines = ["import keras", "m = keras.Sequential()"]
    for level in range(depth):
        lines.append("    " * level + f"for i{level} in range(2):")
    lines.append("    " * depth + "m.train_on_batch(x, y)")
    source = "\n".join(lines) + "\n"
    elapsed, sem = timed_build(source)
    assert elapsed < 5.0
    assert len(sem.trace) > 0  # type: ignore[attr-defined]


def test_direct_recursion_terminates() -> None:
    built = build(
        """
        import keras

        def f():
            f()
            return keras.Sequential()

        m = f()
        m.fit(x)
        """
    )
    assert built.labels() == {"m"}
    assert built.trace() == [("train", "m", 8)]


def test_mutual_recursion_terminates() -> None:
    built = build(
        """
        import keras

        def a(n):
            return b(n - 1)

        def b(n):
            return a(n - 1)

        m = a(3)
        """
    )
    assert built.sem.models == {}


def test_method_calling_itself_terminates() -> None:
    source = """
        import keras

        class Trainer:
            def __init__(self):
                self.model = keras.Sequential()

            def train(self, n):
                self.model.fit(x)
                if n:
                    self.train(n - 1)

        t = Trainer()
        t.train(3)
        """
    built = build(source)
    assert built.trace() == [("train", "self.model", line_of(source, ".fit("))]


def test_subclass_method_calling_itself_terminates() -> None:
    built = build(
        """
        import keras

        class Net(keras.Model):
            def call(self, x):
                return self.call(x)

        net = Net()
        net(x)
        net.call(x)
        net.fit(x)
        """
    )
    assert built.labels() == {"net"}
    assert [kind for kind, _, _ in built.trace()] == ["train"]


def test_global_statement() -> None:
    source = """
        import keras

        model = None

        def build():
            global model
            model = keras.Sequential()

        build()
        model.compile(optimizer="adam")
        model.fit(x)
        """
    built = build(source)
    assert built.labels() == {"model"}
    assert built.trace() == [
        ("compile", "model", line_of(source, "model.compile")),
        ("train", "model", line_of(source, "model.fit")),
    ]


def test_tuple_assignment() -> None:
    built = build(
        """
        import keras
        G = keras.Sequential()
        D = keras.Sequential()
        a, b = G, D
        (c, d) = [D, G]
        a.fit(x)
        b.fit(x)
        c.predict(x)
        d.predict(x)
        """
    )
    g, d = built.model("G"), built.model("D")
    assert [e.model for e in built.sem.trace] == [g, d, d, g]


def test_tuple_returned_by_a_function() -> None:
    source = """
        import keras

        def build():
            return keras.Sequential(), keras.Sequential()

        G, D = build()
        G.fit(x)
        D.fit(x)
        """
    built = build(source)
    assert built.labels() == {"G", "D"}
    assert built.trace() == [
        ("train", "G", line_of(source, "G.fit")),
        ("train", "D", line_of(source, "D.fit")),
    ]


def test_starred_assignment_does_not_crash() -> None:
    build(
        """
        import keras
        first, *rest = keras.Sequential(), keras.Sequential(), keras.Sequential()
        first.fit(x)
        for m in rest:
            m.fit(x)
        """
    )


def test_walrus_comprehensions_and_lambdas_do_not_crash() -> None:
    built = build(
        """
        import keras
        m = keras.Sequential()
        if (n := keras.Sequential()) is not None:
            n.fit(x)
        preds = [m.predict(b) for b in batches]
        gen = (m(b) for b in batches)
        table = {k: m for k in range(3)}
        unique = {m for _ in range(2)}
        nested = [[m for _ in r] for r in rows if r]
        run = lambda: m.fit(x)
        key = sorted(items, key=lambda item: item.trainable)
        m.fit(x) if flag else m.predict(x)
        """
    )
    assert "m" in built.labels()
    # Lambdas are not run where they are written.
    assert all(built.line(e.node) != 11 for e in built.sem.trace)


def test_walrus_binds_a_model() -> None:
    built = build(
        """
        import keras
        if (n := keras.Sequential()) is not None:
            n.fit(x)
        """
    )
    assert built.trace() == [("train", "n", 3)]


def test_odd_statements_do_not_crash() -> None:
    build(
        """
        import keras
        import tensorflow as tf

        @tf.function
        def step(x):
            return x

        async def serve(m):
            async with lock:
                await m.predict(x)
            async for b in stream:
                m.fit(b)

        class Outer:
            class Inner(keras.Model):
                pass

            def make(self):
                return self.Inner()

        def gen():
            yield keras.Sequential()
            yield from other()

        def closure():
            m = keras.Sequential()

            def inner():
                nonlocal m
                m = None

            inner()
            return m

        try:
            m = keras.Sequential()
        except (ValueError, TypeError) as exc:
            raise RuntimeError("x") from exc
        else:
            m.fit(x)
        finally:
            del m

        match command:
            case "train":
                keras.Sequential().fit(x)
            case _:
                pass

        with open("f") as fh, tf.device("/cpu:0"):
            model = keras.Sequential()
        assert model is not None
        model.trainable ^= True
        model.trainable: bool = False
        models = [model]
        models[0].trainable = False
        x = y = keras.Sequential()
        x.fit(data)
        print(f"{model.fit(x)}")
        """
    )


def test_class_with_keyword_bases_and_metaclass() -> None:
    built = build(
        """
        import abc
        import keras

        class Net(keras.Model, metaclass=abc.ABCMeta):
            pass

        net = Net()
        net.fit(x)
        """
    )
    assert built.labels() == {"net"}


def test_decorated_methods_and_properties() -> None:
    source = """
        import keras

        class GAN:
            def __init__(self):
                self._d = keras.Sequential()

            @property
            def d(self):
                return self._d

            @staticmethod
            def helper(x):
                return x

            def train(self):
                self._d.fit(x)
        """
    built = build(source)
    assert built.trace() == [("train", "self._d", line_of(source, ".fit("))]


def test_empty_and_comment_only_files() -> None:
    for source in ("", "\n", "# import keras\n", "import keras\n"):
        module = cst.parse_module(source)
        sem = build_semantic_model(module, source)
        assert sem.models == {}
        assert sem.trace == ()


def test_budget_exhaustion_keeps_what_was_found() -> None:
    # The expensive part comes after the first facts: they survive.
    source = chain(200, 2) + "late = keras.Sequential()\nlate.fit(x)\n"
    source = "import keras\nearly = keras.Sequential()\nearly.fit(x)\n" + source
    module = cst.parse_module(source)
    sem = build_semantic_model(module, source)
    assert any(info.label == "early" for info in sem.models.values())
    assert any(e.kind is EventKind.TRAIN for e in sem.trace)
