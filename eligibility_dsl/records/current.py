"""Reading the as-of date of a record and the coverage of a current list (docs/patient_model.md).

Small hooks of the binder (``binder.py``) live here:

- ``as_of``: the date the record's data were extracted. No coverage may run past it (nothing is known to
  be complete after the data were taken), and what a criterion's window holds after it is *pending*.
- a coverage entry ``{"current": "YYYY-MM-DD"}``: the collection's current list (the active problem list,
  the current medication list) is complete as of that day, whether or not a history period
  (``from``/``to``) is stated too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..runtime.events import Coverage
from ..runtime.pending import AnyOf, CurrentList

_SHAPE = 'expected `{"from": "YYYY-MM-DD" or null, "to": "YYYY-MM-DD"}`, `{"current": "YYYY-MM-DD"}` or both'


def coverage_entry(period: Any, read_date: Callable[[Any], Any]):
    """The coverage one entry of ``coverage`` states, or a ValueError saying what is wrong with it.
    ``read_date`` reads a JSON date (raising the binder's own error for a bad one)."""
    if not isinstance(period, Mapping) or not set(period) <= {"from", "to", "current"} or not (
            "to" in period or "current" in period) or ("from" in period and "to" not in period):
        raise ValueError(_SHAPE)
    parts = []
    if "to" in period:
        low = None if period.get("from") is None else read_date(period["from"])
        if period["to"] is None:
            raise ValueError("coverage needs an end date: the last day the record is known to be complete")
        parts.append(Coverage(low, read_date(period["to"])))
    if "current" in period:
        parts.append(CurrentList(read_date(period["current"])))
    if len(parts) == 2:
        # The union must be one run of days (the SQL engines keep one period per collection): the list's
        # day falls inside the history period or on the day after it.
        history, current = parts
        if current.day < (history.low or current.day) or current.day.toordinal() > history.high.toordinal() + 1:
            raise ValueError(f"the current list's date {current.day.isoformat()} must fall within the history "
                             f"period or on the day after it ({history})")
    return parts[0] if len(parts) == 1 else AnyOf(*parts)


def as_of_issues(as_of, coverage: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(path, message) for each coverage that runs past the record's as-of date."""
    out = []
    for name, c in coverage.items():
        if c.high > as_of:
            out.append((f"coverage.{name}", f"the coverage runs to {c.high.isoformat()}, after the record's "
                        f"`as_of` date {as_of.isoformat()}: no record is complete past the day its data were "
                        "taken"))
    return out
