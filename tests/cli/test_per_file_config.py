"""Per-file configuration (each file: its nearest configuration) and ``--force-exclude``.

The repository below has a root ``pyproject.toml`` and a sub-project with
its own; every way of naming a file of the sub-project (a walk from the
root, the file itself, standard input, the language server) must lint it
with the sub-project's configuration.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import DK104_SOURCE, Result, here, run_all, sub, write

from darklint.lsp.linting import settings_for

ROOT_CONFIG = '[tool.darklint]\nextend-exclude = ["vendor"]\n'
# The sub-project ignores DK104 and excludes its generated code.
SUB_CONFIG = '[tool.darklint]\nignore = ["DK104"]\nextend-exclude = ["generated"]\n'


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    write(
        tmp_path,
        {
            "pyproject.toml": ROOT_CONFIG,
            "train.py": DK104_SOURCE,
            "vendor/gan.py": DK104_SOURCE,
            "sub/pyproject.toml": SUB_CONFIG,
            "sub/model.py": DK104_SOURCE,
            "sub/generated/out.py": DK104_SOURCE,
            # A sub-directory without a configuration inherits the sub-project's.
            "sub/deep/er/model.py": DK104_SOURCE,
        },
    )
    return tmp_path


def paths(result: Result) -> list[str]:
    return sorted({d["path"] for d in result.json() if d["code"] == "DK104"})


def test_each_file_uses_its_nearest_configuration(repository: Path) -> None:
    walk, named, from_sub, stdin, forced = run_all(
        repository,
        sub("--no-cache", "--format", "json"),
        # pre-commit names files: each still gets its own configuration.
        here("--no-cache", "--format", "json", "train.py", "sub/model.py", "sub/deep/er/model.py"),
        here("--no-cache", "--format", "json", ".", cwd=repository / "sub"),
        here("--no-cache", "--format", "json", "--stdin-filename", "sub/x.py", stdin=DK104_SOURCE),
        # --select on the command line still merges into every configuration.
        here("--no-cache", "--format", "json", "--extend-select", "DK104", "sub/model.py"),
    )
    assert paths(walk) == ["train.py"], walk
    assert paths(named) == ["train.py"], named
    assert paths(from_sub) == [], from_sub
    assert (stdin.returncode, paths(stdin)) == (0, []), stdin
    # ignore = ["DK104"] in the sub-project is applied after --extend-select
    # (ruff's order: the file's ignore stays unless --select starts afresh).
    assert paths(forced) == [], forced


def test_nested_excludes_apply_below_their_configuration(repository: Path) -> None:
    (walk,) = run_all(repository, here("--no-cache", "--format", "json", "--select", "DK104,DK002"))
    linted = {d["path"] for d in walk.json()}
    assert "sub/generated/out.py" not in linted
    assert "vendor/gan.py" not in linted


def test_a_broken_nested_configuration_is_an_error(repository: Path) -> None:
    write(repository, {"sub/pyproject.toml": '[tool.darklint]\nselct = ["DK1"]\n'})
    (result,) = run_all(repository, here("--no-cache", "sub/model.py"))
    assert result.returncode == 2, result
    assert "unknown key 'selct'" in result.stderr
    assert str((repository / "sub" / "pyproject.toml").resolve()) in result.stderr


def test_the_language_server_uses_the_nearest_configuration(repository: Path) -> None:
    assert "DK104" not in settings_for(repository / "sub" / "deep" / "x.py", repository).enabled
    assert "DK104" in settings_for(repository / "train.py", repository).enabled


def test_force_exclude_skips_excluded_named_files_silently(repository: Path) -> None:
    """Item 1: with --force-exclude the project's excludes apply to named files."""
    named = ("vendor/gan.py", "sub/generated/out.py", "train.py")
    plain, forced, only_excluded, directory = run_all(
        repository,
        sub("--no-cache", "--format", "json", *named),
        sub("--no-cache", "--format", "json", "--force-exclude", *named),
        here("--no-cache", "--force-exclude", "vendor/gan.py"),
        here("--no-cache", "--format", "json", "--force-exclude", "vendor"),
    )
    # Without the flag a named file is linted whatever excludes it (flake8, ruff);
    # sub/generated/out.py is linted too, with the sub-project's DK104 ignored.
    assert paths(plain) == ["train.py", "vendor/gan.py"], plain
    assert paths(forced) == ["train.py"], forced
    assert forced.stderr == ""
    assert (only_excluded.returncode, only_excluded.stderr) == (0, ""), only_excluded
    assert (directory.returncode, directory.json()) == (0, []), directory


def test_default_excludes_do_not_apply_above_the_project(tmp_path: Path) -> None:
    # A checkout inside a directory named like a default exclude ("build").
    project = tmp_path / "build" / "project"
    write(project, {"pyproject.toml": "[tool.darklint]\n", "train.py": DK104_SOURCE})
    (result,) = run_all(
        project, here("--no-cache", "--force-exclude", "--format", "json", "train.py")
    )
    assert paths(result) == ["train.py"], result


def test_force_exclude_applies_to_the_stdin_filename(repository: Path) -> None:
    excluded, fixed, kept = run_all(
        repository,
        here("--force-exclude", "--stdin-filename", "vendor/x.py", stdin=DK104_SOURCE),
        here("--force-exclude", "--fix", "--stdin-filename", "vendor/x.py", stdin=DK104_SOURCE),
        here("--force-exclude", "--stdin-filename", "x.py", stdin=DK104_SOURCE),
    )
    assert (excluded.returncode, excluded.stdout, excluded.stderr) == (0, "", "")
    # An editor replaces its buffer with the output: it gets it back unchanged.
    assert (fixed.returncode, fixed.stdout) == (0, DK104_SOURCE)
    assert kept.returncode == 1
    assert kept.stdout.startswith("x.py:7:1: DK104")
