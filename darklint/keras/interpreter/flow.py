"""Operations on abstract values: how facts flow through the code, no syntax.

States merge where paths join; arrays keep their rows, tensors their
provenance, variables their models.  The array tables (what NumPy,
TensorFlow, Keras and torch calls make how many rows) are in
:mod:`darklint.keras.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from darklint.keras.facts import TRAINABLE, GradientId, ModelId
from darklint.keras.values import (
    UNKNOWN,
    ArrayVal,
    ClassInfo,
    IntVal,
    LayerListVal,
    LayerVal,
    ListVal,
    OptVal,
    TensorVal,
    Value,
    VariablesVal,
    merge_tensors,
    provenance,
)
from darklint.keras.vocabulary import (
    EXPAND_DIMS,
    FROM_LIST,
    PREDICT_DEFAULT_BATCH_SIZE,
    RESHAPE_ARGUMENT,
    SHAPE_ARGUMENT,
    TRAINING_HOOKS,
)

States = dict[ModelId, frozenset[bool]]


def merge_states(a: States, b: States, born: int) -> States:
    """The trainable states after two paths join.

    A model made on one path only (its id is ``born`` or more) does not exist
    on the other: its state is the one path's, not merged with the default.
    """
    merged = {}
    for key in a.keys() | b.keys():
        if key >= born and (key not in a or key not in b):
            merged[key] = a[key] if key in a else b[key]
        else:
            merged[key] = a.get(key, TRAINABLE) | b.get(key, TRAINABLE)
    return merged


def join_returns(returns: list[Value]) -> Value:
    """What a call gives back, over its ``return`` statements.

    The last known value; tuples of one length joined item by item, each the
    first known one (``return d, g`` under a flag and ``return None, g``
    otherwise give ``(d, g)``: a value that is there on some path).
    """
    known = [value for value in returns if value is not UNKNOWN]
    if not known:
        return UNKNOWN
    if len(known) > 1 and all(
        isinstance(value, ListVal) and len(value.items) == len(known[0].items)  # type: ignore[attr-defined]
        for value in known
    ):
        columns = zip(*(value.items for value in known), strict=True)  # type: ignore[attr-defined]
        return ListVal(
            tuple(
                next((item for item in column if item is not UNKNOWN), UNKNOWN)
                for column in columns
            )
        )
    return known[-1]


def element_of(iterable: Value) -> Value:
    """What a ``for`` loop binds on each iteration over ``iterable``."""
    if isinstance(iterable, LayerListVal):
        return LayerVal(iterable.of, whole=iterable.whole)
    return UNKNOWN


def zip_lists(args: list[Value]) -> Value | None:
    """``zip(models, flags)`` over a list of known values: pairs of them (unknown where the
    other list is not known), so that a loop over it binds each model in turn."""
    if not args or not isinstance(args[0], ListVal) or variables_in(args):
        return None
    first = args[0].items
    rest = [arg.items if isinstance(arg, ListVal) else None for arg in args[1:]]
    return ListVal(
        tuple(
            ListVal(
                (
                    item,
                    *(
                        other[index] if other is not None and index < len(other) else UNKNOWN
                        for other in rest
                    ),
                )
            )
            for index, item in enumerate(first)
        )
    )


def runs_at_least_once(iterable: Value) -> bool:
    """A loop over all of a model's layers, or over a list of known values, runs; any
    other may run zero times."""
    return (isinstance(iterable, LayerListVal) and iterable.whole) or (
        isinstance(iterable, ListVal) and bool(iterable.items)
    )


def select_layers(layers: LayerListVal, sliced: bool) -> Value:
    """``m.layers[-4:]`` (some layers) or ``m.layers[0]`` (one layer)."""
    return LayerListVal(layers.of, whole=False) if sliced else LayerVal(layers.of)


def variables_in(values: Iterable[Value]) -> frozenset[ModelId]:
    """The models whose variables ``values`` name (a zip or list of gradients and variables)."""
    found: set[ModelId] = set()
    for value in values:
        if isinstance(value, VariablesVal):
            found |= value.models
        elif isinstance(value, ListVal):
            found |= variables_in(value.items)
    return frozenset(found)


def perturbed_in(args: list[Value], kwargs: dict[str, Value]) -> frozenset[GradientId]:
    """The input gradients whose perturbed inputs reach a call's arguments."""
    return merge_tensors(provenance(value) for value in [*args, *kwargs.values()]).perturbed


def perturbed_inputs(args: list[Value], kwargs: dict[str, Value]) -> frozenset[GradientId]:
    """The input gradients whose perturbed inputs reach a training call's *inputs*
    (``x``): targets moved along a gradient (DDPG's ``actions + 0.1 * dQ/da``) are not
    adversarial inputs."""
    inputs = args[:1] if args else [kwargs["x"]] if "x" in kwargs else []
    return merge_tensors(provenance(value) for value in inputs).perturbed


def rows_of(value: Value) -> int | None:
    return value.rows if isinstance(value, (ArrayVal, TensorVal)) else None


def predict_batch_size(args: list[Value], kwargs: dict[str, Value]) -> int | None:
    """The batch size ``predict`` runs with (None: given, but not known here)."""
    given = kwargs["batch_size"] if "batch_size" in kwargs else args[1] if len(args) > 1 else None
    if given is None:
        return PREDICT_DEFAULT_BATCH_SIZE
    return given.value if isinstance(given, IntVal) and given.value > 0 else None


def compiles_keras(args: list[Value], kwargs: dict[str, Value]) -> bool:
    """`x.compile(loss=...)`, or with a Keras optimizer: only a Keras model compiles so."""
    optimizer = kwargs.get("optimizer", args[0] if args else UNKNOWN)
    return "loss" in kwargs or isinstance(optimizer, OptVal)


def training_hooks(cls: ClassInfo) -> frozenset[str]:
    """The Keras hooks for a custom objective the class overrides."""
    return frozenset(TRAINING_HOOKS & cls.methods.keys())


# Arrays whose rows the code spells out ------------------------------------------
# `predict` splits its input into batches of 32 rows unless told otherwise,
# where `predict_on_batch` runs all rows at once, so DK202's fix is exact only
# for an input of at most one batch.


def as_parameter(value: Value) -> Value:
    """What a parameter (or an attribute) may be known to hold: not a number of rows.

    A function can be called from elsewhere with any batch, so an integer or
    an array size passed in (or a default) says nothing about every call.
    """
    return UNKNOWN if isinstance(value, (IntVal, ArrayVal)) else value


def rows_of_shape(shape: Value) -> int | None:
    """The first dimension of a shape value (``16`` or ``(16, 100)``)."""
    if isinstance(shape, ListVal):
        shape = shape.items[0] if shape.items else shape
    if isinstance(shape, IntVal) and shape.value >= 0:
        return shape.value
    return None


def _argument(
    args: Sequence[Value], kwargs: Mapping[str, Value], where: tuple[int, str | None]
) -> Value | None:
    position, keyword = where
    if keyword is not None and keyword in kwargs:
        return kwargs[keyword]
    return args[position] if position < len(args) else None


def array_call(
    qualified: str, args: Sequence[Value], kwargs: Mapping[str, Value], *, literal_list: int | None
) -> ArrayVal | None:
    """The array a call to ``qualified`` makes, when its rows are spelled out.

    ``literal_list``: the number of items when the first argument is a list
    or tuple written in the call (``np.array([state])``).
    """
    rows: int | None = None
    if qualified in SHAPE_ARGUMENT:
        shape = _argument(args, kwargs, SHAPE_ARGUMENT[qualified])
        rows = rows_of_shape(shape) if shape is not None else None
    elif qualified in RESHAPE_ARGUMENT:
        shape = _argument(args, kwargs, RESHAPE_ARGUMENT[qualified])
        rows = rows_of_shape(shape) if shape is not None else None
    elif qualified in EXPAND_DIMS:
        axis = _argument(args, kwargs, (1, "axis"))
        rows = 1 if isinstance(axis, IntVal) and axis.value == 0 else None
    elif qualified in FROM_LIST:
        rows = literal_list
    return ArrayVal(rows) if rows is not None else None


def reshaped(args: Sequence[Value]) -> ArrayVal | None:
    """``x.reshape(1, -1)`` or ``x.reshape((1, n))``: the rows of the new shape."""
    if not args:
        return None
    rows = rows_of_shape(args[0])
    return ArrayVal(rows) if rows is not None and rows > 0 else None
