"""Lint many files: the cache first, then a process pool for what is left.

Results come back in a stable order whatever the number of jobs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from darklint.cache import Cache, entry_key
from darklint.config import Target
from darklint.diagnostics import Diagnostic
from darklint.engine import FileOutcome, lint_path
from darklint.source import Unreadable, read_bytes

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# Below this many files to analyse, starting worker processes costs more than it saves.
MIN_FILES_FOR_POOL = 8


def __getattr__(name: str) -> Any:
    # ``ProcessPoolExecutor`` is imported on first use: a run of a few files
    # (a pre-commit hook) never starts a pool and need not pay for its import.
    if name == "ProcessPoolExecutor":
        from concurrent.futures import ProcessPoolExecutor

        globals()[name] = ProcessPoolExecutor
        return ProcessPoolExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class FileTask:
    path: Path
    display: str
    enabled: frozenset[str]
    target: Target = ()


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    files: int = 0
    analysed: int = 0
    cached: int = 0


def _lint(task: FileTask) -> FileOutcome:
    try:
        return lint_path(task.path, task.display, task.enabled, task.target)
    except Exception as error:
        # darklint's own bug on this one file (a rule's is caught closer to
        # it): reported as a crash (exit 2), and every other file is linted.
        return FileOutcome(
            (), (f"{task.display}: internal error: {type(error).__name__}: {error}",)
        )


def _lint_batch(tasks: list[FileTask]) -> list[FileOutcome]:
    return [_lint(task) for task in tasks]


# A batch of small files is sent to a worker as one task: most files of a
# repository stop at the gate within a millisecond, about what sending each
# one to a worker and its result back would cost.
BATCH_BYTES = 64 * 1024
BATCH_FILES = 32

Miss = tuple[int, FileTask, "str | None"]


def _batches(misses: list[Miss]) -> list[list[Miss]]:
    """Biggest files first, alone, so that no worker is left with a huge file at the end;
    then the small ones, a batch of about ``BATCH_BYTES`` at a time."""
    sized = sorted(((_size(miss[1].path), miss) for miss in misses), key=lambda item: -item[0])
    batches: list[list[Miss]] = []
    current: list[Miss] = []
    current_bytes = 0
    for size, miss in sized:
        if size >= BATCH_BYTES:
            batches.append([miss])
            continue
        current.append(miss)
        current_bytes += size
        if current_bytes >= BATCH_BYTES or len(current) >= BATCH_FILES:
            batches.append(current)
            current, current_bytes = [], 0
    if current:
        batches.append(current)
    return batches


def default_jobs() -> int:
    return os.cpu_count() or 1


def run(tasks: Sequence[FileTask], *, jobs: int, cache: Cache | None) -> RunResult:
    result = RunResult(files=len(tasks))
    outcomes: dict[int, FileOutcome] = {}
    misses: list[Miss] = []
    for index, task in enumerate(tasks):
        key = None
        if cache is not None:
            try:
                key = entry_key(read_bytes(task.path), task.enabled, task.target)
            except Unreadable:
                key = None
            hit = cache.get(task.display, key) if key else None
            if hit is not None:
                outcomes[index] = FileOutcome(hit)
                result.cached += 1
                continue
        misses.append((index, task, key))

    if jobs > 1 and len(misses) >= MIN_FILES_FOR_POOL:
        with _pool_class()(max_workers=jobs) as pool:
            futures = [
                (batch, pool.submit(_lint_batch, [task for _, task, _ in batch]))
                for batch in _batches(misses)
            ]
            for batch, future in futures:
                for (index, task, key), outcome in zip(batch, future.result(), strict=True):
                    outcomes[index] = outcome
                    _store(cache, task, key, outcome)
    else:
        for index, task, key in misses:
            outcomes[index] = _lint(task)
            _store(cache, task, key, outcomes[index])

    for index in range(len(tasks)):
        outcome = outcomes[index]
        result.diagnostics.extend(outcome.diagnostics)
        result.crashes.extend(outcome.crashes)
        result.analysed += outcome.analysed
    if cache is not None:
        cache.save()
    return result


def _store(cache: Cache | None, task: FileTask, key: str | None, outcome: FileOutcome) -> None:
    # A file whose rules crashed is linted again next time, not remembered as clean.
    if cache is not None and key is not None and not outcome.crashes:
        cache.put(task.display, key, outcome.diagnostics, outcome.dependencies)


def _pool_class() -> type[ProcessPoolExecutor]:
    # The module's attribute, as a test may have replaced it.
    pool_class: type[ProcessPoolExecutor] = globals().get("ProcessPoolExecutor") or __getattr__(
        "ProcessPoolExecutor"
    )
    return pool_class


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
