"""What ships (item 11): the wheel and the sdist hold ``reference_impls/`` as source,
and an installed darklint says where a rule's reference is.

The packages are built offline from a copy of the checkout, with the
setuptools of this environment (no build isolation: nothing is downloaded),
and the wheel is installed into a directory of its own with ``pip --target``,
so that what is tested is the installed copy, not the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a build needs from the checkout.
TREE = ("pyproject.toml", "README.md", "LICENSE", "darklint", "reference_impls")
REFERENCES = sorted(
    path.name for path in (ROOT / "reference_impls").iterdir() if path.suffix in (".py", ".md")
)


@pytest.fixture(scope="module")
def source_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("checkout")
    for name in TREE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tree / name)
    return tree


@pytest.fixture(scope="module")
def wheel(source_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source_tree),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--wheel-dir",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("darklint-*.whl")
    return built


def test_the_wheel_ships_the_references_as_source(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(name.split("/", 1)[1] for name in names if name.startswith("reference_impls/"))
    assert shipped == REFERENCES
    # The linter itself is there too, and nothing of the tests or fixtures.
    assert "darklint/cli.py" in names
    assert not any(name.startswith(("tests/", "fixtures/")) for name in names)


def test_the_sdist_ships_the_references(source_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "sdist"
    out.mkdir()
    script = (
        "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(out)],
        cwd=source_tree,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (archive,) = out.glob("darklint-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for name in REFERENCES:
        assert f"reference_impls/{name}" in names


def test_an_installed_darklint_says_where_the_reference_is(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-m", "darklint", "rule", "DK101"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    installed = target / "reference_impls" / "gan.py"
    assert installed.is_file()
    lines = result.stdout.splitlines()
    assert f"Installed at:      {installed.resolve()}" in lines
    assert (
        "In the repository: https://github.com/darklint/darklint/blob/main/reference_impls/gan.py"
        in lines
    )
    # The darklint that ran is the installed one, not the checkout.
    check = subprocess.run(
        [sys.executable, "-c", "import darklint; print(darklint.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip().startswith(str(target))
