"""``per-file-ignores`` patterns, through ``Selection.for_path``."""

from __future__ import annotations

import pytest

from darklint.selection import Selection


def enabled_for(pattern: str, path: str) -> bool:
    """Whether DK104 is still enabled for ``path`` when ``pattern`` ignores it."""
    selection = Selection.build(
        select=["DK104"],
        extend_select=[],
        ignore=[],
        per_file_ignores={pattern: ["DK104"]},
        origin="test",
    )
    return "DK104" in selection.for_path(path)


@pytest.mark.parametrize(
    ("pattern", "path", "ignored"),
    [
        ("test_*.py", "pkg/test_model.py", True),  # no slash: the file name anywhere
        ("test_*.py", "pkg/model.py", False),
        ("tests/*", "tests/test_model.py", True),
        ("./src/*.py", "src/a.py", True),
        ("/src/*.py", "src/a.py", True),
        (".hidden/*.py", ".hidden/a.py", True),
        # Only a leading "./" is dropped, not every leading dot: a regression
        # test for lstrip("./"), which made this pattern match "hidden/".
        (".hidden/*.py", "hidden/a.py", False),
    ],
)
def test_per_file_ignore_patterns(pattern: str, path: str, ignored: bool) -> None:
    assert enabled_for(pattern, path) is not ignored
