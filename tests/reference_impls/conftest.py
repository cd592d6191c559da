"""What every reference test shares: torch pinned to one thread, module by module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    # The numbers in each test's header are bit-exact on one thread; more threads
    # reorder float reductions and move them a little (the margins cover that).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
