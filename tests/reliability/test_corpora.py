"""Real corpora, zero crashes: the installed standard library, keras and tensorflow.

Every ``.py`` file of each corpus is linted in-process with
``darklint.engine.lint_path`` and every rule enabled, two files at a time (a
two-process pool, like ``--jobs 2``), and for each file:

* no exception escapes the engine and no rule crashes;
* DK001 if and only if CPython's own ``ast.parse`` rejects the file's bytes
  (the standard library ships deliberately broken and Python 2 files in
  ``test/`` and ``lib2to3/tests/data``);
* DK003 only on a file that ``ast.parse`` accepts, naming libcst as the reason.

The standard library never mentions Keras, so the gate (``darklint.gate``)
would stop every file before libcst: it is linted a second time *ungated*,
every rule on every file, which is what proves the libcst side (parse,
traversal, semantic model, positions) on 1,800 files of real Python and
finds libcst's limitations (DK003).  keras and tensorflow go through the
gate as a user's run would; a third of their files reach the rules.

Runtime with 2 jobs on an idle 2-core machine (each test prints a summary
line with its own time): stdlib 14 s, stdlib ungated 60 s, keras 9 s,
tensorflow 15 s (1,847 files: all of it is linted) -- about 100 s in all.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sysconfig
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from darklint import engine
from darklint.registry import all_rules

pytestmark = pytest.mark.slow

ALL_CODES = frozenset(rule.code for rule in all_rules())
JOBS = 2
# Directories of a corpus that are not part of it (the interpreter's own
# site-packages lives inside its stdlib directory).
SKIPPED_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__"})


def corpus_root(name: str) -> Path:
    """Where a corpus is installed, found without importing it."""
    if name == "stdlib":
        return Path(sysconfig.get_paths()["stdlib"])
    spec = importlib.util.find_spec(name)
    assert spec is not None, f"{name} is not installed"
    assert spec.submodule_search_locations, f"{name} is not a package"
    return Path(next(iter(spec.submodule_search_locations)))


def python_files(root: Path) -> list[str]:
    found: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        found.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(".py"))
    return found


@dataclass(frozen=True)
class FileRecord:
    path: str
    codes: tuple[str, ...]
    dk001: tuple[str, ...]
    dk003: tuple[str, ...]
    crashes: tuple[str, ...]
    analysed: bool
    cpython_error: str | None  # why ast.parse rejects the bytes; None if it accepts them
    seconds: float


def _all_rules_on_every_file(enabled: frozenset[str], *args: object) -> list[type]:
    return [rule for rule in all_rules() if rule.code in enabled and not rule.engine_rule]


def _init_worker(ungated: bool) -> None:
    if ungated:
        # Each worker process is dedicated to one corpus run: patched for its life.
        engine.rules_to_run = _all_rules_on_every_file  # type: ignore[assignment]


def lint_one(path: str) -> FileRecord:
    start = time.perf_counter()
    try:
        outcome = engine.lint_path(Path(path), path, ALL_CODES)
        codes = tuple(d.code for d in outcome.diagnostics)
        dk001 = tuple(d.message for d in outcome.diagnostics if d.code == "DK001")
        dk003 = tuple(d.message for d in outcome.diagnostics if d.code == "DK003")
        crashes, analysed = tuple(outcome.crashes), outcome.analysed
    except Exception:  # the property under test: this never happens
        codes, dk001, dk003, analysed = (), (), (), False
        crashes = (f"engine raised:\n{traceback.format_exc()}",)
    seconds = time.perf_counter() - start
    try:
        ast.parse(Path(path).read_bytes())
        cpython_error = None
    except Exception as error:  # SyntaxError, ValueError (null bytes), RecursionError...
        cpython_error = f"{type(error).__name__}: {error}"
    return FileRecord(path, codes, dk001, dk003, crashes, analysed, cpython_error, seconds)


def lint_corpus(files: list[str], *, ungated: bool) -> Iterator[FileRecord]:
    with ProcessPoolExecutor(JOBS, initializer=_init_worker, initargs=(ungated,)) as pool:
        yield from pool.map(lint_one, files, chunksize=8)


@pytest.mark.parametrize(
    ("corpus", "ungated"),
    [
        pytest.param("stdlib", False, id="stdlib"),
        pytest.param("stdlib", True, id="stdlib-ungated"),
        pytest.param("keras", False, id="keras"),
        pytest.param("tensorflow", False, id="tensorflow"),
    ],
)
def test_corpus(
    corpus: str,
    ungated: bool,
    capsys: pytest.CaptureFixture[str],
    record_property: pytest.RecordProperty,
) -> None:
    root = corpus_root(corpus)
    files = python_files(root)
    assert len(files) > 300, f"{root}: only {len(files)} files; is {corpus} installed?"
    start = time.perf_counter()
    records = list(lint_corpus(files, ungated=ungated))
    elapsed = time.perf_counter() - start

    problems: list[str] = []
    counts: Counter[str] = Counter()
    limitations: Counter[str] = Counter()
    for record in records:
        counts.update(record.codes)
        problems.extend(f"{record.path}: crash: {crash}" for crash in record.crashes)
        rejected = record.cpython_error is not None
        if rejected != bool(record.dk001):
            problems.append(
                f"{record.path}: DK001 {record.dk001 or 'missing'} but ast.parse "
                f"{'rejects it: ' + str(record.cpython_error) if rejected else 'accepts it'}"
            )
        for message in record.dk003:
            if rejected or ("libcst" not in message and "nested too deeply" not in message):
                problems.append(f"{record.path}: unexpected DK003: {message}")
            limitations[_limitation(record.path, message)] += 1
    valid = sum(record.cpython_error is None for record in records)
    analysed = sum(record.analysed for record in records)
    if ungated:
        # Every valid file reached libcst: analysed, or DK003 saying why not.
        # (Fails loudly if a change to the engine bypasses the patch above.)
        unanalysed = [r.path for r in records if r.cpython_error is None and not r.analysed]
        assert sorted(unanalysed) == sorted(r.path for r in records if r.dk003)

    slowest = max(records, key=lambda record: record.seconds)
    summary = (
        f"{corpus}{' (ungated)' if ungated else ''}: {len(records)} files in {elapsed:.0f} s "
        f"({JOBS} jobs), {analysed} analysed by libcst, {len(problems)} problems, "
        f"DK001 {counts['DK001']} (ast.parse rejects {len(records) - valid}), "
        f"DK003 {counts['DK003']} {dict(limitations)}, other findings {_others(counts)}; "
        f"slowest {slowest.seconds:.1f} s {os.path.relpath(slowest.path, root)}"
    )
    record_property("summary", summary)
    with capsys.disabled():
        print(f"\n[corpus] {summary}")
    assert not problems, "\n".join(problems[:30])


def _limitation(path: str, message: str) -> str:
    """What a DK003 is about: the source line libcst stopped at."""
    where = re.search(r"error at (\d+):(\d+)", message)
    if where is None:
        return message
    line = int(where.group(1))
    source = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    text = source[line - 1].strip() if 0 < line <= len(source) else "?"
    return f"{Path(path).name}:{line}: {text}"


def _others(counts: Counter[str]) -> dict[str, int]:
    return {code: n for code, n in sorted(counts.items()) if code not in ("DK001", "DK003")}
