"""The meaning of each operation as a function of its operands' values: Kleene logic, comparisons,
ranges, membership, max/min, exact arithmetic, dates and durations.

Every backend's Python evaluation calls these functions, so a trace always agrees with the fast
result; the tests' reference interpreter is written independently.
Values: ``True``/``False``/``None`` (unknown) for conditions, ``Decimal``, ``Quantity``, ``date``,
``str``, and ``Bounded`` for a number known only within bounds (a count from an incomplete history).
"""

from __future__ import annotations

import datetime
import operator
from decimal import Decimal

from . import calendar
from . import quantity as Q
from .bounded import Bounded, compare_bounded
from .censored import Censored, compare_censored, parse_censored, parse_titre
from .numtext import number_text
from .titre import Titre
from .totals import Zero
from .units import parse_unit

CMP = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge}


def junction(values, decisive: bool) -> bool | None:
    """Kleene `and` (decisive value False) or `or` (decisive value True): the decisive value wins,
    else unknown if any operand is unknown, else the other value."""
    result: bool | None = not decisive
    for v in values:
        if v is decisive:
            return decisive
        if v is None:
            result = None
    return result


def and_values(values) -> bool | None:
    return junction(values, False)


def or_values(values) -> bool | None:
    return junction(values, True)


def not_value(v):
    return None if v is None else not v


def implies_value(a, b):
    return or_values((not_value(a), b))


def compare_value(op: str, a, b):
    if a is None or b is None:
        return None
    if (type(a) is str) != (type(b) is str):
        # A censored laboratory value (`<50 copies/mL`) compared with a number or a quantity: an
        # interval, decided only where every value in it agrees (runtime/censored.py).
        a, b = _censored(a), _censored(b)
    if type(a) is Zero or type(b) is Zero:  # the total of no record: zero in the other side's unit
        if type(a) is Zero and type(b) is Zero:
            a = b = Decimal(0)
        else:
            a, b = (a.like(b), b) if type(a) is Zero else (a, b.like(a))
    if type(a) is Censored or type(b) is Censored:
        return compare_censored(op, a, b)
    if (type(a) is Titre) != (type(b) is Titre):  # `1:160 = 160` is no quiet "no": a titre is no number
        raise TypeError(f"cannot compare `{a}` with `{b}`: a titre compares with titres only")
    if type(a) is Bounded or type(b) is Bounded:
        return compare_bounded(op, a, b)
    return CMP[op](a, b)


def _censored(v):
    if type(v) is str:
        return parse_censored(v) or parse_titre(v) or v  # `<50 U/mL`, or a titre `1:160`, `<1:40`
    return v


def between_value(x, low, high, negated: bool):
    inside = and_values((compare_value("<=", low, x), compare_value("<=", x, high)))
    return not_value(inside) if negated else inside


def member_value(x, items, negated: bool):
    found = or_values([compare_value("=", x, item) for item in items])
    return not_value(found) if negated else found


def extremum_value(func: str, args):
    if any(a is None or type(a) is Bounded for a in args):
        return None
    return (max if func == "max" else min)(args)


# For `x OP max(...)`, whether the per-argument comparisons combine with `or` (True) or `and`.
EXTREMUM_COMBINE = {("max", "<"): True, ("max", "<="): True, ("max", ">"): False, ("max", ">="): False,
                     ("min", "<"): False, ("min", "<="): False, ("min", ">"): True, ("min", ">="): True}
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


EXTREMUM_NOTE = ("a bound is a max or min with an unknown argument: each comparison is decided from "
                  "the known arguments where they suffice")


_EXACT_NUMBER_OPS = {"+": Q.EXACT_CONTEXT.add, "-": Q.EXACT_CONTEXT.subtract, "*": Q.EXACT_CONTEXT.multiply}


def _arith_number(op: str):
    """+ - * are exact (an unbounded context, never Python's ambient 28 digits); / rounds at 34."""
    if op != "/":
        return _EXACT_NUMBER_OPS[op]
    return lambda a, b: None if b == 0 else Q.DIVISION_CONTEXT.divide(a, b)


def _arith_quantity(op: str):
    fn = {"+": Q.add, "-": Q.sub, "*": Q.mul}.get(op)
    if fn is not None:
        return fn

    def divide(a, b):  # either may be a plain number at run time (an observation's value over a unit)
        return None if (b.value if isinstance(b, Q.Quantity) else b) == 0 else Q.div(a, b)
    return divide


def _arith_scale(op: str):
    if op == "*":
        return lambda a, b: Q.scale(b, a) if isinstance(a, Decimal) else Q.scale(a, b)
    return lambda a, b: None if b == 0 else Q.divide_by_number(a, b)


def _arith_date(op: str):
    sign = -1 if op == "-" else 1

    def f(a, b):  # date ± duration, or duration + date
        try:
            return calendar.shift(a, b, sign) if isinstance(a, datetime.date) else calendar.shift(b, a, 1)
        except (OverflowError, ValueError):  # beyond year 1 or 9999: no such date
            return None
    return f


ARITH = {"number": _arith_number, "quantity": _arith_quantity, "scale": _arith_scale, "date_shift": _arith_date}


def none_if_missing(fn):
    def f(a, b):
        if a is None or b is None or type(a) is Bounded or type(b) is Bounded:
            return None
        return fn(a, b)
    return f


def show(v) -> str:
    return number_text(v) if isinstance(v, Decimal) else str(v)


def neg_value(v):
    if v is None or type(v) is Bounded:
        return None
    return Q.EXACT_CONTEXT.minus(v) if isinstance(v, Decimal) else -v


# Whole periods are shown as a person writes them: `1 year`, `2 years`.
PERIOD_UNITS = {p: (parse_unit(p[:-1]), parse_unit(p)) for p in ("years", "months", "weeks", "days")}


def _periods(n: int, unit: str) -> Q.Quantity:
    singular, plural = PERIOD_UNITS[unit]
    return Q.Quantity(Decimal(n), singular if abs(n) == 1 else plural)


def age_value(birth, at):
    if birth is None or at is None:
        return None
    return _periods(calendar.age_in_years(birth, at), "years")


def duration_value(unit: str, start, end):
    if start is None or end is None:
        return None
    return _periods(calendar.between(unit, start, end), unit)


def conditional_value(cond, then, otherwise):
    if cond is None:
        return then if then is not None and then == otherwise else None
    return then if cond else otherwise
