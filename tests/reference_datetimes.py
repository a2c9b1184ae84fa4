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
