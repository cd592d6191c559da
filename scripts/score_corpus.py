"""Precision and recall of darklint on an annotated corpus of real code.

The corpus lives outside the repository (public code is never committed):
a folder with ``repos/<owner>+<name>/...`` (the projects' Python files),
``annotations.jsonl`` (one JSON object per expected finding: ``repo``,
``file``, ``line``, ``rule``, ``flow``), and optionally ``uncertain.jsonl``
(places where the annotator could not tell; a finding there is counted
neither way).  Annotations are written blind, from the rule catalogue,
never from darklint's output.

    python scripts/score_corpus.py /work/corpus [--map DK105=DK106] [--details]

runs darklint (the one importable here) on every repository, in a fresh
process per repository, and prints TP/FP/FN per rule and per flow.  A finding
matches an annotation on the same repository, file, line and rule.
``--map`` renames a rule's findings before matching (to score an older
version whose codes meant something else).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

Key = tuple[str, str, int, str]


def load(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


SCORED = ("DK1", "DK2", "DK3")


def findings(
    corpus: Path, mapping: dict[str, str], scored: tuple[str, ...] = SCORED
) -> set[Key]:
    found: set[Key] = set()
    for folder in sorted((corpus / "repos").iterdir()):
        repo = folder.name.replace("+", "/", 1)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "darklint",
                ".",
                "--no-cache",
                "--format",
                "json",
                "--ignore",
                "DK0",
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            env={**os.environ},
            check=False,
        )
        if result.returncode not in (0, 1):
            print(f"{repo}: darklint exited {result.returncode}: {result.stderr}", file=sys.stderr)
            continue
        for diagnostic in json.loads(result.stdout or "[]"):
            code = mapping.get(diagnostic["code"], diagnostic["code"])
            if not code.startswith(scored):
                continue  # a corpus annotates some families only (--families)
            path = str(diagnostic["path"]).removeprefix("./")
            key = (repo, path, int(diagnostic["line"]), code)
            found.add(key)
            # A finding reported through the linted file names the place in
            # another module where it happens: an annotation there is the
            # same finding (the corpora may anchor either way).
            for item in diagnostic.get("related", ()):
                if item["message"] == "where this happens":
                    where = (repo, str(item["path"]).removeprefix("./"), int(item["line"]), code)
                    ALSO.setdefault(key, set()).add(where)
    return found


# A finding -> the other places (in another module) it may be annotated at.
ALSO: dict[Key, set[Key]] = {}


def matched(found: set[Key], expected: set[Key]) -> set[Key]:
    """The findings as the annotations place them (a finding through another module, there)."""
    placed = set()
    for key in found:
        others = ALSO.get(key, set()) & expected
        placed.update(others or {key})
    return placed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--map", action="append", default=[], help="OLD=NEW rule code")
    parser.add_argument("--details", action="store_true", help="list every FP and FN")
    parser.add_argument(
        "--families",
        default=",".join(SCORED),
        help="the code prefixes the corpus annotates (default: %(default)s)",
    )
    args = parser.parse_args()
    mapping = dict(item.split("=", 1) for item in args.map)
    expected = {
        (str(a["repo"]), str(a["file"]), int(a["line"]), str(a["rule"])): str(a.get("flow", "?"))  # type: ignore[call-overload]
        for a in load(args.corpus / "annotations.jsonl")
    }
    uncertain = {
        (str(a["repo"]), str(a["file"]), int(a["line"]), str(a["rule"]))  # type: ignore[call-overload]
        for a in load(args.corpus / "uncertain.jsonl")
    }
    found = matched(findings(args.corpus, mapping, tuple(args.families.split(","))), set(expected) | uncertain)
    rules = sorted({key[3] for key in expected} | {key[3] for key in found})
    tp, fp, fn = Counter[str](), Counter[str](), Counter[str]()
    flow_tp, flow_all = Counter[str](), Counter[str]()
    for key, flow in expected.items():
        flow_all[flow] += 1
        if key in found:
            tp[key[3]] += 1
            flow_tp[flow] += 1
        else:
            fn[key[3]] += 1
    false_positives = sorted(key for key in found - expected.keys() if key not in uncertain)
    for key in false_positives:
        fp[key[3]] += 1
    print(f"{'rule':<7}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}")
    for rule in [*rules, "all"]:
        t = sum(tp.values()) if rule == "all" else tp[rule]
        f = sum(fp.values()) if rule == "all" else fp[rule]
        n = sum(fn.values()) if rule == "all" else fn[rule]
        precision = f"{t / (t + f):.2f}" if t + f else "-"
        recall = f"{t / (t + n):.2f}" if t + n else "-"
        print(f"{rule:<7}{t:>5}{f:>5}{n:>5}{precision:>11}{recall:>8}")
    print(
        "recall by flow: "
        + ", ".join(f"{flow} {flow_tp[flow]}/{flow_all[flow]}" for flow in sorted(flow_all))
    )
    in_uncertain = len(found & uncertain)
    if in_uncertain:
        print(f"({in_uncertain} findings on places annotated as uncertain, not counted)")
    if args.details:
        for key in false_positives:
            print("FP", *key)
        for key, flow in sorted(expected.items()):
            if key not in found:
                print("FN", *key, flow)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
