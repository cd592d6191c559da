"""Start-up cost: imports without the cyclic garbage collector.

A pre-commit run on one file is mostly start-up, and start-up is mostly
imports: libcst alone defines some 250 dataclass node types.  Imports
allocate many long-lived objects and almost no garbage, yet every few
hundred allocations trigger a collection that walks them all again.  Pausing
the collector during imports and then *freezing* what they allocated (moving
it to the permanent generation, which later collections skip) saves a
sizeable part of the start-up (see ``benchmarks/README.md``).
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused_then_frozen() -> Iterator[None]:
    """Run the block without cyclic GC; freeze what it allocated; restore the GC's state.

    Only for blocks that allocate long-lived objects (imports): whatever
    the block leaves becomes permanent, cycles included.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def first_import_of(name: str) -> contextlib.AbstractContextManager[None]:
    """Around ``import name``: collector paused and frozen the first time, nothing after.

    Freezing on later calls would make the garbage of the files linted so
    far permanent.
    """
    if name in sys.modules:
        return contextlib.nullcontext()
    return collector_paused_then_frozen()
