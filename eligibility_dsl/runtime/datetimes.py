"""Date-times with a precision and an optional offset, compared as CQL compares them (issue 11).

A FHIR ``dateTime`` such as ``2025-09-11T14:30:00+02:00`` is an instant written in an offset; without an
offset (``2025-09-11T14:30``) it is a local time; a bare date (``2025-09-11``) is a date-time known to the
day.  :class:`DateTime` keeps what was written: the local fields up to its precision (``day``, ``hour``,
``minute``, ``second``: fractions of a second are kept at second precision) and the offset, if any.

**The rule, stated once (no daylight-saving time, no time-zone database).** A value is the set of instants
it allows: every instant of its last written unit (``2025-09-11`` is the 24 hours of that day,
``T14`` the hour 14:00-15:00).  An offset is the one written, never looked up: ``+02:00`` is two hours
ahead of UTC whatever the date, so ``T14:30+02:00`` and ``T12:30Z`` are the same instant.  Two values
without an offset are read on the same local clock (one site's record and its anchors); a value without an
offset against one with an offset may be at any offset in use (``-12:00`` to ``+14:00``), so its instants
widen by those hours.  A comparison, or a count of whole hours between two values, is then decided only
when every pair of instants the two allow gives the same answer, and is unknown (``None``, or a
:class:`~eligibility_dsl.runtime.bounded.Bounded` count) otherwise: CQL's rule that comparing values of
different precision is null when the finer parts could decide either way, never a guess.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import attrs

from .bounded import Bounded
from .quantity import Quantity
from .units import parse_unit

__all__ = ["BIRTH_TIME", "AnchorDates", "DateTime", "age_in", "anchor_texts", "anchor_time", "as_datetime",
           "compare_datetimes", "elapsed", "from_date", "instants", "is_datetime_text", "parse_datetime"]

# Where a bound record keeps the birth instant when `birth_date` is written as a date-time: a key that no
# fact name can be, so it never shadows one (the fact `birth_date` is the date as written).
BIRTH_TIME = "birth_date@time"
PRECISIONS = ("day", "hour", "minute", "second")
_MICRO = 1_000_000
_LENGTH = {"day": 86400 * _MICRO, "hour": 3600 * _MICRO, "minute": 60 * _MICRO, "second": _MICRO}
_EPOCH = datetime.datetime(1, 1, 1)
# The offsets in use (UTC-12:00 to UTC+14:00): an instant's UTC time is its local time minus its offset.
_EARLIEST_OFFSET, _LATEST_OFFSET = -12 * 60, 14 * 60
_UNITS = {"hours": (3600 * _MICRO, parse_unit("h"), parse_unit("h")),
          "minutes": (60 * _MICRO, parse_unit("min"), parse_unit("min"))}
_RE = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:T(?P<h>[0-9]{2})(?::(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]{1,9}))?)?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?)?")


@attrs.frozen
class DateTime:
    """A date-time as written: local fields up to ``precision``, ``offset`` in minutes (None: local time)."""

    local: datetime.datetime  # naive; fields finer than the precision are zero
    precision: str = "second"
    offset: int | None = None

    @property
    def date(self) -> datetime.date:
        """The calendar date as written (the local date where the value was recorded)."""
        return self.local.date()

    def isoformat(self) -> str:
        if self.precision == "day":
            return self.local.date().isoformat()
        spec = {"hour": "hours", "minute": "minutes", "second": "seconds"}[self.precision]
        if self.precision == "second" and self.local.microsecond:
            spec = "microseconds"
        text = self.local.isoformat(timespec=spec)
        if self.offset is None:
            return text
        if self.offset == 0:
            return text + "Z"
        sign, minutes = ("+" if self.offset > 0 else "-"), abs(self.offset)
        return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"

    def __str__(self) -> str:
        return self.isoformat()


class AnchorDates(dict):
    """Anchors by name, each its date (as every window and `age at` reads it), with ``times``: the
    date-times of those given as date-times (what `age in hours at` reads).  Losing ``times`` (a plain
    copy of the dict) can only make an answer less precise, never different: a date is the whole day."""

    def __init__(self, dates=(), times=None):
        super().__init__(dates)
        self.times: dict[str, DateTime] = dict(times or {})

    def key(self) -> tuple:
        return tuple(self.items()) + tuple((name, str(t)) for name, t in self.times.items())


def anchor_texts(anchors: dict) -> dict[str, str]:
    """Each anchor as it was given: its date-time when given as one, else its date (``YYYY-MM-DD``)."""
    times = getattr(anchors, "times", {})
    return {k: (times[k] if k in times else v).isoformat() for k, v in anchors.items()}


def anchor_time(anchors: object, name: str) -> DateTime | None:
    """The anchor ``name`` as a date-time: the one given, else its date (known to the day)."""
    found = getattr(anchors, "times", {}).get(name)
    if found is not None:
        return found
    day = anchors.get(name) if isinstance(anchors, dict) else None
    return None if day is None else as_datetime(day)


def from_date(d: datetime.date) -> DateTime:
    """A date as a date-time known to the day, without an offset."""
    return DateTime(datetime.datetime(d.year, d.month, d.day), "day", None)


def is_datetime_text(text: object) -> bool:
    """Whether ``text`` is written as a date-time (a date followed by ``T``), well formed or not."""
    return isinstance(text, str) and len(text) > 10 and text[10:11] == "T"


def parse_datetime(text: str) -> DateTime:
    """A strict ISO 8601 / FHIR date or date-time; anything else is a ValueError naming the text.

    ``2025-09-11``, ``2025-09-11T14``, ``2025-09-11T14:30``, ``2025-09-11T14:30:00``, with an optional
    ``Z`` or ``+hh:mm`` / ``-hh:mm`` after a time of day.  Hours 00-23, minutes and seconds 00-59 (no leap
    second), offsets up to 14:00.
    """
    if not isinstance(text, str):
        raise TypeError(f"date-time text must be a str, not {type(text).__name__}")
    m = _RE.fullmatch(text) if text.isascii() else None
    problem = f"`{text}` is not a valid date-time (expected YYYY-MM-DDThh:mm:ss with an offset such as +02:00)"
    if m is None:
        raise ValueError(problem)
    try:
        day = datetime.date.fromisoformat(m["date"])
    except ValueError:
        raise ValueError(problem) from None
    if m["h"] is None:
        return from_date(day)
    hour, minute, second = int(m["h"]), int(m["m"] or 0), int(m["s"] or 0)
    micro = int((m["f"] or "0").ljust(6, "0")[:6])
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(problem)
    precision = "second" if m["s"] is not None else "minute" if m["m"] is not None else "hour"
    offset = None
    if m["tz"] is not None:
        if m["tz"] == "Z":
            offset = 0
        else:
            hours, minutes = int(m["tz"][1:3]), int(m["tz"][4:6])
            if minutes > 59 or hours * 60 + minutes > 14 * 60:
                raise ValueError(problem)
            offset = (hours * 60 + minutes) * (1 if m["tz"][0] == "+" else -1)
    local = datetime.datetime(day.year, day.month, day.day, hour, minute, second, micro)
    return DateTime(local, precision, offset)


def as_datetime(value: object) -> DateTime | None:
    """A DateTime from a DateTime, a date or ISO text; None for None."""
    if value is None or isinstance(value, DateTime):
        return value
    if isinstance(value, datetime.datetime):
        raise TypeError("a datetime.datetime is ambiguous here: give a DateTime or ISO text")
    if isinstance(value, datetime.date):
        return from_date(value)
    return parse_datetime(value)


def _local_span(v: DateTime, point: bool) -> tuple[int, int]:
    """[first, last] microsecond of the local clock that ``v`` allows (``point``: its first only)."""
    start = (v.local - _EPOCH) // datetime.timedelta(microseconds=1)
    if point or (v.precision == "second" and v.local.microsecond):
        return start, start  # read at its own precision, or a written fraction: that instant
    return start, start + _LENGTH[v.precision] - 1


def instants(a: DateTime, b: DateTime, finest: str | None = None) -> tuple[tuple[int, int], tuple[int, int]]:
    """The [first, last] instants (microseconds on one time line) that ``a`` and ``b`` allow, read together.

    Both with offsets: UTC.  Neither: the one local clock.  One without: that one at any offset in use.
    When both are known at least to ``finest`` (by default: to the same precision) and are read on one
    time line, each is the point it writes: CQL compares values at their common precision, so
    ``T14:30 < T14:30`` is false, not unknown, and 06:00 to 06:00 three days later is 72 hours.
    """
    spans = []
    mixed = (a.offset is None) != (b.offset is None)
    if finest is None:
        point = a.precision == b.precision
    else:
        rank = PRECISIONS.index(finest)
        point = PRECISIONS.index(a.precision) >= rank and PRECISIONS.index(b.precision) >= rank
    point = point and not mixed
    for v in (a, b):
        lo, hi = _local_span(v, point)
        if v.offset is not None:
            shift = v.offset * 60 * _MICRO
            lo, hi = lo - shift, hi - shift
        elif mixed:
            lo, hi = lo - _LATEST_OFFSET * 60 * _MICRO, hi - _EARLIEST_OFFSET * 60 * _MICRO
        spans.append((lo, hi))
    return spans[0], spans[1]


_OPS = {"<": lambda d: d < 0, "<=": lambda d: d <= 0, ">": lambda d: d > 0, ">=": lambda d: d >= 0,
        "=": lambda d: d == 0, "!=": lambda d: d != 0}


def compare_datetimes(op: str, a: object, b: object) -> bool | None:
    """``a OP b`` over the instants both allow: True or False when every pair agrees, else None."""
    a, b = as_datetime(a), as_datetime(b)
    if a is None or b is None:
        return None
    (alo, ahi), (blo, bhi) = instants(a, b)
    test = _OPS[op]
    extremes = {test(alo - bhi), test(ahi - blo)}
    if op in ("=", "!="):
        if alo == ahi == blo == bhi:
            return test(0)
        if ahi < blo or bhi < alo:
            return op == "!="
        return None
    return extremes.pop() if len(extremes) == 1 else None


_UNIT_PRECISION = {"hours": "hour", "minutes": "minute"}


def _trunc(n: int, step: int) -> int:
    return n // step if n >= 0 else -(-n // step)


def elapsed(unit: str, start: object, end: object) -> tuple[int, int] | None:
    """Whole ``unit`` (hours or minutes) from ``start`` to ``end``, truncated toward zero as CQL's
    ``hours between``: (low, high), equal when the values decide it; None when either is missing."""
    step = _UNITS[unit][0]
    a, b = as_datetime(start), as_datetime(end)
    if a is None or b is None:
        return None
    (alo, ahi), (blo, bhi) = instants(a, b, _UNIT_PRECISION[unit])
    return _trunc(blo - ahi, step), _trunc(bhi - alo, step)


def _amount(n: int, unit: str) -> Quantity:
    singular, plural = _UNITS[unit][1:]
    return Quantity(Decimal(n), singular if abs(n) == 1 else plural)


def age_in(unit: str, birth: object, at: object) -> Quantity | Bounded | None:
    """Completed hours (minutes) of age at ``at``: a quantity, or the bounds it lies between when the
    birth or ``at`` is known only to the day (or hour); None when either is missing."""
    found = elapsed(unit, birth, at)
    if found is None:
        return None
    low, high = found
    return _amount(low, unit) if low == high else Bounded(_amount(low, unit), _amount(high, unit))
