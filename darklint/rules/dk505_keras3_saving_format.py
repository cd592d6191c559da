from __future__ import annotations

from typing import TYPE_CHECKING

from darklint.keras.keras3_removals import BY_ID, Row, names_of
from darklint.rule import FixSafety, Invalid, Replacement, Valid
from darklint.rules.keras3_common import Keras3Rule, Scope, is_keras_receiver, keyword

if TYPE_CHECKING:
    import libcst as cst


WEIGHTS = ".weights.h5"
MODEL_EXTENSIONS = (".keras", ".h5", ".hdf5")
CHECKPOINT_EXTENSIONS = (".keras", ".h5")


class Keras3SavingFormat(Keras3Rule):
    """A file name that Keras 3 refuses to save to.

    ## What it does
    Finds `save_weights` to a file not named `….weights.h5`, `save` of a
    Keras model to a path without `.keras`, `.h5` or `.hdf5` (Keras 2's
    SavedModel directory), and `ModelCheckpoint` with such a file name,
    when the end of the name is written in the code (a string, the text
    after an f-string's last field, the last part of `os.path.join`).

    ## Why is this bad?
    Keras 3 checks the extension before writing: `ValueError` at the first
    save, which in a training script comes after the first epoch (or the
    first `sample_interval` of a GAN): the run dies with its work unsaved.

    ## Example
    ```python
    generator.save_weights("generator_%d.h5" % epoch)
    model.save("saved_model")
    ```

    ## Use instead
    ```python
    generator.save_weights("generator_%d.weights.h5" % epoch)
    model.save("saved_model.keras")  # or model.export("saved_model")
    ```

    ## PyTorch reference
    `reference_impls/gan.py`: a network's weights are its `state_dict()`,
    saved with `torch.save` to any file name.

    ## Fix safety
    Unsafe: the fix renames the file (`w.h5` becomes `w.weights.h5`, a
    directory name gets `.keras`, a checkpoint's `.hdf5` becomes `.h5`), so
    whatever loads it later must follow, and `.keras` is a zip where Keras 2
    wrote a SavedModel directory.

    ## References
    - keras.io, "Save, serialize, and export models"
    - keras.io/api/callbacks/model_checkpoint
    """

    code = "DK505"
    name = "keras3-saving-format"
    reference = "reference_impls/gan.py"
    fix_safety = FixSafety.UNSAFE
    requires_names = (names_of("DK505"),)

    def check(self, scope: Scope) -> None:
        import libcst as cst

        from darklint.keras.facts import Owner

        for call in self.nodes.calls:
            if not call.args:
                continue
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "save_weights":
                if keyword(call, "max_shard_size") is None and is_keras_receiver(self, func, scope):
                    self._check(call, BY_ID["save-weights-extension"], (WEIGHTS,))
            elif isinstance(func, cst.Attribute) and func.attr.value == "save":
                model = self.semantic.owners.get(func) is Owner.MODEL
                if model and keyword(call, "save_format") is None:
                    self._check(call, BY_ID["save-extension"], MODEL_EXTENSIONS)
            else:
                resolved = scope.resolve(func)
                if resolved is not None and resolved.last == "ModelCheckpoint":
                    self._checkpoint(call)

    def _checkpoint(self, call: cst.Call) -> None:
        import libcst as cst

        found = keyword(call, "save_weights_only")
        only = found[1].value if found else cst.Name("False")
        if not isinstance(only, cst.Name) or only.value not in ("True", "False"):
            return
        if only.value == "True":
            self._check(call, BY_ID["checkpoint-weights-extension"], (WEIGHTS,))
        else:
            self._check(call, BY_ID["checkpoint-extension"], CHECKPOINT_EXTENSIONS)

    def _check(self, call: cst.Call, row: Row, endings: tuple[str, ...]) -> None:
        path = keyword(call, "filepath")
        argument = path[1] if path else next((a for a in call.args if a.keyword is None), None)
        if argument is None or argument.star:
            return
        found = literal_end(argument.value)
        if found is None:
            return
        text, node = found
        if text.endswith(endings) or not text or text.endswith(("/", "\\")):
            return
        self.report_row(argument, row, self.code_of(call), _renamed(node, text, row))

    VALID = (
        # Keras 3 names; a name darklint cannot read; PIL's and torch's `save`.
        Valid(
            """
import keras
import torch
from PIL import Image
model = keras.Sequential([keras.layers.Dense(1)])
model.save_weights("gen.weights.h5")
model.save("model.keras")
model.save(f"model_{epoch}.h5")
model.save_weights(path)
Image.fromarray(x).save("sample.png")
torch.save(net.state_dict(), "net.pt")
checkpoint = keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)
"""
        ),
        # `save` on something that is not provably a Keras model.
        Valid(
            """
import keras

def dump(thing):
    thing.save("out")
"""
        ),
    )
    INVALID = (
        Invalid(
            """
import os
import keras
from keras.callbacks import ModelCheckpoint
model = keras.Sequential([keras.layers.Dense(1)])
model.save_weights("generator_%d.h5" % epoch)  # expect: DK505
model.save(os.path.join(out_dir, "saved_model"))  # expect: DK505
model.save_weights(f"{out_dir}/d_{epoch}.hdf5")  # expect: DK505
best = ModelCheckpoint("w.{epoch:02d}.hdf5", save_weights_only=True)  # expect: DK505
last = ModelCheckpoint(filepath="m.{epoch:02d}.hdf5")  # expect: DK505
""",
            fixed="""
import os
import keras
from keras.callbacks import ModelCheckpoint
model = keras.Sequential([keras.layers.Dense(1)])
model.save_weights("generator_%d.weights.h5" % epoch)  # expect: DK505
model.save(os.path.join(out_dir, "saved_model.keras"))  # expect: DK505
model.save_weights(f"{out_dir}/d_{epoch}.weights.h5")  # expect: DK505
best = ModelCheckpoint("w.{epoch:02d}.weights.h5", save_weights_only=True)  # expect: DK505
last = ModelCheckpoint(filepath="m.{epoch:02d}.h5")  # expect: DK505
""",
            unsafe=True,
        ),
    )


def literal_end(node: cst.BaseExpression) -> tuple[str, cst.CSTNode] | None:
    """The text a path expression surely ends with, and the node that holds it."""
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        return node.raw_value, node
    if isinstance(node, cst.FormattedString):
        last = node.parts[-1] if node.parts else None
        return (last.value, last) if isinstance(last, cst.FormattedStringText) else None
    if isinstance(node, cst.ConcatenatedString):
        return literal_end(node.right)
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Add):
            return literal_end(node.right)
        if isinstance(node.operator, cst.Modulo) and isinstance(node.left, cst.SimpleString):
            text = node.left.raw_value
            tail = text.rsplit("%", 1)[-1] if "%" in text else text
            # `"w_%d.h5"`: the text after the last field (`d.h5`, past its type).
            return (tail[1:], node.left) if tail[:1].isalpha() else None
    if isinstance(node, cst.Call) and node.args:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "join":
            return literal_end(node.args[-1].value)
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "format"
            and isinstance(func.value, cst.SimpleString)
        ):
            text = func.value.raw_value
            return (text.rsplit("}", 1)[-1], func.value)
    return None


def _renamed(node: cst.CSTNode, text: str, row: Row) -> Replacement | None:
    """The string part ``node`` (ending in ``text``) with the Keras 3 extension."""
    import libcst as cst

    if row.new == WEIGHTS:
        stem = next((text[: -len(e)] for e in (".h5", ".hdf5") if text.endswith(e)), text)
        new_text = stem + WEIGHTS
    elif row.id == "checkpoint-extension" and text.endswith(".hdf5"):
        new_text = text[: -len(".hdf5")] + ".h5"
    else:
        new_text = text + row.new
    if isinstance(node, cst.SimpleString):
        raw = node.value
        head = raw[: len(node.prefix) + len(node.quote)]
        return Replacement(
            node, node.with_changes(value=head + _swap(raw[len(head) :], text, new_text))
        )
    if isinstance(node, cst.FormattedStringText):
        return Replacement(node, node.with_changes(value=_swap(node.value, text, new_text)))
    return None


def _swap(raw: str, text: str, new_text: str) -> str:
    """``raw`` (a string's inside, maybe with its closing quote) with its ending ``text`` replaced."""
    position = raw.rfind(text)
    return raw[:position] + new_text + raw[position + len(text) :]
