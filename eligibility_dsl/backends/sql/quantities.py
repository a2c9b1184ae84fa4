"""Quantities whose unit is known only per row (a quantity field of an event: `half_life`, `reference_high`),
and comparing two quantities exactly in SQL whatever their units.

A row's unit text is looked up in the ``units`` table (``units.py``: dimensions, and the factor to the base
unit as a fraction ``num/den``).  ``x op y`` for ``x`` in unit A (scaled by a constant ``sA``) and ``y`` in
unit B (scaled by ``sB``) is ``x * (sA * nA * dB) op y * (sB * nB * dA)`` with the scales as fractions: exact
integers multiplying exact decimals, in DECIMAL(37, 12), where the values are below 10^12 and each factor
below 10^12 (else the comparison is unknown: never rounded).  Different dimensions: unknown.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import attrs
from sqlglot import exp

from . import values as SV
from .units import dims_key
from .values import num

_LIMIT = 10**12


@attrs.frozen
class Side:
    value: exp.Expression
    num: Any  # int (a unit known when compiling) or a column
    den: Any
    dims: Any  # str or a column
    unit: Any  # the unit text: str or a column
    scale: Fraction = Fraction(1)
    offset: Any = None  # dims multiplied in by a constant unit (`daily_dose / tab[code] * 5 mg`): a row side only
    rounded: bool = False  # divided by a number with no exact decimal (0.75): the Python engine's quotient is rounded


def times_unit(side: Side, factor: Fraction, dims: tuple[int, ...], scale: Fraction) -> Side:
    """A row side times a constant (``scale`` its value, ``factor`` and ``dims`` its unit's, as fractions and
    exponents: the factor folds into the scale, the dimensions are an offset of the row's)."""
    dims = dims if side.offset is None else tuple(x + y for x, y in zip(side.offset, dims, strict=True))
    return attrs.evolve(side, scale=side.scale * scale * factor, offset=dims)


def _cast(e: exp.Expression, p: int, s: int) -> exp.Expression:
    return exp.cast(e, f"DECIMAL({p}, {s})")


def _lit(v: Any) -> exp.Expression:
    return v.copy() if isinstance(v, exp.Expression) else (exp.Literal.string(v) if isinstance(v, str) else num(v))


def _factor(const: int, cols: list) -> tuple[exp.Expression, exp.Expression | None]:
    """An integer factor (``const`` times columns) as DECIMAL(13, 0), and the condition that it fits."""
    if not cols:
        return num(const), None
    prod: exp.Expression = _cast(cols[0].copy(), 18, 0)
    guess: exp.Expression = exp.cast(cols[0].copy(), "DOUBLE")
    for c in cols[1:]:
        prod = exp.Mul(this=prod, expression=_cast(c.copy(), 18, 0))
        guess = exp.Mul(this=guess, expression=exp.cast(c.copy(), "DOUBLE"))
    if const != 1:
        prod = exp.Mul(this=prod, expression=num(const))
        guess = exp.Mul(this=guess, expression=num(const))
    return prod, exp.LT(this=exp.Abs(this=guess), expression=num(_LIMIT))


def sides(a: Side, b: Side) -> tuple[exp.Expression, exp.Expression, exp.Expression]:
    """(left, right, ok): ``a op b`` is ``left op right`` where ``ok`` holds; ``ok`` false means unknown."""
    conds: list[exp.Expression] = []
    if a.offset is not None or b.offset is not None:
        row, fixed = (a, b) if isinstance(b.dims, str) else (b, a)
        if isinstance(row.dims, str) or not isinstance(fixed.dims, str) or fixed.offset is not None:
            raise ValueError("two quantities in the row's units, one scaled by a unit")
        want = tuple(int(x) - y for x, y in zip(fixed.dims.split(","), row.offset, strict=True))
        conds.append(exp.EQ(this=row.dims.copy(), expression=exp.Literal.string(dims_key(want))))
    elif isinstance(a.dims, str) and isinstance(b.dims, str):
        if a.dims != b.dims:
            return num(0), num(0), exp.false()
    else:
        conds.append(exp.EQ(this=_lit(a.dims), expression=_lit(b.dims)))
    sa, sb = a.scale, b.scale
    parts = []
    for x, y, sx, sy in ((a, b, sa, sb), (b, a, sb, sa)):
        const = sx.numerator * sy.denominator
        cols = []
        for v in (x.num, y.den):
            if isinstance(v, int):
                const *= v
            else:
                cols.append(v)
        if abs(const) >= _LIMIT:
            return num(0), num(0), exp.false()
        factor, fits = _factor(const, cols)
        if fits is not None:
            conds.append(fits)
        conds.append(exp.LT(this=exp.Abs(this=x.value.copy()), expression=num(_LIMIT)))
        parts.append(exp.Mul(this=_cast(x.value.copy(), 24, 12), expression=_cast(factor, 13, 0)))
    ok = SV.AND(*conds) if len(conds) > 1 else conds[0] if conds else exp.true()
    if sa == sb and a.offset is None and b.offset is None and not (isinstance(a.unit, str) and isinstance(b.unit, str)):
        # the same unit text (and scale): compared as they are, whatever the units table says
        same = exp.EQ(this=_lit(a.unit), expression=_lit(b.unit))
        left = exp.Case().when(same.copy(), a.value.copy()).else_(parts[0])
        right = exp.Case().when(same.copy(), b.value.copy()).else_(parts[1])
        return left, right, exp.paren(SV.OR(same, exp.paren(ok)))
    return parts[0], parts[1], ok


def known_side(value: exp.Expression, unit: Any, scale: Fraction = Fraction(1)) -> Side:
    """A side whose unit is known when compiling (a ``runtime.units.Unit``)."""
    f = unit.factor
    return Side(value, f.numerator, f.denominator, dims_key(unit.dims), str(unit), scale)


def row_side(cols: dict, value: exp.Expression | None = None, scale: Fraction = Fraction(1)) -> Side:
    """A side whose unit is the row's (columns ``unit``, ``dims``, ``num``, ``den``)."""
    return Side(value if value is not None else cols["number"], cols["num"], cols["den"], cols["dims"], cols["unit"],
                scale)
