"""Where a rule's PyTorch reference is: in the repository, and in this installation.

``reference_impls/`` ships in the wheel and the sdist as source (the package
``reference_impls``; running it needs torch, which darklint never imports),
so a rule's reference can be read where darklint is installed.
"""

from __future__ import annotations

from pathlib import Path

import darklint
from darklint import REPOSITORY_URL

PACKAGE = "reference_impls"


def reference_url(reference: str) -> str:
    """The reference's page in the repository (``reference_impls/gan.py`` -> its URL)."""
    return f"{REPOSITORY_URL}/blob/main/{reference}"


def installed_reference(reference: str) -> Path | None:
    """The installed file of ``reference``, or None when it is not installed.

    The wheel installs ``reference_impls`` next to ``darklint`` (and a
    checkout has them side by side too), so it is found from darklint's own
    location: nothing is imported or searched on ``sys.path``, where the
    project being linted could have a package of the same name.
    """
    relative = Path(reference)
    if relative.parts[:1] != (PACKAGE,):
        return None
    candidate = Path(darklint.__file__).resolve().parent.parent.joinpath(*relative.parts)
    return candidate if candidate.is_file() else None
