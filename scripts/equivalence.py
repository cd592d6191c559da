"""Record what darklint reports on a fixed set of inputs, to compare two versions.

A refactoring must not change a single diagnostic: run this before and after,
on the same machine, and compare.

    python scripts/equivalence.py record before.json [--corpus DIR] [--generated N]
    python scripts/equivalence.py compare before.json after.json

The inputs: the fixtures, every VALID/INVALID case of every rule (linted with
every rule enabled, so that one rule's change shows in another's cases), the
installed Keras sources (``keras/src``), an optional corpus of real code
(``--corpus``, every ``*.py`` below it), and ``--generated`` programs drawn by
the reliability strategies (mutated fixtures and spliced programs,
derandomized).  Each input's diagnostics are recorded in full (positions,
messages, help, related locations, fixes), keyed by the input's name and the
hash of its text.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def inputs(corpus: Path | None, generated: int) -> Iterator[tuple[str, str]]:
    from darklint.registry import all_rules

    for path in sorted((ROOT / "fixtures").glob("*.py")):
        yield f"fixtures/{path.name}", path.read_text(encoding="utf-8")
    for rule in all_rules():
        for kind, cases in (("valid", rule.VALID), ("invalid", rule.INVALID)):
            for index, case in enumerate(cases):
                yield f"case/{rule.code}/{kind}/{index}", case.code
    try:
        import keras
    except ImportError:
        print("keras is not installed: keras/src skipped", file=sys.stderr)
    else:
        src = Path(keras.__file__).parent / "src"
        for path in sorted(src.rglob("*.py")):
            yield f"keras/{path.relative_to(src)}", path.read_text(encoding="utf-8")
    if corpus is not None:
        for path in sorted(corpus.rglob("*.py")):
            yield (
                f"corpus/{path.relative_to(corpus)}",
                path.read_text(encoding="utf-8", errors="replace"),
            )
    if generated:
        yield from _generated(generated)


def _generated(count: int) -> Iterator[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "tests" / "reliability"))
    from reliability_programs import mutated_fixtures, spliced_programs

    for name, strategy in (("mutated", mutated_fixtures()), ("spliced", spliced_programs())):
        for index, program in enumerate(_draw(strategy, count)):
            yield f"generated/{name}/{index}", program


def _draw(strategy: object, count: int) -> list[str]:
    """``count`` examples of a hypothesis strategy, derandomized: the same on every run."""
    from hypothesis import HealthCheck, given, settings

    drawn: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(program: str) -> None:
        drawn.append(program)

    collect()
    return drawn


def record(out: Path, corpus: Path | None, generated: int) -> None:
    from darklint.engine import lint_text
    from darklint.registry import all_rules

    codes = frozenset(rule.code for rule in all_rules())
    results = {}
    for name, text in inputs(corpus, generated):
        outcome = lint_text(text, name, codes)
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        results[f"{name}@{digest}"] = {
            "diagnostics": [d.to_dict() for d in outcome.diagnostics],
            "crashes": list(outcome.crashes),
        }
    out.write_text(json.dumps(results, indent=1, sort_keys=True), encoding="utf-8")
    found = sum(len(r["diagnostics"]) for r in results.values())
    print(f"{len(results)} inputs, {found} diagnostics -> {out}")


def compare(before: Path, after: Path) -> int:
    old = json.loads(before.read_text(encoding="utf-8"))
    new = json.loads(after.read_text(encoding="utf-8"))
    differences = 0
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            differences += 1
            if differences <= 20:
                print(f"DIFFERENT {key}\n  before: {old.get(key)}\n  after:  {new.get(key)}")
    total = sum(len(r["diagnostics"]) for r in old.values())
    print(f"{len(old)} inputs, {total} diagnostics before; {differences} inputs differ")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("--corpus", type=Path)
    rec.add_argument("--generated", type=int, default=0)
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "record":
        record(args.out, args.corpus, args.generated)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
