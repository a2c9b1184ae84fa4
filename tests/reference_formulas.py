"""The reference interpreter's formulas: `sqrt`, `ln`, `exp`, `round` and `^`, re-derived from the
README ("Formulas") without ``runtime/formulas.py``.

The rules as documented: every result is the Decimal value in a 28-significant-digit, half-even context;
a whole exponent is exact when the exact power fits in 28 digits; `round` is half away from zero in the
unit of its argument; no value (None) for an unknown argument, an argument known only within bounds, the
square root of a negative number, the logarithm of a number that is not positive, zero to a negative
power, a negative number to a fractional power, a number with a unit where a plain number is needed, a
result beyond 10^1000 (or below 10^-1000 in size), or an argument of another kind.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

from eligibility_dsl.runtime.quantity import Quantity
from eligibility_dsl.runtime.units import BASE_DIMENSIONS

DIGITS = 28
LIMIT = 1000


def _context() -> decimal.Context:
    return decimal.Context(prec=DIGITS, rounding=decimal.ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6,
                           traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])


def _plain(v) -> Decimal | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, Decimal):
        return v
    if isinstance(v, Quantity) and not any(v.unit.dims):
        exact = Fraction(v.value) * v.unit.factor
        return decimal.Context(prec=DIGITS + 6).divide(Decimal(exact.numerator), Decimal(exact.denominator))
    return None


def _in_limits(v: Decimal) -> Decimal | None:
    return v if not v or -LIMIT <= v.adjusted() <= LIMIT else None


def _power(b, e):
    if isinstance(b, Quantity) and any(b.unit.dims):
        if e != e.to_integral_value():
            return None
        n = int(e)
        if any(abs(x * n) > 12 for x in b.unit.dims):  # far beyond any unit a trial writes
            return None
        value = _power(b.value, Decimal(n))
        if value is None:
            return None
        unit = b.unit.power(n)
        return value if not any(unit.dims) and unit.factor == 1 else Quantity(value, unit)
    x = _plain(b)
    if x is None:
        return None
    if x == 0:
        return None if e < 0 else Decimal(1) if e == 0 else Decimal(0)
    if x < 0 and e != e.to_integral_value():
        return None
    return _in_limits(_context().power(x, e))


def _molar(v, one):
    """A result of a molar analyte (its LOINC code names one) in the parameter's unit across mass and amount:
    grams = moles x the molar mass (docs/units.md); anything else has no value."""
    analyte = getattr(v, "analyte", None)
    if analyte is None or analyte.kind != "molar":
        return None
    mass, amount = BASE_DIMENSIONS.index("mass"), BASE_DIMENSIONS.index("amount")
    dv, do = v.unit.dims, one.unit.dims
    rest = [i for i in range(len(dv)) if i not in (mass, amount)]
    if any(dv[i] != do[i] for i in rest) or do[mass] - dv[mass] not in (1, -1) \
            or do[amount] - dv[amount] != -(do[mass] - dv[mass]):
        return None
    grams = v.base * analyte.molar_mass if do[mass] > dv[mass] else v.base / analyte.molar_mass
    exact = grams / one.unit.factor
    return Quantity(decimal.Context(prec=34).divide(Decimal(exact.numerator), Decimal(exact.denominator)), one.unit)


def _as(v, one, name):
    """A function's argument as its parameter's declared type (README, "Functions")."""
    if isinstance(one, Quantity):
        if not isinstance(v, Quantity):
            return None
        if v.unit.dims != one.unit.dims:
            return _molar(v, one)
        return v if v.unit.factor == one.unit.factor else v.to(one.unit)
    return _plain(v)


def formula(func: str, args: list):
    if func == "as":
        return None if args[0] is None else _as(*args)
    if any(a is None or type(a) not in (Decimal, Quantity) for a in args):
        return None
    try:
        if func == "round":
            x, places = args
            step = Decimal(1).scaleb(-int(places))
            if isinstance(x, Quantity):
                return Quantity(x.value.quantize(step, rounding=decimal.ROUND_HALF_UP,
                                                 context=decimal.Context(prec=10**6)), x.unit)
            return x.quantize(step, rounding=decimal.ROUND_HALF_UP, context=decimal.Context(prec=10**6))
        if func == "^":
            e = _plain(args[1])
            return None if e is None else _power(args[0], e)
        x = _plain(args[0])
        if x is None:
            return None
        if func == "sqrt":
            return None if x < 0 else _in_limits(_context().sqrt(x))
        if func == "ln":
            return None if x <= 0 else _in_limits(_context().ln(x))
        if func == "exp":
            return _in_limits(_context().exp(x))
    except (ArithmeticError, ValueError):
        return None
    raise ValueError(f"no formula {func}")
