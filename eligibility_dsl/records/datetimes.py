"""Reading date-times in records (issue 11): a birth (`birth_date`) and the date of a point event (an
observation's or a procedure's `date`) may be written as a date-time, `2025-09-09T06:10:00+02:00`.

The bound value is the date as written (every whole-day form reads it, exactly as before); the instant is
kept beside it (``BIRTH_TIME`` in the facts, ``Event.instant``). A malformed date-time is a record problem
with its path and the expected form, never read as something else.
"""

from __future__ import annotations

from typing import Any

from ..runtime.datetimes import BIRTH_TIME, DateTime, parse_datetime

HELP = "e.g. `2025-09-11T14:30:00+02:00` (a date-time with its offset), or a date `2025-09-11`"


def read_date_time(raw: Any) -> tuple[DateTime | None, str | None]:
    """The date-time ``raw`` (a text starting `YYYY-MM-DDT`) and None, or None and what is wrong with it."""
    try:
        return parse_datetime(raw), None
    except ValueError as err:
        return None, str(err)


def read_birth_time(raw: Any, values: dict) -> str | None:
    """`birth_date` written as a date-time: the fact is its date as written, and the instant is kept under
    ``BIRTH_TIME`` (a key no fact can have) for `age in hours`; what is wrong with it, or None."""
    born, problem = read_date_time(raw)
    values["birth_date"] = None if born is None else born.date
    if born is not None:
        values[BIRTH_TIME] = born
    return problem
