"""Generated programs and the properties darklint must keep on every one of them.

Shared by ``test_generated_programs.py`` (a fixed number of examples in CI)
and ``scripts/fuzz.py`` (as many as time allows).  Three sources of programs:

* ``hypothesmith.from_grammar()``: valid Python from the grammar;
* ``hypothesmith.from_node()``: valid Python built from libcst nodes;
* ``mutated_fixtures()``: the fixtures (real Keras programs) with statements
  shuffled, lines deleted or duplicated, models renamed, ``predict`` calls of
  every shape inserted into the training loops (so DK202's fix is exercised
  on far more than the fixtures' two calls), and line endings changed.

``check_program`` runs the properties; a broken one raises ``AssertionError``
whose message says which and shows the program.
"""

from __future__ import annotations

import ast
import functools
import io
import keyword
import re
import tokenize
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import hypothesmith
from hypothesis import strategies as st

from darklint import engine
from darklint.diagnostics import Diagnostic
from darklint.engine import FileOutcome, lint_text
from darklint.fixes import fix_until_stable, fixable
from darklint.registry import all_rules
from darklint.rule import Rule

ROOT = Path(__file__).resolve().parents[2]
ALL_CODES = frozenset(rule.code for rule in all_rules())
FIXTURE_SOURCES: tuple[str, ...] = tuple(
    path.read_text(encoding="utf-8") for path in sorted((ROOT / "fixtures").glob("*.py"))
)

# Half the draws come from the fixtures with a fix (a `predict` in a training
# loop): the fix properties are exercised however many fixtures have none.
FIXABLE_SOURCES = tuple(source for source in FIXTURE_SOURCES if ".predict(" in source)
FIXTURE_SOURCE = st.one_of(st.sampled_from(FIXABLE_SOURCES), st.sampled_from(FIXTURE_SOURCES))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


# --------------------------------------------------------------------------
# Running the engine with and without the gate


def _every_rule(enabled: frozenset[str], *args: object) -> list[type[Rule]]:
    return [rule for rule in all_rules() if rule.code in enabled and not rule.engine_rule]


@contextmanager
def ungated() -> Iterator[None]:
    """Every enabled rule runs on every file that parses: the gate would stop
    almost every generated program before libcst."""
    saved = engine.rules_to_run
    engine.rules_to_run = _every_rule  # type: ignore[assignment]
    try:
        yield
    finally:
        engine.rules_to_run = saved  # type: ignore[assignment]


def lint(source: str, *, gate: bool = False) -> FileOutcome:
    if gate:
        return lint_text(source, "generated.py", ALL_CODES)
    with ungated():
        return lint_text(source, "generated.py", ALL_CODES)


# --------------------------------------------------------------------------
# The properties


@dataclass
class Tally:
    """What the examples exercised (printed by the tests and the script)."""

    programs: int = 0
    valid: int = 0
    analysed: int = 0
    with_fixes: int = 0
    fixes_applied: int = 0
    findings: Counter[str] | None = None

    def add(self, other: Tally) -> None:
        self.programs += other.programs
        self.valid += other.valid
        self.analysed += other.analysed
        self.with_fixes += other.with_fixes
        self.fixes_applied += other.fixes_applied
        if other.findings:
            self.counts.update(other.findings)

    @property
    def counts(self) -> Counter[str]:
        if self.findings is None:
            self.findings = Counter()
        return self.findings

    def __str__(self) -> str:
        return (
            f"{self.programs} programs ({self.valid} valid Python, {self.analysed} analysed "
            f"by libcst), {self.with_fixes} with fixes ({self.fixes_applied} applied), "
            f"findings {dict(sorted(self.counts.items()))}"
        )


def cpython_error(source: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except Exception as error:  # SyntaxError, ValueError, RecursionError, MemoryError
        return f"{type(error).__name__}: {error}"
    return None


def check_program(source: str, tally: Tally | None = None) -> None:
    """Every property, on one program (``tally`` counts what was exercised)."""
    tally = tally if tally is not None else Tally()
    tally.programs += 1
    rejected = cpython_error(source)
    tally.valid += rejected is None
    gated = lint(source, gate=True)
    outcome = lint(source)
    for kind, result in (("gated", gated), ("ungated", outcome)):
        _expect(not result.crashes, f"{kind}: a rule crashed: {result.crashes}", source)
        codes = [d.code for d in result.diagnostics]
        _expect(
            ("DK001" in codes) == (rejected is not None),
            f"{kind}: DK001 {'missing' if rejected else 'reported'} but ast.parse "
            f"{'rejects it: ' + rejected if rejected else 'accepts it'}: "
            f"{[d.message for d in result.diagnostics if d.code == 'DK001']}",
            source,
        )
        _expect(
            rejected is None or "DK003" not in codes,
            f"{kind}: DK003 on a file CPython rejects",
            source,
        )
    # The gate only skips work: it finds nothing the ungated run does not
    # (but DK002, which says a suppression of a rule that did not run is unused).
    found = {(d.code, d.line, d.column) for d in outcome.diagnostics}
    _expect(
        {(d.code, d.line, d.column) for d in gated.diagnostics if d.code != "DK002"} <= found,
        "the gated run reports something the ungated run does not",
        source,
    )
    tally.analysed += outcome.analysed
    tally.counts.update(d.code for d in outcome.diagnostics)
    check_fixes(source, list(outcome.diagnostics), tally)


def check_fixes(source: str, diagnostics: list[Diagnostic], tally: Tally) -> None:
    """What ``--fix --unsafe-fixes`` writes parses, keeps comments and line endings, and is final.

    ``--fix`` applies the fixes, re-lints and applies again until nothing
    applies (``fix_until_stable``); every pass's ``apply_fixes`` output must
    parse, and a second ``--fix`` must change nothing.  Every fix darklint can
    write is checked, unsafe ones too: unsafe is about the program's
    behaviour, never about the code being broken.
    """
    if not any(fixable(d, unsafe=True) for d in diagnostics):
        return
    tally.with_fixes += 1
    crashes: list[str] = []

    def relint(text: str) -> list[Diagnostic]:
        error = cpython_error(text)
        _expect(
            error is None, f"a fix pass gives code that does not parse: {error}\n{text}", source
        )
        outcome = lint(text)
        crashes.extend(outcome.crashes)
        return list(outcome.diagnostics)

    fixed, left = fix_until_stable(source, diagnostics, relint, unsafe=True)
    _expect(bool(fixed.applied), "fixable diagnostics but no fix applied", source)
    _expect(not crashes, f"re-lint of the fixed code crashed: {crashes}", source)
    tally.fixes_applied += len(fixed.applied)
    _expect(
        _comments(fixed.text) >= _comments(source),
        f"the fix lost comments: {_comments(source) - _comments(fixed.text)}",
        source,
    )
    kinds = set(_LINE_BREAK.findall(source))
    _expect(
        set(_LINE_BREAK.findall(fixed.text)) <= kinds,
        f"the fix changed the line endings: {kinds} -> {set(_LINE_BREAK.findall(fixed.text))}",
        source,
    )
    _expect(
        not any(fixable(d, unsafe=True) for d in left),
        "after --fix, the re-lint still finds fixable diagnostics: "
        + "; ".join(f"{d.code} {d.line}:{d.column}" for d in left if d.fix)
        + f"\n--- fixed code:\n{fixed.text}",
        source,
    )
    again, _ = fix_until_stable(fixed.text, lint(fixed.text).diagnostics, relint, unsafe=True)
    _expect(
        again.text == fixed.text and not again.applied,
        f"a second --fix changed the code:\n{again.text}",
        source,
    )


def _comments(source: str) -> Counter[str]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return Counter()
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


class PropertyFailed(AssertionError):
    def __init__(self, message: str, source: str) -> None:
        super().__init__(f"{message}\n--- program ({len(source)} characters):\n{source}")
        self.message = message
        self.source = source


def _expect(condition: bool, message: str, source: str) -> None:
    if not condition:
        raise PropertyFailed(message, source)


# --------------------------------------------------------------------------
# Programs


# Built once: building hypothesmith's strategies (the grammar) takes seconds.
@functools.cache
def grammar_programs() -> st.SearchStrategy[str]:
    return hypothesmith.from_grammar()


@functools.cache
def node_programs() -> st.SearchStrategy[str]:
    return hypothesmith.from_node()


_IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_TRAINED = re.compile(r"^(?P<indent>[ \t]*)(?:.*?=\s*)?(?P<model>[\w.]+)\.train_on_batch\(", re.M)
_NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
)

# Comments inside the parentheses: DK202's fix must keep every one (a comment
# after the input stays with it; one on a keyword the fix drops means no
# fix).  ``test_generated_programs.py`` also checks each on its own.
COMMENTED_CALLS = (
    "{model}.predict(\n{indent}    noise,  # the latent batch\n{indent}    verbose=0,\n{indent})",
    "{model}.predict(\n{indent}    noise,\n{indent}    verbose=0,  # quiet\n{indent})",
    "{model}.predict(\n{indent}    noise,\n{indent}    # quiet\n{indent}    verbose=0,\n{indent})",
    "{model}.predict(noise,  # the batch\n{indent}                 batch_size=8)",
    "{model}.predict(noise, verbose=(  # quiet\n{indent}    0))",
    "{model}.predict(\n{indent}    noise,  # the batch\n{indent})",
)
# The shapes a predict() call takes in real loops; some have DK202's safe fix
# (one positional argument, and only verbose/batch_size besides), some not.
PREDICT_CALLS = (
    "{model}.predict(noise)",
    "{model}.predict(noise, verbose=0)",
    "{model}.predict(noise, batch_size=32, verbose=0)",
    "{model}.predict(x=noise)",
    "{model}.predict(noise, steps=1)",
    "{model}.predict(*batch)",
    "{model}.predict(\n{indent}    noise,\n{indent}    verbose=0,\n{indent})",
    "{model}.predict(noise,\n{indent}                 verbose=0)  # trailing comment",
    "{model}.predict(  # why\n{indent}    noise\n{indent})",
    "{model}.predict((noise))",
    "{model}.predict(noise)[0]",
    "{model}.predict({model}.predict(noise))",
    "[{model}.predict(n) for n in noises]",
    "{model}.predict(noise) + {model}.predict(noise, verbose=0)",
    "{model}.predict(noise, verbose=0, )",
    "({model}).predict(noise)",
    "{model}.predict(noise) if step else None",
    "{model} . predict ( noise )",
    *COMMENTED_CALLS,
)


def _top_level_blocks(source: str) -> list[tuple[int, int]] | None:
    """(first line, last line) of each top-level statement, 0-based; None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    blocks = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        blocks.append((first - 1, (node.end_lineno or node.lineno) - 1))
    return blocks


Mutation = Callable[[st.DrawFn, str], str]


def _shuffle_statements(draw: st.DrawFn, source: str) -> str:
    lines = source.splitlines(keepends=True)
    blocks = _top_level_blocks(source)
    if not blocks:
        return source
    chunks = ["".join(lines[start : end + 1]) for start, end in blocks]
    chunks = [chunk if chunk.endswith(("\n", "\r")) else chunk + "\n" for chunk in chunks]
    head = "".join(lines[: blocks[0][0]])
    return head + "".join(draw(st.permutations(chunks)))


def _delete_lines(draw: st.DrawFn, source: str) -> str:
    lines = source.splitlines(keepends=True)
    if not lines:
        return source
    doomed = set(draw(st.lists(st.integers(0, len(lines) - 1), min_size=1, max_size=3)))
    return "".join(line for i, line in enumerate(lines) if i not in doomed)


def _duplicate_line(draw: st.DrawFn, source: str) -> str:
    lines = source.splitlines(keepends=True)
    if not lines:
        return source
    i = draw(st.integers(0, len(lines) - 1))
    return "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


def _rename(draw: st.DrawFn, source: str) -> str:
    names = sorted(
        {name for name in _IDENTIFIER.findall(source) if not keyword.iskeyword(name)}
        & {"generator", "discriminator", "combined", "model", "g", "d", "d_on_g", "encoder"}
    )
    if not names:
        return source
    old = draw(st.sampled_from(names))
    new = draw(_NAMES)
    return re.sub(rf"\b{re.escape(old)}\b", new, source)


def _insert_predict(draw: st.DrawFn, source: str, calls: tuple[str, ...] = PREDICT_CALLS) -> str:
    sites = list(_TRAINED.finditer(source))
    if not sites:
        return source
    site = draw(st.sampled_from(sites))
    indent, model = site.group("indent"), site.group("model")
    if draw(st.booleans()):  # predict with another model of the file
        model = draw(st.sampled_from([m.group("model") for m in sites]))
    call = draw(st.sampled_from(calls)).format(model=model, indent=indent)
    line = f"{indent}fake_{draw(_NAMES)} = {call}\n"
    start = source.rfind("\n", 0, site.start()) + 1
    return source[:start] + line + source[start:]


def _line_endings(draw: st.DrawFn, source: str) -> str:
    kind = draw(st.sampled_from(["crlf", "cr", "mixed"]))
    if kind == "crlf":
        return source.replace("\n", "\r\n")
    if kind == "cr":
        return source.replace("\n", "\r")
    lines = source.split("\n")
    ends = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines)))
    return "".join(line + end for line, end in zip(lines[:-1], ends, strict=False)) + lines[-1]


def _truncate(draw: st.DrawFn, source: str) -> str:
    return source[: draw(st.integers(0, len(source)))]


def _tabs(draw: st.DrawFn, source: str) -> str:
    return source.replace("    ", "\t")


MUTATIONS: dict[str, Mutation] = {
    "shuffle": _shuffle_statements,
    "delete": _delete_lines,
    "duplicate": _duplicate_line,
    "rename": _rename,
    "predict": _insert_predict,
    "line-endings": _line_endings,
    "truncate": _truncate,
    "tabs": _tabs,
}


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> str:
    source = draw(FIXTURE_SOURCE)
    # Most programs get a predict() of some shape: that is where the fix is.
    names = draw(
        st.lists(st.sampled_from(sorted(MUTATIONS)), max_size=4).map(
            lambda chosen: ["predict", *chosen] if "truncate" not in chosen else chosen
        )
    )
    for name in names:
        source = MUTATIONS[name](draw, source)
    return source


@st.composite
def spliced_programs(draw: st.DrawFn) -> str:
    """A fixture with a generated program spliced in: odd Python next to real models.

    The generated code goes between two top-level statements, or indented
    into the body of a training loop, so the semantic model meets every
    construct of the grammar among the models, compiles and loops it tracks.
    """
    source = draw(FIXTURE_SOURCE)
    generated = draw(st.one_of(grammar_programs(), node_programs()))
    lines = source.splitlines(keepends=True)
    sites = list(_TRAINED.finditer(source))
    if sites and draw(st.booleans()):
        site = draw(st.sampled_from(sites))
        indent = site.group("indent")
        block = "".join(indent + line for line in generated.splitlines(keepends=True))
        start = source.rfind("\n", 0, site.start()) + 1
        return source[:start] + block + ("" if block.endswith("\n") else "\n") + source[start:]
    blocks = _top_level_blocks(source) or [(0, 0)]
    at = draw(st.sampled_from([start for start, _ in blocks] + [len(lines)]))
    block = generated if generated.endswith("\n") else generated + "\n"
    return "".join([*lines[:at], block, *lines[at:]])
