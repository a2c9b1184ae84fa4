"""Concurrent records add up: the highest daily total of amounts over the records active on each day.

Prednisone 7.5 mg/day and methylprednisolone 4 mg/day (5 mg/day prednisone-equivalent) taken on the
same days are 12.5 mg/day of prednisone-equivalent on those days, whatever each record says alone.
``peak_daily_total`` computes, for the days of a window, the sum of the amounts of the records active
on each day, and returns the largest: one sort of the records' start and end days, then one sweep
(linear after the sort).

``ZERO`` is the total of no record at all: zero in whatever unit it is compared with (a window with
no corticosteroid is 0 mg/day of them, and 0 IU/day too).
"""

from __future__ import annotations

from decimal import Decimal

from . import quantity as Q

__all__ = ["ZERO", "Zero", "peak_daily_total"]


class Zero:
    """The amount of nothing: compares as zero with a number or a quantity of any dimension."""

    __slots__ = ()

    def __str__(self) -> str:
        return "0"

    def __repr__(self) -> str:
        return "ZERO"

    def like(self, other):
        """Zero in the kind of ``other`` (a number, or a quantity in ``other``'s unit)."""
        low = getattr(other, "low", getattr(other, "bound", other))  # a Bounded's or Censored's unit
        if isinstance(low, Q.Quantity):
            return Q.Quantity(Decimal(0), low.unit)
        return Decimal(0)


ZERO = Zero()


def _add(a, b):
    if type(a) is Decimal and type(b) is Decimal:
        return Q.EXACT_CONTEXT.add(a, b)
    return Q.add(a, b)  # raises UnitMismatch across dimensions, TypeError for a number and a quantity


def _neg(a):
    return Q.EXACT_CONTEXT.minus(a) if type(a) is Decimal else -a


def _greater(a, b) -> bool:
    if type(a) is Decimal and type(b) is Decimal:
        return a > b
    return Q.compare(a, b) > 0


def peak_daily_total(spans: list[tuple[int, int | None, object]], first: int, last: int,
                     day: list | None = None):
    """The largest, over the days ``first`` .. ``last`` (ordinals, both included), of the sum of the
    amounts of the spans ``(start, end, amount)`` active that day (``end`` None: ongoing).  ZERO when
    no span touches the window.  Raises UnitMismatch or TypeError when amounts cannot be added.
    ``day``, when given, receives the first day (ordinal) on which the largest total is reached."""
    units = {a.unit.symbol for _, _, a in spans if isinstance(a, Q.Quantity)}
    if len(units) == 1 and all(isinstance(a, Q.Quantity) for _, _, a in spans):
        # One unit (the usual case): add the exact decimal values, and state the unit once at the end.
        unit = spans[0][2].unit
        peak = peak_daily_total([(s, e, a.value) for s, e, a in spans], first, last, day)
        return peak if peak is ZERO else Q.Quantity(peak, unit)
    changes: list[tuple[int, int, object]] = []
    for start, end, amount in spans:
        s = max(start, first)
        e = last if end is None else min(end, last)
        if s > e:
            continue
        changes.append((s, 1, amount))
        changes.append((e + 1, 0, amount))  # leaves after day e; removals sort before additions
    changes.sort(key=lambda c: (c[0], c[1]))
    running, peak, peak_day = None, None, None
    i, n = 0, len(changes)
    while i < n:
        today = changes[i][0]
        while i < n and changes[i][0] == today:
            _, adding, amount = changes[i]
            delta = amount if adding else _neg(amount)
            running = delta if running is None else _add(running, delta)
            i += 1
        if today <= last and (peak is None or _greater(running, peak)):
            peak, peak_day = running, today
    if day is not None and peak_day is not None:
        day.append(peak_day)
    return ZERO if peak is None else peak
