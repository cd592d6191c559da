"""darklint against the parse floor: whole-corpus runs, each a real subprocess.

Run: python benchmarks/bench_corpus.py [CORPUS] [--repeat 3] [--fixture-files 1000]

CORPUS defaults to the installed ``keras`` package's ``src/`` (found with
``importlib.util.find_spec``, without importing keras).  It is copied to a
temporary directory first, so that the warm-cache runs can change a file.

Every figure is a fresh subprocess (``python -m darklint ...``) timed by wall
clock, with its peak memory from ``os.wait4`` (the largest process of its
tree: with ``--jobs 2`` that is one process, not the sum).  Each is compared
with two baselines run the same way over the same files, in the same round:

* ``ast``: reading every file and ``ast.parse`` (the floor: darklint runs it on
  every file anyway, to decide DK001);
* ``libcst``: reading every file and ``libcst.parse_module``.

Rounds are interleaved (baseline, darklint, baseline, ...) and each ratio is
the median of the per-round ratios, because the machine may be shared.

The second corpus is the project's ``fixtures/*.py`` replicated to about
``--fixture-files`` files: every one a Keras training program that the gate
cannot skip, so it measures the analysis itself against plain libcst parsing.

Also measured: the warm cache (nothing changed; then one file changed, which
alone must be linted again), ``--jobs 2`` against ``--jobs 1``, one file end to
end (what a pre-commit hook runs), and the analysis of a synthetic file of N
and 4N Keras training blocks (it must stay linear in the file's size).

This is a benchmark, not a test: the figures depend on the machine.  The
targets are printed next to them with PASS/FAIL.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
# The darklint source tree benchmarked (``--source``: another checkout, to
# compare before/after on the same machine in the same session).
SOURCE = REPO
STATS = re.compile(r"analysed (\d+)/(\d+) files \((\d+) from the cache\)")

AST_BASELINE = """\
import ast, sys, warnings
warnings.simplefilter("ignore")
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    with open(path, "rb") as handle:
        ast.parse(handle.read())
"""

LIBCST_BASELINE = """\
import sys
import libcst
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    with open(path, "rb") as handle:
        libcst.parse_module(handle.read())
"""

# One block of a Keras training program (a GAN step): the unit of the
# linearity check, repeated with fresh names.
TRAINING_BLOCK = """\
def build_{i}():
    generator_{i} = keras.Sequential([layers.Dense(8), layers.Dense(4)])
    discriminator_{i} = keras.Sequential([layers.Dense(8), layers.Dense(1)])
    discriminator_{i}.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    discriminator_{i}.trainable = False
    combined_{i} = keras.Sequential([generator_{i}, discriminator_{i}])
    combined_{i}.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    for step in range(10):
        fake = generator_{i}.predict(noise)
        discriminator_{i}.train_on_batch(fake, zeros)
        combined_{i}.train_on_batch(noise, ones)
    return generator_{i}


build_{i}()

"""

# Shared by the two scripts below.
FASTEST = """\
import time


def fastest(runs, sizes, texts, work):
    # The sizes take turns, so that both meet the machine's slow and fast
    # moments; the fastest run of each is its cost (noise only adds time).
    best = {n: float("inf") for n in sizes}
    for _ in range(runs):
        for n, text in zip(sizes, texts):
            start = time.perf_counter()
            work(text, n)
            best[n] = min(best[n], time.perf_counter() - start)
    return best
"""

LINEARITY_SCRIPT = (
    FASTEST
    + """\
import sys
from darklint.engine import lint_text
from darklint.registry import all_rules
from darklint.selection import default_codes


block = open(sys.argv[1], encoding="utf-8").read()
header = "import keras\\nfrom keras import layers\\n\\n"
sizes = [int(n) for n in sys.argv[2:]]
texts = [header + "".join(block.format(i=i) for i in range(n)) for n in sizes]
lines = {n: text.count("\\n") + 1 for n, text in zip(sizes, texts)}
selections = [("all", default_codes())] + [
    (rule.code, frozenset({rule.code}))
    for rule in all_rules()
    if rule.code in default_codes() and not rule.engine_rule
]
lint_text(texts[0], "warmup.py", default_codes())
# The parser alone, on the same texts: the growth darklint cannot beat.
import libcst
for n, seconds in fastest(7, sizes, texts, lambda text, n: libcst.parse_module(text)).items():
    print("parse", n, lines[n], seconds)
for label, enabled in selections:
    runs = 7 if label == "all" else 3
    lint = lambda text, n: lint_text(text, f"blocks_{n}.py", enabled)
    for n, seconds in fastest(runs, sizes, texts, lint).items():
        print(label, n, lines[n], seconds)
"""
)


CHAIN_SCRIPT = (
    FASTEST
    + """\
import sys
from darklint.engine import lint_text
from darklint.selection import default_codes


def chain(n):
    # Each model frozen, then wrapped by the next, which is compiled and trained.
    lines = ["import keras", "from keras import Sequential, layers",
             "m0 = Sequential([layers.Dense(1)])", "m0.compile(optimizer='adam', loss='mse')"]
    for i in range(1, n):
        lines += [f"m{i - 1}.trainable = False",
                  f"m{i} = Sequential([m{i - 1}, layers.Dense(1)])",
                  f"m{i}.compile(optimizer='adam', loss='mse')", f"m{i}.fit(x, y)"]
    return "\\n".join(lines) + "\\n"


lint_text(chain(10), "warmup.py", default_codes())
sizes = [int(arg) for arg in sys.argv[1:]]
texts = [chain(n) for n in sizes]
best = fastest(7, sizes, texts, lambda text, n: lint_text(text, "chain.py", default_codes()))
for n, text in zip(sizes, texts):
    print(n, text.count("\\n"), best[n])
"""
)


# The files the gate lets through (what ``analysed`` counts), decided by the
# benchmarked darklint's own gate: not timed, only listed.
GATED_IN_SCRIPT = """\
import ast, sys, warnings
warnings.simplefilter("ignore")
from darklint.engine import rules_to_run
from darklint.selection import default_codes
codes = default_codes()
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    text = open(path, encoding="utf-8", errors="surrogateescape").read()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        continue
    if rules_to_run(codes, text, tree):
        print(path)
"""


@dataclass
class Run:
    wall: float
    maxrss_mb: float
    returncode: int
    stdout: str
    stderr: str
    # User + system CPU seconds of the process and its waited-for children
    # (the pool's workers): with the wall time, how parallel the run was.
    cpu: float = 0.0

    @property
    def stats(self) -> tuple[int, int, int] | None:
        found = STATS.search(self.stderr)
        return (int(found[1]), int(found[2]), int(found[3])) if found else None


def run(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """One subprocess: wall time, and peak memory from its own rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    # Linux reports ru_maxrss in KiB.
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr, cpu)


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DARKLINT_NO_GATE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), env.get("PYTHONPATH")]))
    return env


_STATS_FLAG = ["--stats"]


def darklint(args: Sequence[str], cwd: Path) -> Run:
    argv = [sys.executable, "-m", "darklint", *_STATS_FLAG, "--exit-zero", *args]
    result = run(argv, cwd, clean_env())
    if result.returncode == 2 and "--stats" in result.stderr and _STATS_FLAG:
        _STATS_FLAG.clear()  # a darklint from before --stats (``--source``)
        return darklint(args, cwd)
    if result.returncode != 0:
        raise SystemExit(
            f"darklint {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        )
    return result


def baseline(script: str, files: Path, cwd: Path) -> Run:
    result = run([sys.executable, "-c", script, str(files)], cwd, clean_env())
    if result.returncode != 0:
        raise SystemExit(f"baseline failed:\n{result.stderr}")
    return result


def default_corpus() -> Path:
    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("keras is not installed: give a corpus path")
    return Path(next(iter(spec.submodule_search_locations))) / "src"


def discovered(root: Path, cwd: Path) -> list[Path]:
    """The files darklint lints under ``root``, as darklint finds them."""
    sys.path.insert(0, str(SOURCE))
    from darklint.discovery import DEFAULT_EXCLUDES, discover

    found = discover([str(root)], exclude=DEFAULT_EXCLUDES, config_root=cwd)
    return [Path(path) for path in found.files]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@dataclass
class Row:
    what: str
    measured: str
    target: str = ""
    ok: bool | None = None


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("PASS" if ok else "FAIL")


def rounds(repeat: int, steps: dict[str, Callable[[], Run]]) -> dict[str, list[Run]]:
    """Every step once per round, in order, ``repeat`` rounds."""
    results: dict[str, list[Run]] = {name: [] for name in steps}
    for index in range(repeat):
        for name, step in steps.items():
            result = step()
            results[name].append(result)
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            print(
                f"  round {index + 1}: {name:<16} {result.wall:7.2f} s  CPU {result.cpu:6.2f} s"
                f"  {result.maxrss_mb:4.0f} MB  load {load:.1f}",
                file=sys.stderr,
            )
    return results


def ratio(results: dict[str, list[Run]], top: str, bottom: str) -> float:
    return median([a.wall / b.wall for a, b in zip(results[top], results[bottom], strict=True)])


def wall(results: dict[str, list[Run]], name: str) -> float:
    return median([r.wall for r in results[name]])


def bench_corpus(corpus: Path, work: Path, repeat: int) -> list[Row]:
    print(f"corpus: {corpus}", file=sys.stderr)
    copy = work / "corpus"
    shutil.copytree(corpus, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    files = discovered(copy, work)
    listing = work / "files.txt"
    listing.write_text("\n".join(str(path) for path in files), encoding="utf-8")
    lines = sum(path.read_bytes().count(b"\n") for path in files)
    target = str(copy)
    gated_in = work / "gated_in.txt"
    gated_in.write_text(baseline(GATED_IN_SCRIPT, listing, work).stdout, encoding="utf-8")
    gated_count = len(gated_in.read_text(encoding="utf-8").splitlines())
    results = rounds(
        repeat,
        {
            "ast floor": lambda: baseline(AST_BASELINE, listing, work),
            "libcst parse": lambda: baseline(LIBCST_BASELINE, listing, work),
            "libcst gated-in": lambda: baseline(LIBCST_BASELINE, gated_in, work),
            "cold --jobs 1": lambda: darklint(["--no-cache", "--jobs", "1", target], work),
            "cold --jobs 2": lambda: darklint(["--no-cache", "--jobs", "2", target], work),
        },
    )
    stats = results["cold --jobs 1"][0].stats
    analysed: int | str = stats[0] if stats else "?"
    total = len(files)
    if stats and stats[1] != total:
        raise SystemExit(f"darklint linted {stats[1]} files, the baselines {total}")

    # Warm cache: fill it, then nothing changed, then one file changed.
    shutil.rmtree(work / ".darklint_cache", ignore_errors=True)
    darklint(["--jobs", "1", target], work)
    warm = [darklint(["--jobs", "1", target], work) for _ in range(max(repeat, 5))]
    warm_stats = {run.stats for run in warm}
    changed = _file_to_change(files)
    changed_runs = []
    for index in range(repeat):
        with open(changed, "a", encoding="utf-8") as handle:
            handle.write(f"\n# changed by bench_corpus ({index})\n")
        changed_runs.append(darklint(["--jobs", "1", target], work))
    changed_stats = {run.stats for run in changed_runs}

    floor = wall(results, "ast floor")
    jobs1, jobs2 = wall(results, "cold --jobs 1"), wall(results, "cold --jobs 2")
    vs_floor = ratio(results, "cold --jobs 1", "ast floor")
    speedup = median(
        [
            a.wall / b.wall
            for a, b in zip(results["cold --jobs 1"], results["cold --jobs 2"], strict=True)
        ]
    )
    peak = max(r.maxrss_mb for r in results["cold --jobs 1"])
    peak2 = max(r.maxrss_mb for r in results["cold --jobs 2"])
    cpu1 = median([r.cpu for r in results["cold --jobs 1"]])
    parallelism = median([r.cpu / r.wall for r in results["cold --jobs 2"]])
    warm_wall = median([r.wall for r in warm])
    nothing_relinted = warm_stats == {(0, total, total)}
    one_relinted: bool | None = all(s is not None and s[2] == total - 1 for s in changed_stats)
    if not stats:
        one_relinted = None  # unknown: this darklint does not say
    name = corpus.name if corpus.name != "src" else f"{corpus.parent.name}/src"
    bound = floor + wall(results, "libcst gated-in")
    vs_bound = jobs1 / bound
    return [
        Row(
            f"{name}: corpus",
            f"{len(files)} files, {lines:,} lines; {analysed} analysed by libcst",
        ),
        Row("ast floor (read + `ast.parse`)", f"{floor:.2f} s"),
        Row(
            "`libcst.parse_module` of every file",
            f"{wall(results, 'libcst parse'):.2f} s = "
            f"{ratio(results, 'libcst parse', 'ast floor'):.1f}× floor",
        ),
        Row(
            f"least a libcst engine behind this gate takes: floor + `libcst.parse_module` "
            f"of the {gated_count} files it lets through",
            f"{floor + wall(results, 'libcst gated-in'):.2f} s = "
            f"{1 + ratio(results, 'libcst gated-in', 'ast floor'):.2f}× floor",
        ),
        Row(
            "cold, `--jobs 1` (cross-module analysis on)",
            f"{jobs1:.2f} s = {vs_floor:.2f}× floor = {vs_bound:.2f}× the least above; "
            f"{total / jobs1:.0f} files/s; CPU {cpu1:.2f} s",
            # The target of the cross-module issue, which replaced `≤ 3× floor`:
            # below what any libcst engine behind a sound gate can reach here.
            "≤ 1.25× the least above",
            vs_bound <= 1.25,
        ),
        Row(
            "cold, `--jobs 2`",
            f"{jobs2:.2f} s = {ratio(results, 'cold --jobs 2', 'ast floor'):.2f}× floor; "
            f"{speedup:.2f}× faster than `--jobs 1`; {parallelism:.2f} cores busy on average",
            "≥ 1.7× faster",
            speedup >= 1.7,
        ),
        Row(
            "peak memory, cold",
            f"{peak:.0f} MB (`--jobs 1`); {peak2:.0f} MB per process (`--jobs 2`)",
            "≤ 300 MB",
            peak <= 300,
        ),
        Row(
            "warm, nothing changed",
            f"{warm_wall:.3f} s (median of {len(warm)}); re-linted "
            f"{', '.join(str(s[1] - s[2]) if s else '?' for s in warm_stats)}",
            "≤ 0.3 s, 0 re-linted",
            warm_wall <= 0.3 and (nothing_relinted or not stats),
        ),
        Row(
            f"warm, one file changed (`{changed.relative_to(copy)}`)",
            f"{median([r.wall for r in changed_runs]):.3f} s; re-linted "
            + ", ".join(f"{s[1] - s[2]} (analysed {s[0]})" if s else "?" for s in changed_stats),
            "only it re-linted",
            one_relinted,
        ),
    ]


def _file_to_change(files: list[Path]) -> Path:
    """The biggest file that looks like Keras training code (it is analysed), else the biggest."""

    def score(path: Path) -> tuple[bool, int]:
        text = path.read_text(encoding="utf-8", errors="replace")
        return ("compile(" in text and ".fit(" in text, len(text))

    return max(files, key=score)


def bench_fixtures(work: Path, count: int, repeat: int) -> list[Row]:
    sources = sorted(FIXTURES.glob("*.py"))
    corpus = work / "fixtures"
    corpus.mkdir()
    copies = max(1, round(count / len(sources)))
    for index in range(copies):
        for source in sources:
            shutil.copyfile(source, corpus / f"{source.stem}_{index:04d}.py")
    files = sorted(corpus.glob("*.py"))
    listing = work / "fixture_files.txt"
    listing.write_text("\n".join(str(path) for path in files), encoding="utf-8")
    lines = sum(path.read_bytes().count(b"\n") for path in files)
    print(f"fixture corpus: {len(files)} files", file=sys.stderr)
    results = rounds(
        repeat,
        {
            "ast floor": lambda: baseline(AST_BASELINE, listing, work),
            "libcst parse": lambda: baseline(LIBCST_BASELINE, listing, work),
            "cold --jobs 1": lambda: darklint(["--no-cache", "--jobs", "1", str(corpus)], work),
        },
    )
    stats = results["cold --jobs 1"][0].stats
    analysed = stats[0] if stats else "?"
    vs_libcst = ratio(results, "cold --jobs 1", "libcst parse")
    jobs1 = wall(results, "cold --jobs 1")
    return [
        Row(
            f"fixtures ×{copies}: corpus",
            f"{len(files)} files, {lines:,} lines; {analysed} analysed by libcst",
        ),
        Row(
            "`libcst.parse_module` of every file",
            f"{wall(results, 'libcst parse'):.2f} s = "
            f"{ratio(results, 'libcst parse', 'ast floor'):.1f}× ast floor",
        ),
        Row(
            "cold, `--jobs 1`",
            f"{jobs1:.2f} s = {vs_libcst:.2f}× libcst = "
            f"{ratio(results, 'cold --jobs 1', 'ast floor'):.1f}× ast floor; "
            f"{len(files) / jobs1:.0f} files/s",
            "≤ 1.5× libcst",
            vs_libcst <= 1.5,
        ),
    ]


def bench_single_file(work: Path, repeat: int) -> list[Row]:
    single = work / "single"
    single.mkdir()
    keras_file = single / "keras_gan.py"
    shutil.copyfile(FIXTURES / "keras_gan.py", keras_file)
    plain = single / "plain.py"
    plain.write_text("import os\n\n\ndef main():\n    print(os.getcwd())\n", encoding="utf-8")
    runs = max(10, repeat)
    keras_runs = [darklint(["--no-cache", keras_file.name], single).wall for _ in range(runs)]
    plain_runs = [darklint(["--no-cache", plain.name], single).wall for _ in range(runs)]
    python = [run([sys.executable, "-c", "pass"], single).wall for _ in range(runs)]
    keras_median = median(keras_runs)
    return [
        Row(
            "`darklint keras_gan.py` (a Keras GAN, 4 findings, `--no-cache`)",
            f"{keras_median:.3f} s (median of {runs})",
            "≤ 0.4 s",
            keras_median <= 0.4,
        ),
        Row(
            "`darklint plain.py` (no Keras, `--no-cache`)",
            f"{median(plain_runs):.3f} s; bare `python -c pass`: {median(python):.3f} s",
        ),
    ]


PROJECT_MODULES = 200

NETS_MODULE = """\
from keras import Input, Sequential
from keras.layers import Dense
from keras.optimizers import Adam
from utils.data_{k} import scale


def build_discriminator():
    model = Sequential([Input((2,)), Dense(scale(8)), Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")
    return model


def build_gan(generator, discriminator):
    discriminator.trainable = False
    gan = Sequential([generator, discriminator])
    gan.compile(optimizer=Adam(2e-4), loss="binary_crossentropy")
    return gan
"""

DATA_MODULE = """\
import numpy as np
{imports}


def scale(n):
    return int(n)


def load(path, size={k}):
    rows = np.loadtxt(path)
    return rows[:size]
"""

PROJECT_TRAIN = """\
import numpy as np
from keras import Input, Sequential
from keras.layers import Dense
from models.nets_0 import build_discriminator, build_gan
from utils.data_0 import load

generator = Sequential([Input((4,)), Dense(2)])
discriminator = build_discriminator()
gan = build_gan(generator, discriminator)
real = load("points.txt")
for step in range(100):
    noise = np.random.normal(size=(16, 4))
    fake = generator(noise, training=False)
    discriminator.train_on_batch(np.concatenate([real[:16], fake]), np.ones((32, 1)))
    gan.train_on_batch(noise, np.ones((16, 1)))
"""


def make_project(root: Path) -> Path:
    """A project of ``PROJECT_MODULES`` modules whose train.py reaches all of them.

    40 model modules and 160 data modules, each data module importing the
    next two (so the imports of ``train.py`` lead to every one of them).
    """
    (root / "models").mkdir(parents=True)
    (root / "utils").mkdir()
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    for package in ("models", "utils"):
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    nets, data = 40, PROJECT_MODULES - 40 - 2
    for k in range(nets):
        (root / "models" / f"nets_{k}.py").write_text(NETS_MODULE.format(k=k), encoding="utf-8")
    for k in range(data):
        imports = "\n".join(
            f"from utils.data_{j} import load as load_{j}" for j in (k + 1, k + 2) if j < data
        )
        text = DATA_MODULE.format(imports=imports, k=k)
        (root / "utils" / f"data_{k}.py").write_text(text, encoding="utf-8")
    (root / "train.py").write_text(PROJECT_TRAIN, encoding="utf-8")
    return root


def bench_project(work: Path, repeat: int) -> list[Row]:
    project = make_project(work / "project")
    alone = work / "alone"
    alone.mkdir()
    (alone / "pyproject.toml").write_text("", encoding="utf-8")
    shutil.copyfile(project / "train.py", alone / "train.py")
    runs = max(10, repeat)
    in_project: list[float] = []
    by_itself: list[float] = []
    for _ in range(runs):  # taking turns: a slow moment of the machine hits both
        in_project.append(darklint(["--no-cache", "train.py"], project).wall)
        by_itself.append(darklint(["--no-cache", "train.py"], alone).wall)
    found = darklint(["--no-cache", "--format", "json", "train.py"], project)
    codes = sorted(item["code"] for item in json.loads(found.stdout))
    growth = median(in_project) / median(by_itself)
    # Warm: lint the project, change a module train.py reaches, lint again.
    darklint(["."], project)
    leaf = project / "utils" / "data_100.py"
    leaf.write_text(leaf.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    after = darklint(["."], project).stats
    relinted = "?" if after is None else str(after[1] - after[2])
    return [
        Row(
            f"`darklint train.py` in a {PROJECT_MODULES}-module project vs the same file alone",
            f"{median(in_project):.3f} s vs {median(by_itself):.3f} s = {growth:.2f}× "
            f"(median of {runs}, taking turns); findings {codes}",
            "≤ 1.5×",
            growth <= 1.5,
        ),
        Row(
            "warm, one data module changed (`utils/data_100.py`)",
            f"{relinted} files linted again: the module and the modules and scripts whose "
            "results read it",
        ),
    ]


def bench_linearity(work: Path) -> list[Row]:
    block = work / "block.txt"
    block.write_text(TRAINING_BLOCK, encoding="utf-8")
    base = 25
    result = run(
        [sys.executable, "-c", LINEARITY_SCRIPT, str(block), str(base), str(4 * base)],
        work,
        clean_env(),
    )
    if result.returncode != 0:
        raise SystemExit(f"linearity check failed:\n{result.stderr}")
    timings: dict[str, list[tuple[int, int, float]]] = {}
    for line in result.stdout.splitlines():
        label, blocks, lines, seconds = line.split()
        timings.setdefault(label, []).append((int(blocks), int(lines), float(seconds)))
    (n1, lines1, t1), (n4, lines4, t4) = timings.pop("all")
    (_, _, parse1), (_, _, parse4) = timings.pop("parse")
    growth = t4 / t1
    per_rule = ", ".join(
        f"{code} {small[2]:.2f}→{big[2]:.2f} s ({big[2] / small[2]:.1f}×)"
        for code, (small, big) in sorted(timings.items())
    )
    return [
        Row(
            f"one file of {n1} vs {n4} training blocks ({lines1:,} vs {lines4:,} lines)",
            f"{t1:.3f} s vs {t4:.3f} s: {growth:.2f}× the time for 4× the size "
            f"(`libcst.parse_module` alone: {parse1:.3f} s vs {parse4:.3f} s, "
            f"{parse4 / parse1:.2f}×)",
            "≤ 5× (linear: 4×)",
            growth <= 5,
        ),
        Row("… each rule alone (parse, semantic model, positions included)", per_rule),
        _chain_row(work),
    ]


def _chain_row(work: Path) -> Row:
    """The stress case: N models, each frozen and wrapped by the next (all rules)."""
    base = 50
    result = run([sys.executable, "-c", CHAIN_SCRIPT, str(base), str(4 * base)], work, clean_env())
    if result.returncode != 0:
        raise SystemExit(f"chain check failed:\n{result.stderr}")
    (n1, lines1, t1), (n4, lines4, t4) = (
        (int(a), int(b), float(c))
        for a, b, c in (line.split() for line in result.stdout.splitlines())
    )
    return Row(
        f"{n1} vs {n4} nested frozen wrapper models ({lines1:,} vs {lines4:,} lines)",
        f"{t1:.3f} s vs {t4:.3f} s: {t4 / t1:.2f}× the time for 4× the size",
        "≤ 5× (linear: 4×)",
        t4 / t1 <= 5,
    )


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        libcst = version("libcst")
    except Exception:
        libcst = "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} cores, {model}; Python {platform.python_version()}; "
        f"libcst {libcst}; load average {load:.1f} at the start; "
        f"{time.strftime('%Y-%m-%d')}"
    )


def render(sections: list[tuple[str, list[Row]]]) -> str:
    out = ["| measurement | result | target | |", "|---|---|---|---|"]
    for title, rows in sections:
        out.append(f"| **{title}** | | | |")
        for row in rows:
            out.append(f"| {row.what} | {row.measured} | {row.target} | {verdict(row.ok)} |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, help="default: the installed keras/src")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per measurement (median)")
    parser.add_argument("--fixture-files", type=int, default=1000)
    parser.add_argument(
        "--source",
        type=Path,
        help="benchmark the darklint of this source tree (default: this checkout)",
    )
    parser.add_argument(
        "--only",
        choices=("corpus", "fixtures", "single", "project", "linearity"),
        action="append",
        help="run only these parts (repeatable)",
    )
    args = parser.parse_args(argv)
    parts = set(args.only or ("corpus", "fixtures", "single", "project", "linearity"))
    global SOURCE
    if args.source is not None:
        SOURCE = args.source.resolve()
    corpus = (args.corpus or default_corpus()).resolve()
    header = machine()
    print(header, file=sys.stderr)
    sections: list[tuple[str, list[Row]]] = []
    with tempfile.TemporaryDirectory(prefix="darklint-bench-") as temp:
        work = Path(temp)
        if "corpus" in parts:
            sections.append((f"corpus `{corpus}`", bench_corpus(corpus, work, args.repeat)))
        if "fixtures" in parts:
            sections.append(
                ("fixture corpus", bench_fixtures(work, args.fixture_files, args.repeat))
            )
        if "single" in parts:
            sections.append(("one file, end to end", bench_single_file(work, args.repeat)))
        if "project" in parts:
            sections.append(("a project of many modules", bench_project(work, args.repeat)))
        if "linearity" in parts:
            sections.append(("linearity", bench_linearity(work)))
    print(f"\nMachine: {header}\n")
    print(render(sections))
    failed = [row for _, rows in sections for row in rows if row.ok is False]
    print(f"\n{len(failed)} target(s) not met." if failed else "\nAll targets met.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
