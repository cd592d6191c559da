"""Where a rule's PyTorch reference is: in the repository, and in this installation.

``reference_impls/`` ships in the wheel and the sdist as source (the package
``reference_impls``; running it needs torch, which darklint never imports),
so a rule's reference can be read where darklint is installed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from darklint import REPOSITORY_URL

PACKAGE = "reference_impls"


def reference_url(reference: str) -> str:
    """The reference's page in the repository (``reference_impls/gan.py`` -> its URL)."""
    return f"{REPOSITORY_URL}/blob/main/{reference}"


def installed_reference(reference: str) -> Path | None:
    """The installed file of ``reference``, or None when it is not installed.

    ``find_spec`` locates the package without importing it (nor torch).
    """
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    relative = Path(reference)
    if relative.parts[:1] != (PACKAGE,):
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location, *relative.parts[1:])
        if candidate.is_file():
            return candidate.resolve()
    return None
