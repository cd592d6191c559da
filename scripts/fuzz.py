#!/usr/bin/env python3
"""Fuzz darklint with generated programs: 100,000 by default, on every core.

    python scripts/fuzz.py                      # 100,000 programs
    python scripts/fuzz.py -n 20000 --jobs 2    # fewer, on two cores
    python scripts/fuzz.py --sources fixtures --out /tmp/fuzz-failures

The programs and the properties are those of
``tests/reliability/test_generated_programs.py`` (``reliability_programs.py``):
hypothesmith's valid programs, the fixtures mutated, and the two spliced
together; for each program no crash, DK001 exactly when ``ast.parse``
rejects it, and for the ones with fixes a ``--fix --unsafe-fixes`` result that parses,
keeps comments and line endings and is final.  The examples are split into
chunks of ``--chunk`` programs, each with its own seed (``--seed`` + chunk
number), so a run is reproducible and a failure can be replayed.

Unlike the test, a failing program does not stop the run: every failure is
counted, grouped by message, and with ``--out`` written to a file.  Exit
status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

SOURCES = ("grammar", "node", "fixtures", "spliced")


@dataclass
class ChunkResult:
    source: str
    seed: int
    tally: object
    seconds: float
    failures: list[tuple[str, str]] = field(default_factory=list)  # (message, program)


def run_chunk(source: str, examples: int, seed: int) -> ChunkResult:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as with_seed
    from reliability_programs import (
        PropertyFailed,
        Tally,
        check_program,
        grammar_programs,
        mutated_fixtures,
        node_programs,
        spliced_programs,
    )

    warnings.simplefilter("ignore")
    strategies = {
        "grammar": grammar_programs(),
        "node": node_programs(),
        "fixtures": mutated_fixtures(),
        "spliced": spliced_programs(),
    }
    tally = Tally()
    failures: list[tuple[str, str]] = []

    @with_seed(seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategies[source])
    def run(program: str) -> None:
        try:
            check_program(program, tally)
        except PropertyFailed as failure:
            failures.append((failure.message.splitlines()[0][:200], program))
        except Exception:  # the checker itself: report, never stop the run
            failures.append((f"checker error: {traceback.format_exc(limit=3)}", program))

    start = time.perf_counter()
    run()
    return ChunkResult(source, seed, tally, time.perf_counter() - start, failures)


# Chunks per worker before the pool is replaced: hypothesis holds on to
# memory across runs.  (Not ``max_tasks_per_child``: on Python 3.11 a pool
# hangs for good when its last worker retires, cpython gh-115634.)
CHUNKS_PER_WORKER = 8


def _run_chunks(chunks: list[tuple[str, int, int]], jobs: int) -> Iterator[ChunkResult]:
    context = multiprocessing.get_context("spawn")
    per_pool = jobs * CHUNKS_PER_WORKER
    for first in range(0, len(chunks), per_pool):
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            futures = [
                pool.submit(run_chunk, source, size, seed)
                for source, size, seed in chunks[first : first + per_pool]
            ]
            for future in as_completed(futures):
                yield future.result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--examples", type=int, default=100_000, help="programs in all")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0, help="seed of the first chunk")
    parser.add_argument("--chunk", type=int, default=500, help="programs per chunk (one seed)")
    parser.add_argument(
        "--sources", default=",".join(SOURCES), help=f"comma-separated, of {', '.join(SOURCES)}"
    )
    parser.add_argument("--out", type=Path, help="write each failing program to this directory")
    args = parser.parse_args(argv)
    sources = [s for s in args.sources.split(",") if s]
    unknown = set(sources) - set(SOURCES)
    if unknown:
        parser.error(f"unknown sources: {', '.join(sorted(unknown))}")

    chunks: list[tuple[str, int, int]] = []
    per_source = [args.examples // len(sources)] * len(sources)
    per_source[0] += args.examples - sum(per_source)
    # The sources take turns, so that a run stopped early has tried them all.
    left = dict(zip(sources, per_source, strict=True))
    while any(left.values()):
        for source in sources:
            size = min(args.chunk, left[source])
            if size:
                chunks.append((source, size, args.seed + len(chunks)))
                left[source] -= size

    from reliability_programs import Tally

    totals = {source: Tally() for source in sources}
    messages: Counter[str] = Counter()
    failed = 0
    start = time.perf_counter()
    print(f"fuzz: {args.examples} programs in {len(chunks)} chunks on {args.jobs} jobs", flush=True)
    for done, result in enumerate(_run_chunks(chunks, args.jobs), 1):
        totals[result.source].add(result.tally)  # type: ignore[arg-type]
        for message, program in result.failures:
            messages[message] += 1
            if args.out is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                name = f"{result.source}-seed{result.seed}-{failed}.py"
                (args.out / name).write_text(f"# {message}\n{program}", encoding="utf-8")
            failed += 1
        ran = sum(t.programs for t in totals.values())
        print(
            f"[{done}/{len(chunks)}] {result.source} seed {result.seed}: "
            f"{result.tally.programs} in {result.seconds:.0f} s, "  # type: ignore[attr-defined]
            f"{len(result.failures)} failures; {ran} programs, {failed} failures "
            f"so far ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    print(f"\nfuzz: done in {time.perf_counter() - start:.0f} s")
    for source, tally in totals.items():
        print(f"  {source}: {tally}")
    print(f"  failures: {failed}")
    for message, count in messages.most_common():
        print(f"    {count:6d}  {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
