"""Windows written in hours or minutes on an anchor given as a date-time (issue 11): exact instants.

`during 72 hours before screening` with `screening` given as `2025-09-11T08:00:00+01:00` is the instants
from `2025-09-08T08:00:00+01:00` to `2025-09-11T08:00:00+01:00`, both included. An :class:`ExactWindow`
keeps those bounds next to the whole days they fall on (its ``low``/``high``, the local dates as written,
which coverage and day counts read), and says of each event whether it lies inside: True, False, or None
when the event is known only to the day (or to the hour) and that day straddles a bound. Such an event
may or may not count: it is undecided, as an event with a malformed code is, never a guess.

When no anchor of the window was given with a time of day, the window is the whole-day window it always
was (``exact_window`` returns it unchanged): a date anchor keeps CQL's date arithmetic, the hours truncated
to whole days.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from .datetimes import DateTime, compare_datetimes, from_date
from .events import Event, Window

__all__ = ["SCAN_MARGIN_DAYS", "ExactWindow", "exact_window", "shift_datetime", "tied", "timed_pick"]

# Events are dated by their local date; an instant's local dates at offsets -12:00 and +14:00 differ by up
# to 2 days, so the whole-day pre-selection of a query looks this many days beyond the window's days.
SCAN_MARGIN_DAYS = 2


def shift_datetime(v: DateTime, seconds: Decimal) -> DateTime:
    """``v`` moved by ``seconds`` (exactly, to the microsecond), keeping its precision and offset."""
    return DateTime(v.local + datetime.timedelta(microseconds=int(seconds * 1_000_000)), v.precision, v.offset)


def _and(values) -> bool | None:
    out: bool | None = True
    for v in values:
        if v is False:
            return False
        if v is None:
            out = None
    return out


class ExactWindow(Window):
    """A window between two instants (``since``/``until``, None: unbounded), on the days they fall on."""

    __slots__ = ("since", "since_closed", "until", "until_closed")

    def __init__(self, since: DateTime | None, until: DateTime | None, low_closed: bool = True,
                 high_closed: bool = True) -> None:
        # The days are those the instants fall on, both included (an open end still leaves part of its day).
        super().__init__(None if since is None else since.date, None if until is None else until.date)
        self.since, self.until = since, until
        self.since_closed, self.until_closed = bool(low_closed), bool(high_closed)

    def holds(self, event: Event) -> bool | None:
        """Whether ``event`` lies in the window (a point event) or overlaps it (a period): None when the
        precision of its dates leaves it open."""
        start = event.instant if event.instant is not None else (None if event.start is None
                                                                  else from_date(event.start))
        if start is None:
            return None
        end = start if event.end == event.start else (None if event.end is None else from_date(event.end))
        tests = []
        if self.until is not None:
            tests.append(compare_datetimes("<=" if self.until_closed else "<", start, self.until))
        if self.since is not None and end is not None:
            tests.append(compare_datetimes(">=" if self.since_closed else ">", end, self.since))
        return _and(tests)

    def _key(self) -> tuple:
        return (*super()._key(), str(self.since), str(self.until), self.since_closed, self.until_closed)

    def __str__(self) -> str:
        word = {True: "inclusive", False: "exclusive"}
        since, until, low, high = self.since, self.until, self.since_closed, self.until_closed
        if since is None:
            return f"up to {until}, {word[high]}"
        if until is None:
            return f"from {since}, {word[low]}"
        if low == high:
            return f"{since} .. {until}, both {word[low]}"
        return f"{since} ({word[low]}) .. {until} ({word[high]})"

    def __repr__(self) -> str:
        return f"ExactWindow({self.since!r}, {self.until!r}, {self.since_closed}, {self.until_closed})"


def exact_window(window: Window | None, low_time: DateTime | None, low_shift: Decimal,
                 high_time: DateTime | None, high_shift: Decimal) -> Window | None:
    """The exact window when an anchor of ``window`` was given with a time of day, else ``window`` itself.

    ``low_time``/``high_time`` are the anchors' date-times (a date anchor: known to the day), each moved by
    its shift in seconds (`72 hours before`: -259200 for the start, 0 for the end)."""
    if window is None or type(window) is not Window:
        return window
    times = [t for t in (low_time, high_time) if t is not None]
    if not times or all(t.precision == "day" for t in times):
        return window
    since = None if low_time is None else shift_datetime(low_time, low_shift)
    until = None if high_time is None else shift_datetime(high_time, high_shift)
    return ExactWindow(since, until, window.low_closed, window.high_closed)


def timed_pick(best: Event, matched, undecided, latest: bool) -> Event | None:
    """The latest (earliest) event when events on ``best``'s day carry times; None when that is unknown.

    Events are ordered by day and then, on one day, by id: the rule for records dated by day. When an event
    of that day has a date-time, the order on that day is the instants': an event known only to the day, an
    undecided one, or two whose instants cannot be ordered (a local time against one with an offset) leave
    the choice unknown. Without any time on that day, ``best`` itself: which of that day's events it stands
    for is ``tied``'s answer."""
    day = best.start
    group = [e for e in matched if e.start == day]
    rivals = [e for e in undecided if e.start == day]
    if all(e.instant is None for e in (*group, *rivals)):
        return best
    if rivals or any(e.instant is None for e in group):
        return None
    op = ">=" if latest else "<="
    for candidate in sorted(group, key=lambda e: e.id, reverse=latest):  # equal instants: see ``tied``
        if all(e is candidate or compare_datetimes(op, candidate.instant, e.instant) is True for e in group):
            return candidate
    return None


def tied(best: Event, matched, undecided) -> list[Event]:
    """``best`` (from ``timed_pick``) and the events no order can tell from it (``runtime/ties.py``): on a
    day without times, every matched or undecided event of that day; else those at the same instant."""
    if best.instant is None:
        return [best, *(e for e in (*matched, *undecided) if e is not best and e.start == best.start)]
    return [best, *(e for e in matched if e is not best and e.start == best.start and e.instant is not None
                    and compare_datetimes("=", e.instant, best.instant) is True)]
