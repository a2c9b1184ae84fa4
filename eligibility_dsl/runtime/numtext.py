"""Exact decimals as text, bounded: a number is written out in full (``134.4``, ``0.001``) when that is
short, and in scientific notation (``1E+999999999``) otherwise, so that printing a value never expands
a huge exponent into a billion digits."""

from __future__ import annotations

from decimal import Decimal

from .decimal_context import DISPLAY, DISPLAY_DIGITS

# Written out in full when the point is at most this many places from the first digit.
PLAIN_EXPONENT = 40
# At most this many significant digits are shown; longer coefficients are shortened (marked `…`).
MAX_DIGITS = DISPLAY_DIGITS


def number_text(value: Decimal) -> str:
    """``format(value, "f")`` when short, else a bounded scientific form (never more than ~70 characters)."""
    if not value.is_finite():
        return str(value)
    digits = len(value.as_tuple().digits)
    if digits <= MAX_DIGITS and -PLAIN_EXPONENT <= value.adjusted() <= PLAIN_EXPONENT:
        return format(value, "f")
    if digits <= MAX_DIGITS:
        return str(value) if "E" in str(value) else format(value, "E")
    # Rounded in an explicit context: format(value, ".59E") would round in the caller's (runtime/decimal_context.py).
    return format(DISPLAY.plus(value), "E").replace("E", "…E", 1)
