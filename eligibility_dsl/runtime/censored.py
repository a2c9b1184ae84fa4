"""Censored laboratory values: `<50 copies/mL`, `>1000 U/mL`, `<=0.5 mg/L`.

A laboratory that reports `<50 copies/mL` says the value lies below 50 copies/mL, not that it is 50.
Such a value is the open (or half-closed) interval its comparator states, and a comparison with it is
decided only when every value in that interval gives the same answer (Kleene-correct, the same interval
reasoning as ``bounded.py``): `<50 copies/mL` is `< 200 copies/mL` true, `>= 50 copies/mL` false and
`< 20 copies/mL` unknown.

Records hold a censored value as the text a laboratory writes (the FHIR adapter turns a
``valueQuantity`` with a ``comparator`` into that text); ``parse_censored`` reads it back.  A text that
is not exactly a comparator, a decimal and an optional unit this library knows is not censored: it stays
a text, and comparing it with a number is a reported problem, never a guess.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .bounded import Bounded
from .quantity import Quantity, compare
from .titre import Titre, read_titre
from .units import UnitError, parse_unit

__all__ = ["Censored", "compare_censored", "parse_censored", "parse_titre"]

_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "≤": "<=", "≥": ">="}
_TEXT = re.compile(r"\s*(<=|>=|≤|≥|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?)(?:\s*([^\s0-9.].*?))?\s*")


class Censored:
    """A value known only to satisfy ``value OP bound`` (``op`` one of ``< <= > >=``).  Immutable."""

    __slots__ = ("bound", "op")

    def __init__(self, op: str, bound: Decimal | Quantity) -> None:
        if op not in ("<", "<=", ">", ">="):
            raise ValueError(f"a censored value's comparator must be < <= > or >=, not `{op}`")
        self.op, self.bound = op, bound

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Censored) and self.op == other.op and type(self.bound) is type(other.bound) \
            and _cmp(self.bound, other.bound) == 0

    def __hash__(self) -> int:
        return hash((Censored, self.op, self.bound))

    def __str__(self) -> str:
        bound = format(self.bound, "f") if isinstance(self.bound, Decimal) else str(self.bound)
        # (a titre bound prints as `1:40`, so `<1:40`)
        return f"{self.op}{bound}"

    def __repr__(self) -> str:
        return f"Censored({self.op!r}, {self.bound!r})"

    def interval(self) -> tuple:
        """(low, low_closed, high, high_closed); None for an unbounded end."""
        if self.op in ("<", "<="):
            return None, False, self.bound, self.op == "<="
        return self.bound, self.op == ">=", None, False


def parse_censored(text: str) -> Censored | None:
    """The censored value a text states (`<50 copies/mL`, `> 1000`, `≤0.5 mg/L`), or None."""
    m = _TEXT.fullmatch(text)
    if m is None:
        return None
    op, number, unit = _OPS[m.group(1)], Decimal(m.group(2)), m.group(3)
    if unit is None:
        return Censored(op, number)
    try:
        return Censored(op, Quantity(number, parse_unit(unit)))
    except UnitError:
        return None


def parse_titre(text: str) -> Titre | Censored | None:
    """The titre a text states (`1:160`), a censored titre (`<1:40`: every titre below 1:40), or None."""
    read = read_titre(text)
    if read is None:
        return None
    op, titre = read
    return titre if op is None else Censored(op, titre)


def _cmp(a, b) -> int:
    if type(a) is Decimal and type(b) is Decimal:
        return (a > b) - (a < b)
    if isinstance(a, Titre) or isinstance(b, Titre):  # a titre compares with titres only (raises otherwise)
        return (a > b) - (a < b) if isinstance(a, Titre) else (b < a) - (b > a)
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        return compare(a, b)  # raises UnitMismatch across dimensions
    raise TypeError(f"cannot compare `{a}` with `{b}`: a number and a quantity")


def _interval(x) -> tuple:
    if isinstance(x, Censored):
        return x.interval()
    if isinstance(x, Bounded):
        return x.low, True, x.high, x.high is not None
    if isinstance(x, int) and not isinstance(x, bool):
        x = Decimal(x)
    if not isinstance(x, Decimal | Quantity | Titre):
        raise TypeError(f"cannot compare a censored value with `{x}`")
    return x, True, x, True


def _always_less(x, y, strict: bool) -> bool:
    """Whether every value of interval x is below (``strict``) or at most every value of y."""
    _, _, x_high, x_high_closed = x
    y_low, y_low_closed, _, _ = y
    if x_high is None or y_low is None:
        return False
    order = _cmp(x_high, y_low)
    if order < 0:
        return True
    if order > 0:
        return False
    return not strict or not (x_high_closed and y_low_closed)  # they touch: only at a point both hold


def compare_censored(op: str, a, b) -> bool | None:
    """``a op b`` where either side may be Censored (the other: a number, a quantity, a Bounded or
    Censored): True or False when every pair of values the two allow gives that answer, else None."""
    if a is None or b is None:
        return None
    x, y = _interval(a), _interval(b)
    if op in (">", ">="):
        x, y, op = y, x, {">": "<", ">=": "<="}[op]
    if op == "<":
        return True if _always_less(x, y, True) else False if _always_less(y, x, False) else None
    if op == "<=":
        return True if _always_less(x, y, False) else False if _always_less(y, x, True) else None
    if op in ("=", "!="):
        # A censored value is a range of values, never one: it is equal to nothing for certain, and
        # different from what lies outside its range.
        disjoint = _always_less(x, y, True) or _always_less(y, x, True)
        if op == "=":
            return False if disjoint else None
        return True if disjoint else None
    raise ValueError(f"unknown comparison `{op}` (expected one of = != < <= > >=)")
