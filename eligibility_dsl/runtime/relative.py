"""Windows relative to events (lang11b): `starting during W` selects the events that *start* in W.

A query's window usually selects the events whose period overlaps it (a medication taken through it); a
criterion such as "a prescription within the 90 days following the diagnosis date" asks for events that
begin there: `exists medications in antidiabetic starting during from onset to onset + 90 days`. Point events
start and end on one day, so for them the two readings agree. Coverage is asked of the same window.
"""

from __future__ import annotations

from datetime import date

from .events import Window


class StartWindow(Window):
    """A window that selects the events starting in it (their first day inside it), not those overlapping it."""

    __slots__ = ()

    def _key(self) -> tuple:
        return (*super()._key(), "start")

    def __str__(self) -> str:
        return f"starting in {super().__str__()}"

    def __repr__(self) -> str:
        return "Start" + super().__repr__()


def start_window_of(low: date | None, high: date | None, low_closed: bool, high_closed: bool, has_low: bool,
                    has_high: bool) -> StartWindow | None:
    """``support.window_of`` for `starting during`: None when a bound it has is unknown."""
    if (has_low and low is None) or (has_high and high is None):
        return None
    return StartWindow(low, high, low_closed, high_closed)
