"""Formulas on exact decimals: `sqrt`, `ln`, `exp`, `round` and powers (`x ^ y`).

Every result is computed with ``Decimal`` in one fixed context, :data:`FORMULA_CONTEXT`: 28 significant
digits, rounding half-even, and then compared exactly like any other number. Python's ``decimal``
module rounds `sqrt`, `ln` and `exp` correctly (to the nearest 28-digit decimal); a power with a whole
exponent is exact when its exact value has at most 28 digits (`1.75 ^ 2` is `3.0625`), else correctly
rounded; a power with a fractional exponent is computed by ``Decimal.__pow__`` in the same context.
`round(x, n)` rounds half away from zero ("half up", as clinical forms round: `round(2.25, 1)` is 2.3)
to ``n`` decimal places, in the unit ``x`` is written in.

A result that has no value is a :class:`FormulaProblem` (its message says why: the square root of a
negative number, the logarithm of zero, a power of a negative number to a fractional exponent, a
result beyond 10^1000): the evaluators report it as a problem and the criterion is UNKNOWN, never a
guess. Arguments are plain numbers or dimensionless quantities (`50 %` is 0.5); a quantity with a
unit reaching `sqrt`, `ln`, `exp` or a fractional power at run time (an observation's value) is a
problem too: the checker refuses the ones it can see.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    Subnormal,
    Underflow,
)
from fractions import Fraction

from .bounded import Bounded
from .numtext import number_text
from .quantity import EXACT_CONTEXT, MAX_MAGNITUDE, Quantity, _to_decimal, via_analyte
from .units import UnitError

__all__ = ["FORMULAS", "FORMULA_CONTEXT", "FORMULA_DIGITS", "FormulaProblem", "formula_value"]

FORMULA_DIGITS = 28
FORMULA_CONTEXT = Context(prec=FORMULA_DIGITS, rounding=ROUND_HALF_EVEN, Emax=MAX_MAGNITUDE, Emin=-MAX_MAGNITUDE,
                          traps=[InvalidOperation, DivisionByZero, Overflow, Underflow, Subnormal, Clamped])
# The largest whole exponent applied to a quantity's unit or computed exactly (beyond: the 28-digit power).
MAX_ROUND_PLACES = 28


class FormulaProblem(ArithmeticError):
    """A formula whose arguments are known has no value; the message says why (lowercase, no period)."""


def _show(v) -> str:
    return str(v) if isinstance(v, Quantity) else number_text(v) if isinstance(v, Decimal) else str(v)


def _number(func: str, v) -> Decimal:
    """A plain number from an argument: a Decimal, or a dimensionless quantity's exact amount."""
    if type(v) is Decimal:
        return v
    if isinstance(v, Quantity) and v.unit.is_dimensionless:
        base = v.base
        return _to_decimal(base, FORMULA_DIGITS + 6) if isinstance(base, Fraction) else Decimal(base)
    if isinstance(v, Quantity):
        raise FormulaProblem(f"`{func}` needs a number without a unit, found {_show(v)}")
    raise FormulaProblem(f"`{func}` needs a number, found {_show(v)}")


def _compute(what: str, fn, *args):
    try:
        return fn(*args)
    except (Overflow, Underflow, Subnormal, Clamped):
        raise FormulaProblem(f"{what} is beyond the limit of 10^{MAX_MAGNITUDE} (or 10^-{MAX_MAGNITUDE})") from None
    except (InvalidOperation, DivisionByZero, ZeroDivisionError):
        raise FormulaProblem(f"{what} has no value") from None


def sqrt_value(x) -> Decimal:
    n = _number("sqrt", x)
    if n < 0:
        raise FormulaProblem(f"cannot take the square root of {_show(x)}: a negative number")
    return _compute(f"the square root of {_show(x)}", FORMULA_CONTEXT.sqrt, n)


def ln_value(x) -> Decimal:
    n = _number("ln", x)
    if n <= 0:
        raise FormulaProblem(f"cannot take the natural logarithm of {_show(x)}: it is not positive")
    return _compute(f"the natural logarithm of {_show(x)}", FORMULA_CONTEXT.ln, n)


def exp_value(x) -> Decimal:
    n = _number("exp", x)
    return _compute(f"exp of {_show(x)}", FORMULA_CONTEXT.exp, n)


def round_value(x, places) -> Decimal | Quantity:
    p = int(places)
    exponent = Decimal((0, (1,), -p))  # no context: the caller's (prec 1, traps) must not matter
    if isinstance(x, Quantity):
        return Quantity(round_value(x.value, p), x.unit)
    n = _number("round", x)
    return _compute(f"{_show(x)} rounded to {p} places",
                    lambda: n.quantize(exponent, rounding=ROUND_HALF_UP, context=EXACT_CONTEXT))


def _whole(e: Decimal) -> int | None:
    return int(e) if e == e.to_integral_value() else None


def power_value(base, exponent) -> Decimal | Quantity:
    """``base ^ exponent``: a quantity to a whole power carries its unit to that power (`m ^ 2` is m2)."""
    e = _number("^", exponent)
    whole = _whole(e)
    what = f"{_show(base)} ^ {_show(exponent)}"
    if isinstance(base, Quantity) and not base.unit.is_dimensionless:
        if whole is None:
            raise FormulaProblem(f"cannot raise {_show(base)} to the fractional power {_show(exponent)}: "
                                 "a quantity with a unit needs a whole exponent")
        try:
            unit = base.unit.power(whole)
        except UnitError as err:
            raise FormulaProblem(str(err)) from None
        value = power_value(base.value, Decimal(whole))
        return value if unit.is_dimensionless and unit.factor == 1 else Quantity(value, unit)
    b = _number("^", base)
    if b == 0 and e < 0:
        raise FormulaProblem(f"cannot compute {what}: zero to a negative power")
    if b < 0 and whole is None:
        raise FormulaProblem(f"cannot compute {what}: a negative number to a fractional power")
    if b == 0:
        return Decimal(1) if e == 0 else Decimal(0)
    return _compute(f"{what}", FORMULA_CONTEXT.power, b, Decimal(whole) if whole is not None else e)


def as_value(v, one, name: str):
    """A function's argument converted to its parameter's declared unit (``one`` is 1 of it) or checked to be
    a plain number (``one`` is the number 1): the boundary where an observation's value gets its type."""
    if isinstance(one, Quantity):
        if isinstance(v, Quantity) and v.unit.dims == one.unit.dims:
            return v if v.unit.factor == one.unit.factor else v.to(one.unit)
        converted = via_analyte(v, one) if isinstance(v, Quantity) else None
        if converted is not None:
            return converted
        raise FormulaProblem(f"`{name}` must be in {one.unit.symbol} or a unit convertible to it, found {_show(v)}")
    if type(v) is Decimal:
        return v
    if isinstance(v, Quantity) and v.unit.is_dimensionless:
        return _number(name, v)
    raise FormulaProblem(f"`{name}` must be a number, found {_show(v)}")


FORMULAS = {"sqrt": sqrt_value, "ln": ln_value, "exp": exp_value, "round": round_value, "^": power_value}


def formula_value(func: str, args: tuple, problems: list):
    """The formula's value, None when an argument is unknown; a formula with no value is None and its reason
    goes to ``problems``. Arguments known only within bounds (``Bounded``) give an unknown value.
    ``as`` (a function's parameter): ``(value, one of the declared unit, parameter name)``."""
    if func == "as":
        args, name = args[:2], args[2]
        if args[0] is None or type(args[0]) is Bounded:
            return None
        try:
            return as_value(args[0], args[1], name)
        except FormulaProblem as err:
            problems.append(str(err))
            return None
    if any(a is None or type(a) not in (Decimal, Quantity) for a in args):
        if all(a is not None for a in args) and not any(type(a) is Bounded for a in args):
            problems.append(f"`{func}` cannot use " + ", ".join(_show(a) for a in args))
        return None
    try:
        return FORMULAS[func](*args)
    except FormulaProblem as err:
        problems.append(str(err))
        return None
