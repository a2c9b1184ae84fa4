"""The checked intermediate representation: what a criterion means, independent of any backend.

The checker builds it from the AST once names, types and units are resolved;
the Python compiler (and, later, other backends such as SQL) consume it.  Every
node has its ``type`` and the ``span`` of the source it came from (excluded from
equality, like the AST's).  Constants hold runtime values (``Decimal``,
``Quantity``, ``date``, ``str``, ``True``/``False``/``None``).
"""

from __future__ import annotations

from typing import Any

import attrs

from ..diagnostics import Span
from ..language.types import Type


@attrs.frozen
class Node:
    type: Type
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()


@attrs.frozen
class Const(Node):
    value: Any


@attrs.frozen
class Fact(Node):
    """A value from the patient record: a declared fact or a built-in field."""

    name: str


@attrs.frozen
class Anchor(Node):
    name: str


@attrs.frozen
class DefRef(Node):
    name: str


@attrs.frozen
class Not(Node):
    operand: Node

    def children(self):
        return (self.operand,)


@attrs.frozen
class And(Node):
    operands: tuple[Node, ...]

    def children(self):
        return self.operands


@attrs.frozen
class Or(Node):
    operands: tuple[Node, ...]

    def children(self):
        return self.operands


@attrs.frozen
class Implies(Node):
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@attrs.frozen
class Compare(Node):
    op: str
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@attrs.frozen
class Between(Node):
    """Inclusive at both ends."""

    operand: Node
    low: Node
    high: Node
    negated: bool = False

    def children(self):
        return (self.operand, self.low, self.high)


@attrs.frozen
class Member(Node):
    operand: Node
    items: tuple[Node, ...]
    negated: bool = False

    def children(self):
        return (self.operand, *self.items)


@attrs.frozen
class Arith(Node):
    """`op` is + - * /; `kind` says which values meet: number, quantity, scale (number and
    quantity), date_shift (date and duration)."""

    op: str
    kind: str
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@attrs.frozen
class Neg(Node):
    operand: Node

    def children(self):
        return (self.operand,)


@attrs.frozen
class Extremum(Node):
    func: str  # max | min
    args: tuple[Node, ...]

    def children(self):
        return self.args


# ---- formulas (lang11a)
@attrs.frozen
class Formula(Node):
    """`sqrt(x)`, `ln(x)`, `exp(x)`, `round(x, n)` and `x ^ y` (func `^`), computed by ``runtime.formulas``
    in its fixed 28-digit decimal context."""

    func: str  # sqrt | ln | exp | round | ^
    args: tuple[Node, ...]

    def children(self):
        return self.args
# ---- end formulas


@attrs.frozen
class Age(Node):
    """Completed years from the record's birth date to ``at``."""

    at: Node

    def children(self):
        return (self.at,)


@attrs.frozen
class AgeIn(Node):
    """Completed hours (minutes) from the record's birth date-time to ``at`` (issue 11): a quantity, or
    the bounds it lies between when either is known only to the day (runtime/datetimes.py).  ``instant``
    is ``at``'s date-time when ``at`` is an anchor (an anchor may be given as a date-time), else None."""

    unit: str  # hours | minutes
    at: Node
    instant: Node | None = None

    def children(self):
        return (self.at,) if self.instant is None else (self.at, self.instant)


@attrs.frozen
class AnchorTime(Node):
    """The anchor ``name`` as a date-time (``runtime.datetimes.anchor_time``): read only by `AgeIn`."""

    name: str

    def children(self):
        return ()


@attrs.frozen
class EventTime(Node):
    """Inside a query's `where`: the event's own `date` as a date-time (its instant when the record gives
    one, else its date): what an hour window relative to it reads (issue 11)."""

    def children(self):
        return ()


@attrs.frozen
class PickTime(Node):
    """`latest date of Q` (`earliest`) as a date-time: the picked event's instant, else its date known to the
    day. Read only by the exact bounds of a window in hours relative to such a date (issue 11)."""

    which: str  # latest | earliest
    query: Query

    def children(self):
        return self.query.children()


@attrs.frozen
class DurationBetween(Node):
    unit: str  # years | months | weeks | days
    start: Node
    end: Node

    def children(self):
        return (self.start, self.end)


@attrs.frozen
class Conditional(Node):
    cond: Node
    then: Node
    otherwise: Node

    def children(self):
        return (self.cond, self.then, self.otherwise)


# ------------------------------------------------------------------ histories


@attrs.frozen
class FieldRef(Node):
    """A field of the event a query is looking at (`daily_dose` inside `where`)."""

    name: str


@attrs.frozen
class InCodeset(Node):
    operand: Node
    codeset: str
    negated: bool = False

    def children(self):
        return (self.operand,)


@attrs.frozen
class Lookup(Node):
    table: str
    key: Node

    def children(self):
        return (self.key,)


@attrs.frozen
class Window:
    """Bounds are date-valued nodes, None where the window is unbounded."""

    low: Node | None
    high: Node | None
    low_closed: bool = True
    high_closed: bool = True
    span: Span | None = attrs.field(default=None, eq=False)
    starts_only: bool = attrs.field(default=False, kw_only=True)  # `starting during`: events that start in it
    # A window written in hours or minutes on anchors (issue 11): (low anchor time, low shift in seconds,
    # high anchor time, high shift), the AnchorTime nodes None where unbounded; exact when an anchor is
    # given as a date-time (runtime/exact_windows.py), else the whole-day window it always was.
    exact: tuple | None = attrs.field(default=None, kw_only=True)

    def bounds(self) -> tuple[Node, ...]:
        return tuple(b for b in (self.low, self.high) if b is not None)


@attrs.frozen
class Query:
    collection: str
    codeset: str | None
    filter: Node | None
    window: Window | None
    span: Span | None = attrs.field(default=None, eq=False)

    def children(self) -> tuple[Node, ...]:
        return (*(self.window.bounds() if self.window else ()), *((self.filter,) if self.filter else ()))


@attrs.frozen
class Aggregate(Node):
    kind: str  # exists | count | days_on
    query: Query

    def children(self):
        return self.query.children()


@attrs.frozen
class All(Node):
    query: Query
    condition: Node

    def children(self):
        return (*self.query.children(), self.condition)


@attrs.frozen
class Pick(Node):
    which: str  # latest | earliest
    field: str
    query: Query
    # `latest value of observations in ana is positive`: the result word asked of the picked observation
    # (its interpretation, coded value or value against its reference range: runtime/labs.py), not its value.
    word: str | None = None

    def children(self):
        return self.query.children()


@attrs.frozen
class Stable(Node):
    field: str | None  # None: `continuous`, continuity alone
    query: Query
    gap: Node | None = None

    def children(self):
        return (*self.query.children(), *((self.gap,) if self.gap else ()))


@attrs.frozen
class Change(Node):
    field: str
    query: Query

    def children(self):
        return self.query.children()


# sequences (lang11b)
@attrs.frozen
class Extreme(Node):
    """`highest F of Q` / `lowest F of Q`: the largest (smallest) F over Q's matching events."""

    which: str  # highest | lowest
    field: str
    query: Query

    def children(self):
        return self.query.children()


# counting over items (lang11b)
@attrs.frozen
class ItemCount(Node):
    """`count items with COND of latest Q`: how many items of Q's latest (earliest) assessment satisfy
    COND (evaluated on each item, like a filter: bare names are the item's `score` and `item`)."""

    which: str  # latest | earliest
    query: Query
    condition: Node

    def children(self):
        return (*self.query.children(), self.condition)


@attrs.frozen
class ResultIs(Node):
    """`value is positive` on the observation a query is looking at (rules: runtime/labs.py)."""

    word: str  # positive | negative | abnormal | normal | high | low


@attrs.frozen
class DailyTotal(Node):
    """`highest daily total of AMOUNT over Q`: the largest, over the days of Q's window, of the sum of
    AMOUNT (evaluated on each record, like a filter) over the matching records active that day."""

    amount: Node
    query: Query

    def children(self):
        return (*self.query.children(), self.amount)


@attrs.frozen
class ScoreRef(Node):
    name: str


@attrs.frozen
class CodesetSpec:
    name: str
    description: str | None
    codes: tuple[tuple[str, str, str | None], ...]  # (system, code or class prefix ending in *, display)
    includes: tuple[str, ...]  # other code sets, by name
    span: Span | None = attrs.field(default=None, eq=False)
    # Codes the terminology added (also in ``codes``): (system, code, display, what it was derived from,
    # e.g. `RxNorm 121191 (rituximab)`), for traces, `elig doc` and audits (docs/terminology.md).
    derived: tuple[tuple[str, str, str | None, str], ...] = ()
    no_analyte: bool = False  # declared `analyte none` (check/analytes.py)


@attrs.frozen
class TableSpec:
    name: str
    description: str | None
    source: str | None
    entries: tuple[tuple[str, Any], ...]  # (code set name, constant value)
    type: Type
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class ScoreSpec:
    name: str
    description: str | None
    categories: tuple[tuple[str, tuple[tuple[Any, Node], ...]], ...]  # (title, ((weight, condition), ...))
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Definition:
    name: str
    expr: Node
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Criterion:
    kind: str  # include | exclude
    id: str
    text: str
    expr: Node
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class FactSpec:
    name: str
    type: Type
    description: str | None = None
    builtin: bool = False
    range: tuple[Any, Any] | None = None  # the declared scale (low, high), both included (check/fact_range.py)


@attrs.frozen
class CheckedTrial:
    """A trial whose every name, type and unit is resolved: the input of every backend."""

    registry_id: str
    title: str
    version: str | None
    anchors: dict[str, str | None]
    facts: dict[str, FactSpec]
    definitions: dict[str, Definition]
    criteria: tuple[Criterion, ...]
    file: str
    source: str = attrs.field(eq=False, repr=False)
    codesets: dict[str, CodesetSpec] = attrs.field(factory=dict)
    tables: dict[str, TableSpec] = attrs.field(factory=dict)
    scores: dict[str, ScoreSpec] = attrs.field(factory=dict)
    # Every file the trial was built from (the trial and its imported libraries), by name.
    sources: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False)
    is_library: bool = False
    terminology: str | None = None  # the release that expanded the code sets (docs/terminology.md)
