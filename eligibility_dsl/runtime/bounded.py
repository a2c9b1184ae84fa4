"""A value known only to lie between bounds: "at least 2 infections", "a score between 7 and 11".

Why: a count over a record whose history is incomplete is a lower bound (the
events we see happened; others may be missing), and a score with unscored
items lies between its value with every unknown item at its minimum and at its
maximum.  Collapsing either to unknown would throw away answers that the bound
already decides: "at least 3 infections" settles ">= 2" and refutes "< 2".

Comparisons use interval reasoning: a plain value ``v`` is the interval
``[v, v]``, a Bounded the closed interval ``[low, high]`` (``high`` None: no
upper end).  A comparison is decided when it has the same answer for every
pair of values drawn from the two intervals, and unknown (None) otherwise.
Treating the range as every value between the bounds keeps the answer sound
for counts too (which are whole numbers): it can only say unknown more often,
never wrongly decide.
"""

from __future__ import annotations

from decimal import Decimal

from .numtext import number_text
from .quantity import Quantity, compare

__all__ = ["Bounded", "bounded_or_exact", "compare_bounded"]

Value = Decimal | Quantity


def _check_value(value: object, role: str) -> Value:
    """Decimal or Quantity; an int is accepted as a Decimal (counts are built from ints)."""
    if isinstance(value, Quantity):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"the {role} bound `{value}` is not a finite number")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"the {role} bound must be a Decimal or a Quantity, not {type(value).__name__}")


def _cmp(a: Value, b: Value) -> int:
    """-1, 0 or 1, exactly; numbers and quantities never compare with each other."""
    if type(a) is Decimal and type(b) is Decimal:
        return (a > b) - (a < b)
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        return compare(a, b)  # raises UnitMismatch across dimensions
    raise TypeError(f"cannot compare `{_show(a)}` with `{_show(b)}`: a number and a quantity")


def _show(value: Value) -> str:
    return number_text(value) if isinstance(value, Decimal) else str(value)


class Bounded:
    """A value in ``[low, high]``; ``high`` None means no upper bound.  Treat as immutable.

    ``low`` and ``high`` are both Decimal or both Quantity of one dimension, and
    ``low < high``: a range that has shrunk to one value is that value, so build
    through ``bounded_or_exact`` when the bounds may meet.
    """

    __slots__ = ("high", "low")

    def __init__(self, low: Value | int, high: Value | int | None = None) -> None:
        self.low = _check_value(low, "lower")
        self.high = None if high is None else _check_value(high, "upper")
        if self.high is not None:
            order = _cmp(self.low, self.high)
            if order >= 0:
                relation = "equals" if order == 0 else "exceeds"
                raise ValueError(
                    f"lower bound `{_show(self.low)}` {relation} upper bound `{_show(self.high)}`"
                    + ("; use bounded_or_exact for a value that is known" if order == 0 else "")
                )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bounded):
            return NotImplemented
        if (self.high is None) != (other.high is None) or type(self.low) is not type(other.low):
            return False
        return _cmp(self.low, other.low) == 0 and (self.high is None or _cmp(self.high, other.high) == 0)

    def __hash__(self) -> int:
        return hash((Bounded, self.low, self.high))

    def __str__(self) -> str:
        low = _show(self.low)
        if self.high is None:
            return f"at least {low}"
        high = _show(self.high)
        if isinstance(self.low, Quantity) and self.low.unit.symbol == self.high.unit.symbol:
            low = format(self.low.value, "f")  # "between 7 and 11 days", the unit said once
        return f"between {low} and {high}"

    def __repr__(self) -> str:
        return f"Bounded({self.low!r}, {self.high!r})"


def bounded_or_exact(low: Value | int, high: Value | int | None) -> Value | Bounded:
    """``low`` itself when the bounds meet (the value is then known), else ``Bounded(low, high)``."""
    if high is not None:
        low_value, high_value = _check_value(low, "lower"), _check_value(high, "upper")
        if _cmp(low_value, high_value) == 0:
            return low_value
    return Bounded(low, high)


def _interval(x: object) -> tuple[Value, Value | None]:
    if isinstance(x, Bounded):
        return x.low, x.high
    value = _check_value(x, "compared")
    return value, value


def _less(a: tuple[Value, Value | None], b: tuple[Value, Value | None], strict: bool) -> bool | None:
    """``a < b`` (``strict``) or ``a <= b`` over intervals: decided only when every pair agrees."""
    (a_low, a_high), (b_low, b_high) = a, b
    if a_high is not None:
        order = _cmp(a_high, b_low)
        if order < 0 or (order == 0 and not strict):
            return True  # even a's largest is below b's smallest
    if b_high is not None:
        order = _cmp(a_low, b_high)
        if order > 0 or (order == 0 and strict):
            return False  # even a's smallest is at or above b's largest
    return None


def _equal(a: tuple[Value, Value | None], b: tuple[Value, Value | None]) -> bool | None:
    (a_low, a_high), (b_low, b_high) = a, b
    if (a_high is not None and _cmp(a_high, b_low) < 0) or (b_high is not None and _cmp(b_high, a_low) < 0):
        return False  # disjoint
    exact = (
        a_high is not None and b_high is not None and _cmp(a_low, a_high) == 0 and _cmp(b_low, b_high) == 0
    )
    return True if exact else None  # exact and not disjoint: the same single value


_NEGATE = {True: False, False: True, None: None}


def compare_bounded(op: str, a: object, b: object) -> bool | None:
    """``a op b`` for ``op`` in ``= != < <= > >=``, where either side may be Bounded.

    True or False when every value in the range(s) gives that answer, else None
    (unknown); None on either side (an unknown value) gives None.  Plain values
    (Decimal, int or Quantity) compare exactly as usual.
    """
    if a is None or b is None:
        return None
    x, y = _interval(a), _interval(b)
    if op == "<":
        return _less(x, y, strict=True)
    if op == "<=":
        return _less(x, y, strict=False)
    if op == ">":
        return _less(y, x, strict=True)
    if op == ">=":
        return _less(y, x, strict=False)
    if op == "=":
        return _equal(x, y)
    if op == "!=":
        return _NEGATE[_equal(x, y)]
    raise ValueError(f"unknown comparison `{op}` (expected one of = != < <= > >=)")
