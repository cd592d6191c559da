"""The fixture projects: findings across modules, each marked on the line it is reported on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from darklint.cache import Cache
from darklint.engine import lint_path, lint_text
from darklint.registry import all_rules
from darklint.runner import FileTask, run
from darklint.testing import actual_reports, expected_reports

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "fixtures" / "projects"
FILES = sorted(PROJECTS.rglob("*.py"))
ALL_CODES = frozenset(rule.code for rule in all_rules())


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(PROJECTS)))
def test_each_module_reports_exactly_its_markers(path: Path) -> None:
    outcome = lint_path(path, str(path.relative_to(ROOT)), ALL_CODES)
    assert not outcome.crashes
    assert actual_reports(outcome.diagnostics) == expected_reports(path.read_text())


@pytest.mark.parametrize("project", sorted(p for p in PROJECTS.iterdir() if p.is_dir()))
def test_each_project_needs_its_other_modules(project: Path) -> None:
    """Every project has findings, and each file that has some gets fewer alone."""
    marked = {path: expected_reports(path.read_text()) for path in project.rglob("*.py")}
    assert any(marked.values()), project.name
    for path, expected in marked.items():
        if not expected:
            continue
        alone = lint_text(path.read_text(), "-", ALL_CODES)  # no file: no project
        assert len(alone.diagnostics) < len(expected), path


def test_a_finding_through_another_module_says_where_the_other_half_is() -> None:
    path = PROJECTS / "builder_module" / "train.py"
    outcome = lint_path(path, "train.py", frozenset({"DK101"}))
    (finding,) = outcome.diagnostics
    assert finding.line == 23  # `gan = build_gan(generator, discriminator)`
    models = str((PROJECTS / "builder_module" / "models.py").relative_to(Path.cwd()))
    assert f"(via {models}:25; `gan` compiled at {models}:27;" in finding.message
    where = {(item.message, item.path, item.line) for item in finding.related}
    assert ("where this happens", models, 25) in where
    assert ("`discriminator` trained here", "train.py", 29) in where
    assert finding.fix is None


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(PROJECTS / name, target)
    (target / "pyproject.toml").write_text("")
    return target


def test_a_suppression_works_on_the_reported_line(tmp_path: Path) -> None:
    project = _copy("builder_module", tmp_path)
    train = project / "train.py"
    text = train.read_text()
    line = "gan = build_gan(generator, discriminator)  # expect: DK101, DK105"
    assert line in text
    train.write_text(text.replace(line, "gan = build_gan(generator, discriminator)  # noqa: DK101"))
    codes = {d.code for d in lint_path(train, "train.py", ALL_CODES).diagnostics}
    assert "DK101" not in codes
    assert "DK105" in codes
    assert "DK002" not in codes


def test_the_src_setting_adds_a_search_root(tmp_path: Path) -> None:
    project = _copy("builder_module", tmp_path)
    (project / "lib").mkdir()
    (project / "models.py").rename(project / "lib" / "models.py")
    train = project / "train.py"
    assert lint_path(train, "train.py", frozenset({"DK101"})).diagnostics == ()
    (project / "pyproject.toml").write_text('[tool.darklint]\nsrc = ["lib"]\n')
    from darklint.hierarchy import Hierarchy

    target = Hierarchy().settings_for(train).target
    found = lint_path(train, "train.py", frozenset({"DK101"}), target).diagnostics
    assert [d.line for d in found] == [23]


def test_the_cache_lints_a_file_again_when_a_module_it_imports_changes(tmp_path: Path) -> None:
    project = _copy("builder_module", tmp_path)
    (project / "unrelated.py").write_text("import keras\n")
    tasks = [
        FileTask(project / name, name, ALL_CODES)
        for name in ("train.py", "models.py", "unrelated.py")
    ]

    def lint() -> tuple[int, set[str]]:
        result = run(tasks, jobs=1, cache=Cache(project))
        return result.cached, {f"{d.path}:{d.code}" for d in result.diagnostics}

    first = lint()
    assert first[0] == 0
    assert "train.py:DK101" in first[1]
    assert lint() == (3, first[1])
    (project / "unrelated.py").write_text("import keras  # edited\n")
    assert lint() == (2, first[1])  # only the edited file again
    models = project / "models.py"
    models.write_text(models.read_text().replace("    discriminator.trainable = False\n", ""))
    cached, found = lint()
    assert cached == 1  # models.py and train.py, which imports it
    assert "train.py:DK101" not in found
