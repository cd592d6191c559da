"""``--jobs 2`` gives exactly the output of ``--jobs 1``.

The pool only starts from ``MIN_FILES_FOR_POOL`` files to analyse, and hands
out the biggest files first, so the project below has well over that many
files of very different sizes (and of every kind: findings, clean, syntax
errors, notebooks, suppressions) for the order to be put to the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from darklint import runner
from darklint.cli import main
from darklint.runner import MIN_FILES_FOR_POOL, FileTask, run
from darklint.selection import default_codes

DK104_SOURCE = """\
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam()
a = Sequential([layers.Dense(1)])
b = Sequential([layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")
"""


def _notebook(source: str) -> str:
    cell = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": source.splitlines(keepends=True),
    }
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def make_project(root: Path) -> list[str]:
    files: dict[str, str | bytes] = {}
    for index in range(16):
        # Padding makes the sizes differ, so "biggest first" reorders the work.
        padding = "\n".join(f"pad_{index}_{n} = {n}" for n in range((index * 7) % 23))
        body = DK104_SOURCE if index % 3 else "x = 1  # noqa: DK104\n"
        files[f"pkg{index % 4}/mod_{index:02}.py"] = padding + "\n" + body
    files["bad_syntax.py"] = "import keras\nx = (1,\n"
    files["bad_bytes.py"] = b'x = "\xff"\n'
    files["nb.ipynb"] = _notebook(DK104_SOURCE)
    files["skipped.py"] = "# darklint: skip-file\n" + DK104_SOURCE
    files["clean.py"] = "import os\n"
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    assert len(files) >= 2 * MIN_FILES_FOR_POOL
    return sorted(files)


def test_jobs_2_output_is_identical_to_jobs_1(tmp_path: Path) -> None:
    make_project(tmp_path)

    def darklint(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "darklint", "--no-cache", "--format", "json", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    one = darklint("--jobs", "1")
    two = darklint("--jobs", "2")
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr == ""
    records = json.loads(two.stdout)
    assert {d["code"] for d in records} >= {"DK001", "DK002", "DK104"}
    assert len({d["path"] for d in records}) >= 12


def test_jobs_2_text_output_in_process(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    pool_starts: list[int],
) -> None:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    outputs = []
    for jobs in ("1", "2"):
        assert main(["--no-cache", "--show-source", "--jobs", jobs]) == 1
        outputs.append(capsys.readouterr())
    assert pool_starts == [2]
    assert outputs[1] == outputs[0]
    assert outputs[0].err == ""


@pytest.fixture
def pool_starts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the process pools the runner starts (each a real pool)."""
    started: list[int] = []

    class CountingPool(ProcessPoolExecutor):
        def __init__(self, max_workers: int | None = None) -> None:
            started.append(max_workers or 0)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(runner, "ProcessPoolExecutor", CountingPool)
    return started


def test_pool_result_order_and_content_match_serial(tmp_path: Path, pool_starts: list[int]) -> None:
    names = make_project(tmp_path)
    enabled = default_codes()
    tasks = [FileTask(tmp_path / name, name, enabled) for name in names]
    serial = run(tasks, jobs=1, cache=None)
    assert pool_starts == []
    pooled = run(tasks, jobs=2, cache=None)
    assert pool_starts == [2]
    assert pooled.diagnostics == serial.diagnostics
    assert pooled.crashes == serial.crashes == []
    assert (pooled.files, pooled.analysed) == (serial.files, serial.analysed)
    # Results come back in task order, not in the order the workers finished.
    order = [d.path for d in pooled.diagnostics]
    assert order == sorted(order, key=names.index)


def test_few_files_do_not_start_a_pool(tmp_path: Path, pool_starts: list[int]) -> None:
    names = make_project(tmp_path)[: MIN_FILES_FOR_POOL - 1]
    tasks = [FileTask(tmp_path / name, name, default_codes()) for name in names]
    run(tasks, jobs=4, cache=None)
    assert pool_starts == []


def test_batches_send_big_files_alone_first_and_small_ones_together(tmp_path: Path) -> None:
    sizes = [runner.BATCH_BYTES * 3, 10, runner.BATCH_BYTES, 500, *([100] * 70)]
    misses: list[runner.Miss] = []
    for index, size in enumerate(sizes):
        path = tmp_path / f"f{index}.py"
        path.write_bytes(b"#" * size)
        misses.append((index, FileTask(path, path.name, frozenset()), None))
    batches = runner._batches(misses)
    # Every file exactly once.
    assert sorted(miss[0] for batch in batches for miss in batch) == list(range(len(sizes)))
    # The two big ones alone, biggest first; then the small ones in batches.
    assert [[miss[0] for miss in batch] for batch in batches[:2]] == [[0], [2]]
    small = batches[2:]
    assert all(1 < len(batch) <= runner.BATCH_FILES for batch in small[:-1])
    assert len(small) == -(-72 // runner.BATCH_FILES)
