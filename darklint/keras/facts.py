"""The facts of a file's semantic model: plain, frozen records.

Built by the interpreter (through :class:`darklint.keras.builder.SemanticBuilder`)
and read by the rules through :class:`darklint.keras.semantic.SemanticModel`.
Models, optimizers and gradients are named by ids; "no model" is ``None``.
Nothing here imports libcst at run time: the rule table stays light.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NewType

if TYPE_CHECKING:
    import libcst as cst

ModelId = NewType("ModelId", int)
OptimizerId = NewType("OptimizerId", int)
GradientId = NewType("GradientId", int)

TRAINABLE = frozenset({True})
FROZEN = frozenset({False})
EITHER = frozenset({True, False})


class EventKind(enum.Enum):
    TRAINABLE = "trainable"
    COMPILE = "compile"
    TRAIN = "train"
    PREDICT = "predict"
    # A hand-written optimizer step (``opt.apply_gradients``): training, but
    # of no particular model the walk can name.
    STEP = "step"


class Owner(enum.Enum):
    """What the walk knows the owner of an attribute (``x`` in ``x.fit``) to be."""

    MODEL = "model"
    OPTIMIZER = "optimizer"
    LAYER = "layer"
    # An instance of a class of the file that is not a Keras model.
    OBJECT = "object"


class ModelKind(enum.Enum):
    FUNCTIONAL = "functional"
    SEQUENTIAL = "sequential"
    # An instance of a class of the file that subclasses `keras.Model`.
    SUBCLASS = "subclass"
    # Made by a Keras factory: `load_model`, `clone_model`, `applications.*`.
    LOADED = "loaded"
    # A value the walk could not see into, used as a model (`d.trainable = False`).
    INFERRED = "inferred"


@dataclass(frozen=True, eq=False)
class Elsewhere:
    """A node of another module of the project that the linted file's code reached.

    ``anchor`` is the node of the linted file through which the walk got
    there (the call of the other module's function): a finding about
    ``node`` is reported there, and says where ``node`` is.
    """

    anchor: cst.CSTNode
    path: str
    module: cst.Module
    source: str
    node: cst.CSTNode


@dataclass(frozen=True, eq=False)
class Head:
    """The last activation a tensor went through, as a layer of the code set it.

    ``activation`` is Keras' name for it ("linear", "sigmoid", "softmax",
    "relu"...; None: the code does not show it, e.g. a variable); ``units``
    is the size of the axis it normalises over (the last one: a ``Dense``'s
    units, a ``Conv2D``'s filters; None: not known, e.g. after a ``Flatten``).
    """

    activation: str | None
    units: int | None
    # Where the activation is chosen (the `activation=` argument, the
    # `Activation(...)` layer; a layer with no activation: the layer), and the
    # layer's constructor call.
    node: cst.CSTNode
    layer: cst.CSTNode
    # The layer's `name=`: the output's name in a multi-output model.
    name: str | None = None


@dataclass(frozen=True, eq=False)
class Loss:
    """A loss given to ``compile()`` for one output (or for all of them)."""

    # Keras' function name ("binary_crossentropy"...), whatever the spelling
    # (an alias, a class, a function); None: a loss the code does not show.
    name: str | None
    # The `from_logits=` given to a loss class (False by default; None: not known).
    from_logits: bool | None
    # The expression in the compile call (a list's or dict's item), and
    # where the loss object was made, when elsewhere.
    node: cst.CSTNode
    made: cst.CSTNode | None = None
    # The output it applies to: its position in a list, its name in a dict
    # (None: every output).
    output: int | str | None = None


@dataclass(frozen=True)
class Loop:
    node: cst.For | cst.While
    function: cst.FunctionDef | None
    # The calls the walk was inside when it walked the loop (their call
    # sites' ids): a loop of a function called from two places is two loops,
    # each training what its caller gave it.
    context: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class Event:
    kind: EventKind
    # The model the event is about; None for a STEP (of no model the walk names).
    model: ModelId | None
    node: cst.CSTNode
    index: int
    loops: tuple[Loop, ...]
    function: cst.FunctionDef | None
    method: str = ""
    # TRAINABLE: the value(s) assigned, and the model's state before.
    value: frozenset[bool] = frozenset()
    before: frozenset[bool] = frozenset()
    # TRAINABLE: set on some of the model's layers only (`m.layers[-4:]`,
    # `m.get_layer("x")`): the model's own flag is unchanged.
    partial: bool = False
    # COMPILE, TRAIN: trainable state of the model and of everything it contains.
    states: Mapping[ModelId, frozenset[bool]] = field(default_factory=dict)
    # COMPILE, STEP: the optimizer object given (None: a string, or not known).
    optimizer: OptimizerId | None = None
    # STEP: the models whose variables the step updates (`apply_gradients(zip(g,
    # m.trainable_variables))`), when the code shows them.
    variables: frozenset[ModelId] = frozenset()
    # TRAIN, STEP: the input gradients whose perturbed inputs reach this
    # training call's arguments.
    perturbed: frozenset[GradientId] = frozenset()
    # PREDICT: the rows of the input, when the code spells them out, and the
    # batch size predict runs with (None: passed, but not known).
    rows: int | None = None
    batch_size: int | None = None
    # The `if`s around the event that let it run only on some iterations
    # (`if step % 100 == 0`, `if epoch == 0`), each with the number of loops
    # around that `if`: the event runs less often than those loops' bodies.
    guards: tuple[tuple[int, cst.CSTNode], ...] = ()
    # The arms of the `if`/`elif`/`else` chains (outside loops) the event is
    # in: (chain, arm).  Two events in different arms of one chain never
    # both happen in a run (`if mode == 1: ... elif mode == 2: ...`).
    arms: tuple[tuple[object, int], ...] = ()
    # COMPILE: the losses given (empty: none the code shows).
    losses: tuple[Loss, ...] = ()

    def exclusive(self, other: Event) -> bool:
        """This event and ``other`` are in different arms of one `if` chain."""
        mine = dict(self.arms)
        return any(chain in mine and mine[chain] != arm for chain, arm in other.arms)

    @property
    def subject(self) -> ModelId:
        """The model of an event that is about one: every kind but STEP."""
        assert self.model is not None, f"a {self.kind.value} event is about no model"
        return self.model

    @property
    def lexical_loops(self) -> tuple[Loop, ...]:
        """The loops written around the event in its own function."""
        return tuple(loop for loop in self.loops if loop.function is self.function)


@dataclass(frozen=True, eq=False)
class ModelInfo:
    id: ModelId
    node: cst.CSTNode
    kind: ModelKind
    contains: frozenset[ModelId] = frozenset()
    # Set when the model's outputs are an intermediate layer's output of
    # another model (a feature-matching / perceptual-loss sub-model).
    feature_of: ModelId | None = None
    # The names it is known by, each with the call depth of the frame that
    # bound it (the outermost reads best).
    names: tuple[tuple[int, str], ...] = ()
    # Where DK301 reports a feature model: its constructor, or the
    # `m.outputs = [...]` assignment that truncated it.
    feature_anchor: cst.CSTNode | None = None
    # The trace's length when the model was made: none of its events, and no
    # event of a model holding it, can come earlier.
    created_at: int = 0
    # What its variables are made of, when the code shows all of it: its own
    # weighted layers (``("layer", id)``) and the models it contains
    # (``("model", id)``).  Two models with the same are one set of variables.
    weights: frozenset[tuple[str, int]] | None = None
    # The loops around the place it was made: a model made in a loop is a
    # new model on each iteration (a fold of a cross-validation).
    loops: tuple[Loop, ...] = ()
    # Input gradients whose perturbed inputs became part of the model's own
    # objective: `self.add_loss(...)`, or a loss kept on the model.
    adversarial: frozenset[GradientId] = frozenset()
    # The Keras training hooks its class overrides (`train_step`: it picks the
    # weights each step updates; `compute_loss`: a custom objective over all
    # trainable weights): Keras' own places for custom training.
    overrides: frozenset[str] = frozenset()
    # The last activation of each output, in order (None: a model whose
    # outputs the code does not show; an item None: that output's).
    heads: tuple[Head | None, ...] | None = None

    @property
    def label(self) -> str:
        if not self.names:
            return "the model"
        # The name in the outermost frame reads best: `self.discriminator`
        # rather than the `model` local of `build_discriminator()`.
        return min(self.names, key=lambda item: item[0])[1]


@dataclass(frozen=True, eq=False)
class OptimizerInfo:
    id: OptimizerId
    node: cst.CSTNode
    names: tuple[str, ...] = ()
    # The loops around the place it was made: a new object on each iteration.
    loops: tuple[Loop, ...] = ()

    @property
    def label(self) -> str:
        return self.names[0] if self.names else "the optimizer"


@dataclass(frozen=True, eq=False)
class GradientInfo:
    """A gradient taken with respect to inputs or data (not weights)."""

    id: GradientId
    node: cst.Call
    backend_call: bool  # keras.backend.gradients (absent in Keras 3)
    function: cst.FunctionDef | None = None
    # Added to the inputs (`x + eps * sign(grad)`): FGSM, VAT.
    perturbs_inputs: bool = False
