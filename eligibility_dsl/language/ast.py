"""The syntax tree: frozen attrs nodes, one per construct of the language.

Every node carries the ``span`` it was parsed from; spans are excluded from
equality and hashing, so two trees that differ only in layout compare equal
(what the formatter and the parser's round-trip tests rely on).  Nodes hold
what was written (units as text, numbers as ``Decimal``); meaning (types,
resolved names, converted units) is the checker's business.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from ..diagnostics import Span


@attrs.frozen
class Node:
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


# ----------------------------------------------------------------- expressions


@attrs.frozen
class Expr(Node):
    pass


@attrs.frozen
class NumberLit(Expr):
    value: Decimal


@attrs.frozen
class QuantityLit(Expr):
    value: Decimal
    unit: str


@attrs.frozen
class DateLit(Expr):
    text: str  # validated by the checker, so a bad date is a located diagnostic


@attrs.frozen
class TextLit(Expr):
    value: str


@attrs.frozen
class TitreLit(Expr):
    dilution: Decimal  # `titre 1:160`: 160


@attrs.frozen
class BoolLit(Expr):
    value: bool | None  # None is the literal `unknown`


@attrs.frozen
class Name(Expr):
    id: str


@attrs.frozen
class Call(Expr):
    func: str
    args: tuple[Expr, ...]


@attrs.frozen
class Age(Expr):
    at: Expr


@attrs.frozen
class AgeIn(Expr):
    """`age in hours at X`, `age in minutes at X` (issue 11): ``unit`` as written, checked by the checker."""

    unit: str
    at: Expr


@attrs.frozen
class DurationBetween(Expr):
    unit: str  # years | months | weeks | days
    start: Expr
    end: Expr


@attrs.frozen
class Conditional(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr


@attrs.frozen
class Neg(Expr):
    operand: Expr


@attrs.frozen
class Arith(Expr):
    op: str  # + - * /
    left: Expr
    right: Expr


# ---- formulas (lang11a)
@attrs.frozen
class Power(Expr):
    """`base ^ exponent` (right-associative, tighter than unary minus)."""

    base: Expr
    exponent: Expr
# ---- end formulas


@attrs.frozen
class Compare(Expr):
    op: str  # = != < <= > >=  (the Unicode forms are normalised by the parser)
    left: Expr
    right: Expr


@attrs.frozen
class Between(Expr):
    """`x between low and high`: both bounds inclusive."""

    operand: Expr
    low: Expr
    high: Expr
    negated: bool = False


@attrs.frozen
class Member(Expr):
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@attrs.frozen
class Not(Expr):
    operand: Expr


@attrs.frozen
class And(Expr):
    operands: tuple[Expr, ...]


@attrs.frozen
class Or(Expr):
    operands: tuple[Expr, ...]


@attrs.frozen
class Implies(Expr):
    left: Expr
    right: Expr


@attrs.frozen
class InCodeset(Expr):
    """`code in tnf_inhibitors`: whether a coding belongs to a named code set."""

    operand: Expr
    codeset: str
    negated: bool = False


@attrs.frozen
class Lookup(Expr):
    """`prednisone_equivalent[code]`: the value a table gives for a coding."""

    table: str
    key: Expr


@attrs.frozen
class Window(Node):
    """When a query looks. Worded forms (`1 year before screening`) include both ends;
    bracket forms state each end. ``length``/``anchor`` are set for the relative forms,
    ``low``/``high`` for `from ... to ...` and brackets; an absent bound is unbounded."""

    kind: str  # before | after | ever_before | ever_after | range
    length: Expr | None = None
    anchor: Expr | None = None
    low: Expr | None = None
    high: Expr | None = None
    low_closed: bool = True
    high_closed: bool = True


@attrs.frozen
class Query(Node):
    """`medications in tnf_inhibitors where FILTER during WINDOW`."""

    collection: str
    codeset: str | None = None
    filter: Expr | None = None
    window: Window | None = None
    collection_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    starting: bool = attrs.field(default=False, kw_only=True)  # `starting during W` (lang11b)


@attrs.frozen
class Aggregate(Expr):
    """`exists Q`, `count Q`, `days on Q`."""

    kind: str  # exists | count | days_on
    query: Query


@attrs.frozen
class All(Expr):
    query: Query
    condition: Expr


@attrs.frozen
class Pick(Expr):
    """`latest value of Q` / `earliest date of Q`."""

    which: str  # latest | earliest
    field: str
    query: Query


@attrs.frozen
class Stable(Expr):
    """`stable daily_dose of Q [allowing gaps of 7 days]`; with no field, `continuous Q [...]`."""

    field: str | None
    query: Query
    gap: Expr | None = None


@attrs.frozen
class Change(Expr):
    """`change in score of Q`: the latest value minus the earliest."""

    field: str
    query: Query


@attrs.frozen
class ResultIs(Expr):
    """`value is positive`: a laboratory-result word (positive, negative, abnormal, normal, high, low)."""

    operand: Expr
    word: str
    word_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class DailyTotal(Expr):
    """`highest daily total of EXPR over Q`: the largest, over the days of Q's window, of the sum of
    EXPR over the records of Q active on that day."""

    amount: Expr
    query: Query


# sequences (lang11b)
@attrs.frozen
class Extreme(Expr):
    """`highest value of Q` / `lowest value of Q`: the largest (smallest) value of a field over Q's events."""

    which: str  # highest | lowest
    field: str
    query: Query


# counting over items (lang11b)
@attrs.frozen
class ItemCount(Expr):
    """`count items with score >= 4 of latest assessments in cmai ...`: how many items of the latest
    (earliest) matching assessment satisfy the condition (bare names: the item's `score` and `item`)."""

    condition: Expr
    which: str  # latest | earliest
    query: Query


# ---------------------------------------------------------------- declarations


@attrs.frozen
class TypeExpr(Node):
    """A declared fact type: `boolean`, `number`, `quantity in mg`, `date`, `text`, `code of [...]`."""

    kind: str
    unit: str | None = None
    values: tuple[str, ...] | None = None
    unit_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Decl(Node):
    # Where the declared name (or criterion id) is written: diagnostics point there.
    name_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class TrialDecl(Decl):
    registry_id: str
    title: str


@attrs.frozen
class VersionDecl(Decl):
    version: str


@attrs.frozen
class AnchorDecl(Decl):
    name: str
    description: str | None = None


@attrs.frozen
class FactDecl(Decl):
    name: str
    type: TypeExpr
    description: str | None = None
    range: tuple[Expr, Expr] | None = None  # `between LOW and HIGH`: the fact's scale, both ends included


@attrs.frozen
class DefineDecl(Decl):
    name: str
    expr: Expr


# ---- formulas (lang11a)
@attrs.frozen
class FunctionParam(Node):
    name: str
    type: TypeExpr


@attrs.frozen
class FunctionDecl(Decl):
    """`function bmi(weight: quantity in kg, height: quantity in m): weight / height ^ 2`."""

    name: str
    params: tuple[FunctionParam, ...]
    expr: Expr
# ---- end formulas


@attrs.frozen
class Criterion(Decl):
    kind: str  # include | exclude
    id: str
    text: str
    expr: Expr


@attrs.frozen
class LibraryDecl(Decl):
    name: str
    title: str


@attrs.frozen
class ImportDecl(Decl):
    path: str


@attrs.frozen
class ValueSetImportDecl(Decl):
    """`import valueset "vs/b_cell.json" as b_cell`: a FHIR ValueSet read as the code set `b_cell`."""

    path: str
    name: str
    path_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class CodeEntry(Node):
    system: str
    code: str
    display: str | None = None


@attrs.frozen
class CodesetRef(Node):
    name: str


@attrs.frozen
class CodesetDecl(Decl):
    name: str
    description: str | None
    entries: tuple[CodeEntry | CodesetRef, ...]
    no_analyte: bool = False  # `analyte none`: results never convert between mass and amount


@attrs.frozen
class TableEntry(Node):
    key: str  # a code set's name
    value: Expr


@attrs.frozen
class TableDecl(Decl):
    name: str
    description: str | None
    source: str | None
    entries: tuple[TableEntry, ...]


@attrs.frozen
class ScoreItem(Node):
    weight: Decimal
    condition: Expr


@attrs.frozen
class ScoreCategory(Node):
    title: str
    items: tuple[ScoreItem, ...]


@attrs.frozen
class ScoreDecl(Decl):
    """The sum over categories of the highest weight whose condition holds."""

    name: str
    description: str | None
    categories: tuple[ScoreCategory, ...]


@attrs.frozen
class Module(Node):
    """One parsed file."""

    file: str
    decls: tuple[Decl, ...]

