"""The gate: which rules can possibly fire on a file, decided without libcst.

libcst parses about ten times slower than CPython's own parser, and most
files of a real repository use nothing a rule looks at, so the engine runs a
rule on a file only when the file contains what the rule cannot fire
without.  The gate is *conservative*: it may let through a file on which
nothing fires, but never skips one on which something could
(``tests/engine/test_gate.py`` runs every corpus gated and ungated and
compares).

Each rule states its requirements as data, and the gate knows nothing of
what they mean:

- ``requires_imports``: top-level modules of which the file must import one
  (empty: no import needed);
- ``requires_names``: identifiers the code must contain (a tuple inside the
  tuple is a choice: ``("compile", ("fit", "train_on_batch"))`` needs
  ``compile`` and at least one of ``fit`` and ``train_on_batch``);
- ``skipped_by_imports``: modules whose import rules the rule out (a
  migration rule has nothing to say about code importing the new version's
  own internals).

It works in two steps, the cheap one first:

1. Text: the file contains one of the required modules' names, as
   substrings, and every required identifier as a word of its text (in
   strings and comments too: one scan of the text finds them all).
2. Code, for what passes step 1: the ``ast`` tree that the engine's syntax
   check already built must *import* one of the modules (an ``import``
   statement, not a word in a docstring), and every required identifier must
   be an identifier of the code — a name, an attribute, a part of an
   imported module or name, a keyword argument, a definition — not just a
   word in a string or a comment.  The semantic model matches identifiers
   exactly, so this is as conservative as step 1 and far sharper on code
   whose docstrings are full of ``model.fit(...)`` examples.

``DARKLINT_NO_GATE=1`` in the environment turns the gate off (every rule runs
on every file that parses): for the tests above and for bisecting a miss.
"""

from __future__ import annotations

import ast
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from darklint.rule import Rule

Tokens: TypeAlias = tuple[str | tuple[str, ...], ...]

ENV_DISABLE = "DARKLINT_NO_GATE"


def disabled() -> bool:
    return os.environ.get(ENV_DISABLE, "") not in ("", "0")


def mentions_any(text: str, modules: frozenset[str]) -> bool:
    """The text names one of ``modules`` (or none is required)."""
    return not modules or any(module in text for module in modules)


# What may be an identifier in ASCII text.  Python spells identifiers of
# other scripts too, and reads them NFKC-normalised (`ｆｉｔ` is `fit`):
# ``words`` normalises text that is not ASCII, and takes its words as ``\w+``.
_ASCII_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD = re.compile(r"\w+")


def words(text: str) -> frozenset[str]:
    """Every word of ``text`` that may be an identifier of its code, as Python reads it.

    A superset of the code's identifiers (strings and comments have words
    too): every identifier is delimited by characters that cannot continue
    it.  One scan of the text answers every rule's question, where a search
    per required name took twice as long.
    """
    if text.isascii():
        return frozenset(_ASCII_WORD.findall(text))
    return frozenset(_WORD.findall(unicodedata.normalize("NFKC", text)))


def names_have(names: frozenset[str] | set[str], tokens: Tokens) -> bool:
    """Every token (or one token of every choice) is one of ``names``."""
    return all(
        token in names if isinstance(token, str) else not names.isdisjoint(token)
        for token in tokens
    )


@dataclass(frozen=True)
class CodeFacts:
    """What the gate needs to know about a module's code (not its strings)."""

    # The top-level modules its (absolute) import statements import.
    imports: frozenset[str]
    names: frozenset[str]
    # The modules its (absolute) import statements name, in full.
    modules: frozenset[str] = frozenset()

    def imports_under(self, prefixes: tuple[str, ...]) -> bool:
        """It imports one of ``prefixes`` or a module under one."""
        return any(
            module == prefix or module.startswith(prefix + ".")
            for module in self.modules
            for prefix in prefixes
        )

    def imports_any(self, modules: frozenset[str]) -> bool:
        return not modules or not self.imports.isdisjoint(modules)


# Fields that hold no identifier and no child node worth visiting.
_SKIPPED_FIELDS = frozenset(
    {"ctx", "type_comment", "type_ignores", "kind", "level", "is_async", "simple", "conversion"}
)
_FIELDS: dict[type, tuple[str, ...]] = {
    # A constant's value is data: a string constant is not code.
    ast.Constant: (),
}


def _fields(kind: type) -> tuple[str, ...]:
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(
            name for name in getattr(kind, "_fields", ()) if name not in _SKIPPED_FIELDS
        )
    return fields


def code_facts(tree: ast.AST) -> CodeFacts:
    """Every identifier of the code (dotted import paths split), and the modules it imports.

    In the ``ast``, every string-valued field outside a constant is an
    identifier (``Name.id``, ``Attribute.attr``, ``alias.name``,
    ``ImportFrom.module``, ``keyword.arg``, ``FunctionDef.name``, ...), so a
    generic walk finds them all.  An explicit stack instead of ``ast.walk``:
    three times faster, and this runs on every file whose text passed step 1.
    """
    names: set[str] = set()
    add = names.add
    imports: set[str] = set()
    modules: set[str] = set()
    stack: list[object] = [tree]
    pop, push = stack.pop, stack.append
    fields_of = _FIELDS.get
    while stack:
        node = pop()
        kind = type(node)
        if kind is ast.Import or kind is ast.ImportFrom:
            imported = _imported_modules(node)  # type: ignore[arg-type]
            modules.update(imported)
            imports.update(module.split(".")[0] for module in imported)
        fields = fields_of(kind)
        if fields is None:
            fields = _fields(kind)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            value_type = type(value)
            if value_type is str:
                add(value)
            elif value_type is list:
                for item in value:
                    if type(item) is str:
                        add(item)
                    elif item is not None:
                        push(item)
            elif value_type is not int:
                push(value)
    # `import a.b` and `from a.b import C` name `a` and `b` too.
    for dotted in [name for name in names if "." in name]:
        names.update(dotted.split("."))
    return CodeFacts(frozenset(imports), frozenset(names), frozenset(modules))


# The fields of statements that hold statements: imports are statements, so a
# search for them never enters an expression, nor a simple statement.
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_SIMPLE = frozenset(
    {
        ast.Expr,
        ast.Assign,
        ast.AugAssign,
        ast.AnnAssign,
        ast.Return,
        ast.Pass,
        ast.Break,
        ast.Continue,
        ast.Raise,
        ast.Assert,
        ast.Delete,
        ast.Global,
        ast.Nonlocal,
    }
)

ImportNode: TypeAlias = "ast.Import | ast.ImportFrom"


def import_statements(tree: ast.AST) -> list[ImportNode]:
    """Every import statement of an ``ast`` tree, at any depth of statements, in source order.

    The gate and the project's import resolution both need them: the engine
    finds them once per file and hands them to both.  Simple statements are
    passed over without a look at their fields (most statements are).
    """
    found: list[ImportNode] = []
    stack: list[ast.AST] = [tree]
    pop, push = stack.pop, stack.extend
    while stack:
        node = pop()
        kind = type(node)
        if kind is ast.Import or kind is ast.ImportFrom:
            found.append(node)  # type: ignore[arg-type]
        elif kind not in _SIMPLE:
            for block in _BLOCKS:
                children = getattr(node, block, None)
                if type(children) is list:
                    push(reversed(children))
    return found


def import_facts(imports: Iterable[ImportNode]) -> CodeFacts:
    """The modules the import statements import, without identifiers (``names`` is empty).

    Enough for the requirements on imports, which rule out most rules of
    most files before the identifiers are needed.
    """
    modules: set[str] = set()
    for node in imports:
        modules.update(_imported_modules(node))
    return CodeFacts(
        frozenset(module.split(".")[0] for module in modules), frozenset(), frozenset(modules)
    )


def _imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement imports, in full (a relative import: none)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [node.module] if node.level == 0 and node.module else []


def filter_rules(
    rules: Iterable[type[Rule]],
    text: str,
    tree: ast.AST | None,
    also: Sequence[tuple[str, CodeFacts]] = (),
    imports: Sequence[ImportNode] | None = None,
) -> list[type[Rule]]:
    """The rules that may fire on a file: by its text, then by its code (``tree``).

    ``also`` holds the text and code facts of the project's modules the
    file imports (``darklint.project``): what a rule needs may be written
    there (the compile in ``models.py``, the training loop here).
    ``imports``: the tree's import statements, when the caller has them.
    """
    if disabled():
        return list(rules)
    texts = [text, *(other for other, _ in also)]
    # Rules share their module requirements: each set is looked up once per file.
    mentions: dict[frozenset[str], bool] = {}
    found: frozenset[str] | None = None
    candidates = []
    for rule in rules:
        modules = rule.requires_imports
        if modules not in mentions:
            mentions[modules] = any(mentions_any(each, modules) for each in texts)
        if not mentions[modules]:
            continue
        if found is None:
            found = frozenset().union(*(words(each) for each in texts))
        if names_have(found, rule.requires_names):
            candidates.append(rule)
    if not candidates or tree is None:
        return candidates
    # The imports first (a walk of the statements): code importing none of a
    # rule's modules, or one that rules it out, needs no identifier walk.
    if imports is None:
        imports = import_statements(tree)
    imported = _with_imported(import_facts(imports), also)
    candidates = [
        rule
        for rule in candidates
        if imported.imports_any(rule.requires_imports)
        and not imported.imports_under(rule.skipped_by_imports)
    ]
    if not candidates:
        return candidates
    facts = _with_imported(code_facts(tree), also)
    return [rule for rule in candidates if rule.may_apply_to_code(facts)]


def _with_imported(own: CodeFacts, also: Sequence[tuple[str, CodeFacts]]) -> CodeFacts:
    """A file's facts with the imports and identifiers of the project's modules it imports.

    What the file itself imports alone decides ``skipped_by_imports``.
    """
    if not also:
        return own
    return CodeFacts(
        own.imports.union(*(other.imports for _, other in also)),
        own.names.union(*(other.names for _, other in also)),
        own.modules,
    )
