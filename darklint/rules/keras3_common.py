"""What the DK5xx rules share: the file's Keras imports, the spelling of fixes, the rows' docs.

Every DK5xx rule collects what it needs in the engine's one traversal, then
``finish`` resolves names by the file's import table (never by spelling) and
hands a :class:`Scope` to the rule's ``check``.  A file that imports Keras 2
(``tf_keras``, ``tensorflow.python.keras``) or sets ``TF_USE_LEGACY_KERAS``
is deliberately on Keras 2: no DK5xx at all.

libcst is imported inside the functions, never at module level: importing
the rule table must not import it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, cast

from darklint.diagnostics import Severity
from darklint.keras.keras3_removals import Fix, Row, rows_of
from darklint.keras.vocabulary import keras_package, keras_path
from darklint.rule import Replacement
from darklint.rules.base import KerasRule
from darklint.syntax_walk import descendants

if TYPE_CHECKING:
    import libcst as cst

    from darklint.keras.names import ImportTable
    from darklint.rule import FileContext

# Keras 3 spellings only (`keras.src` is Keras 3's own internals).
KERAS3_PACKAGES = frozenset({"keras", "tf.keras", "keras.src"})
LEGACY_SWITCH = "TF_USE_LEGACY_KERAS"
MAX_API = 60


@dataclass(frozen=True)
class Resolved:
    """A name of Keras 3: its qualified name, its package and its path inside Keras."""

    qualified: str
    package: str
    path: str

    @property
    def last(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def module_imports(module: cst.Module) -> ImportTable:
    """The import table of the imports that bind names for the whole module.

    Top-level imports, also inside top-level `if`/`try`/`with`/loop blocks;
    never those inside a function or a class body.
    """
    from darklint.keras.names import ImportTable

    table = ImportTable()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        for child in _statement_parts(node):
            kind = type(child).__name__
            if kind == "Import" or kind == "ImportFrom":
                table.add(child)  # type: ignore[arg-type]
            elif kind != "FunctionDef" and kind != "ClassDef":
                stack.append(child)
    return table


def _statement_parts(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The statements, blocks and clauses directly inside a statement or block, in order.

    Read from the fields that hold them: libcst's ``children`` rebuilds the
    node's whole list of parts, whitespace and expressions included.
    """
    parts: list[cst.CSTNode] = []
    for name in _PARTS.get(type(node).__name__, ()):
        value = getattr(node, name)
        if isinstance(value, (list, tuple)):
            parts.extend(value)
        elif value is not None:
            parts.append(value)
    return parts


# The fields of each statement and block that hold statements, blocks or clauses.
_PARTS: dict[str, tuple[str, ...]] = {
    "Module": ("body",),
    "SimpleStatementLine": ("body",),
    "SimpleStatementSuite": ("body",),
    "IndentedBlock": ("body",),
    "If": ("body", "orelse"),
    "Else": ("body",),
    "For": ("body", "orelse"),
    "While": ("body", "orelse"),
    "Try": ("body", "handlers", "orelse", "finalbody"),
    "TryStar": ("body", "handlers", "orelse", "finalbody"),
    "ExceptHandler": ("body",),
    "ExceptStarHandler": ("body",),
    "Finally": ("body",),
    "With": ("body",),
    "Match": ("cases",),
    "MatchCase": ("body",),
}


class Scope:
    """The file's imports, and what they say about its names."""

    def __init__(self, table: ImportTable, module: cst.Module, source: str) -> None:
        self.table = table
        self.module = module
        self.source = source
        self._module_names: dict[str, str] | None = None

    @property
    def module_names(self) -> dict[str, str]:
        """The names bound by imports for the whole module (not inside a function or class).

        Only these can spell a fix at any place: `keras` imported inside one
        function is not a name the module's other code can use.
        """
        if self._module_names is None:
            self._module_names = module_imports(self.module).names
        return self._module_names

    @property
    def on_keras2(self) -> bool:
        qualified = [*self.table.names.values(), *self.table.star_modules]
        return LEGACY_SWITCH in self.source or any(
            keras_package(name) == "keras2" for name in qualified
        )

    def resolve(self, node: cst.BaseExpression) -> Resolved | None:
        """What ``node`` names, by the imports; a loop, for ``a.b.b.b…`` of any depth."""
        import libcst as cst

        attrs: list[str] = []
        while type(node) is cst.Attribute:
            attrs.append(node.attr.value)
            node = node.value
        if type(node) is not cst.Name:
            return None
        root = self.table.qualify(node)
        if root is None:
            return None
        return self.resolve_qualified(".".join([root, *reversed(attrs)]))

    @staticmethod
    def resolve_qualified(qualified: str | None) -> Resolved | None:
        if qualified is None:
            return None
        package, path = keras_package(qualified), keras_path(qualified)
        if package not in KERAS3_PACKAGES or path is None:
            return None
        return Resolved(qualified, package, path)

    def spell(self, path: str) -> str | None:
        """How this file can write the Keras 3 name ``path`` (``ops.mean``) with the names it binds."""
        best: tuple[int, str] | None = None
        for local, qualified in self.module_names.items():
            if qualified == "tensorflow":
                prefix, rest = "", path
                spelled = f"{local}.keras.{rest}"
            else:
                resolved = self.resolve_qualified(qualified)
                if resolved is None or resolved.package == "keras.src":
                    continue
                prefix = resolved.path
                if prefix and path != prefix and not path.startswith(prefix + "."):
                    continue
                rest = path[len(prefix) :].lstrip(".")
                spelled = f"{local}.{rest}" if rest else local
            if best is None or len(spelled) < best[0]:
                best = (len(spelled), spelled)
        return best[1] if best else None

    def binds_anywhere(self, name: str) -> bool:
        """Whether ``name`` occurs as a word, not after a dot, anywhere in the file (conservative)."""
        return re.search(rf"(?<![.\w]){re.escape(name)}\b", self.source) is not None

    def import_adding(self, path: str) -> tuple[str, Replacement] | None:
        """``path`` made reachable by adding one name to a top-level ``from <Keras module> import …``.

        The import whose module is the longest prefix of ``path`` gets the next
        part of it (``from keras import backend as K`` + ``ops`` for
        ``ops.mean``); the spelling of ``path`` through that name comes back.
        None when the file has no such import or the name means something
        already.
        """
        import libcst as cst

        from darklint.keras.names import dotted

        best: tuple[int, cst.ImportFrom, str] | None = None
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.ImportFrom) or small.relative or small.lpar:
                    continue
                if isinstance(small.names, cst.ImportStar) or small.module is None:
                    continue
                resolved = self.resolve_qualified(dotted(small.module))
                if resolved is None or resolved.package == "keras.src":
                    continue
                prefix = resolved.path
                if prefix and not path.startswith(prefix + "."):
                    continue
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), small, path[len(prefix) :].lstrip("."))
        if best is None:
            return None
        _, node, rest = best
        head, _, tail = rest.partition(".")
        if not tail or self.binds_anywhere(head) or isinstance(node.names, cst.ImportStar):
            return None
        names = list(node.names)
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        names[-1] = names[-1].with_changes(comma=comma)
        names.append(cst.ImportAlias(cst.Name(head)))
        return rest, Replacement(node, node.with_changes(names=names))

    def keras_spelling(self, path: str) -> tuple[str, tuple[Replacement, ...]] | None:
        """``path`` spelled with the file's names, or with one name added to a Keras import."""
        spelled = self.spell(path)
        if spelled is not None:
            return spelled, ()
        added = self.import_adding(path)
        if added is None:
            return None
        return added[0], (added[1],)


class Keras3Rule(KerasRule):
    """The DK5xx family: Keras 2 code that breaks on, or silently differs in, Keras 3."""

    severity: ClassVar[Severity] = Severity.WARNING
    # Code that imports `keras.src` (Keras 3's own internals) is Keras 3 code:
    # nothing to migrate (and the gate need not parse Keras itself).
    skipped_by_imports: ClassVar[tuple[str, ...]] = ("keras.src",)
    message = "`{api}` fails on Keras 3: `{error}`; {replacement}"
    fix_title = "Use the Keras 3 spelling"

    nodes: FileNodes

    def finish(self) -> None:
        from darklint.keras.names import ImportTable

        if self.target("keras-version") == 2:
            return  # `keras-version = 2`: the project is on Keras 2 on purpose
        self.nodes = self.context.shared(file_nodes)
        table = ImportTable()
        for node in self.nodes.imports:
            table.add(node)
        if not table.imports_keras:
            return
        scope = Scope(table, self.context.module, self.context.source)
        if not scope.on_keras2:
            self.check(scope)

    def check(self, scope: Scope) -> None:
        raise NotImplementedError

    def code_of(self, node: cst.CSTNode) -> str:
        return shorten(self.context.module.code_for_node(node))

    def report_row(
        self,
        node: cst.CSTNode,
        row: Row,
        api: str,
        fix: Replacement | None = None,
        *,
        error: str | None = None,
    ) -> None:
        if fix is not None:
            # Each fix says whether it is exact: the row's safety, unless the
            # rule found this one unsafe where it is offered.
            fix = dataclasses.replace(fix, safe=row.fix is Fix.SAFE and fix.safe is not False)
        self.report(node, fix=fix, api=api, error=error or row.error, replacement=row.replacement)

    @classmethod
    def rows(cls) -> tuple[Row, ...]:
        return rows_of(cls.code)

    @classmethod
    def extra_sections(cls) -> dict[str, str]:
        """The rule's rows, rendered into its docs (``darklint.docs``)."""
        lines = ["| API | on Keras 3 | instead | fix |", "|---|---|---|---|"]
        for row in cls.rows():
            fix = row.fix.value if not row.why else f"{row.fix.value}: {row.why}"
            only = "" if row.packages != frozenset({"keras"}) else " (`keras` only)"
            lines.append(f"| {row.api}{only} | `{row.error}` | {row.replacement} | {fix} |")
        return {"Keras 3 table": "\n".join(lines)}


@dataclass
class FileNodes:
    """What the DK5xx rules look at in a file, found in one walk."""

    imports: list[cst.Import | cst.ImportFrom] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)
    attributes: list[cst.Attribute] = field(default_factory=list)
    # The call each attribute is the callee of (`m.fit` of `m.fit(...)`).
    call_of: dict[cst.BaseExpression, cst.Call] = field(default_factory=dict)
    # Attributes assigned to (`opt.lr = 0.1`), in file order.
    stores: list[cst.Attribute] = field(default_factory=list)


def file_nodes(context: FileContext) -> FileNodes:
    """Imports, calls, attributes and assigned attributes of the file, in one walk.

    Shared by the family's rules (``FileContext.shared``).
    """
    import libcst as cst

    found = FileNodes()
    for node in descendants(context.module):
        kind = type(node)
        if kind is cst.Call:
            call = cast("cst.Call", node)
            found.calls.append(call)
            found.call_of[call.func] = call
        elif kind is cst.Attribute:
            found.attributes.append(cast("cst.Attribute", node))
        elif kind is cst.Import or kind is cst.ImportFrom:
            found.imports.append(cast("cst.Import | cst.ImportFrom", node))
        elif kind is cst.AssignTarget:
            target = cast("cst.AssignTarget", node).target
            if type(target) is cst.Attribute:
                found.stores.append(target)
    return found


# The module a Keras 3 error message names for a package's path: `tf.keras`'
# modules are named after how they were first imported (`tensorflow.keras.layers`
# or `keras._tf_keras.keras.layers`).
REAL_MODULE = {"keras": "keras", "tf.keras": "…keras"}


def real_module(package: str, path: str) -> str:
    root = REAL_MODULE.get(package, "keras")
    return f"{root}.{path}" if path else root


def missing_error(package: str, parent: str, name: str, *, imported: bool = False) -> str:
    """What Keras 3 raises for ``<parent>.<name>`` (or ``from <parent> import <name>``)."""
    module = real_module(package, parent)
    if imported:
        return f"ImportError: cannot import name '{name}' from '{module}' (…)"
    return f"AttributeError: module '{module}' has no attribute '{name}'"


def backend_error(name: str, package: str, *, imported: bool = False) -> str:
    return missing_error(package, "backend", name, imported=imported)


def module_error(spelled: str) -> str:
    """What Keras 3 raises for importing the removed module spelled ``spelled``."""
    return f"ModuleNotFoundError: No module named '{spelled}'"


def shorten(code: str, limit: int = MAX_API) -> str:
    """``code`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(code.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def call_api(rule: Keras3Rule, call: cst.Call, shown: Iterable[cst.Arg]) -> str:
    """``Adam(lr=0.0002)``: the callee with the arguments that matter."""
    arguments = ", ".join(rule.code_of(arg.with_changes(comma=_default())) for arg in shown)
    return shorten(f"{rule.code_of(call.func)}({arguments})")


def _default() -> object:
    import libcst as cst

    return cst.MaybeSentinel.DEFAULT


def has_comment(node: cst.CSTNode) -> bool:
    import libcst as cst

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Comment):
            return True
        stack.extend(current.children)
    return False


def edit_arguments(call: cst.Call, changes: dict[int, cst.Arg | None]) -> Replacement | None:
    """Replace or drop (None) arguments of ``call`` by index, as the smallest edits.

    An argument's range holds neither its comma nor the space after it, so a
    dropped argument goes with the stretch up to the next argument kept
    (which is written again), or, dropped at the end, from the last argument
    kept on. None when a comment would be lost.
    """
    import libcst as cst

    args = list(call.args)
    new = {index: changes.get(index, arg) for index, arg in enumerate(args)}
    kept = [index for index, arg in new.items() if arg is not None]
    dropped = [index for index, arg in new.items() if arg is None]
    if any(has_comment(args[index]) for index in dropped):
        return None
    spans: dict[int, tuple[int, cst.CSTNode]] = {}  # start -> (end, what to write)
    for index in dropped:
        after = [k for k in kept if k > index]
        before = [k for k in kept if k < index]
        if after:
            start, end, written = index, after[0], _bare(new[after[0]])
        elif before:
            start, end, written = before[-1], len(args) - 1, _bare(new[before[-1]])
        else:
            start, end, written = 0, len(args) - 1, cst.SimpleWhitespace("")
        previous = spans.get(start)
        if previous is None or previous[0] < end:
            spans[start] = (end, written)
    for index, arg in changes.items():
        covered = any(start <= index <= end for start, (end, _) in spans.items())
        if arg is not None and not covered:
            spans[index] = (index, _bare(arg))
    # Spans started inside a longer one are part of it.
    ordered = sorted(spans.items())
    merged: list[tuple[int, int, cst.CSTNode]] = []
    for start, (end, written) in ordered:
        if merged and start <= merged[-1][1]:
            continue
        merged.append((start, end, written))
    parts = [
        Replacement(args[start], written, until=args[end] if end != start else None)
        for start, end, written in merged
    ]
    if not parts:
        return None
    first, *rest = parts
    return Replacement(first.old, first.new, also=tuple(rest), until=first.until)


def _bare(arg: cst.Arg | None) -> cst.CSTNode:
    """An argument as its own range spells it: no comma, nothing after."""
    import libcst as cst

    assert arg is not None
    return arg.with_changes(
        comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=cst.SimpleWhitespace("")
    )


def keyword(call: cst.Call, name: str) -> tuple[int, cst.Arg] | None:
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == name:
            return index, arg
    return None


def positional(call: cst.Call) -> Sequence[cst.Arg]:
    return [arg for arg in call.args if arg.keyword is None and not arg.star]


def is_keras_receiver(rule: KerasRule, attribute: cst.Attribute, scope: Scope) -> bool:
    """``x`` of ``x.method`` is a Keras model or layer, or unknown and ``method`` is not the file's own.

    The semantic model knows what ``x`` holds when the file builds it; a
    value it cannot see into (a parameter, another module's function) counts
    as Keras only for a method the file does not define itself.
    """
    from darklint.keras.facts import Owner

    owner = rule.semantic.owners.get(attribute)
    if owner in (Owner.MODEL, Owner.LAYER):
        return True
    if owner is not None:
        return False
    return re.search(rf"\bdef\s+{re.escape(attribute.attr.value)}\b", scope.source) is None


def is_optimizer_lr(rule: KerasRule, attribute: cst.Attribute) -> bool:
    """``opt.lr`` of a Keras optimizer, or ``m.optimizer.lr`` of a Keras model (or of unknown ``m``)."""
    import libcst as cst

    from darklint.keras.facts import Owner

    owners = rule.semantic.owners
    if owners.get(attribute) is Owner.OPTIMIZER:
        return True
    holder = attribute.value
    if not isinstance(holder, cst.Attribute) or holder.attr.value != "optimizer":
        return False
    return owners.get(holder) in (Owner.MODEL, None)
