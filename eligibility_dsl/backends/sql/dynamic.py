"""Comparisons with a value whose type is known only from the data (an observation's `value`, of type any)
against a constant, in SQL, with ``support.compare_dynamic``'s rules case by case:

- no value: unknown; a boolean against a non-boolean (or the reverse): unknown;
- two booleans, two numbers: compared; a number and a quantity, a text or a coding against a number or a
  quantity: `=` false, `!=` true, an ordering unknown;
- two quantities: compared in one unit when their dimensions agree (else unknown, whatever the comparison);
- a censored laboratory value (`<20 mg`, ``runtime/censored.py``): the interval it states, decided only when
  every value in it gives the same answer;
- a range (kind `range`: tied results of a `latest`/`earliest` that differ only in their number, from
  ``number`` to ``high`` in one unit): decided only when both ends give the same answer.

Units from the data are converted with the ``units`` table (``units.py``): each unit text's dimensions and
exact factor as a fraction.  ``x op c`` for ``x`` in unit U and ``c`` in unit T is ``x * nU * dT op c * nT * dU``,
computed exactly in DECIMAL(37, 12) where ``|x| < 10^12`` and both factors have at most 13 digits; beyond
that the comparison is unknown (never rounded).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlglot import exp

from ...runtime import quantity as Q
from . import values as SV
from .quantities import Side, row_side, sides
from .units import dims_key
from .values import TRUE, UNKNOWN, num

_SQL_CMP = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_LIMIT = Decimal(10) ** 12
_FACTOR_LIMIT = Decimal(10) ** 13


def _s(text: str) -> exp.Expression:
    return exp.Literal.string(text)


def _cast(e: exp.Expression, p: int, s: int) -> exp.Expression:
    return exp.cast(e, f"DECIMAL({p}, {s})")


def _mixed(op: str) -> int:
    """Values of kinds that never compare: `=` false, `!=` true, an ordering unknown."""
    return {"=": SV.FALSE, "!=": TRUE}.get(op, UNKNOWN)


class _Sides:
    """``L op R`` stands for ``x op c`` (x the value's number, c the constant), where ``ok`` holds."""

    def __init__(self, left: exp.Expression, right: exp.Expression, ok: exp.Expression | None):
        self.left, self.right, self.ok = left, right, ok

    def cmp(self, op: str) -> exp.Expression:
        return _SQL_CMP[op](this=self.left.copy(), expression=self.right.copy())


def _sides(number: exp.Expression, cols: dict, const: Any) -> _Sides | None:
    """The two sides for the value's number (in the row's unit) against the constant (a Decimal, or a
    Quantity: converted through the units table unless the unit text is the constant's own), or against a
    quantity field of the row (a ``quantities.Side``)."""
    if isinstance(const, Side):
        left, right, ok = sides(row_side(cols, number), const)
        return _Sides(left, right, ok)
    if not isinstance(const, Q.Quantity):
        return _Sides(number, SV.lit(const), None)
    unit = const.unit
    same = exp.EQ(this=cols["unit"].copy(), expression=_s(str(unit)))
    factor = unit.factor
    c_n = const.value * Decimal(factor.numerator)
    if abs(c_n) >= _LIMIT or factor.denominator >= _FACTOR_LIMIT or abs(const.value) >= _LIMIT:
        return _Sides(number, SV.lit(const.value), same)
    a = exp.Mul(this=cols["num"].copy(), expression=num(factor.denominator))
    b = cols["den"].copy()
    left = exp.Mul(this=_cast(number.copy(), 24, 12), expression=_cast(a.copy(), 13, 0))
    right = exp.Mul(this=_cast(SV.lit(c_n), 24, 12), expression=_cast(b.copy(), 13, 0))
    convertible = SV.AND(exp.EQ(this=cols["dims"].copy(), expression=_s(dims_key(unit.dims))),
                         exp.LT(this=exp.Abs(this=number.copy()), expression=SV.lit(_LIMIT)),
                         exp.LT(this=a.copy(), expression=SV.lit(_FACTOR_LIMIT)),
                         exp.LT(this=b.copy(), expression=SV.lit(_FACTOR_LIMIT)))
    # the same unit text: compared as they are; else converted where that is exact
    return _Sides(exp.Case().when(same.copy(), number.copy()).else_(left),
                  exp.Case().when(same.copy(), SV.lit(const.value)).else_(right),
                  exp.paren(SV.OR(same, exp.paren(convertible))))


def _censored(op: str, cols: dict, sides: _Sides) -> list[tuple[exp.Expression, int]]:
    """``x op c`` for x the censored interval (comparator in ``text``, bound in number/unit)."""
    upper = exp.In(this=cols["text"].copy(), expressions=[_s("<"), _s("<=")])
    closed = exp.In(this=cols["text"].copy(), expressions=[_s("<="), _s(">=")])
    lt, eq, gt = sides.cmp("<"), sides.cmp("="), sides.cmp(">")

    def touch(strict: bool) -> exp.Expression:
        return eq.copy() if not strict else SV.AND(eq.copy(), SV.NOT(closed.copy()))

    def x_below(strict: bool) -> exp.Expression:  # every x below (or at most) c
        return exp.paren(SV.AND(upper.copy(), exp.paren(SV.OR(lt.copy(), exp.paren(touch(strict))))))

    def c_below(strict: bool) -> exp.Expression:  # c below (or at most) every x
        return exp.paren(SV.AND(SV.NOT(upper.copy()), exp.paren(SV.OR(gt.copy(), exp.paren(touch(strict))))))

    rules = {"<": (x_below(True), c_below(False)), "<=": (x_below(False), c_below(True)),
             ">": (c_below(True), x_below(False)), ">=": (c_below(False), x_below(True))}
    if op in rules:
        yes, no = rules[op]
        return [(yes, TRUE), (no, SV.FALSE)]
    disjoint = exp.paren(SV.OR(x_below(True), c_below(True)))
    return [(disjoint, SV.FALSE if op == "=" else TRUE)]


def _range(op: str, cols: dict, const: Any, low: _Sides, quantity: bool) -> list[tuple[exp.Expression, int]]:
    """``x op c`` for x one of the numbers from ``number`` to ``high`` (one unit): decided only when both
    ends agree (``runtime.bounded.compare_bounded``); a range of quantities against a number (or of numbers
    against a quantity), or of a dimension the constant's cannot convert to, is unknown."""
    has_unit = SV.NOT(cols["unit"].copy().is_(exp.null()))
    out = [(SV.NOT(has_unit) if quantity else has_unit, UNKNOWN)]
    if low.ok is not None:
        out.append((SV.NOT(low.ok.copy()), UNKNOWN))
    high = _sides(cols["high"], cols, const)
    if op in ("=", "!="):
        outside = exp.paren(SV.OR(high.cmp("<"), low.cmp(">")))
        return [*out, (outside, SV.FALSE if op == "=" else TRUE), (exp.true(), UNKNOWN)]
    both = exp.paren(SV.AND(low.cmp(op), high.cmp(op)))
    neither = exp.paren(SV.AND(SV.NOT(low.cmp(op)), SV.NOT(high.cmp(op))))
    return [*out, (both, TRUE), (neither, SV.FALSE), (exp.true(), UNKNOWN)]


def unconverted(cols: dict, const: Any) -> exp.Expression | None:
    """Where the value is a quantity (or a censored value or a range) in dimensions an analyte relates to
    ``const``'s (mass and amount concentration; HbA1c % and mmol/mol), which the comparison here cannot
    convert: the Python engine decides it (a creatinine in umol/L against mg/dL, through creatinine's molar
    mass; runtime/molar.py), so the SQL engines leave such a patient to it (DEFER, ``totals.py``).  Against a
    quantity field of the row, wherever the units do not convert.  None when nothing is converted."""
    if not isinstance(const, Q.Quantity | Side):
        return None
    kinds = exp.In(this=cols["kind"].copy(), expressions=[_s("quantity"), _s("censored"), _s("range")])
    if isinstance(const, Q.Quantity):  # only the dimensions an analyte relates to the constant's (``_bridged``)
        dims = const.unit.dims
        keys = {dims_key(tuple(d + m for d, m in zip(dims, Q._MASS_PER_MOL, strict=True))),
                dims_key(tuple(d - m for d, m in zip(dims, Q._MASS_PER_MOL, strict=True)))}
        if dims == Q._PERCENT:
            keys.add(dims_key(tuple(0 for _ in dims)))
        if not any(dims):
            keys.add(dims_key(Q._PERCENT))
        return SV.AND(kinds, exp.In(this=cols["dims"].copy(), expressions=[_s(k) for k in sorted(keys)]))
    ok = _sides(cols["number"], cols, const).ok
    return SV.AND(kinds, SV.NOT(cols["unit"].copy().is_(exp.null())), SV.NOT(exp.paren(ok.copy())))


def compare_any(op: str, cols: dict, const: Any) -> exp.Expression:
    """A truth: the value (columns ``kind``, ``boolean``, ``number``, ``unit``, ``text``, ``dims``, ``num``,
    ``den``) ``op`` the constant (a bool, a Decimal or a Quantity)."""
    kind = cols["kind"]

    def is_(k: str) -> exp.Expression:
        return exp.EQ(this=kind.copy(), expression=_s(k))
    whens: list[tuple[exp.Expression, int]] = [(kind.is_(exp.null()), UNKNOWN)]
    if isinstance(const, bool):
        as_int = exp.Case().when(cols["boolean"].copy(), num(1)).else_(num(0))
        cmp = _SQL_CMP[op](this=as_int, expression=num(int(const)))
        whens += [(SV.NOT(is_("boolean")), UNKNOWN), (cmp, TRUE)]
        return SV.case(*whens, default=SV.FALSE)
    whens.append((is_("boolean"), UNKNOWN))
    sides = _sides(cols["number"], cols, const)
    quantity = isinstance(const, Q.Quantity | Side)
    if "high" in cols:  # a picked value that is a range (tied results: ``runtime/ties.value_range``)
        whens += [(SV.AND(is_("range"), c), t) for c, t in _range(op, cols, const, sides, quantity)]
    # a number against a quantity (or the reverse), a text, a coding: never equal, never ordered
    exact_kind = "quantity" if quantity else "number"
    other = "number" if quantity else "quantity"
    whens.append((exp.In(this=kind.copy(), expressions=[_s(other), _s("text"), _s("coding")]), _mixed(op)))
    has_unit = SV.NOT(cols["unit"].copy().is_(exp.null()))
    if quantity:
        whens.append((SV.AND(is_("censored"), SV.NOT(has_unit.copy())), UNKNOWN))
    else:
        whens.append((SV.AND(is_("censored"), has_unit.copy()), UNKNOWN))
    if sides.ok is not None:
        whens.append((SV.NOT(sides.ok.copy()), UNKNOWN))
    cens = [(SV.AND(is_("censored"), cond), t) for cond, t in _censored(op, cols, sides)]
    whens += cens
    whens.append((is_("censored"), UNKNOWN))
    whens.append((SV.AND(is_(exact_kind), sides.cmp(op)), TRUE))
    return SV.case(*whens, default=SV.FALSE)
