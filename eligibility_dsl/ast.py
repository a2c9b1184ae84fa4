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

from .diagnostics import Span

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


@attrs.frozen
class DefineDecl(Decl):
    name: str
    expr: Expr


@attrs.frozen
class Criterion(Decl):
    kind: str  # include | exclude
    id: str
    text: str
    expr: Expr


@attrs.frozen
class Module(Node):
    """One parsed file."""

    file: str
    decls: tuple[Decl, ...]

