"""The start-up helpers pause the collector, freeze what imports allocated, and restore it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from darklint.startup import collector_paused_then_frozen, first_import_of


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_inside_and_restored_after(enabled: bool, unfrozen: None) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        with collector_paused_then_frozen():
            assert not gc.isenabled()
            kept = [[i] for i in range(1000)]
        assert gc.isenabled() is enabled
        # What the block allocated (and everything before it) is now permanent.
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.enable()


def test_the_state_is_restored_when_the_block_raises(unfrozen: None) -> None:
    gc.enable()
    with pytest.raises(ImportError), collector_paused_then_frozen():
        import darklint_no_such_module  # noqa: F401
    assert gc.isenabled()


def test_only_the_first_import_freezes(unfrozen: None) -> None:
    with first_import_of("gc"):  # already imported: nothing to pay for
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    with first_import_of("darklint_not_imported_yet"):
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
