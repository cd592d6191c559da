"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run by the real ``pre-commit``.

A user's ``.pre-commit-config.yaml`` names darklint's repository and a
``rev``; pre-commit clones it and ``pip install``s it into a virtual
environment of its own (``language: python``).  The test does exactly that,
with the repository being a snapshot of this checkout (committed into a
temporary git repository, so uncommitted work is tested too) instead of
GitHub, so nothing is fetched from the internet: pre-commit clones a local
path, and pip resolves darklint's build and runtime dependencies (setuptools,
libcst) through the machine's pip configuration, as any ``pip install`` does.

The hook environment is installed once per module (a shared
``PRE_COMMIT_HOME``); each test then makes its own user repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What pip needs to build the package, when the checkout is not a git repository.
MINIMAL_TREE = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "darklint")

OPTIMIZER_REUSED = textwrap.dedent(
    """\
    import keras

    opt = keras.optimizers.Adam()
    a = keras.Sequential([keras.layers.Dense(1)])
    b = keras.Sequential([keras.layers.Dense(1)])
    a.compile(optimizer=opt, loss="mse")
    b.compile(optimizer=opt, loss="mse")
    """
)

GOOD = textwrap.dedent(
    """\
    import keras

    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    """
)

PREDICT_IN_LOOP = textwrap.dedent(
    """\
    import keras
    g = keras.Sequential([keras.layers.Dense(2)])
    d = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    d.compile(optimizer="adam", loss="binary_crossentropy")
    for step in range(100):
        fake = g.predict(noise[:16])
        d.train_on_batch(fake, zeros)
    """
)


def _notebook(code: str) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Training\n"]},
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": code.splitlines(keepends=True),
        },
    ]
    metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture(scope="module")
def git_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment in which git and pre-commit ignore the machine's own configuration."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    empty = home / "gitconfig"
    empty.write_text("")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home / "cache"),
        "PRE_COMMIT_COLOR": "never",
        # A user's gpgsign, hooksPath or templates must not reach these repositories.
        "GIT_CONFIG_GLOBAL": str(empty),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "darklint tests",
        "GIT_AUTHOR_EMAIL": "tests@darklint.invalid",
        "GIT_COMMITTER_NAME": "darklint tests",
        "GIT_COMMITTER_EMAIL": "tests@darklint.invalid",
    }
    # A hook environment is pre-commit's, not ours: do not leak the test venv into it.
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def _tree_files() -> list[str]:
    """The checkout's files as a clone would have them: tracked plus new, minus ignored."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, git_env: dict[str, str]) -> tuple[str, str]:
    """A git repository holding this checkout's current tree; returns (path, rev)."""
    repo = tmp_path_factory.mktemp("darklint-repo")
    names = _tree_files()
    if names:
        for name in names:
            target = repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    else:
        for name in MINIMAL_TREE:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, repo / name)
    _git(repo, git_env, "init", "--quiet")
    _git(repo, git_env, "add", "--all")
    _git(repo, git_env, "commit", "--quiet", "--message", "darklint snapshot")
    return str(repo), _git(repo, git_env, "rev-parse", "HEAD").strip()


@pytest.fixture
def user_repo(tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[str, str]) -> Path:
    """A user's repository whose .pre-commit-config.yaml uses both darklint hooks."""
    path, rev = hook_repo
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, git_env, "init", "--quiet")
    (repo / ".pre-commit-config.yaml").write_text(
        textwrap.dedent(
            f"""\
            repos:
              - repo: {json.dumps(path)}
                rev: {rev}
                hooks:
                  - id: darklint
                  - id: darklint-fix
            """
        )
    )
    return repo


def _pre_commit(repo: Path, env: dict[str, str], hook: str) -> subprocess.CompletedProcess[str]:
    _git(repo, env, "add", "--all")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def test_check_hook_fails_on_findings_and_passes_once_suppressed(
    user_repo: Path, git_env: dict[str, str]
) -> None:
    (user_repo / "train.py").write_text(OPTIMIZER_REUSED)
    (user_repo / "good.py").write_text(GOOD)
    (user_repo / "train.ipynb").write_text(_notebook(OPTIMIZER_REUSED))

    failed = _pre_commit(user_repo, git_env, "darklint")
    out = _output(failed)
    assert failed.returncode == 1, out
    assert "darklint" in out
    assert "Failed" in out
    assert "train.py:7:1: DK104 [optimizer-instance-reused] `opt` was already passed" in out
    # types_or includes jupyter: notebooks reach the hook, reported by cell.
    assert "train.ipynb:cell 2:7:1: DK104" in out
    assert "good.py" not in out

    lines = OPTIMIZER_REUSED.splitlines(keepends=True)
    lines[6] = lines[6].rstrip("\n") + "  # noqa: DK104\n"
    (user_repo / "train.py").write_text("".join(lines))
    (user_repo / "train.ipynb").write_text(_notebook("".join(lines)))

    passed = _pre_commit(user_repo, git_env, "darklint")
    assert passed.returncode == 0, _output(passed)
    assert "Passed" in _output(passed)


def test_fix_hook_rewrites_fails_then_passes(user_repo: Path, git_env: dict[str, str]) -> None:
    gan = user_repo / "gan.py"
    gan.write_text(PREDICT_IN_LOOP)
    (user_repo / "good.py").write_text(GOOD)

    fixed = _pre_commit(user_repo, git_env, "darklint-fix")
    out = _output(fixed)
    assert fixed.returncode == 1, out
    assert gan.read_text() == PREDICT_IN_LOOP.replace(".predict(", ".predict_on_batch(")
    assert "Fixed 1 problem." in out
    # darklint's own exit status says so (--exit-non-zero-on-fix), not only
    # pre-commit's check for modified files: runners without that check
    # (CI scripts, other hook managers) stop too.
    assert "exit code: 1" in out
    assert "files were modified by this hook" in out

    again = _pre_commit(user_repo, git_env, "darklint-fix")
    assert again.returncode == 0, _output(again)
    assert "Passed" in _output(again)


def test_fix_hook_fails_when_unfixable_findings_remain(
    user_repo: Path, git_env: dict[str, str]
) -> None:
    (user_repo / "train.py").write_text(OPTIMIZER_REUSED)
    result = _pre_commit(user_repo, git_env, "darklint-fix")
    out = _output(result)
    assert result.returncode == 1, out
    assert "train.py:7:1: DK104" in out
    assert "files were modified by this hook" not in out
    assert (user_repo / "train.py").read_text() == OPTIMIZER_REUSED


def test_hooks_honour_the_project_excludes_and_nested_configurations(
    user_repo: Path, git_env: dict[str, str]
) -> None:
    """Item 1: `darklint .` skips vendor/; so must the hook, which names vendor/gan.py."""
    (user_repo / "pyproject.toml").write_text('[tool.darklint]\nextend-exclude = ["vendor"]\n')
    (user_repo / "vendor").mkdir()
    (user_repo / "vendor" / "gan.py").write_text(PREDICT_IN_LOOP + OPTIMIZER_REUSED)
    # A sub-project that ignores DK104 in its own configuration.
    (user_repo / "sub").mkdir()
    (user_repo / "sub" / "pyproject.toml").write_text('[tool.darklint]\nignore = ["DK104"]\n')
    (user_repo / "sub" / "train.py").write_text(OPTIMIZER_REUSED)
    (user_repo / "good.py").write_text(GOOD)

    check = _pre_commit(user_repo, git_env, "darklint")
    assert check.returncode == 0, _output(check)
    assert "vendor" not in _output(check)
    fix = _pre_commit(user_repo, git_env, "darklint-fix")
    assert fix.returncode == 0, _output(fix)
    # The excluded file is not rewritten either.
    assert (user_repo / "vendor" / "gan.py").read_text() == PREDICT_IN_LOOP + OPTIMIZER_REUSED

    # The same file outside the excluded directory is reported.
    (user_repo / "gan.py").write_text(OPTIMIZER_REUSED)
    failed = _pre_commit(user_repo, git_env, "darklint")
    assert failed.returncode == 1, _output(failed)
    assert "gan.py:7:1: DK104" in _output(failed)
    assert "vendor/gan.py" not in _output(failed)
    assert "sub/train.py" not in _output(failed)


def test_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    # pre-commit's own validation (unknown keys, types, a valid `language`).
    manifest = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    by_id = {hook["id"]: hook for hook in manifest}
    assert set(by_id) == {"darklint", "darklint-fix"}
    for hook in by_id.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter"]
        assert hook["require_serial"] is True
    assert by_id["darklint"]["entry"] == "darklint --force-exclude"
    assert by_id["darklint-fix"]["entry"] == "darklint --fix --exit-non-zero-on-fix --force-exclude"
