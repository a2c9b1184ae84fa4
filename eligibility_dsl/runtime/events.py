"""Events on a patient's timeline, the windows criteria look through, and day counting.

Why whole days: criteria speak in dates ("within 12 months before screening",
"14 days of prednisone"), and records give dates without times, so every
period here is a run of whole days, inclusive at both ends.  A window may be
written open at an end (``(a, b]``); ``first_day``/``last_day`` turn that into
the inclusive whole-day bounds everything else uses, so a day is never
counted twice or lost at a boundary.

Why coverage: absence of evidence is evidence of absence only where the record
is complete.  A ``Coverage`` states that period, and ``Coverage.covers`` tells a
query whether "no matching event in the window" may be read as "no".

Day counts work on ordinals (``date.toordinal()``) and sort-and-sweep, so they
cost O(n log n) in the number of periods however long the window is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .codes import Coding
from .numtext import number_text

__all__ = ["Coverage", "Event", "Window", "covered_continuously", "days_inclusive", "exposure_days"]

Period = tuple[date, date | None]

# One past the last representable day: the end of an ongoing period in a window with no last day.
_FOREVER = date.max.toordinal() + 1


def _check_date(value: object, role: str) -> None:
    # A datetime is a date subclass, but comparing it with a date raises: refuse it here instead.
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise TypeError(f"{role} must be a date or None, not {type(value).__name__}")


def days_inclusive(a: date, b: date) -> int:
    """The number of days from ``a`` to ``b``, both included: 1 when ``a == b``."""
    return (b - a).days + 1


def _show(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v) for v in value)
    return str(value)


def _is_coding(value: Any) -> bool:
    if isinstance(value, Coding):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, Coding) for v in value)


class Event:
    """One event of one collection: its bound ``fields`` (None: missing) and its period.

    Interval events (medications, conditions) run from ``start`` to ``end``,
    ``end`` None meaning ongoing; point events (observations, immunizations)
    have ``start == end``.  Treat as immutable; ``fields`` is not copied.
    """

    __slots__ = ("collection", "end", "end_day", "fields", "id", "instant", "start", "start_day")

    def __init__(
        self, id: str, collection: str, fields: dict[str, Any], start: date | None, end: date | None
    ) -> None:
        _check_date(start, "an event's start")
        _check_date(end, "an event's end")
        if start is not None and end is not None and end < start:
            raise ValueError(f"event `{id}` ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        self.id = id
        self.collection = collection
        self.fields = fields
        self.start = start
        self.end = end
        # Day numbers (``date.toordinal``), computed once: queries compare them against every window.
        self.start_day = None if start is None else start.toordinal()
        self.end_day = None if end is None else end.toordinal()
        # A point event's date-time when the record gives one (runtime/datetimes.DateTime; issue 11): its
        # date is ``start``, as every whole-day form reads it; exact windows read the instant.
        self.instant = None

    def period_text(self) -> str:
        """``2025-01-05..2025-03-01``, ``2025-01-05..ongoing``, one date for a one-day event,
        ``?..2025-03-01`` when the start is unknown, ``undated`` when both ends are."""
        start, end = self.start, self.end
        if self.instant is not None:
            return str(self.instant)
        if start is None:
            return "undated" if end is None else f"?..{end.isoformat()}"
        if end is None:
            return f"{start.isoformat()}..ongoing"
        if start == end:
            return start.isoformat()
        return f"{start.isoformat()}..{end.isoformat()}"

    def describe(self, fields_to_show: tuple[str, ...] = ()) -> str:
        """One line for a trace: ``m-3: ATC L01FA01 (rituximab), 2025-01-05..2025-03-01, daily_dose 1000 mg/day``.

        Fields holding codings are shown bare, first (they say what the event
        is); then the period; then the other fields as ``name value``, with
        ``missing`` for a field the record lacks.
        """
        codes, others = [], []
        for name in fields_to_show:
            value = self.fields.get(name)
            if _is_coding(value):
                codes.append(codings_text(value))
            else:
                others.append(f"{name} {_show(value)}")
        return f"{self.id}: " + ", ".join([*codes, self.period_text(), *others])

    def __repr__(self) -> str:
        return f"Event({self.id!r}, {self.collection!r}, {self.fields!r}, {self.start!r}, {self.end!r})"


# A trace line names at most this many of an event's codings; the rest are counted (a record may hold
# thousands, and every trace node that shows the event would repeat them all).
SHOWN_CODINGS = 4


def codings_text(value: Any) -> str:
    if not isinstance(value, (list, tuple)):
        return str(value)
    text = " / ".join(map(str, value[:SHOWN_CODINGS]))
    more = len(value) - SHOWN_CODINGS
    return text if more <= 0 else f"{text} / and {more:,} more codings"


class Window:
    """A span of days a criterion looks through; ``None`` at an end means unbounded.  Immutable.

    The ends are kept as written, with their inclusivity, so that traces can
    say what the criterion said; ``first_day``/``last_day`` give the inclusive
    whole-day bounds.  A window whose first day falls after its last is empty
    (not an error: windows are computed from record dates at run time).
    """

    __slots__ = ("first", "high", "high_closed", "last", "low", "low_closed")

    def __init__(
        self, low: date | None, high: date | None, low_closed: bool = True, high_closed: bool = True
    ) -> None:
        _check_date(low, "a window's start")
        _check_date(high, "a window's end")
        self.low = low
        self.high = high
        # An unbounded end has no inclusivity; storing it as closed makes equal windows compare equal.
        self.low_closed = bool(low_closed) or low is None
        self.high_closed = bool(high_closed) or high is None
        # The first and last whole days inside, as day numbers (None: unbounded), computed once.
        self.first = None if low is None else low.toordinal() + (0 if self.low_closed else 1)
        self.last = None if high is None else high.toordinal() - (0 if self.high_closed else 1)

    def _first(self) -> int | None:
        return self.first

    def _last(self) -> int | None:
        return self.last

    def first_day(self) -> date | None:
        """The first whole day inside the window (the day after an open start), None if unbounded."""
        first = self._first()
        return None if first is None else date.fromordinal(first)

    def last_day(self) -> date | None:
        """The last whole day inside the window (the day before an open end), None if unbounded."""
        last = self._last()
        return None if last is None else date.fromordinal(last)

    def is_empty(self) -> bool:
        """No whole day lies inside: e.g. ``(d, d + 1 day)``, or a start after the end."""
        first, last = self._first(), self._last()
        return first is not None and last is not None and first > last

    def contains(self, d: date) -> bool:
        """Whether day ``d`` lies inside the window."""
        low, high = self.low, self.high
        if low is not None and (d < low if self.low_closed else d <= low):
            return False
        return high is None or (d <= high if self.high_closed else d < high)

    def overlaps(self, start: date, end: date | None) -> bool:
        """Whether the period ``start..end`` (both days included; ``end`` None: ongoing)
        shares at least one day with the window."""
        first, last = self.first, self.last
        if first is not None and last is not None and first > last:
            return False
        if first is not None and end is not None and end.toordinal() < first:
            return False
        return last is None or start.toordinal() <= last

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Window):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[date | None, date | None, bool, bool]:
        return (self.low, self.high, self.low_closed, self.high_closed)

    def __str__(self) -> str:
        low, high = self.low, self.high
        word = {True: "inclusive", False: "exclusive"}
        if low is None and high is None:
            return "all time"
        if low is None:
            return f"up to {high.isoformat()}, {word[self.high_closed]}"
        if high is None:
            return f"from {low.isoformat()}, {word[self.low_closed]}"
        if self.low_closed == self.high_closed:
            return f"{low.isoformat()} .. {high.isoformat()}, both {word[self.low_closed]}"
        return f"{low.isoformat()} ({word[self.low_closed]}) .. {high.isoformat()} ({word[self.high_closed]})"

    def __repr__(self) -> str:
        return f"Window({self.low!r}, {self.high!r}, low_closed={self.low_closed}, high_closed={self.high_closed})"


class Coverage:
    """The days over which a record's collection is complete, both ends included.  Immutable.

    ``low`` None means complete for the whole history (since birth); ``high``
    is required, because no record is complete into the future: it is
    typically the date the record was extracted.
    """

    __slots__ = ("high", "low")

    def __init__(self, low: date | None, high: date) -> None:
        _check_date(low, "coverage's start")
        if high is None:
            raise ValueError("coverage needs an end date: the last day the record is known to be complete")
        _check_date(high, "coverage's end")
        if low is not None and low > high:
            raise ValueError(f"coverage starts ({low.isoformat()}) after it ends ({high.isoformat()})")
        self.low = low
        self.high = high

    def covers(self, window: Window) -> bool:
        """Whether every day of ``window`` lies inside the coverage (an empty window is covered).

        An unbounded window end needs an unbounded coverage end: so an
        unbounded start is covered only by coverage since birth, and an
        unbounded end never is.
        """
        if window.is_empty():
            return True
        first, last = window._first(), window._last()
        if last is None or last > self.high.toordinal():
            return False
        if self.low is None:
            return True
        return first is not None and first >= self.low.toordinal()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Coverage):
            return NotImplemented
        return (self.low, self.high) == (other.low, other.high)

    def __hash__(self) -> int:
        return hash((Coverage, self.low, self.high))

    def __str__(self) -> str:
        if self.low is None:
            return f"complete up to {self.high.isoformat()}"
        return f"complete {self.low.isoformat()} .. {self.high.isoformat()}"

    def __repr__(self) -> str:
        return f"Coverage({self.low!r}, {self.high!r})"


def _clipped(periods: Iterable[Period], window: Window, ongoing_to_forever: bool) -> list[tuple[int, int]]:
    """The periods as sorted ordinal pairs clipped to the window, empty ones dropped.

    An ongoing period runs to the window's last day; with no last day it runs
    to ``_FOREVER`` if ``ongoing_to_forever``, else that is a ValueError.
    """
    first, last = window._first(), window._last()
    out: list[tuple[int, int]] = []
    for start, end in periods:
        if start is None:
            raise ValueError("a period needs a start date")
        s = start.toordinal()
        if end is None:
            if last is None and not ongoing_to_forever:
                raise ValueError(
                    f"the period from {start.isoformat()} is ongoing and the window has no last day, "
                    "so its days cannot be counted"
                )
            e = _FOREVER if last is None else last
        else:
            e = end.toordinal()
            if e < s:
                raise ValueError(f"a period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
            if last is not None and e > last:
                e = last
        if first is not None and s < first:
            s = first
        if s <= e:
            out.append((s, e))
    out.sort()
    return out


def exposure_days(periods: Iterable[Period], window: Window) -> int:
    """The number of distinct days in ``window`` on which at least one period is active.

    Periods include both ends; overlapping periods count each day once; an
    ongoing period (``end`` None) runs to the window's last day, and is a
    ValueError in a window with no last day.
    """
    total = 0
    covered_to = None  # the last day already counted
    for s, e in _clipped(periods, window, ongoing_to_forever=False):
        if covered_to is not None and s <= covered_to:
            s = covered_to + 1
        if s <= e:
            total += e - s + 1
            covered_to = e
    return total


def covered_continuously(periods: Iterable[Period], window: Window, max_gap_days: int) -> bool:
    """Whether the periods cover every day of ``window`` apart from gaps of at most
    ``max_gap_days`` consecutive days (days before the first period and after the
    last count as gaps too).

    A window with no first day is never covered (the days before any period
    form an endless gap); one with no last day is covered only if an ongoing
    period reaches it.  An empty window is covered.
    """
    if type(max_gap_days) is not int or max_gap_days < 0:
        raise ValueError(f"max_gap_days must be a whole number of days >= 0, not {max_gap_days!r}")
    if window.is_empty():
        return True
    first, last = window._first(), window._last()
    if first is None:
        return False
    cursor = first  # the first day not yet covered
    for s, e in _clipped(periods, window, ongoing_to_forever=True):
        if s - cursor > max_gap_days:
            return False
        cursor = max(cursor, e + 1)
    if last is None:
        return cursor > _FOREVER
    return last - cursor + 1 <= max_gap_days
