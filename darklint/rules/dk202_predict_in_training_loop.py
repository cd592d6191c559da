from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from darklint.diagnostics import Severity
from darklint.gate import MAKES_MODELS, STEPS
from darklint.keras.semantic import Event, EventKind, Loop, unique_by_node
from darklint.rule import FixSafety, Invalid, Replacement, Rule, Valid

if TYPE_CHECKING:
    import libcst as cst

# predict_on_batch takes the batch alone: these keywords only steer predict's
# own batching and logging, which a single batch does not need.
DROPPABLE_KEYWORDS = frozenset({"verbose", "batch_size"})


# A fix is written out by libcst's codegen, which recurses once per level of
# nesting: a call nested deeper (`m.predict(a.b.b.b...)`) gets no fix, and
# its report stands.
MAX_FIX_DEPTH = 100


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and every node inside it (no recursion: any depth)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _deeper_than(node: cst.CSTNode, limit: int) -> bool:
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in current.children)
    return False


def _has_comment(node: cst.CSTNode) -> bool:
    import libcst as cst

    return any(isinstance(inner, cst.Comment) for inner in _walk(node))


def _adds_indentation(node: cst.CSTNode) -> bool:
    """Whitespace whose line starts with the indentation of the block it is in."""
    import libcst as cst

    return isinstance(node, (cst.ParenthesizedWhitespace, cst.EmptyLine)) and node.indent


def _spelled_out(node: cst.CSTNode, indentation: str) -> cst.CSTNode:
    """``node`` with ``indentation`` written into each line that added the block's."""
    import libcst as cst

    class SpellOut(cst.CSTTransformer):
        def leave_ParenthesizedWhitespace(
            self, original: cst.ParenthesizedWhitespace, updated: cst.ParenthesizedWhitespace
        ) -> cst.ParenthesizedWhitespace:
            if not updated.indent:
                return updated
            last = cst.SimpleWhitespace(indentation + updated.last_line.value)
            return updated.with_changes(indent=False, last_line=last)

        def leave_EmptyLine(self, original: cst.EmptyLine, updated: cst.EmptyLine) -> cst.EmptyLine:
            if not updated.indent:
                return updated
            whitespace = cst.SimpleWhitespace(indentation + updated.whitespace.value)
            return updated.with_changes(indent=False, whitespace=whitespace)

    spelled = node.visit(SpellOut())
    assert isinstance(spelled, cst.CSTNode)  # only whitespace changes
    return spelled


class PredictInTrainingLoop(Rule):
    """`model.predict()` is called inside a loop that trains a Keras model.

    ## What it does
    Finds `m.predict(...)` on a Keras model inside a loop whose same
    iteration trains a Keras model (`train_on_batch`, `fit`,
    `optimizer.apply_gradients`). Not reported: a `predict` in a sampling or
    plotting function that the loop calls every N epochs, in an evaluation
    loop that trains nothing, or on the model the same iteration has just
    `fit` (cross-validation folds, per-epoch evaluation: a whole dataset per
    call is what `predict` is for).

    ## Why is this bad?
    `predict` is built for whole datasets: each call builds a data pipeline,
    batches, and (with the default `verbose`) prints a progress bar. Per
    call on one batch it is 33–72× slower than `m(x, training=False)` and far
    slower than `predict_on_batch` (keras 3.15.1 and tf-keras 2.21, measured);
    in a GAN loop that generates fakes every step this dominates the run and
    floods the log. TensorFlow maintainers say `predict` is not meant for
    loops (tensorflow/tensorflow#40261, #44711).

    ## Example
    ```python
    for step in range(steps):
        fake = generator.predict(noise)
        discriminator.train_on_batch(fake, zeros)
    ```

    ## Use instead
    `generator.predict_on_batch(noise)`, or `generator(noise, training=False)`
    (a tensor), or generate inside a `train_step` override.

    ## PyTorch reference
    `reference_impls/gan.py`: the generator is called directly, under
    `torch.no_grad()` where no gradient is wanted.

    ## Fix safety
    Safe: `m.predict(x)` becomes `m.predict_on_batch(x)` when the call has one
    positional argument and no arguments other than `verbose`/`batch_size`.
    Both return NumPy arrays of the same values (an evidence test compares
    them on Keras 3); only the per-call overhead and the progress bar go.
    Every comment of the call stays: one after `x,` stays with `x`, and a
    call with a comment on a dropped `verbose`/`batch_size` gets no fix.

    ## References
    - tensorflow/tensorflow#40261, #44711, #33009; keras-team/keras#13118
    - google/deepvariant PR #1089; nmma PR #42 (~25× faster)
    """

    code = "DK202"
    name = "predict-in-training-loop"
    message = (
        "`{model}.predict()` runs on every iteration of the training loop: 33–72× "
        "slower per call than `{model}(x, training=False)` and a progress bar per call on default "
        "verbose"
    )
    help = "use `{model}.predict_on_batch(x)` or `{model}(x, training=False)`"
    severity = Severity.WARNING
    reference = "reference_impls/gan.py"
    fix_safety = FixSafety.SAFE
    fix_title = "Use `predict_on_batch`"
    # `predict` on a model, and training in the same loop (darklint.gate).
    requires_names = ("predict", STEPS, MAKES_MODELS)

    def finish(self) -> None:
        import libcst as cst  # not at module level: the rule table stays libcst-free

        semantic = self.semantic
        # The training events inside each loop, in trace order (looked up per
        # predict; scanning every training event per predict was quadratic).
        training_in: dict[Loop, list[Event]] = {}
        for event in semantic.trace:
            if event.kind in (EventKind.TRAIN, EventKind.STEP):
                for around in dict.fromkeys(event.loops):
                    training_in.setdefault(around, []).append(event)
        for predict in unique_by_node(semantic.events(EventKind.PREDICT)):
            loop = next(
                (around for around in reversed(predict.lexical_loops) if around in training_in),
                None,
            )
            if loop is not None and self._evaluates_after_fit(predict, training_in[loop]):
                continue
            call = predict.node
            if (
                loop is None
                or not isinstance(call, cst.Call)
                or not isinstance(call.func, cst.Attribute)
            ):
                continue
            self.report(
                call,
                related={"training loop": loop.node},
                model=self.context.module.code_for_node(call.func.value),
                fix=self._with_indentation(call, self._fix(call)),
            )

    @staticmethod
    def _evaluates_after_fit(predict: Event, in_loop: list[Event]) -> bool:
        """`model.fit(...)` then `model.predict(x_val)` once per fold or epoch: what predict is for.

        ``in_loop``: the training events inside the predict's training loop.
        """
        return predict.model in {event.model for event in in_loop} and all(
            event.kind is EventKind.TRAIN and event.method in ("fit", "fit_generator")
            for event in in_loop
        )

    @staticmethod
    def _fix(call: cst.Call) -> Replacement | None:
        """``predict_on_batch`` with the input alone, keeping every comment of the call.

        The dropped keywords go with their commas and whitespace, so a comment
        among them (``verbose=0,  # quiet``, or on its own line above one) is
        about what goes: no fix then.  A comment after the input's comma
        (``x,  # the batch``) is about the input: the comma stays, with it.
        """
        import libcst as cst

        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        others = [arg for arg in call.args if arg not in positional]
        if len(positional) != 1 or any(
            arg.star or arg.keyword is None or arg.keyword.value not in DROPPABLE_KEYWORDS
            for arg in others
        ):
            return None
        if any(_has_comment(arg) for arg in others):
            return None
        kept, comma = positional[0], positional[0].comma
        if isinstance(comma, cst.Comma) and _has_comment(comma):
            after = comma.whitespace_after
            if others and isinstance(after, cst.ParenthesizedWhitespace):
                if any(line.comment is not None for line in after.empty_lines):
                    return None  # on its own line above a dropped keyword: about it
                # The comment's line ends the arguments: `)` goes on the next
                # line, at the statement's indentation (if that line had it).
                after = after.with_changes(empty_lines=(), last_line=cst.SimpleWhitespace(""))
            kept = kept.with_changes(comma=comma.with_changes(whitespace_after=after))
        else:
            kept = kept.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        assert isinstance(call.func, cst.Attribute)
        new = call.with_changes(
            func=call.func.with_changes(attr=cst.Name("predict_on_batch")), args=[kept]
        )
        return Replacement(call, new)

    def _with_indentation(self, call: cst.Call, fix: Replacement | None) -> Replacement | None:
        """The fix with the indentation of its lines written out.

        A fix is generated on its own, outside the block it is in: a line
        break inside the call would lose the block's indentation (libcst
        adds it when it generates the whole file).  Here it is made part of
        each line of the fix.  None (no fix) if it is not known.
        """
        if fix is None or _deeper_than(fix.new, MAX_FIX_DEPTH):
            return None
        if not any(_adds_indentation(node) for node in _walk(fix.new)):
            return fix
        indentation = self.context.indentation_of(call)
        if indentation is None:
            return None
        return Replacement(fix.old, _spelled_out(fix.new, indentation))

    VALID = (
        # k-fold cross-validation: fit, then predict the held-out fold.
        Valid(
            """
from keras import layers, models
scores = []
for fold in range(5):
    model = models.Sequential([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x[:80], y[:80], epochs=5)
    scores.append(model.predict(x[80:]))
"""
        ),
        # predict in a sampling function called every N epochs.
        Valid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
g.compile(optimizer="adam", loss="mse")

def sample_images(epoch):
    images = g.predict(noise)
    save(images, epoch)

for epoch in range(100):
    g.train_on_batch(x, y)
    if epoch % 10 == 0:
        sample_images(epoch)
"""
        ),
        # An evaluation loop that trains nothing.
        Valid(
            """
import keras
model = keras.models.load_model("m.keras")
for batch in batches:
    scores.append(model.predict(batch, verbose=0))
"""
        ),
        # sklearn's predict in a loop that fits a Keras model.
        Valid(
            """
import keras
from sklearn.linear_model import LogisticRegression
clf = LogisticRegression()
net = keras.Sequential([keras.layers.Dense(1)])
net.compile(optimizer="adam", loss="mse")
for batch in batches:
    labels = clf.predict(batch)
    net.train_on_batch(batch, labels)
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    fake = g.predict(noise, verbose=0)  # expect: DK202
    d.train_on_batch(fake, zeros)
""",
            fixed="""
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    fake = g.predict_on_batch(noise)  # expect: DK202
    d.train_on_batch(fake, zeros)
""",
        ),
        # A multi-line call: the comment after the input stays with it, and
        # each line keeps its indentation.
        Invalid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    if step % 2:
        fake = g.predict(  # expect: DK202
            noise,  # the latent batch
            batch_size=32,
            verbose=0,
        )
        d.train_on_batch(fake, zeros)
""",
            fixed="""
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    if step % 2:
        fake = g.predict_on_batch(  # expect: DK202
            noise,  # the latent batch
        )
        d.train_on_batch(fake, zeros)
""",
        ),
        # A comment on a keyword the fix would drop: no fix, the comment stays.
        Invalid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    fake = g.predict(  # expect: DK202
        noise,
        verbose=0,  # no progress bar
    )
    d.train_on_batch(fake, zeros)
""",
            fixed="""
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
for step in range(100):
    fake = g.predict(  # expect: DK202
        noise,
        verbose=0,  # no progress bar
    )
    d.train_on_batch(fake, zeros)
""",
        ),
        # A call the fix cannot rewrite keeps its report without a fix.
        Invalid(
            """
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
while True:
    fake = g.predict(noise, steps=1)  # expect: DK202
    d.fit(fake, zeros)
""",
            fixed="""
import keras
g = keras.Sequential([keras.layers.Dense(2)])
d = keras.Sequential([keras.layers.Dense(1)])
d.compile(optimizer="adam", loss="binary_crossentropy")
while True:
    fake = g.predict(noise, steps=1)  # expect: DK202
    d.fit(fake, zeros)
""",
        ),
    )
