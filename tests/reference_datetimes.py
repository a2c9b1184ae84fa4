"""The reference interpreter's date-times (issue 11), written again from docs/language.md#date-times, sharing
no code with ``runtime.datetimes`` but its value class.

A value is the instants it allows: its written unit (a date: the whole day) at its written offset. Both
without an offset: one local clock. One without: that one at any offset from -12:00 to +14:00. When both
are known at least to the counted unit (hours: to the hour) on one clock, each is the point it writes (CQL).
Whole hours are truncated toward zero; the age is then a value, or a range when the bounds differ.
"""

from __future__ import annotations

import datetime
from datetime import timedelta
from decimal import Decimal

from eligibility_dsl.runtime.datetimes import DateTime
from eligibility_dsl.runtime.quantity import Quantity

_LENGTH = {"day": timedelta(days=1), "hour": timedelta(hours=1), "minute": timedelta(minutes=1),
           "second": timedelta(seconds=1)}
_RANK = {"day": 0, "hour": 1, "minute": 2, "second": 3}
_STEP = {"hours": (timedelta(hours=1), "h", "hour"), "minutes": (timedelta(minutes=1), "min", "minute")}


def _as_datetime(v) -> DateTime:
    if isinstance(v, DateTime):
        return v
    return DateTime(datetime.datetime(v.year, v.month, v.day), "day", None)


def age_in(unit: str, birth, at, make_range):
    if birth is None or at is None:
        return None
    b, a = _as_datetime(birth), _as_datetime(at)
    step, symbol, finest = _STEP[unit]
    mixed = (b.offset is None) != (a.offset is None)
    points = not mixed and _RANK[b.precision] >= _RANK[finest] and _RANK[a.precision] >= _RANK[finest]

    def span(v: DateTime):
        start = v.local - timedelta(minutes=v.offset or 0)
        if points or (v.precision == "second" and v.local.microsecond):
            return start, start
        end = start + _LENGTH[v.precision] - timedelta(microseconds=1)
        if mixed and v.offset is None:
            return start - timedelta(hours=14), end + timedelta(hours=12)
        return start, end

    (b0, b1), (a0, a1) = span(b), span(a)

    def whole(d: timedelta) -> int:
        n = abs(d) // step
        return n if d >= timedelta(0) else -n

    low, high = whole(a0 - b1), whole(a1 - b0)
    return make_range(Quantity(Decimal(low), symbol), Quantity(Decimal(high), symbol))


def _span(v: DateTime, widen: bool):
    """[first, last] instants of ``v`` on the UTC line (local clock when no offset), widened over the
    offsets in use when the other side has an offset and ``v`` has none."""
    start = v.local - timedelta(minutes=v.offset or 0)
    end = start if v.precision == "second" and v.local.microsecond else start + _LENGTH[v.precision] - timedelta(
        microseconds=1)
    if widen and v.offset is None:
        return start - timedelta(hours=14), end + timedelta(hours=12)
    return start, end


def _before(a: DateTime, b: DateTime, strict: bool):
    """a < b (strict) or a <= b over the instants both allow: True, False or None (CQL: one precision on
    one clock compares the points written)."""
    mixed = (a.offset is None) != (b.offset is None)
    if not mixed and a.precision == b.precision:
        x, y = _span(a, False)[0], _span(b, False)[0]
        return x < y if strict else x <= y
    (a0, a1), (b0, b1) = _span(a, mixed), _span(b, mixed)
    if (a1 < b0) or (not strict and a1 <= b0):
        return True
    if (a0 > b1) or (strict and a0 >= b1):
        return False
    return None


def exact_bounds(window, anchor_times: dict, anchors: dict, outer=None, value_of=None):
    """(since, until) of a window in hours or minutes when one of its anchors (or the outer event it is
    relative to) is a date-time; else None."""
    if window is None or window.exact is None or window.starts_only:
        return None
    low, low_shift, high, high_shift = window.exact

    def base(node):
        if type(node).__name__ == "PickTime":  # `latest date of Q`: the interpreter's value
            return value_of(node)
        if hasattr(node, "name"):
            return anchor_times.get(node.name) or _as_datetime(anchors[node.name])
        if outer is None or outer.start is None:
            return None
        return outer.instant if outer.instant is not None else _as_datetime(outer.start)

    bases = [base(n) for n in (low, high) if n is not None]
    if any(b is None for b in bases) or all(b.precision == "day" for b in bases):
        return None

    def moved(node, shift):
        if node is None:
            return None
        v = base(node)
        return DateTime(v.local + timedelta(microseconds=int(shift * 1_000_000)), v.precision, v.offset)

    return moved(low, low_shift), moved(high, high_shift)


def event_in(bounds, window, event):
    """Whether ``event`` lies in (overlaps) the exact window ``bounds``: True, False or None."""
    since, until = bounds
    start = event.instant if event.instant is not None else _as_datetime(event.start)
    end = start if event.end == event.start else (None if event.end is None else _as_datetime(event.end))
    out = True
    if until is not None:
        v = _before(start, until, not window.high_closed)
        out = False if v is False else None if v is None else out
    if since is not None and end is not None and out is not False:
        v = _before(since, end, not window.low_closed)
        out = False if v is False else None if v is None else out
    return out


def same_day_pick(best, matched, undecided, latest: bool):
    """On ``best``'s day, when an event has a time: the event certainly latest (earliest) by its instant (equal
    instants: by id), or None; an event of that day without a time, or an undecided one, leaves it unknown."""
    day = [e for e in matched if e.start == best.start]
    open_ = [e for e in undecided if e.start == best.start]
    if not any(e.instant is not None for e in day + open_):
        return best
    if open_ or any(e.instant is None for e in day):
        return None
    for c in sorted(day, key=lambda e: e.id, reverse=latest):
        others = [e for e in day if e is not c]
        if all((_before(e.instant, c.instant, False) if latest else _before(c.instant, e.instant, False)) is True
               for e in others):
            return c
    return None
