"""The install instructions work from outside a clone (item 10).

darklint is on no package index, so a bare ``pip install darklint`` (or
``'darklint[lsp]'``) fails for every reader; a pre-commit ``rev:`` must name a
commit or a tag that exists.  The commands the docs do show are exercised
elsewhere: installing a built wheel (``tests/test_packaging.py``) and
pre-commit on a commit SHA (``tests/integrations/test_pre_commit.py``).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import tomllib

import darklint

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    ROOT / "README.md",
    ROOT / "RELEASING.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / ".pre-commit-hooks.yaml",
    ROOT / "darklint" / "cli.py",
]
# `pip install darklint`, `pip install 'darklint[lsp]'`: from an index that does not have it.
FROM_AN_INDEX = re.compile(
    r"pip install\s+(['\"]?)darklint(\[[\w,]+\])?\1(?=\s|$|`)(?!\s*@)", re.MULTILINE
)
REV = re.compile(r"^\s*#?\s*rev:\s*(\S+)", re.MULTILINE)


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.name)
def test_no_install_from_an_index_that_lacks_darklint(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.name == "RELEASING.md":
        # It says when such commands become valid; it does not tell anyone to run them.
        text = text.split("6. **Docs**")[0]
    assert FROM_AN_INDEX.search(text) is None, FROM_AN_INDEX.search(text)


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.name)
def test_pre_commit_revs_exist(path: Path) -> None:
    for rev in REV.findall(path.read_text(encoding="utf-8")):
        if rev.startswith(("<", "0123abc")):  # a placeholder the text explains
            continue
        exists = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        assert exists.returncode == 0, f"{path.name}: rev {rev!r} is no commit or tag"


def test_the_version_lives_in_one_file() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["dynamic"] == ["version"]
    assert "version" not in pyproject["project"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "darklint.__version__"}
    assignments = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "darklint").rglob("*.py")
        if re.search(r"^__version__\s*=", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert assignments == ["darklint/__init__.py"]
    releasing = (ROOT / "RELEASING.md").read_text(encoding="utf-8")
    assert "darklint/__init__.py" in releasing
    assert darklint.__version__ in (ROOT / "darklint" / "__init__.py").read_text(encoding="utf-8")


def test_the_docs_show_the_repository_install() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    integrations = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    for text in (readme, integrations):
        assert f"darklint @ git+{darklint.REPOSITORY_URL}" in text
        assert f"darklint[lsp] @ git+{darklint.REPOSITORY_URL}" in text
    assert "[`RELEASING.md`](RELEASING.md)" in readme
