"""Arrays whose number of rows the code spells out.

``predict`` splits its input into batches of 32 rows unless told otherwise,
where ``predict_on_batch`` runs all rows at once, so DK202's fix is exact
only for an input of at most one batch.  These are the calls, from NumPy,
TensorFlow, Keras and torch (``vocabulary.SHAPE_ARGUMENT`` and its
neighbours), whose arguments say how many rows they make.
The interpreter hands in its abstract values; nothing here reads syntax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from darklint.keras.values import UNKNOWN, ArrayVal, IntVal, ListVal, Value
from darklint.keras.vocabulary import EXPAND_DIMS, FROM_LIST, RESHAPE_ARGUMENT, SHAPE_ARGUMENT


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


def as_parameter(value: Value) -> Value:
    """What a parameter may be known to hold: not a number of rows.

    A function can be called from elsewhere with any batch, so an integer or
    an array size passed in (or a default) says nothing about every call.
    """
    return UNKNOWN if isinstance(value, (IntVal, ArrayVal)) else value
