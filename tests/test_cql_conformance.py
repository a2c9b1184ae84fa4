"""Conformance with HL7 CQL on dates, durations, quantities and three-valued logic.

The cases live in ``tests/fixtures/cql/cql_cases.json`` (an unmodified copy; provenance in the README
next to it).  Every case is decided exactly once, in one of three tables:

* ``TRANSLATED``: the case, written in this language, must give the value CQL gives.  The table holds
  our expression and our expected Python value; a second test checks that value against the case's own
  CQL ``expected`` text, so the table cannot silently disagree with CQL.  Where CQL uses a time of day
  and a whole-day analogue tests the same rule, the analogue is used and the note says so.
* ``DEVIATIONS``: we differ from CQL on purpose; the test pins our documented behaviour (a compile
  error with a given code and message).
* ``NOT_APPLICABLE``: the case needs something the language cannot express (partial-precision dates,
  times of day, uncertainty ranges, boundary-counting ``difference in``, CQL interval values...).

``test_every_case_is_decided_exactly_once`` fails when a case is added to the fixture without a
decision, or when a table names a case the fixture does not hold.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from eligibility_dsl import CompileError, evaluate_expression
from eligibility_dsl.runtime import Quantity

FIXTURE = Path(__file__).parent / "fixtures" / "cql" / "cql_cases.json"
CASES: list[dict[str, str]] = json.loads(FIXTURE.read_text(encoding="utf-8"))


def case_id(case: dict[str, str]) -> str:
    """The key of a case in the tables below, and its pytest id.

    cql-tests cases are named by the fragment of their ``source`` (``Group/TestName``).  The CQL
    specification's Appendix H examples all share one ``source`` with no fragment, so they are named
    by their CQL expression instead.
    """
    source = case["source"]
    if "#" in source:
        return source.split("#", 1)[1]
    return "H: " + case["expression"]


CASES_BY_ID: dict[str, dict[str, str]] = {case_id(c): c for c in CASES}


# --------------------------------------------------------------------------- CQL expected values


class NotConvertible(ValueError):
    """The CQL value has no counterpart here (partial date, time of day, uncertainty range...)."""


_CQL_DATE = re.compile(r"@(\d{4})-(\d{2})-(\d{2})T?")  # Date, or DateTime at day precision


def cql_value(text: str) -> Any:
    """Convert the text of a CQL ``expected`` value into the Python value this library would use.

    Only whole-day dates convert: ``@2013-02-28T`` (a DateTime with no time part) and ``@2013-02-28``.
    Integers stay ``int``: CQL's ``years between`` gives an integer where we give a quantity, and
    ``agrees_with_cql`` relates the two.
    """
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return Decimal(text)
    if match := _CQL_DATE.fullmatch(text):
        return dt.date(*map(int, match.groups()))
    raise NotConvertible(text)


def agrees_with_cql(case: dict[str, str], ours: Any) -> bool:
    """Whether our expected value says the same as the CQL case's ``expected``."""
    theirs = cql_value(case["expected"])
    if isinstance(ours, Quantity):
        # CQL `<period> between A and B` is an Integer count of that period; ours is a quantity in it.
        period = re.match(r"\s*(years|months|weeks|days|hours|minutes|seconds) between", case["expression"])
        return (
            type(theirs) is int
            and period is not None
            and ours.unit.symbol in (period.group(1), period.group(1)[:-1])  # `1 year`, `2 years`
            and ours.value == Decimal(theirs)
        )
    return type(ours) is type(theirs) and ours == theirs


def same_value(actual: Any, expected: Any) -> bool:
    """Strict equality: no ``Decimal(1) == True``, and a quantity must keep the expected unit."""
    if type(actual) is not type(expected):
        return False
    if isinstance(expected, Quantity):
        return actual.value == expected.value and actual.unit.symbol == expected.unit.symbol
    return actual == expected


# --------------------------------------------------------------------------- the three tables


class Translated(NamedTuple):
    ours: str
    expected: Any
    note: str = ""


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def q(value: int | str, unit: str) -> Quantity:
    return Quantity(Decimal(value), unit)


T, F, U = True, False, None

_ANALOGUE = "Whole-day analogue of a case with times of day: "

TRANSLATED: dict[str, Translated] = {
    # ---- date + duration; months and years clamp to the end of the month like CQL
    "Add/DateTimeAdd5Months": Translated("2005-05-10 + 5 months", d("2005-10-10")),
    "Add/DateTimeAddMonthsOverflow": Translated("2005-05-10 + 10 months", d("2006-03-10")),
    "Add/DateTimeAddLeapYear": Translated("2012-02-29 + 1 year", d("2013-02-28")),
    "Add/DateTimeLeapDayAddYearInWeeks": Translated("2023-03-02 + 52 weeks = 2024-02-29", T),
    "Add/DateTimeAddDaysOverflow": Translated("2016-06-10 + 21 days", d("2016-07-01")),
    "Subtract/DateTimeSubtractMonthsUnderflow": Translated("2005-05-10 - 6 months", d("2004-11-10")),
    "Subtract/DateTimeLeapDaySubtractYearInWeeks": Translated("2024-02-29 - 52 weeks = 2023-03-02", T),
    # ---- whole periods between dates (CQL "duration in ... between")
    "Duration/DateTimeDurationBetweenMonth": Translated(
        "months between 2014-01-31 and 2014-02-01", q(0, "months")),
    "Duration/DateTimeDurationBetweenDaysDiffYears": Translated(
        "days between 2010-10-12 and 2008-08-15", q(-788, "days"),
        _ANALOGUE + "CQL has 12:05 and 08:08; the extra 3 h 57 min is a partial day, truncated towards "
        "zero, so the count of whole days (negative: the end is before the start) is the same."),
    "Uncertainty tests/DurationInYears": Translated(
        "years between 2012-03-10 and 2013-03-10", q(1, "year"),
        "Exact: CQL's `date from` drops the time of day, leaving these two whole dates."),
    "Uncertainty tests/DurationInWeeks2": Translated(
        "weeks between 2012-03-10 and 2012-03-23", q(1, "week"),
        _ANALOGUE + "CQL spans 13 days 9 h 14 min (short of 2 weeks); 13 whole days keeps the rule "
        "that a partial week is not counted."),
    # ---- membership of a closed interval: `between` is inclusive at both ends.  NOT `in [a, b]`,
    # which is membership of a list here (see test_list_membership_is_not_an_interval).
    "In/DateTimeInTrue": Translated("2012-01-07 between 2012-01-05 and 2012-01-15", T),
    # ---- three-valued logic: CQL's null of type Boolean is `unknown`
    "And/TrueAndNull": Translated("true and unknown", U),
    "And/FalseAndNull": Translated("false and unknown", F),
    "Or/NullOrTrue": Translated("unknown or true", T),
    "Or/FalseOrNull": Translated("false or unknown", U),
    "Not/NotNull": Translated("not unknown", U),
    "Implies/NullImpliesFalse": Translated("unknown implies false", U),
    # ---- quantities
    "Unit Comparison/TestWeekEqualDays": Translated("1 week = 7 days", T),
    "Equal/QuantityEqCM1M01": Translated("1 'cm' = 0.01 'm'", T),
    "Greater/GreaterM1CM10": Translated("1 'm' > 10 'cm'", T),
    # ---- CQL specification, Appendix H
    "H: years between @2012-12-31 and @2013-01-01": Translated(
        "years between 2012-12-31 and 2013-01-01", q(0, "years")),
    "H: years between @2012-03-10T10:20:00 and @2013-03-10T09:20:00": Translated(
        "years between 2012-03-10 and 2013-03-09", q(0, "years"),
        _ANALOGUE + "CQL ends one hour short of the anniversary; the analogue ends one day short."),
    "H: years between @2012-02-29T10:18:56 and @2014-02-28T19:02:34": Translated(
        "years between 2012-02-29 and 2014-02-28", q(2, "years"),
        _ANALOGUE + "the end time is later in the day than the start time, so only the leap-day rule "
        "matters (2012-02-29 + 2 years = 2014-02-28)."),
    "H: months between @2012-03-10T22:05:09 and @2013-01-09T07:19:33": Translated(
        "months between 2012-03-10 and 2013-01-09", q(9, "months"),
        _ANALOGUE + "the end day is before the start's day of month, so the 10th month is not whole."),
    "H: months between @2012-06-11T12:16:17 and @2011-08-21T05:48:02": Translated(
        "months between 2012-06-11 and 2011-08-21", q(-9, "months"),
        _ANALOGUE + "a negative result when the end is before the start."),
    "H: @2019-09-23 42 weeks or less before @2020-07-13": Translated(
        "2019-09-23 >= 2020-07-13 - 42 weeks and 2019-09-23 < 2020-07-13", T,
        "CQL defines `A 42 weeks or less before B` as A in [B - 42 weeks, B); the boundary is "
        "included (2020-07-13 - 294 days = 2019-09-23)."),
    "H: @2019-09-22T11:00:00.0 42 weeks or less before day of @2020-07-13T10:00:00.0": Translated(
        "2019-09-22 >= 2020-07-13 - 42 weeks and 2019-09-22 < 2020-07-13", F,
        "`day of` makes CQL compare whole days, which is what dates are here: one day before the "
        "window opens."),
    "H: @2020-07-13T00:00:00.0 1 day after day of @2020-07-11T10:00:00.0": Translated(
        "2020-07-13 = 2020-07-11 + 1 day", F,
        "`1 day after day of` (no `or less`/`or more`) means exactly one day later, compared as whole "
        "days."),
}


class Deviation(NamedTuple):
    ours: str
    code: str
    message: str  # a fragment of the diagnostic's message
    help: str  # a fragment of its help
    reason: str


DEVIATIONS: dict[str, Deviation] = {
    "Unit Comparison/TestQuantityMonthEqualMo": Deviation(
        "1 month = 1 'mo'", "E0104", "unsupported unit `mo`", "write `months`",
        "CQL answers null (a calendar month and UCUM's average month are not comparable). The UCUM "
        "unit 'mo' (30.4375 days) is rejected outright, so the question cannot be asked."),
    "Unit Comparison/TestQuantityYearEquivalentA": Deviation(
        "1 year = 1 'a'", "E0104", "unsupported unit `a`", "write `years`",
        "CQL says `1 year ~ 1 'a'` is true (equivalence treats a calendar year as its UCUM "
        "counterpart). There is no `~` operator here, and the UCUM unit 'a' (365.25 days) is rejected."),
    "Unit Comparison/TestMonthEquivalentDays": Deviation(
        "1 month = 30 days", "E0202", "cannot compare `1 month` (a duration such as months) with `30 days`",
        "no fixed length",
        "CQL says `1 month ~ 30 days` is true. Here months and years have no fixed length in days, so "
        "comparing them with days or weeks is a compile error (compare dates instead)."),
}

_PARTIAL = "partial-precision date/DateTime (year or month only); dates here are whole days"
_UNCERTAIN = "result is a CQL uncertainty interval, from operands of different precision"
_DIFFERENCE = "`difference in ... between` counts boundaries crossed; there is no such syntax here"
_TIME = "the answer depends on the time of day"
_INTERVAL = "CQL Interval values and interval operators; the language has no interval type"

NOT_APPLICABLE: dict[str, str] = {
    "Add/DateAdd33Days": f"{_PARTIAL}: Date(2014,6) + 33 days = @2014-07 (month precision).",
    "Subtract/DateSubtract33Days": f"{_PARTIAL}: Date(2014,6) - 33 days = @2014-05 (month precision).",
    "Difference/DateTimeDifferenceYear": f"{_DIFFERENCE}; also partial dates DateTime(2000), DateTime(2005, 12).",
    "Difference/DateTimeDifferenceWeeks": f"{_DIFFERENCE}.",
    "Difference/DateTimeDifferenceNegative": f"{_DIFFERENCE}; also year-only dates.",
    "Difference/DateTimeDifferenceUncertain": f"{_DIFFERENCE}; also {_UNCERTAIN}.",
    "Duration/DateTimeDurationBetweenYear": f"{_PARTIAL}; {_UNCERTAIN} (Interval[4, 5]).",
    "Duration/DateTimeDurationBetweenYearOffset":
        f"{_PARTIAL}: both operands at month precision (DateTime(2005, 5), DateTime(2010, 4)).",
    "Uncertainty tests/DateTimeDurationBetweenUncertainInterval": f"{_PARTIAL}; {_UNCERTAIN} (Interval[17, 44]).",
    "Uncertainty tests/DateTimeDurationBetweenMonthUncertain2":
        f"{_PARTIAL}; null comes from comparing an uncertainty interval with 5.",
    "SameAs/DateTimeSameAsNull": f"{_PARTIAL}; also the `same day as` precision-qualified comparison.",
    "SameOrAfter/DateTimeSameOrAfterNull1": f"{_PARTIAL}; also `same day or after`.",
    "After/DateTimeAfterUncertain": f"{_PARTIAL}; also the `after day of` precision-qualified comparison.",
    "Greater/UncertaintyGreaterNull": f"{_PARTIAL}: null comes from DateTime(2014) having year precision.",
    "Less Or Equal/UncertaintyLessEqualNull": f"{_PARTIAL}: null comes from DateTime(2014) having year precision.",
    "In/DateTimeInNullTrue":
        "needs a date-typed null as an interval boundary (a closed null boundary means unbounded in "
        "CQL); `unknown` is a condition only, and `2012-01-07 between 2012-01-05 and unknown` is a "
        "type error (E0201).",
    "Starts/DateTimeStartsTrue": f"{_INTERVAL} (`starts`).",
    "In/Issue32Interval": f"{_INTERVAL} (`starts 1 day or less on or after day of start of`); also times of day.",
    "OnOrAfter/TestOnOrAfterDateTrue": f"{_INTERVAL} (`on or after month of`, month precision).",
    "Overlaps/DateTimeOverlapsPrecisionLeftPossiblyStartsDuringRight":
        f"{_INTERVAL} (`overlaps`); also {_PARTIAL}.",
    "IsTrue/IsTrueNull": "no IsTrue function in the language (criteria use the three-valued result directly).",
    "H: difference in years between @2012-12-31 and @2013-01-01": f"{_DIFFERENCE}.",
    "H: days between @2012-01-31T12:30:00 and @2012-02-01T09:00:00":
        f"{_TIME}: 20 h 30 min across midnight is 0 whole days; between whole dates the same pair is "
        "1 day, so there is no analogue that tests this rule.",
    "H: hours between @2020-07-01T08:31:00.0 and @2020-07-01T10:30:00.0 <= 1":
        f"{_TIME}: hours between two times on one day; there is no `hours between`.",
    "H: difference in hours between @2020-07-01T08:31:00.0 and @2020-07-01T10:30:00.0 <= 1":
        f"{_DIFFERENCE}; also times of day.",
    "H: @2020-07-01T08:31:00.0 1 hour or less on or before @2020-07-01T10:30:00.0":
        f"{_TIME}: a 1-hour window between times on one day.",
    "H: @2019-09-23T09:00:00.0 42 weeks or less before @2020-07-13T10:00:00.0":
        f"{_TIME}: false only because 09:00 is one hour before the window opens at 10:00; the whole-day "
        "analogue is the case `@2019-09-23 42 weeks or less before @2020-07-13` (translated).",
    "H: @2020-07-30 before month of @2020-07-31":
        "precision-qualified comparison (`before month of`: compares year and month only); dates here "
        "compare as whole days, where 2020-07-30 < 2020-07-31 is a different question.",
}


# --------------------------------------------------------------------------- tests


def _ids(table: dict[str, Any]) -> list[Any]:
    return [pytest.param(key, id=key) for key in table]


def test_fixture_is_the_expected_copy() -> None:
    assert len(CASES) == 60
    assert all(set(c) == {"expression", "expected", "source"} for c in CASES)
    assert len(CASES_BY_ID) == len(CASES), "two cases share an id; case_id() must tell them apart"


def test_every_case_is_decided_exactly_once() -> None:
    tables = {"TRANSLATED": TRANSLATED, "DEVIATIONS": DEVIATIONS, "NOT_APPLICABLE": NOT_APPLICABLE}
    for key in CASES_BY_ID:
        homes = [name for name, table in tables.items() if key in table]
        assert len(homes) == 1, f"case {key!r} is in {homes or 'no table'}: decide it exactly once"
    for name, table in tables.items():
        stray = sorted(set(table) - set(CASES_BY_ID))
        assert not stray, f"{name} names cases the fixture does not hold: {stray}"
    for key, reason in NOT_APPLICABLE.items():
        assert len(reason) > 20, f"{key!r}: give a precise reason"


@pytest.mark.parametrize("key", _ids(TRANSLATED))
def test_translated_case(key: str) -> None:
    entry = TRANSLATED[key]
    actual = evaluate_expression(entry.ours)
    assert same_value(actual, entry.expected), f"{entry.ours!r} gave {actual!r}, expected {entry.expected!r}"


@pytest.mark.parametrize("key", _ids(TRANSLATED))
def test_translation_agrees_with_cql(key: str) -> None:
    case, entry = CASES_BY_ID[key], TRANSLATED[key]
    assert agrees_with_cql(case, entry.expected), (
        f"table says {entry.expected!r} for {entry.ours!r}, "
        f"but CQL `{case['expression']}` gives {case['expected']}"
    )


@pytest.mark.parametrize("key", _ids(DEVIATIONS))
def test_deliberate_deviation(key: str) -> None:
    entry = DEVIATIONS[key]
    with pytest.raises(CompileError) as raised:
        evaluate_expression(entry.ours)
    codes = [diag.code for diag in raised.value.diagnostics]
    assert codes == [entry.code]
    (diag,) = raised.value.diagnostics
    assert entry.message in diag.message
    assert entry.help in (diag.help or "")


@pytest.mark.parametrize("key", _ids(DEVIATIONS))
def test_deviation_really_differs_from_cql(key: str) -> None:
    """A deviation is a case where CQL gives a value and we give a compile error: make sure the CQL
    side is a value (so the entry is not a mislabelled not-applicable case)."""
    cql_value(CASES_BY_ID[key]["expected"])


# ---- pins for the traps a reader coming from CQL would fall into


def test_list_membership_is_not_an_interval() -> None:
    """`x in [a, b]` is membership of the list {a, b}, not CQL's `x in Interval[a, b]`: translate
    intervals with `between`."""
    assert evaluate_expression("2012-01-07 in [2012-01-05, 2012-01-15]") is False
    assert evaluate_expression("2012-01-05 in [2012-01-05, 2012-01-15]") is True
    assert evaluate_expression("2012-01-07 between 2012-01-05 and 2012-01-15") is True


def test_no_equivalence_operator() -> None:
    with pytest.raises(CompileError) as raised:
        evaluate_expression("1 month ~ 30 days")
    assert [diag.code for diag in raised.value.diagnostics] == ["E0003"]


def test_no_difference_in_syntax() -> None:
    with pytest.raises(CompileError):
        evaluate_expression("difference in years between 2012-12-31 and 2013-01-01")


def test_converter() -> None:
    assert cql_value("@2013-02-28T") == dt.date(2013, 2, 28)
    assert cql_value("@2013-02-28") == dt.date(2013, 2, 28)
    assert cql_value("-788") == -788
    assert cql_value("null") is None
    assert cql_value("true") is True
    for text in ("@2014-07", "Interval[ 17, 44 ]", "@2012-03-10T10:20:00", "@2016T"):
        with pytest.raises(NotConvertible):
            cql_value(text)
