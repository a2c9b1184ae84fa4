"""How a value of the language is held in SQL, and the three-valued operations on it.

A truth is an INTEGER that is never NULL: 0 false, 1 unknown, 2 true.  So ``and`` is ``LEAST``, ``or`` is
``GREATEST``, ``not`` is ``2 - x``, and SQL's own NULL rules never decide a criterion (every operand of
``LEAST``/``GREATEST`` is non-null by construction).

Any other value is an *interval* ``(low, high)``: an exact value has ``low`` and ``high`` the same
expression, NULL meaning unknown; a *bounded* value (a count from an incomplete history, a score with
unknown items) has a non-null ``low`` and a ``high`` that is NULL when unbounded.  Comparisons follow
``runtime.bounded.compare_bounded`` exactly: decided only when every value in the ranges agrees.

A value also carries the *missing* items that may explain why it is unknown: (label, SQL condition) pairs;
the label is reported for an INDETERMINATE record when the condition holds on it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlglot import exp

from ...language import types as T

FALSE, UNKNOWN, TRUE = 0, 1, 2


class _NoConst:
    def __repr__(self) -> str:
        return "NOCONST"


NOCONST = _NoConst()  # a value not known at compile time


def AND(*xs: exp.Expression) -> exp.Expression:
    return exp.and_(*xs, copy=False)


def OR(*xs: exp.Expression) -> exp.Expression:
    return exp.or_(*xs, copy=False)


def NOT(x: exp.Expression) -> exp.Expression:
    return exp.not_(x, copy=False)


def num(n: int | Decimal) -> exp.Expression:
    text = format(n, "f") if isinstance(n, Decimal) else str(n)
    if text.startswith("-"):
        return exp.Neg(this=exp.Literal.number(text[1:]))
    return exp.Literal.number(text)


def lit(value: Any) -> exp.Expression:
    """A constant as a SQL literal (exact: decimals are written out in full)."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | Decimal):
        return num(value)
    if isinstance(value, datetime.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.Literal.string(str(value))


def truth_lit(t: int) -> exp.Expression:
    return exp.Literal.number(t)


@attrs.frozen
class V:
    kind: str  # truth | exact | bounded | any
    low: exp.Expression
    high: exp.Expression | None = None
    type: T.Type = T.BOOLEAN
    missing: tuple[tuple[str, exp.Expression], ...] = ()
    unit: Any = None  # a quantity's unit (the expression's numbers are in it)
    constant: Any = NOCONST  # the Python value, when known at compile time
    placeholder: bool = False  # stands for a node that did not compile (compiling goes on to report the rest)
    cols: Any = None  # kind "any" (a value whose type is known from the data): its columns (dynamic.py)

    @property
    def expr(self) -> exp.Expression:
        return self.low


def truth(expr: exp.Expression, missing=()) -> V:
    return V("truth", expr, missing=tuple(missing))


def exact(expr: exp.Expression, typ: T.Type, missing=(), unit=None, constant=NOCONST) -> V:
    return V("exact", expr, expr, typ, tuple(missing), unit, constant)


def collapsed(v: V) -> V:
    """A bounded value (a score or count known to lie in [low, high]) where an exact one is needed (`-s`,
    `max(s, n)`): the Python backend holds an exact value when the bounds meet, and anything else is unknown
    there (``runtime.ops``: a Bounded operand gives None), so here: low when low = high, else NULL."""
    if v.kind != "bounded":
        return v
    known = AND(NOT(exp.Is(this=v.high.copy(), expression=exp.null())),
                exp.EQ(this=v.low.copy(), expression=v.high.copy()))
    return exact(exp.Case().when(known, v.low.copy()).else_(exp.null()), v.type, v.missing, unit=v.unit)


def merged(*vs: V) -> tuple:
    out: list = []
    for v in vs:
        out += v.missing
    return tuple(out)


def case(*whens: tuple[exp.Expression, int], default: int) -> exp.Expression:
    c = exp.Case()
    for cond, t in whens:
        c = c.when(cond, truth_lit(t))
    return c.else_(truth_lit(default))


def of_boolean(expr: exp.Expression) -> exp.Expression:
    """A nullable SQL boolean as a truth: NULL is unknown."""
    return case((expr.is_(exp.null()), UNKNOWN), (expr, TRUE), default=FALSE)


def not_(v: V) -> V:
    return truth(exp.Sub(this=truth_lit(TRUE), expression=exp.paren(v.expr, copy=False)), v.missing)


def junction(vs: list[V], is_and: bool) -> V:
    if len(vs) == 1:
        return vs[0]
    return truth(extremum("LEAST" if is_and else "GREATEST", [v.expr for v in vs]), merged(*vs))


def extremum(name: str, args: list[exp.Expression]) -> exp.Expression:
    """``LEAST``/``GREATEST`` written as plain function calls: sqlglot's own nodes make the DuckDB generator
    wrap each call in a NULL test that repeats its operands (exponential text for nested calls).  Every operand
    here is non-null, so both engines' semantics (DuckDB skips NULLs, Spark skips NULLs) agree and never apply."""
    return exp.Anonymous(this=name, expressions=list(args))


_SQL_CMP = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}


def _is_null(e: exp.Expression) -> exp.Expression:
    return e.is_(exp.null())


def _null_checks(a: V, b: V) -> list[exp.Expression]:
    return [_is_null(v.low) for v in (a, b) if v.kind == "exact" and not _known(v)]


def _known(v: V) -> bool:
    return v.constant is not NOCONST and v.constant is not None


def _or(conds: list[exp.Expression]) -> exp.Expression:
    out = conds[0]
    for c in conds[1:]:
        out = OR(out, c)
    return exp.paren(out, copy=False)


def _and(*conds: exp.Expression) -> exp.Expression:
    out = conds[0]
    for c in conds[1:]:
        out = AND(out, c)
    return exp.paren(out, copy=False)


def compare(op: str, a: V, b: V) -> V:
    """``a op b`` over exact or bounded values (``runtime.bounded.compare_bounded``)."""
    missing = merged(a, b)
    nulls = _null_checks(a, b)
    if a.kind == "exact" and b.kind == "exact":
        cmp = _SQL_CMP[op](this=a.low, expression=b.low)
        if not nulls:
            return truth(case((cmp, TRUE), default=FALSE), missing)
        return truth(case((_or(nulls), UNKNOWN), (cmp, TRUE), default=FALSE), missing)
    whens: list[tuple[exp.Expression, int]] = [(_or(nulls), UNKNOWN)] if nulls else []
    if op in ("<", "<=", ">", ">="):
        x, y = (a, b) if op in ("<", "<=") else (b, a)
        strict = op in ("<", ">")
        whens += _less(x, y, strict)
    else:
        whens += _equal(a, b, op == "!=")
    return truth(case(*whens, default=UNKNOWN), missing)


def _has_high(v: V) -> exp.Expression | None:
    """A condition that the high bound exists (None: always)."""
    if v.kind == "exact":
        return None
    return NOT(_is_null(v.high))


def _guarded(cond: exp.Expression, *needs: exp.Expression | None) -> exp.Expression:
    extra = [n for n in needs if n is not None]
    return _and(*extra, cond) if extra else cond


def _less(x: V, y: V, strict: bool) -> list[tuple[exp.Expression, int]]:
    lt = exp.LT if strict else exp.LTE
    ge = exp.GTE if strict else exp.GT
    yes = _guarded(lt(this=x.high, expression=y.low), _has_high(x))
    no = _guarded(ge(this=x.low, expression=y.high), _has_high(y))
    return [(yes, TRUE), (no, FALSE)]


def _equal(a: V, b: V, negated: bool) -> list[tuple[exp.Expression, int]]:
    disjoint = _or([_guarded(exp.LT(this=a.high, expression=b.low), _has_high(a)),
                    _guarded(exp.LT(this=b.high, expression=a.low), _has_high(b))])
    single = [exp.EQ(this=v.low, expression=v.high) for v in (a, b) if v.kind == "bounded"]
    same = _guarded(_and(*single), _has_high(a), _has_high(b)) if single else exp.true()
    no, yes = (TRUE, FALSE) if negated else (FALSE, TRUE)
    return [(disjoint, no), (same, yes)]


def table(name: str, alias: str) -> exp.Expression:
    """``"name" AS "alias"`` in a FROM or JOIN."""
    return exp.Table(this=exp.to_identifier(name, quoted=True),
                     alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
