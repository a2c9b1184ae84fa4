"""CQL calendar arithmetic on whole dates (``datetime.date``).

Why CQL: eligibility criteria are usually checked against FHIR data, and CQL
(Clinical Quality Language) is the standard that fixes the awkward cases --
"2012-01-31 + 1 month", "years between a 29 February birthday and 28
February" -- so following it keeps our answers equal to other engines'.

Nothing here reads the clock: "today" is always passed in by the caller, so an
evaluation is reproducible from its inputs.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .quantity import Quantity
from .units import UnitMismatch, dimension_name, parse_unit

__all__ = [
    "add_days",
    "add_months",
    "add_years",
    "age_in_years",
    "between",
    "difference",
    "parse_date",
    "shift",
]

_CALENDAR_DIMS = parse_unit("month").dims
_TIME_DIMS = parse_unit("s").dims
_SECONDS_PER_DAY = 86400
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_UNITS = {
    "year": "years",
    "years": "years",
    "month": "months",
    "months": "months",
    "week": "weeks",
    "weeks": "weeks",
    "day": "days",
    "days": "days",
}
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months (negative ``n`` subtracts).

    Year and month move first, then the day is clamped to the last day of the
    resulting month, as CQL specifies: 2012-01-31 + 1 month = 2012-02-29, and
    2012-02-29 + 12 months = 2013-02-28.  The result is therefore always in
    month ``d.month + n``, never spilling into the next one.
    """
    index = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError(f"date `{d.isoformat()}` shifted by {n} months is outside years 1 to 9999")
    return date(year, month0 + 1, min(d.day, _month_length(year, month0 + 1)))


def add_years(d: date, n: int) -> date:
    """``d`` plus ``n`` years, done as ``12 * n`` months in one step (2012-02-29 + 1 year = 2013-02-28)."""
    return add_months(d, 12 * n)


def add_days(d: date, n: int) -> date:
    """``d`` plus ``n`` days; raises OverflowError outside years 1 to 9999, like ``datetime``."""
    return d + timedelta(days=n)


def shift(d: date, q: Quantity, sign: int) -> date:
    """``d`` plus (``sign=1``) or minus (``sign=-1``) the duration ``q``.

    Calendar durations move by whole months: ``q`` in months (years count 12,
    in one step, so leap days clamp once) truncated toward zero.  Exact time
    durations move by whole days: ``q`` in seconds / 86400 truncated toward
    zero, so 36 hours shifts by 1 day and 1 week by 7 days.  Truncation is
    CQL's rule for partial units on a date; note that it truncates the total
    (``1.5 years`` is 18 months) rather than the written unit.  Any other
    dimension is a UnitMismatch: ``date + 5 mg`` is a mistake in the criterion.
    """
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 or -1, not {sign!r}")
    dims = q.unit.dims
    if dims == _CALENDAR_DIMS:
        return add_months(d, sign * int(q.base))
    if dims == _TIME_DIMS:
        return add_days(d, sign * int(q.base / _SECONDS_PER_DAY))
    raise UnitMismatch(
        f"cannot shift a date by `{q}` ({dimension_name(dims)})",
        "use a duration such as `3 months` or `30 days`",
    )


def _unit(unit: str) -> str:
    try:
        return _UNITS[unit]
    except KeyError:
        raise ValueError(f"unknown calendar unit `{unit}` (expected years, months, weeks or days)") from None


def _whole_months(start: date, end: date, step: int) -> int:
    """Largest n >= 0 with add_months(start, n*step) <= end, for start <= end.

    ``add_months`` is monotonic in n and lands in month ``start.month + n*step``,
    so the candidate from the month count alone is right or one too many.
    """
    n = ((end.year - start.year) * 12 + end.month - start.month) // step
    return n if add_months(start, n * step) <= end else n - 1


def between(unit: str, a: date, b: date) -> int:
    """CQL "duration in <unit> between a and b": whole periods elapsed, signed.

    Months and years count whole periods using ``add_months`` (so clamping
    applies: 2012-02-29 to 2014-02-28 is 2 years); when ``b`` is before ``a``
    the count is taken from ``b`` up to ``a`` and negated.  Weeks are days
    divided by 7, truncated toward zero.
    """
    unit = _unit(unit)
    if unit in ("months", "years"):
        step = 1 if unit == "months" else 12
        return _whole_months(a, b, step) if a <= b else -_whole_months(b, a, step)
    days = (b - a).days
    if unit == "days":
        return days
    return days // 7 if days >= 0 else -(-days // 7)


def difference(unit: str, a: date, b: date) -> int:
    """CQL "difference in <unit> between a and b": calendar boundaries crossed.

    Unlike ``between`` this ignores the smaller fields: 2012-12-31 to 2013-01-01
    is a difference of 1 year but 0 years between.  Weeks start on Sunday, as in CQL.
    """
    unit = _unit(unit)
    if unit == "years":
        return b.year - a.year
    if unit == "months":
        return (b.year - a.year) * 12 + b.month - a.month
    if unit == "days":
        return (b - a).days
    # Ordinal 1 (0001-01-01) is a Monday, so ordinal // 7 increments on each Sunday.
    return b.toordinal() // 7 - a.toordinal() // 7


def age_in_years(birth: date, at: date) -> int:
    """Completed years of age on ``at``: ``between("years", birth, at)``.

    Deliberately CQL's clamping rule, so someone born on 29 February turns a
    year older on 28 February of common years (18 on 2026-02-28 if born
    2008-02-29).  Some jurisdictions use 1 March instead; criteria that depend
    on that must say so explicitly.
    """
    if birth > at:
        return between("years", birth, at)
    # The same rule without building dates: the birthday in `at`'s year (29 February on the 28th in a
    # common year) has come or not. tests/runtime/test_calendar.py checks it against `between`.
    day = birth.day
    if day == 29 and birth.month == 2 and _month_length(at.year, 2) == 28:
        day = 28
    years = at.year - birth.year
    return years if (at.month, at.day) >= (birth.month, day) else years - 1


def parse_date(text: str) -> date:
    """A strict ``YYYY-MM-DD`` date; anything else (``2025-1-5``, ``2025-02-30``) is a ValueError."""
    if type(text) is not str:
        if not isinstance(text, str):
            raise TypeError(f"date text must be a str, not {type(text).__name__}")
        text = str(text)
    # Ten ASCII characters with the dashes in place: then `fromisoformat` (C, and strict for this shape:
    # it refuses any other character where a digit belongs) reads exactly what `YYYY-MM-DD` means. The
    # regular expression `_DATE_RE` states the same rule; tests/runtime/test_calendar.py checks they agree.
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"`{text}` is not a valid date (expected YYYY-MM-DD)")
