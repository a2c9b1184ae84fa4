"""Exact quantities: a ``Decimal`` value exactly as written plus a ``Unit``.

Why Decimal and Fraction, never float: criteria are legal cut-offs ("ANC >=
1.5 10*9/L"), and ``134.4 h * 5`` must equal ``28 days`` exactly, not to within
a tolerance.  Values keep the digits they were written or received with so
that explanations show the patient's own numbers; comparisons go through exact
``Fraction`` bases (value times unit factor).

No operation here depends on the ambient ``decimal`` context
(runtime/decimal_context.py): addition, subtraction and multiplication use an
unbounded-precision context and are exact; division is the operation that may round (34 significant digits,
half-even), because a quotient such as 1/3 has no finite decimal.  The only
other rounding is of a *result's display value* when its exact amount has no
finite decimal in the unit it must be shown in (``1 min`` in hours); the
comparisons that decide eligibility never see a rounded number unless the
criterion itself divided.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from . import decimal_context as DC
from .molar import Analyte, hba1c_ifcc_to_ngsp
from .numtext import number_text
from .units import BASE_DIMENSIONS, DIMENSIONLESS, Unit, UnitError, UnitMismatch, dimension_name, parse_unit

__all__ = [
    "DISPLAY_PRECISION",
    "DIVISION_CONTEXT",
    "EXACT_CONTEXT",
    "MAX_DIGITS",
    "MAX_MAGNITUDE",
    "AnalyteQuantity",
    "MagnitudeError",
    "Quantity",
    "add",
    "check_magnitude",
    "compare",
    "div",
    "divide_by_number",
    "max_q",
    "min_q",
    "mul",
    "scale",
    "sub",
]

# The runtime's decimal contexts (runtime/decimal_context.py): +, - and * never round; division rounds at 34
# digits, and only there; every bound is trapped, so an overflow is an ArithmeticError, never an Infinity.
_EXACT = DC.EXACT
EXACT_CONTEXT = _EXACT
DIVISION_CONTEXT = DC.DIVISION
# A conversion whose exact result has no finite decimal is shown with this many digits.
DISPLAY_PRECISION = 28

# Limits (README, "Security and limits"). A quantity's value lies within 10^-MAX_MAGNITUDE ..
# 10^MAX_MAGNITUDE (zero aside): exact comparison turns it into a Fraction, and `1e999999999999999999 h`
# would need a number of 10^18 digits. A number written in a criterion (or a record's decimal text) has
# at most MAX_DIGITS significant digits.
MAX_MAGNITUDE = 1000
MAX_DIGITS = 100


class MagnitudeError(UnitError, ArithmeticError):
    """A number beyond the limits above: a diagnostic in a criterion, a record error in a record (the binder
    reports UnitError), an UNKNOWN (ArithmeticError) if arithmetic during evaluation reaches it."""


def _shown(value: Decimal) -> str:
    return format(value, ".6e") if value.is_finite() else str(value)


def check_magnitude(value: Decimal) -> Decimal:
    """``value`` itself, or MagnitudeError when it has too many digits or is too large or too small."""
    if value and not -MAX_MAGNITUDE <= value.adjusted() <= MAX_MAGNITUDE:
        raise MagnitudeError(f"the number `{_shown(value)}` is beyond the limit of 10^{MAX_MAGNITUDE} "
                             f"(or 10^-{MAX_MAGNITUDE})")
    digits = len(value.as_tuple().digits)
    if digits > MAX_DIGITS:
        raise MagnitudeError(f"a number with {digits} digits is longer than the limit of {MAX_DIGITS} digits")
    return value


def _as_decimal(value: object) -> Decimal:
    """Accept Decimal, int or decimal text; refuse float (inexact) and bool (a bug)."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            result = Decimal(value)
        except ArithmeticError:
            raise ValueError(f"`{value}` is not a decimal number") from None
    else:
        raise TypeError(f"quantity values must be Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"`{str(value)[:40]}` is not a finite number")
    if result and not -MAX_MAGNITUDE <= result.adjusted() <= MAX_MAGNITUDE:
        check_magnitude(result)
    return result


def _terminating(value: Fraction) -> Decimal | None:
    """The exact Decimal equal to ``value``, or None when its decimal expansion never ends."""
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return None
    shift = max(twos, fives)
    digits = value.numerator * (10**shift // value.denominator)
    sign, coefficient, _ = Decimal(digits).as_tuple()
    return Decimal((sign, coefficient, -shift))


def _to_decimal(value: Fraction, precision: int) -> Decimal:
    """Exact when possible, else correctly rounded to ``precision`` significant digits."""
    exact = _terminating(value)
    if exact is not None:
        return exact
    return DC.rounding(precision).divide(Decimal(value.numerator), Decimal(value.denominator))


_LIMIT = MAX_MAGNITUDE


class Quantity:
    """A value with a unit.  Treat instances as immutable: the hash depends on them.

    ``==`` and the orderings raise UnitMismatch between different dimensions
    (``0.5 == 50 %``): that is a mistake in a criterion, not a false comparison.

    A plain class with ``__slots__`` rather than attrs because compiled evaluators
    create and compare these on the hot path.
    """

    __slots__ = ("unit", "value")

    def __init__(self, value: Decimal | int | str, unit: Unit | str) -> None:
        if type(value) is Decimal and value.is_finite() and -_LIMIT <= value.adjusted() <= _LIMIT:
            self.value = value
        else:
            self.value = _as_decimal(value)
        if type(unit) is not Unit:
            if not isinstance(unit, str):
                raise TypeError(f"quantity units must be Unit or str, not {type(unit).__name__}")
            unit = parse_unit(unit)
        self.unit = unit

    @property
    def base(self) -> Fraction:
        """The exact amount in base units; what every cross-unit comparison uses."""
        return Fraction(self.value) * self.unit.factor

    def to(self, unit: Unit | str) -> Quantity:
        """Exact conversion.  A result with no finite decimal (1 min in h) is rounded
        to DISPLAY_PRECISION digits; that only affects display, since comparisons
        use exact bases of the original operands."""
        target = unit if type(unit) is Unit else parse_unit(unit)
        _check_dims(self, target.dims, "convert", f"`{target.symbol}`")
        if target.factor == self.unit.factor:
            return Quantity(self.value, target)
        return Quantity(_to_decimal(self.base / target.factor, DISPLAY_PRECISION), target)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return compare(self, other) == 0

    def __lt__(self, other: Quantity) -> bool:
        return compare(self, other) < 0 if isinstance(other, Quantity) else NotImplemented

    def __le__(self, other: Quantity) -> bool:
        return compare(self, other) <= 0 if isinstance(other, Quantity) else NotImplemented

    def __gt__(self, other: Quantity) -> bool:
        return compare(self, other) > 0 if isinstance(other, Quantity) else NotImplemented

    def __ge__(self, other: Quantity) -> bool:
        return compare(self, other) >= 0 if isinstance(other, Quantity) else NotImplemented

    def __hash__(self) -> int:
        return hash((self.unit.dims, self.base))

    def __add__(self, other: Quantity) -> Quantity:
        return add(self, other) if isinstance(other, Quantity) else NotImplemented

    def __sub__(self, other: Quantity) -> Quantity:
        return sub(self, other) if isinstance(other, Quantity) else NotImplemented

    def __mul__(self, other: Quantity | Decimal | int) -> Quantity | Decimal:
        return mul(self, other) if isinstance(other, Quantity) else scale(self, other)

    def __rmul__(self, other: Decimal | int) -> Quantity:
        return scale(self, other)

    def __truediv__(self, other: Quantity | Decimal | int) -> Quantity | Decimal:
        return div(self, other) if isinstance(other, Quantity) else divide_by_number(self, other)

    def __neg__(self) -> Quantity:
        return Quantity(self.value.copy_negate(), self.unit)

    def __str__(self) -> str:
        number = number_text(self.value)
        return number if self.unit.symbol == "1" else f"{number} {self.unit.symbol}"

    def __repr__(self) -> str:
        return f"Quantity({str(self.value)!r}, {self.unit.symbol!r})"


class AnalyteQuantity(Quantity):
    """A laboratory result's value that knows its analyte (from the result's LOINC code): it compares
    with a quantity in the other concentration kind through the analyte's molar mass (``88.4 umol/L``
    creatinine = ``1 mg/dL``), and an HbA1c in IFCC mmol/mol with one in NGSP % by the master equation
    (runtime/molar.py). Arithmetic on it gives plain quantities, except that a sum or difference of two
    results of one molar analyte keeps it (a change in creatinine is still creatinine).

    The hash is the plain quantity's (dimension and base amount), so a result and an equal threshold in
    the other concentration kind may hash apart: key sets and dicts by one unit kind."""

    __slots__ = ("analyte",)

    def __init__(self, value: Decimal | int | str, unit: Unit | str, analyte: Analyte) -> None:
        super().__init__(value, unit)
        self.analyte = analyte

    def __repr__(self) -> str:
        return f"AnalyteQuantity({str(self.value)!r}, {self.unit.symbol!r}, {self.analyte.name!r})"


def with_analyte(q: Quantity, analyte: Analyte | None) -> Quantity:
    """``q`` tagged with its analyte (a plain quantity when there is none)."""
    return q if analyte is None else AnalyteQuantity(q.value, q.unit, analyte)


def _axis(name: str) -> tuple[int, ...]:
    return tuple(int(n == name) for n in BASE_DIMENSIONS)


_MASS_PER_MOL = tuple(m - a for m, a in zip(_axis("mass"), _axis("amount"), strict=True))
_PERCENT = _axis("percent")


def _analyte(a: Quantity, b: Quantity) -> Analyte | None:
    x, y = getattr(a, "analyte", None), getattr(b, "analyte", None)
    if x is not None and y is not None and x != y:
        return None
    return x or y


def _bridged(a: Quantity, b: Quantity) -> tuple[Fraction, Fraction] | None:
    """Exact comparable amounts of ``a`` and ``b`` when their dimensions differ but their analyte
    relates them (mass and amount through the molar mass; HbA1c % and mmol/mol), else None."""
    analyte = _analyte(a, b)
    if analyte is None:
        return None
    da, db = a.unit.dims, b.unit.dims
    if analyte.kind == "molar":
        diff = tuple(x - y for x, y in zip(da, db, strict=True))
        if diff == _MASS_PER_MOL:  # a is a mass (per ...), b an amount: grams = moles x g/mol
            return a.base, b.base * analyte.molar_mass
        if tuple(-d for d in diff) == _MASS_PER_MOL:
            return a.base * analyte.molar_mass, b.base
        return None
    if da == _PERCENT and not any(db):  # NGSP % and IFCC (mmol/mol is dimensionless: 1/1000)
        return a.base, hba1c_ifcc_to_ngsp(b.base * 1000)
    if db == _PERCENT and not any(da):
        return hba1c_ifcc_to_ngsp(a.base * 1000), b.base
    return None


_JOINERS = {"convert": "to", "compare": "with"}


def _check_dims(a: Quantity, dims: tuple[int, ...], verb: str, other_text: str) -> None:
    """Raise UnitMismatch, with a hint for the two classic confusions, unless dims agree."""
    if a.unit.dims == dims:
        return
    names = {dimension_name(a.unit.dims), dimension_name(dims)}
    help_text = None
    if names == {"time", "calendar duration"}:
        help_text = (
            "months and years have no fixed length in days; write both durations in the same kind of unit"
        )
    elif names == {"percent", "dimensionless"}:
        help_text = "a percentage is not a plain number: write `50 %` rather than `0.5`"
    raise UnitMismatch(
        f"cannot {verb} `{a}` ({dimension_name(a.unit.dims)}) "
        f"{_JOINERS.get(verb, 'and')} {other_text} ({dimension_name(dims)})",
        help_text,
    )


def compare(a: Quantity, b: Quantity) -> int:
    """-1, 0 or 1 as ``a`` is less than, equal to or greater than ``b``, exactly.

    Same factor (the common case: both sides written in the same unit) compares
    the Decimals directly; otherwise the exact Fraction bases are compared.
    """
    ua, ub = a.unit, b.unit
    if ua is ub:  # the usual case on the hot path: parse_unit is cached, so one unit is one object
        x, y = a.value, b.value
        return (x > y) - (x < y)
    if ua.dims != ub.dims:
        bridged = _bridged(a, b)
        if bridged is None:
            _check_dims(a, ub.dims, "compare", f"`{b}`")
        fx, fy = bridged  # type: ignore[misc]
        return (fx > fy) - (fx < fy)
    if ua.factor == ub.factor:
        x, y = a.value, b.value
        return (x > y) - (x < y)
    fx, fy = a.base, b.base
    return (fx > fy) - (fx < fy)


def _sum(a: Quantity, b: Quantity, sign: int, verb: str) -> Quantity:
    """a + sign*b expressed in the finer unit, so that ``28 days + 12 h`` is ``684 h``.

    If that unit cannot hold the exact result as a finite decimal (``mg/day`` plus
    ``g/week``), the coarser unit is tried, and only then is the result rounded.
    """
    if type(a) is not Quantity or type(b) is not Quantity:
        numbers = _is_number(a), _is_number(b)
        if all(numbers):
            return _EXACT.add(a, b) if sign > 0 else _EXACT.subtract(a, b)
        if any(numbers):  # a number and a quantity of unit `1` (another dimension is a mismatch)
            total = _plain_sum(_promote(a), _promote(b), sign, verb)
            return _to_decimal(total.base, DIVISION_CONTEXT.prec)
    analyte = _analyte(a, b)
    if analyte is None or analyte.kind != "molar":
        analyte = None
    elif a.unit.dims != b.unit.dims and _bridged(a, b) is not None:  # creatinine in mg/dL and in umol/L
        b = _in_units_of(b, a, analyte)
    result = _plain_sum(a, b, sign, verb)
    return with_analyte(result, analyte)


def _in_units_of(b: Quantity, a: Quantity, analyte: Analyte) -> Quantity:
    """``b`` (of ``analyte``) in ``a``'s unit, across mass and amount: exact, or 34 digits."""
    mass_side = b.base * analyte.molar_mass if a.unit.dims[0] > b.unit.dims[0] else b.base / analyte.molar_mass
    return Quantity(_to_decimal(mass_side / a.unit.factor, DIVISION_CONTEXT.prec), a.unit)


def via_analyte(q: Quantity, one: Quantity) -> Quantity | None:
    """``q``, a result of a molar analyte, in ``one``'s unit across mass and amount through the analyte's
    molar mass (creatinine ``97 umol/L`` as ``1.097... mg/dL``: a function's parameter in mg/dL), or None
    when ``q`` names no molar analyte or the two dimensions are not a mass and an amount apart."""
    analyte = getattr(q, "analyte", None)
    if analyte is None or analyte.kind != "molar" or _bridged(q, one) is None:
        return None
    return with_analyte(_in_units_of(q, one, analyte), analyte)


def _plain_sum(a: Quantity, b: Quantity, sign: int, verb: str) -> Quantity:
    _check_dims(a, b.unit.dims, verb, f"`{b}`")
    fine, coarse = (a.unit, b.unit) if a.unit.factor <= b.unit.factor else (b.unit, a.unit)
    ratio_a, ratio_b = a.unit.factor / fine.factor, b.unit.factor / fine.factor
    if ratio_a.denominator == 1 and ratio_b.denominator == 1:
        left = _EXACT.multiply(a.value, Decimal(ratio_a.numerator))
        right = _EXACT.multiply(b.value, Decimal(ratio_b.numerator))
        return Quantity(_EXACT.add(left, right) if sign > 0 else _EXACT.subtract(left, right), fine)
    total = a.base + sign * b.base
    for unit in (fine, coarse):
        exact = _terminating(total / unit.factor)
        if exact is not None:
            return Quantity(exact, unit)
    return Quantity(_to_decimal(total / fine.factor, DIVISION_CONTEXT.prec), fine)


def _is_number(x: object) -> bool:
    return isinstance(x, (Decimal, int)) and not isinstance(x, bool)


def _promote(x: Quantity | Decimal | int) -> Quantity:
    """A plain number as the dimensionless quantity it is (unit `1`), so that numbers take part in
    quantity arithmetic: ``72 / 1 kg * 1 mL/min`` (an observation's value over a unit, times a unit).
    A boolean, a text or a coding is refused with TypeError, as before."""
    if isinstance(x, Quantity):
        return x
    if _is_number(x):
        return Quantity(_as_decimal(x), DIMENSIONLESS)
    raise TypeError(f"cannot use {type(x).__name__} `{x}` in quantity arithmetic")


def add(a: Quantity, b: Quantity) -> Quantity:
    """Exact sum of two quantities of the same dimension, in the finer of the two units."""
    return _sum(a, b, 1, "add")


def sub(a: Quantity, b: Quantity) -> Quantity:
    """Exact difference of two quantities of the same dimension, in the finer of the two units."""
    return _sum(a, b, -1, "subtract")


def mul(a: Quantity, b: Quantity) -> Quantity | Decimal:
    """Exact product; units combine (``mg/kg`` times ``kg`` is ``mg``).

    When the dimensions cancel the result is a plain Decimal, as for ``div``
    (``3 /min`` times ``2 min`` is ``6``); only then, and only if the unit
    factors leave a ratio with no finite decimal, is it rounded to 34 digits.
    """
    if type(a) is not Quantity or type(b) is not Quantity:
        if _is_number(a) and _is_number(b):
            return _EXACT.multiply(a, b)
        a, b = _promote(a), _promote(b)
    unit = a.unit.mul(b.unit)
    value = _EXACT.multiply(a.value, b.value)
    if unit.is_dimensionless:
        return _to_decimal(Fraction(value) * unit.factor, DIVISION_CONTEXT.prec)
    return Quantity(value, unit)


def div(a: Quantity, b: Quantity) -> Quantity | Decimal:
    """Quotient; units combine (``mg`` per ``day`` is ``mg/day``).

    Quantities of identical dimensions give a plain Decimal, the exact ratio of
    their bases (``1 week / 1 day`` is ``7``).  A quotient with no finite
    decimal is rounded to 34 digits; a zero divisor raises ZeroDivisionError.
    """
    if type(a) is not Quantity or type(b) is not Quantity:
        if _is_number(a) and _is_number(b):
            if not b:
                raise ZeroDivisionError(f"cannot divide `{a}` by zero")
            return DIVISION_CONTEXT.divide(a, b)
        a, b = _promote(a), _promote(b)
    if not b.value:
        raise ZeroDivisionError(f"cannot divide `{a}` by `{b}`")
    analyte = _analyte(a, b)
    if analyte is not None and analyte.kind == "molar" and a.unit.dims != b.unit.dims:
        bridged = _bridged(a, b)
        if bridged is not None:  # creatinine in umol/L over 1 mg/dL: the number it is in mg/dL
            return _to_decimal(bridged[0] / bridged[1], DIVISION_CONTEXT.prec)
    unit = a.unit.div(b.unit)
    if unit.is_dimensionless:
        return _to_decimal(a.base / b.base, DIVISION_CONTEXT.prec)
    return Quantity(DIVISION_CONTEXT.divide(a.value, b.value), unit)


def scale(q: Quantity, n: Decimal | int) -> Quantity:
    """Exact ``q * n`` for a plain number ``n``; the unit is unchanged. ``q`` may itself be a plain
    number (an observation's value that is a number): then the product is a number."""
    if _is_number(q):
        return _EXACT.multiply(_as_decimal(q), _as_decimal(n))
    analyte = getattr(q, "analyte", None)
    if analyte is not None and analyte.kind == "molar":  # twice a creatinine is still creatinine
        return AnalyteQuantity(_EXACT.multiply(q.value, _as_decimal(n)), q.unit, analyte)
    return Quantity(_EXACT.multiply(q.value, _as_decimal(n)), q.unit)


def divide_by_number(q: Quantity, n: Decimal | int) -> Quantity:
    """``q / n`` rounded to 34 digits when not exact; ``n == 0`` raises ZeroDivisionError."""
    divisor = _as_decimal(n)
    if not divisor:  # checked here: decimal reports 0/0 as InvalidOperation, not ZeroDivisionError
        raise ZeroDivisionError(f"cannot divide `{q}` by zero")
    if _is_number(q):
        return DIVISION_CONTEXT.divide(_as_decimal(q), divisor)
    return Quantity(DIVISION_CONTEXT.divide(q.value, divisor), q.unit)


def max_q(a: Quantity, b: Quantity) -> Quantity:
    """The larger operand itself (``a`` on a tie), so traces keep the unit it was written in."""
    return a if compare(a, b) >= 0 else b


def min_q(a: Quantity, b: Quantity) -> Quantity:
    """The smaller operand itself (``a`` on a tie), so traces keep the unit it was written in."""
    return a if compare(a, b) <= 0 else b
