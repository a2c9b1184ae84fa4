"""Coverage of a current list, and the "nothing changes after the record's as-of date" reading.

Two kinds of completeness a record can state for a collection (``records/model.py``, docs/patient_model.md):

- a **history over a period** (``Coverage``, ``{"from": ..., "to": ...}``): every event of the collection
  whose period overlaps those days is in the record;
- a **current list as of a day** (``CurrentList``, ``{"current": "2025-09-11"}``): every event ongoing on
  that day is in the record (the active problem list, the current medication list), but nothing is
  claimed about the past. So it settles a query over that one day ("has mixed connective tissue disease
  at screening"), and nothing else.

A record taken at screening states the date its data were extracted (``as_of``). A criterion whose window
runs past that date (``6 months before first_dose``) cannot be decided from the record: the days after
``as_of`` have not happened yet. ``PendingCoverage`` reads them as *pending*: a window is covered if the
record's coverage covers it up to ``as_of`` and the rest lies between ``as_of`` and the latest anchor, on
the assumption that nothing changes in between (no new record, ongoing records go on). What that
assumption decides is never a plain answer: the decision stays INDETERMINATE, with the provisional
outcome and the days to confirm (``explain/pending.py``).
"""

from __future__ import annotations

from datetime import date

from .events import Window

__all__ = ["AnyOf", "CurrentList", "PendingCoverage", "pending_coverage"]


class CurrentList:
    """A collection's current list is complete as of ``day``: every event whose period includes that day
    is in the record. Covers a window of exactly that day (and an empty window). Immutable."""

    __slots__ = ("day", "high", "low")

    def __init__(self, day: date) -> None:
        if not isinstance(day, date):
            raise TypeError(f"a current list's date must be a date, not {type(day).__name__}")
        self.day = day
        # Coverage's attributes, so that evidence can show it like a period (one day).
        self.low = self.high = day

    def covers(self, window: Window) -> bool:
        if window.is_empty():
            return True
        day = self.day.toordinal()
        return window.first == day and window.last == day

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CurrentList) and other.day == self.day

    def __hash__(self) -> int:
        return hash((CurrentList, self.day))

    def __str__(self) -> str:
        return f"current list complete as of {self.day.isoformat()}"

    def __repr__(self) -> str:
        return f"CurrentList({self.day!r})"


class AnyOf:
    """A history over a period and a current list stated for the same collection: a window is covered
    when either covers it."""

    __slots__ = ("high", "low", "parts")

    def __init__(self, *parts) -> None:
        self.parts = tuple(parts)
        self.low = min((p.low for p in parts if p.low is not None), default=None)
        self.high = max(p.high for p in parts)

    def covers(self, window: Window) -> bool:
        return any(p.covers(window) for p in self.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyOf) and other.parts == self.parts

    def __hash__(self) -> int:
        return hash((AnyOf, self.parts))

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.parts)


class PendingCoverage:
    """A collection's coverage read with "nothing changes from ``as_of`` to ``horizon``" (both dates).

    ``covers(window)`` is true when the stated coverage covers it; or when the window ends after ``as_of``
    and by ``horizon``, and the stated coverage covers its days up to ``as_of`` (a window starting after
    ``as_of``: the coverage reaches ``as_of``, so what is ongoing then is known). ``pending_part(window)``
    is the part of a window that only the assumption covers (None when the stated coverage covers it, or
    nothing does)."""

    __slots__ = ("as_of", "base", "high", "horizon", "low")

    def __init__(self, base, as_of: date, horizon: date) -> None:
        self.base, self.as_of, self.horizon = base, as_of, horizon
        self.low, self.high = base.low, base.high

    def covers(self, window: Window) -> bool:
        return self.base.covers(window) or self.pending_part(window) is not None

    def pending_part(self, window: Window) -> Window | None:
        if window.is_empty() or self.base.covers(window):
            return None
        first, last = window.first, window.last
        as_of, horizon = self.as_of.toordinal(), self.horizon.toordinal()
        if last is None or last <= as_of or last > horizon:
            return None
        if not _head_covered(self.base, first, as_of):
            return None
        start = as_of + 1 if first is None or first <= as_of else first
        return Window(date.fromordinal(start), date.fromordinal(last))

    def __str__(self) -> str:
        return f"{self.base}; pending (nothing changes) {self.as_of.isoformat()} .. {self.horizon.isoformat()}"

    def __repr__(self) -> str:
        return f"PendingCoverage({self.base!r}, {self.as_of!r}, {self.horizon!r})"


def _head_covered(base, first: int | None, as_of: int) -> bool:
    """Whether the stated coverage covers the window's days up to the as-of day (the days after it, if the
    window starts later: the coverage must then reach the as-of day, to know what is ongoing on it).

    Every coverage is one run of days ``low .. high`` (a current list: its one day; a history period and a
    current list together: their union, which the binder keeps contiguous), so this reads ``low``/``high``
    alone."""
    if base.high.toordinal() < as_of:
        return False
    if first is not None and first > as_of:
        return True
    return base.low is None or (first is not None and first >= base.low.toordinal())


def pending_coverage(coverage: dict, as_of: date, horizon: date) -> dict:
    """The record's coverage, by collection, read with "nothing changes from ``as_of`` to ``horizon``"."""
    return {name: PendingCoverage(c, as_of, horizon) for name, c in coverage.items()}
