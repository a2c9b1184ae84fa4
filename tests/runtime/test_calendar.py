"""CQL calendar semantics: month-end clamping, whole periods between dates, ages."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.runtime.calendar import (
    add_days,
    add_months,
    add_years,
    age_in_years,
    between,
    difference,
    parse_date,
    shift,
)
from eligibility_dsl.runtime.quantity import Quantity
from eligibility_dsl.runtime.units import UnitMismatch, parse_unit


def d(text: str) -> date:
    return date.fromisoformat(text)


def q(value: str, unit: str) -> Quantity:
    return Quantity(Decimal(value), parse_unit(unit))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2012-01-31", 1, "2012-02-29"),
        ("2013-01-31", 1, "2013-02-28"),
        ("2012-02-29", 12, "2013-02-28"),
        ("2005-05-10", 5, "2005-10-10"),
        ("2005-05-10", 10, "2006-03-10"),
        ("2005-05-10", -6, "2004-11-10"),
        ("2012-03-31", -1, "2012-02-29"),
        ("2012-12-15", 1, "2013-01-15"),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(d(start), months) == d(expected)


def test_add_years_and_days():
    assert add_years(d("2012-02-29"), 1) == d("2013-02-28")
    assert add_years(d("2012-02-29"), 4) == d("2016-02-29")
    assert add_days(d("2016-06-10"), 21) == d("2016-07-01")
    with pytest.raises(OverflowError):
        add_months(d("9999-12-01"), 1)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "sign", "expected"),
    [
        ("2005-05-10", "5", "months", 1, "2005-10-10"),
        ("2005-05-10", "10", "months", 1, "2006-03-10"),
        ("2012-02-29", "1", "year", 1, "2013-02-28"),
        ("2023-03-02", "52", "weeks", 1, "2024-02-29"),
        ("2016-06-10", "21", "days", 1, "2016-07-01"),
        ("2005-05-10", "6", "months", -1, "2004-11-10"),
        ("2020-01-01", "36", "h", 1, "2020-01-02"),  # partial days truncate
        ("2020-01-02", "36", "h", -1, "2020-01-01"),
        ("2020-01-01", "1.5", "years", 1, "2021-07-01"),  # 18 months: the total is truncated, in months
        ("2020-01-31", "1.9", "months", 1, "2020-02-29"),
    ],
)
def test_shift_by_a_duration(start, amount, unit, sign, expected):
    assert shift(d(start), q(amount, unit), sign) == d(expected)


def test_shift_refuses_a_non_duration():
    with pytest.raises(UnitMismatch) as caught:
        shift(d("2020-01-01"), q("5", "mg"), 1)
    assert caught.value.message == "cannot shift a date by `5 mg` (mass)"
    with pytest.raises(ValueError):
        shift(d("2020-01-01"), q("5", "days"), 2)


@pytest.mark.parametrize(
    ("unit", "start", "end", "expected"),
    [
        ("months", "2014-01-31", "2014-02-01", 0),
        ("years", "2012-02-29", "2014-02-28", 2),
        ("years", "2012-12-31", "2013-01-01", 0),
        ("months", "2012-03-10", "2013-01-09", 9),
        ("months", "2012-06-11", "2011-08-21", -9),
        ("years", "2005-05-01", "2010-04-01", 4),
        ("days", "2010-10-12", "2008-08-15", -788),
        ("weeks", "2010-10-12", "2008-08-15", -112),
        ("weeks", "2008-08-15", "2010-10-12", 112),
        ("days", "2020-01-01", "2020-01-01", 0),
    ],
)
def test_between_counts_whole_periods(unit, start, end, expected):
    assert between(unit, d(start), d(end)) == expected


@pytest.mark.parametrize(
    ("unit", "start", "end", "expected"),
    [
        ("weeks", "2000-10-15", "2000-10-28", 1),
        ("weeks", "2000-10-14", "2000-10-15", 1),  # Saturday to Sunday crosses a week start
        ("weeks", "2000-10-15", "2000-10-21", 0),  # Sunday to Saturday does not
        ("years", "2012-12-31", "2013-01-01", 1),
        ("months", "2014-01-31", "2014-02-01", 1),
        ("months", "2013-01-09", "2012-03-10", -10),
        ("days", "2010-10-12", "2008-08-15", -788),
    ],
)
def test_difference_counts_boundaries_crossed(unit, start, end, expected):
    assert difference(unit, d(start), d(end)) == expected


def test_unknown_calendar_unit():
    with pytest.raises(ValueError, match="unknown calendar unit `fortnights`"):
        between("fortnights", d("2020-01-01"), d("2020-02-01"))


def test_age_on_leap_day_birthdays():
    born = d("2008-02-29")
    assert age_in_years(born, d("2026-02-27")) == 17
    assert age_in_years(born, d("2026-02-28")) == 18  # CQL clamping, not 1 March
    assert age_in_years(born, d("2028-02-28")) == 19  # in a leap year the birthday is 29 February
    assert age_in_years(born, d("2028-02-29")) == 20
    assert age_in_years(d("2000-06-15"), d("2018-06-14")) == 17
    assert age_in_years(d("2000-06-15"), d("2018-06-15")) == 18


def test_parse_date_is_strict():
    assert parse_date("2025-02-28") == date(2025, 2, 28)
    for bad in ["2025-13-01", "2025-02-30", "2025-1-05", " 2025-01-05", "2025-01-05T00:00", "٢٠٢٥-01-05"]:
        with pytest.raises(ValueError) as caught:
            parse_date(bad)
        assert str(caught.value) == f"`{bad}` is not a valid date (expected YYYY-MM-DD)"


dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31))
month_counts = st.integers(min_value=-1200, max_value=1200)


@given(dates, month_counts)
def test_add_months_lands_in_the_target_month(start, n):
    """Law: add_months(d, n) is always in month d.month + n, never spilling into the next month."""
    result = add_months(start, n)
    year, month0 = divmod(start.year * 12 + start.month - 1 + n, 12)
    assert (result.year, result.month) == (year, month0 + 1)
    # The day is kept, or clamped down to the last day of that month and no further.
    assert result.day == start.day or (result.day < start.day and add_days(result, 1).day == 1)


@given(dates, month_counts)
def test_between_recovers_months_added(start, n):
    """Law: between(months, d, add_months(d, n)) == n, and likewise for years.  Stated in the brief
    for days of month <= 28 (no clamping); it holds for every day, because the result of add_months
    lies in the target month and adding back never passes the original date."""
    assert between("months", start, add_months(start, n)) == n
    assert between("years", start, add_years(start, n // 12)) == n // 12


@given(st.sampled_from(["years", "months", "weeks", "days"]), dates, dates)
def test_between_is_antisymmetric(unit, a, b):
    """Law: between(u, a, b) == -between(u, b, a).  Because a backwards duration is defined by
    counting from the earlier date, this holds even when month-end clamping is involved."""
    assert between(unit, a, b) == -between(unit, b, a)


@given(st.sampled_from(["years", "months"]), dates, dates)
def test_between_never_exceeds_difference(unit, a, b):
    """Law: for a <= b, whole periods elapsed are the boundaries crossed or one fewer."""
    a, b = min(a, b), max(a, b)
    assert difference(unit, a, b) - between(unit, a, b) in (0, 1)


@given(st.text(alphabet=st.sampled_from("0123456789-+ T:/x٢"), min_size=8, max_size=12))
def test_parse_date_reads_exactly_the_strict_format(text):
    """Law: parse_date accepts exactly the texts `[0-9]{4}-[0-9]{2}-[0-9]{2}` that name a real date, and
    gives that date."""
    import re
    expected = None
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        try:
            expected = date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:
            expected = None
    try:
        got = parse_date(text)
    except ValueError:
        got = None
    assert got == expected


@given(dates, dates)
def test_age_in_years_is_whole_years_between(birth, at):
    """Law: age in completed years is CQL's `years between`, leap-day birthdays included."""
    assert age_in_years(birth, at) == between("years", birth, at)


@given(st.sampled_from([date(2000, 2, 29), date(2004, 2, 29), date(1996, 2, 28), date(2001, 3, 1)]), dates)
def test_age_of_leap_day_births_is_whole_years_between(birth, at):
    assert age_in_years(birth, at) == between("years", birth, at)
