"""The decimal contexts of evaluation: every ``Decimal`` operation of the runtime, the generated evaluators'
support code and the record binder names one of these, never Python's thread-local context.

Why: ``decimal.getcontext()`` belongs to the caller. A program that set ``getcontext().prec = 3`` (or turned a
trap off) would otherwise get ``1234 + 1 = 1.24E+3`` in a score total, or an ``Infinity`` instead of an error,
inside an eligibility decision. Operators (``a + b``) and methods without a context (``x.normalize()``) use
the thread's context, so the code here calls the context's own methods (``EXACT.add(a, b)``) instead.

``EXACT`` (``+ - *``, negation, totals): precision ``MAX_PREC``, so these never round; exponents are bounded
to ``10^-EMAX .. 10^EMAX`` (far beyond any value a record or criterion may hold, README "Security and
limits"), and reaching a bound raises: ``Overflow``, ``Underflow``/``Subnormal``, ``InvalidOperation`` and
``DivisionByZero`` are all trapped. Each is an ``ArithmeticError``, which evaluation turns into an UNKNOWN
with a problem ("cannot combine ..."), never a silent ``Infinity`` or ``0``.

``DIVISION``: the same bounds and traps, rounding half-even to ``DIVISION_DIGITS`` significant digits, for
quotients with no finite decimal (``1 / 3``). ``rounding(p)`` is that context at ``p`` digits (display
conversions such as ``1 min`` in hours).

``DISPLAY``: rounds a very long coefficient for printing only (``numtext``); it traps nothing, since
printing never fails.
"""

from __future__ import annotations

from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    Subnormal,
    Underflow,
)
from functools import lru_cache

__all__ = ["DIVISION", "DIVISION_DIGITS", "EMAX", "EXACT", "TRAPS", "rounding"]

EMAX = 10_000  # results lie within 10^-EMAX .. 10^EMAX (zero aside); beyond is an ArithmeticError
DIVISION_DIGITS = 34
TRAPS = (InvalidOperation, DivisionByZero, Overflow, Underflow, Subnormal)


@lru_cache(maxsize=16)
def rounding(precision: int) -> Context:
    """The runtime context at ``precision`` significant digits, half-even (one object per precision)."""
    return Context(prec=precision, Emax=EMAX, Emin=-EMAX, rounding=ROUND_HALF_EVEN, traps=list(TRAPS), clamp=0,
                   capitals=1)


EXACT = rounding(MAX_PREC)
DIVISION = rounding(DIVISION_DIGITS)
DISPLAY_DIGITS = 60
DISPLAY = Context(prec=DISPLAY_DIGITS, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_EVEN, traps=[], clamp=0,
                  capitals=1)
