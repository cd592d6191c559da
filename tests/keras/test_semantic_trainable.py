"""The trainable state the semantic model records: at compiles, after branches, in loops, via helpers."""

from __future__ import annotations

import libcst as cst
from semantic_helpers import BOTH, FALSE, TRUE, build, line_of

from darklint.keras.facts import EventKind
from darklint.rules.toggles import ToggleKind, toggle_patterns

HEAD = """
import keras
G = keras.Sequential()
D = keras.Sequential()
z = keras.Input(shape=(8,))
"""


def test_states_at_each_compile() -> None:
    built = build(
        HEAD
        + """
D.compile(optimizer="adam", loss="bce")
D.trainable = False
combined = keras.Model(z, D(G(z)))
combined.compile(optimizer="adam", loss="bce")
"""
    )
    d_compile = built.only(EventKind.COMPILE, "D")
    c_compile = built.only(EventKind.COMPILE, "combined")
    assert dict(d_compile.states) == {built.model("D"): TRUE}
    assert built.state_at(c_compile, "combined") == TRUE
    assert built.state_at(c_compile, "D") == FALSE
    assert built.state_at(c_compile, "G") == TRUE
    assert set(c_compile.states) == set(built.sem.closure(built.model("combined")))


def test_trainable_event_value_and_before() -> None:
    source = (
        HEAD
        + """
D.trainable = False
D.trainable = True
D.trainable = flag
"""
    )
    built = build(source)
    events = built.events(EventKind.TRAINABLE, "D")
    assert [(e.value, e.before) for e in events] == [
        (FALSE, TRUE),
        (TRUE, FALSE),
        (BOTH, TRUE),
    ]
    first = line_of(source, "D.trainable = False")
    assert [built.line(e.node) for e in events] == [first, first + 1, first + 2]


def test_not_of_a_bool_is_known() -> None:
    built = build(HEAD + "D.trainable = not True\n")
    assert built.only(EventKind.TRAINABLE, "D").value == FALSE


def test_effective_trainable_counts_frozen_containers() -> None:
    built = build(
        """
        import keras
        inner = keras.Sequential()
        x = keras.Input(shape=(3,))
        D = keras.Model(x, inner(x))
        G = keras.Sequential()
        z = keras.Input(shape=(8,))
        D.trainable = False
        combined = keras.Model(z, D(G(z)))
        combined.compile(optimizer="adam")
        """
    )
    event = built.only(EventKind.COMPILE, "combined")
    inner = built.model("inner")
    # inner's own flag was never touched ...
    assert event.states[inner] == TRUE
    # ... but it sits inside the frozen D.
    assert built.sem.effective_trainable(event, inner) == FALSE
    assert built.sem.effective_trainable(event, built.model("D")) == FALSE
    assert built.sem.effective_trainable(event, built.model("G")) == TRUE


def test_effective_trainable_with_a_maybe_frozen_container() -> None:
    built = build(
        """
        import keras
        inner = keras.Sequential()
        x = keras.Input(shape=(3,))
        D = keras.Model(x, inner(x))
        if flag:
            D.trainable = False
        combined = keras.Sequential([D])
        combined.compile(optimizer="adam")
        """
    )
    event = built.only(EventKind.COMPILE, "combined")
    assert built.sem.effective_trainable(event, built.model("inner")) == BOTH


def test_if_without_else_merges_both_states() -> None:
    built = build(
        HEAD
        + """
if flag:
    D.trainable = False
D.compile(optimizer="adam")
"""
    )
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == BOTH


def test_if_else_where_only_one_branch_freezes() -> None:
    built = build(
        HEAD
        + """
if flag:
    D.trainable = False
else:
    D.trainable = True
D.compile(optimizer="adam")
"""
    )
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == frozenset({True, False})


def test_if_else_where_both_branches_freeze() -> None:
    built = build(
        HEAD
        + """
if flag:
    D.trainable = False
else:
    D.trainable = False
D.compile(optimizer="adam")
"""
    )
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == FALSE


def test_elif_chain_merges_every_branch() -> None:
    built = build(
        HEAD
        + """
if a:
    D.trainable = False
elif b:
    D.trainable = False
else:
    pass
D.compile(optimizer="adam")
"""
    )
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == BOTH


def test_branch_state_does_not_leak_into_the_other_branch() -> None:
    built = build(
        HEAD
        + """
if flag:
    D.trainable = False
else:
    D.compile(optimizer="adam")
"""
    )
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == TRUE


def test_loop_body_appears_twice_and_the_second_pass_sees_the_first() -> None:
    source = (
        HEAD
        + """
for epoch in range(3):
    D.compile(optimizer="adam")
    D.trainable = False
D.fit(x)
"""
    )
    built = build(source)
    compiles = built.events(EventKind.COMPILE, "D")
    assert len(compiles) == 2
    assert compiles[0].node is compiles[1].node
    assert built.state_at(compiles[0], "D") == TRUE
    # Second pass: what the end of the first iteration left.
    assert built.state_at(compiles[1], "D") == FALSE
    freezes = built.events(EventKind.TRAINABLE, "D")
    assert [e.before for e in freezes] == [TRUE, FALSE]


def test_state_after_a_loop_merges_zero_iterations() -> None:
    built = build(
        HEAD
        + """
for epoch in range(3):
    D.trainable = False
D.compile(optimizer="adam")
"""
    )
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == BOTH


def test_while_loop_toggle_trace() -> None:
    source = (
        HEAD
        + """
while True:
    D.trainable = True
    D.train_on_batch(x, y)
    D.trainable = False
    G.train_on_batch(z, y)
"""
    )
    built = build(source)
    t = line_of(source, "D.trainable = True")
    f = line_of(source, "D.trainable = False")
    assert [(k, label, line) for k, label, line in built.trace()] == [
        ("trainable", "D", t),
        ("train", "D", t + 1),
        ("trainable", "D", f),
        ("train", "G", f + 1),
        ("trainable", "D", t),
        ("train", "D", t + 1),
        ("trainable", "D", f),
        ("train", "G", f + 1),
    ]
    befores = [e.before for e in built.events(EventKind.TRAINABLE, "D")]
    # The second pass's `D.trainable = True` sees the False left by the first.
    assert befores == [TRUE, TRUE, FALSE, TRUE]


ONE_PURPOSE = """
import keras

def set_trainable(m, value):
    m.trainable = value
    for layer in m.layers:
        layer.trainable = value

D = keras.Sequential()
set_trainable(D, False)
D.compile(optimizer="adam")
"""


def test_one_purpose_helper_is_anchored_at_its_call_site() -> None:
    built = build(ONE_PURPOSE)
    call_line = line_of(ONE_PURPOSE, "set_trainable(D, False)")
    events = built.events(EventKind.TRAINABLE, "D")
    assert events
    assert all(e.value == FALSE for e in events)
    assert {built.line(e.node) for e in events} == {call_line}
    assert all(isinstance(e.node, cst.Call) for e in events)
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == FALSE


def test_one_purpose_helper_with_a_docstring() -> None:
    source = """
        import keras

        def freeze(model):
            \"\"\"Freeze every weight.\"\"\"
            model.trainable = False

        D = keras.Sequential()
        freeze(D)
        """
    built = build(source)
    event = built.only(EventKind.TRAINABLE, "D")
    assert built.line(event.node) == line_of(source, "freeze(D)")


def test_one_purpose_method_on_self_is_anchored_at_its_call_site() -> None:
    source = """
        import keras

        class GAN:
            def __init__(self):
                self.d = keras.Sequential()
                self.freeze_d()
                self.d.compile(optimizer="adam")

            def freeze_d(self):
                self.d.trainable = False
        """
    built = build(source)
    event = built.only(EventKind.TRAINABLE, "self.d")
    assert built.line(event.node) == line_of(source, "self.freeze_d()")


def test_multi_purpose_helper_is_anchored_at_the_assignment_inside() -> None:
    source = """
        import keras

        def build_combined(g, d):
            d.trainable = False
            z = keras.Input(shape=(8,))
            combined = keras.Model(z, d(g(z)))
            combined.compile(optimizer="adam")
            return combined

        G = keras.Sequential()
        D = keras.Sequential()
        C = build_combined(G, D)
        """
    built = build(source)
    event = built.only(EventKind.TRAINABLE, "D")
    assert built.line(event.node) == line_of(source, "d.trainable = False")
    compile_event = built.only(EventKind.COMPILE, "C")
    assert built.state_at(compile_event, "D") == FALSE
    assert built.state_at(compile_event, "G") == TRUE


def test_freeze_of_a_local_inside_a_called_helper_is_anchored_inside() -> None:
    # Only the *parameters* (or self) of a one-purpose helper move the anchor.
    source = """
        import keras

        D = keras.Sequential()

        def freeze_global():
            D.trainable = False

        freeze_global()
        """
    built = build(source)
    event = built.only(EventKind.TRAINABLE, "D")
    assert built.line(event.node) == line_of(source, "D.trainable = False")


def test_freezing_every_layer_freezes_the_model() -> None:
    source = (
        HEAD
        + """
for layer in D.layers:
    layer.trainable = False
"""
    )
    built = build(source)
    events = built.events(EventKind.TRAINABLE, "D")
    # The loop body is walked twice: one freeze of D per pass.
    assert len(events) == 2
    assert all(e.value == FALSE for e in events)
    assert {built.line(e.node) for e in events} == {line_of(source, "layer.trainable = False")}


def test_freezing_every_layer_inside_the_loop_reaches_a_compile_in_the_loop() -> None:
    built = build(
        HEAD
        + """
for layer in D.layers:
    layer.trainable = False
    D.compile(optimizer="adam")
"""
    )
    compiles = built.events(EventKind.COMPILE, "D")
    assert [built.state_at(c, "D") for c in compiles] == [FALSE, FALSE]


def test_partial_layer_freeze_does_not_freeze_the_model() -> None:
    """Some layers frozen: a change of D's weights (an event), not of D's own flag."""
    built = build(
        HEAD
        + """
for layer in D.layers[:3]:
    layer.trainable = False
for layer in D.layers[-2:]:
    layer.trainable = False
D.layers[0].trainable = False
D.get_layer("dense").trainable = False
D.compile(optimizer="adam")
"""
    )
    events = built.events(EventKind.TRAINABLE, "D")
    # One per assignment, the loop bodies twice.
    assert len(events) == 6
    assert all(event.partial and event.value == FALSE for event in events)
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == TRUE


def test_a_layer_kept_from_the_build_belongs_to_its_model() -> None:
    built = build(
        HEAD
        + """
feat = keras.layers.Dense(8)
S = keras.Sequential([feat, keras.layers.Dense(1)])
inp = keras.Input((4,))
head = keras.layers.Dense(2)
F = keras.Model(inp, head(keras.layers.Dense(3)(inp)))
loose = keras.layers.Dense(5)
feat.trainable = False
head.trainable = True
loose.trainable = False
"""
    )
    assert [(e.partial, e.value) for e in built.events(EventKind.TRAINABLE, "S")] == [(True, FALSE)]
    assert [(e.partial, e.value) for e in built.events(EventKind.TRAINABLE, "F")] == [(True, TRUE)]
    assert len(built.events(EventKind.TRAINABLE)) == 2


def test_trainable_of_a_non_model_is_not_recorded() -> None:
    built = build(
        HEAD
        + """
dense = keras.layers.Dense(3)
dense.trainable = False
thing.trainable = False
D.compile(optimizer="adam")
"""
    )
    assert built.events(EventKind.TRAINABLE) == []


def test_freeze_in_a_function_called_from_a_loop() -> None:
    source = (
        HEAD
        + """
def step():
    D.trainable = True
    D.train_on_batch(x, y)
    D.trainable = False

for epoch in range(3):
    step()
"""
    )
    built = build(source)
    freezes = built.events(EventKind.TRAINABLE, "D")
    assert [(e.value, e.before) for e in freezes] == [
        (TRUE, TRUE),
        (FALSE, TRUE),
        (TRUE, FALSE),
        (FALSE, TRUE),
    ]


def test_compile_states_include_models_added_later_in_a_loop() -> None:
    built = build(
        HEAD
        + """
stack = keras.Sequential([G, D])
D.trainable = False
stack.compile(optimizer="adam")
"""
    )
    event = built.only(EventKind.COMPILE, "stack")
    assert built.state_at(event, "D") == FALSE
    assert built.state_at(event, "G") == TRUE


def test_freezing_every_layer_leaves_the_model_frozen_at_the_next_compile() -> None:
    # `m.layers` of a built model is never empty: the loop freezes m, just as
    # `m.trainable = False` would (RULES: "counts as freezing m").
    built = build(
        HEAD
        + """
for layer in D.layers:
    layer.trainable = False
D.compile(optimizer="adam")
"""
    )
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == FALSE


def test_freezing_every_layer_then_combined_compile_is_a_toggle_pattern() -> None:
    source = (
        HEAD
        + """
D.compile(optimizer="adam")
for layer in D.layers:
    layer.trainable = False
combined = keras.Model(z, D(G(z)))
combined.compile(optimizer="adam")
for epoch in range(10):
    D.train_on_batch(x, y)
    combined.train_on_batch(z, y)
"""
    )
    built = build(source)
    patterns = toggle_patterns(built.sem)
    assert [p.kind for p in patterns] == [ToggleKind.NEVER_TRAINS]
    assert built.line(patterns[0].freeze.node) == line_of(source, "layer.trainable = False")


def test_one_purpose_method_with_a_model_argument_is_anchored_at_its_call_site() -> None:
    source = """
        import keras

        class GAN:
            def __init__(self):
                self.d = keras.Sequential()
                self.set_trainable(self.d, False)
                self.d.compile(optimizer="adam")

            def set_trainable(self, model, flag):
                model.trainable = flag
        """
    built = build(source)
    event = built.only(EventKind.TRAINABLE, "self.d")
    assert event.value == FALSE
    assert built.line(event.node) == line_of(source, "self.set_trainable(self.d, False)")
    assert built.state_at(built.only(EventKind.COMPILE, "self.d"), "self.d") == FALSE


def test_one_purpose_helper_with_keyword_and_default_arguments() -> None:
    source = """
        import keras

        def make_trainable(net, val=False):
            net.trainable = val

        D = keras.Sequential()
        make_trainable(net=D)
        D.compile(optimizer="adam")
        make_trainable(D, val=True)
        D.compile(optimizer="adam")
        """
    built = build(source)
    first, second = built.events(EventKind.TRAINABLE, "D")
    assert (first.value, second.value) == (FALSE, TRUE)
    assert built.line(first.node) == line_of(source, "make_trainable(net=D)")
    assert built.line(second.node) == line_of(source, "make_trainable(D, val=True)")
    compiles = built.events(EventKind.COMPILE, "D")
    assert [built.state_at(c, "D") for c in compiles] == [FALSE, TRUE]


def test_every_call_of_a_one_purpose_helper_is_applied() -> None:
    # Five call sites, four of them in loops walked twice: nine calls in all.
    source = """
        import keras

        def make_trainable(net, val):
            net.trainable = val

        D = keras.Sequential()
        G = keras.Sequential()
        combined = keras.Sequential([G, D])
        for epoch in range(5):
            make_trainable(D, True)
            D.train_on_batch(x, y)
            make_trainable(D, False)
            combined.train_on_batch(z, y)
        for epoch in range(5):
            make_trainable(D, True)
            D.train_on_batch(x, y)
            make_trainable(D, False)
            combined.train_on_batch(z, y)
        make_trainable(D, True)
        D.compile(optimizer="adam")
        """
    built = build(source)
    last_call = line_of(source, "make_trainable(D, True)", 3)
    assert built.line(built.events(EventKind.TRAINABLE, "D")[-1].node) == last_call
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == TRUE


def test_a_model_made_on_one_branch_keeps_that_branch_state() -> None:
    """Made and frozen under `if`: on the other path it does not exist, so it is surely frozen."""
    built = build(
        HEAD
        + """
if training:
    E = keras.Sequential()
    E.compile(optimizer="adam", loss="mse")
    E.trainable = False
    D.trainable = False
E.fit(x, y)
D.compile(optimizer="adam")
"""
    )
    assert built.only(EventKind.TRAIN, "E").states[built.model("E")] == FALSE
    # D existed before the `if`: frozen on one path only.
    assert built.state_at(built.only(EventKind.COMPILE, "D"), "D") == frozenset({True, False})
