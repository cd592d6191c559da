"""The base class every rule derives from, and the data a rule reports.

A rule is one small class (Fixit's shape): its docstring is its documentation,
``message`` is a one-line template with named fields, ``VALID``/``INVALID``
hold its embedded test cases, and its logic lives either in ``visit_*``
methods (run in the engine's single batched traversal) or in ``finish()``,
which runs after the traversal and queries the file's semantic model.

Rules never format output and never compute positions: they report nodes, and
the engine turns nodes into line/column ranges only when something was
reported (positions are the expensive part of libcst's metadata).

Importing this module (and so the rule table) does not import libcst: a run
whose files all stop at the gate (:mod:`darklint.gate`), ``darklint rules``
and a configuration error never pay for it.  A rule is used as a libcst
batchable visitor by duck typing (``get_visitors``).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar

from darklint import DOCS_BASE_URL
from darklint.diagnostics import RuleDescriptor, Severity
from darklint.gate import CodeFacts, Tokens, names_have
from darklint.positions import Positions, file_positions

if TYPE_CHECKING:
    import libcst as cst

    from darklint.project import ProjectView

T = TypeVar("T")


class Elsewhere(Protocol):
    """A reported node that is in another module of the project, not in the linted file.

    ``anchor`` is the node of the linted file through which the analysis got
    there (the call of that module's function): the engine reports there,
    and says where ``node`` is (``darklint.placement``).
    """

    @property
    def anchor(self) -> cst.CSTNode: ...
    @property
    def path(self) -> str: ...
    @property
    def module(self) -> cst.Module: ...
    @property
    def source(self) -> str: ...
    @property
    def node(self) -> cst.CSTNode: ...


class Status(str, enum.Enum):
    STABLE = "stable"
    PREVIEW = "preview"
    DEPRECATED = "deprecated"
    REMOVED = "removed"


@dataclass(frozen=True)
class Valid:
    """Code on which the rule must stay silent."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Code on which the rule must fire exactly on the lines marked ``# expect: CODE``.

    ``fixed`` is the whole file after ``--fix`` (``--unsafe-fixes`` when
    ``unsafe`` is set), when the rule offers a fix for this case.
    """

    code: str
    fixed: str | None = None
    unsafe: bool = False


@dataclass(frozen=True)
class Replacement:
    """A fix: put ``new`` where ``old`` is (``old`` must be a node of the file).

    ``until``: the text replaced runs from ``old``'s start to ``until``'s end
    (arguments dropped with their commas); ``also``: more nodes the same fix
    replaces (the import a rewritten call needs).

    ``safe`` says whether this fix keeps the program's behaviour; None takes
    the rule's ``fix_safety`` (a rule whose fixes are ``SOMETIMES_SAFE`` says
    it for each fix).
    """

    old: cst.CSTNode
    new: cst.CSTNode
    safe: bool | None = None
    also: tuple[Replacement, ...] = ()
    until: cst.CSTNode | None = None

    def parts(self) -> tuple[Replacement, ...]:
        return (self, *self.also)


@dataclass(frozen=True)
class Report:
    rule: type[Rule]
    node: cst.CSTNode
    # The range runs from ``node``'s start to ``end_node``'s end when given
    # (a loop header: the ``for`` up to its iterable, not the whole body).
    end_node: cst.CSTNode | None
    message: str
    fix: Replacement | None = None
    help: str | None = None
    # (what it is, where): the other places the message talks about; the
    # engine gives them positions as it does ``node``.
    related: tuple[tuple[str, cst.CSTNode], ...] = ()


@dataclass
class FileContext:
    """What a rule may know about the file being linted."""

    module: cst.Module
    source: str
    path: str
    reports: list[Report] = field(default_factory=list)
    # Where ``ast`` says each statement starts (``darklint.positions``):
    # positions are then computed for the reported statements only.
    statement_starts: Sequence[tuple[int, int]] | None = None
    # The file's target settings (``backend``...), as its configuration sets them.
    target: Mapping[str, object] = field(default_factory=dict)
    # The project's other modules, which an analysis may follow the file's
    # imports into (None: the file is analysed alone).
    project: ProjectView | None = None
    # The reportable nodes of other modules, by id (filled by the analysis
    # that found them).
    elsewhere: dict[int, Elsewhere] = field(default_factory=dict)
    _shared: dict[Callable[[FileContext], object], object] = field(default_factory=dict)
    _positions: Positions | None = None

    @property
    def positions(self) -> Positions:
        # Paid only by files with reports: the reported statements' codegen,
        # or one codegen pass over the whole file when ``ast`` was not kept.
        if self._positions is None:
            self._positions = file_positions(self.module, self.source, self.statement_starts)
        return self._positions

    def shared(self, make: Callable[[FileContext], T]) -> T:
        """``make(self)``, computed once per file for every rule that asks.

        The facts several rules query (the Keras semantic model) are built
        on first use, so a run whose rules need none never pays for them;
        the engine does not know what they are.
        """
        if make not in self._shared:
            self._shared[make] = make(self)
        return self._shared[make]  # type: ignore[return-value]


class FixSafety(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    # Each fix says whether it is exact where it is offered (``Replacement.safe``).
    SOMETIMES_SAFE = "sometimes safe"


class RuleCrashed(Exception):
    """A rule raised; the engine reports it with the file and rule and goes on."""

    def __init__(self, code: str, error: BaseException) -> None:
        super().__init__(f"{code}: {type(error).__name__}: {error}")
        self.code = code
        self.error = error


# The Keras 3 backends, in the order messages name them, and how they are named.
BACKENDS: dict[str, str] = {"tensorflow": "TensorFlow", "torch": "torch", "jax": "jax"}


def join_clauses(clauses: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(clauses) <= 1:
        return "".join(clauses)
    return f"{', '.join(clauses[:-1])} and {clauses[-1]}"


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    # What goes wrong: a one-line template with named fields, its first
    # sentence short and factual.
    message: ClassVar[str]
    # What to do about it: a template over the same fields (optional).
    help: ClassVar[str | None] = None
    severity: ClassVar[Severity] = Severity.WARNING
    # A file under reference_impls/ that shows the right way in PyTorch.
    reference: ClassVar[str | None] = None
    fix_safety: ClassVar[FixSafety | None] = None
    fix_title: ClassVar[str | None] = None
    default_enabled: ClassVar[bool] = True
    status: ClassVar[Status] = Status.STABLE
    aliases: ClassVar[tuple[str, ...]] = ()
    # The engine's own diagnostics (DK0xx) are produced by the engine, not by
    # a traversal; they are rules only so that selection and docs see them.
    engine_rule: ClassVar[bool] = False
    # Gate (darklint.gate): the rule can only fire when the file imports one
    # of ``requires_imports`` (top-level modules; empty: no import needed) and
    # has every one of the ``requires_names`` among the identifiers of its
    # code (not its strings or comments); anything else is never parsed for
    # it.  A tuple inside the tuple is a choice: one of its tokens is enough.
    requires_imports: ClassVar[frozenset[str]] = frozenset()
    requires_names: ClassVar[Tokens] = ()
    # Modules (and the modules under them) whose import rules the rule out.
    skipped_by_imports: ClassVar[tuple[str, ...]] = ()
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.crash: RuleCrashed | None = None

    def report(
        self,
        node: cst.CSTNode,
        *,
        end_node: cst.CSTNode | None = None,
        fix: Replacement | None = None,
        related: Mapping[str, cst.CSTNode | None] | None = None,
        **fields: object,
    ) -> None:
        """Report ``node``; ``related`` maps what each other place is to its node (None: left out)."""
        self.context.reports.append(
            Report(
                type(self),
                node,
                end_node,
                self.message.format(**fields),
                fix,
                self.help.format(**fields) if self.help is not None else None,
                tuple(
                    (what, where) for what, where in (related or {}).items() if where is not None
                ),
            )
        )

    def target(self, key: str) -> object:
        """A target setting of the file (``backend``...), or its default."""
        from darklint.config import target_value

        return target_value(self.context.target, key)

    def for_backends(self, clauses: Mapping[str, str], separator: str | None = None) -> str:
        """The clauses for the backends the file may run on, joined (``backend`` setting).

        ``clauses`` maps each backend to its clause; ``{backends}`` in a clause
        is replaced by the names of the backends it applies to, so that
        backends that behave alike share one clause ("on TensorFlow and
        torch").  An empty clause says nothing for that backend.  The clauses
        are joined as a list ("a, b and c") or with ``separator``.
        """
        backend = self.target("backend")
        grouped: dict[str, list[str]] = {}
        for name, shown in BACKENDS.items():
            clause = clauses.get(name, "")
            if clause and backend in ("any", name):
                grouped.setdefault(clause, []).append(shown)
        chosen = [clause.format(backends=join_clauses(names)) for clause, names in grouped.items()]
        return separator.join(chosen) if separator is not None else join_clauses(chosen)

    def finish(self) -> None:
        """Called once after the traversal; semantic-model rules work here."""

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        # What libcst's ``BatchableCSTVisitor.get_visitors`` returns: every
        # ``visit_*``/``leave_*`` method.  Each is guarded so that one rule's
        # crash neither stops the shared traversal nor silences the other rules.
        return {name: self._guard(getattr(self, name)) for name in self.visitor_names()}

    def _guard(self, method: Callable[[cst.CSTNode], None]) -> Callable[[cst.CSTNode], None]:
        @functools.wraps(method)
        def guarded(node: cst.CSTNode) -> None:
            if self.crash is not None:
                return
            try:
                method(node)
            except Exception as error:
                self.crash = RuleCrashed(self.code, error)

        return guarded

    # Class-level facts, derived from the class attributes and docstring.

    @classmethod
    def visitor_names(cls) -> tuple[str, ...]:
        return tuple(
            name
            for name in dir(cls)
            if name.startswith(("visit_", "leave_")) and callable(getattr(cls, name))
        )

    @classmethod
    def has_visitors(cls) -> bool:
        return bool(cls.visitor_names())

    @classmethod
    def may_apply_to_code(cls, facts: CodeFacts) -> bool:
        """The gate's second step, for a file that passed the first: its code."""
        return (
            facts.imports_any(cls.requires_imports)
            and names_have(facts.names, cls.requires_names)
            and not facts.imports_under(cls.skipped_by_imports)
        )

    @classmethod
    def slug_names(cls) -> tuple[str, ...]:
        return (cls.name, *cls.aliases)

    @classmethod
    def docs_url(cls) -> str:
        return f"{DOCS_BASE_URL}/{cls.code}-{cls.name}.md"

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else cls.name

    @classmethod
    def extra_sections(cls) -> dict[str, str]:
        """Doc sections generated from data (a table the rule works from), before References."""
        return {}

    @classmethod
    def descriptor(cls) -> RuleDescriptor:
        from darklint.docs import rule_description

        return RuleDescriptor(
            code=cls.code,
            name=cls.name,
            severity=cls.severity,
            summary=cls.summary(),
            description=rule_description(cls),
            url=cls.docs_url(),
            reference=cls.reference,
            default_enabled=cls.default_enabled,
            fixable=cls.fix_safety is not None,
            aliases=cls.aliases,
        )
