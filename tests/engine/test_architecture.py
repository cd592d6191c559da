"""The import boundaries of docs/architecture.md, checked on the source (not a convention)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "darklint"


def _imports(path: Path) -> set[str]:
    """Every ``darklint...`` module a file imports, at any depth (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "darklint"}


def _modules(*globs: str) -> list[Path]:
    return sorted(path for pattern in globs for path in PACKAGE.glob(pattern))


ENGINE = _modules("engine.py", "gate.py", "rule.py", "registry.py", "fixes.py", "positions/*.py")
OUTPUT = _modules("output/*.py", "diagnostics.py")
RULES = _modules("rules/*.py")
KERAS = _modules("keras/*.py", "keras/interpreter/*.py")


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_engine_knows_no_keras(path: Path) -> None:
    assert not any(name.startswith("darklint.keras") for name in _imports(path))


@pytest.mark.parametrize("path", OUTPUT, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_output_sees_diagnostics_only(path: Path) -> None:
    allowed = ("darklint.output", "darklint.diagnostics")
    for name in _imports(path):
        assert name.startswith(allowed) or name == "darklint" or _package_constant(name), name


def _package_constant(name: str) -> bool:
    """``darklint.REPOSITORY_URL``: a name of the package itself, not a module."""
    parts = name.split(".")
    return len(parts) == 2 and not (
        (PACKAGE / f"{parts[1]}.py").exists() or (PACKAGE / parts[1]).is_dir()
    )


@pytest.mark.parametrize("path", RULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_rules_query_the_model_never_build_it(path: Path) -> None:
    imports = _imports(path)
    assert "darklint.gate" not in imports
    assert not any(
        name.startswith(("darklint.keras.interpreter", "darklint.keras.builder"))
        for name in imports
    )


@pytest.mark.parametrize("path", KERAS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_keras_model_never_reaches_into_the_engine(path: Path) -> None:
    for name in _imports(path):
        assert name.startswith("darklint.keras"), name


def test_the_vocabulary_is_plain_data() -> None:
    tree = ast.parse((PACKAGE / "keras" / "vocabulary.py").read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert imported <= {"__future__", "enum", "functools", "collections"}, imported


@pytest.mark.parametrize("path", _modules("**/*.py"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_outgrows_a_reader(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 620
