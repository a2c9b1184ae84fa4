"""Events, windows, coverage and day counting: whole days, inclusive, never counted twice."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.runtime.codes import Coding
from eligibility_dsl.runtime.events import (
    Coverage,
    Event,
    Window,
    covered_continuously,
    days_inclusive,
    exposure_days,
)
from eligibility_dsl.runtime.quantity import Quantity


def d(text: str) -> date:
    return date.fromisoformat(text)


# --------------------------------------------------------------------------- days_inclusive


def test_days_inclusive():
    assert days_inclusive(d("2025-01-01"), d("2025-01-01")) == 1
    assert days_inclusive(d("2025-01-01"), d("2025-01-14")) == 14
    assert days_inclusive(d("2024-02-28"), d("2024-03-01")) == 3  # leap year
    assert days_inclusive(d("2025-02-28"), d("2025-03-01")) == 2
    assert days_inclusive(d("2024-01-01"), d("2024-12-31")) == 366
    assert days_inclusive(d("2025-01-31"), d("2025-01-30")) == 0


# --------------------------------------------------------------------------- events


RITUXIMAB = Coding("ATC", "L01FA01", "rituximab")


def test_event_describe():
    m = Event(
        "m-3",
        "medications",
        {"code": RITUXIMAB, "daily_dose": Quantity(Decimal(1000), "mg/day"), "route": None},
        d("2025-01-05"),
        d("2025-03-01"),
    )
    assert m.describe(("code", "daily_dose")) == (
        "m-3: ATC L01FA01 (rituximab), 2025-01-05..2025-03-01, daily_dose 1000 mg/day"
    )
    assert m.describe(("code", "daily_dose", "route")).endswith(", route missing")
    assert m.describe() == "m-3: 2025-01-05..2025-03-01"
    ongoing = Event(
        "m-4", "medications", {"code": [RITUXIMAB, Coding("RxNorm", "121191")]}, d("2025-01-05"), None
    )
    assert ongoing.describe(("code",)) == "m-4: ATC L01FA01 (rituximab) / RxNorm 121191, 2025-01-05..ongoing"
    obs = Event(
        "o-1",
        "observations",
        {"code": Coding("LOINC", "2160-0"), "value": Quantity(Decimal("1.10"), "mg/dL"), "flag": True},
        d("2025-02-03"),
        d("2025-02-03"),
    )
    assert (
        obs.describe(("code", "value", "flag"))
        == "o-1: LOINC 2160-0, 2025-02-03, value 1.10 mg/dL, flag true"
    )
    t = Event(
        "t-1",
        "trial_participations",
        {"compound": "XYZ-123", "last_dose": d("2024-06-01")},
        d("2024-01-01"),
        d("2024-06-01"),
    )
    assert (
        t.describe(("compound", "last_dose"))
        == "t-1: 2024-01-01..2024-06-01, compound XYZ-123, last_dose 2024-06-01"
    )
    assert Event("a", "x", {}, None, None).describe() == "a: undated"
    assert Event("a", "x", {}, None, d("2025-01-01")).describe() == "a: ?..2025-01-01"


def test_event_fields_and_validation():
    e = Event("c-1", "conditions", {"code": RITUXIMAB}, d("2025-01-01"), None)
    assert (e.id, e.collection, e.start, e.end) == ("c-1", "conditions", d("2025-01-01"), None)
    assert repr(e).startswith("Event('c-1', 'conditions', {'code': Coding('ATC', 'L01FA01', 'rituximab')}")
    with pytest.raises(ValueError, match=r"event `c-2` ends \(2025-01-01\) before it starts \(2025-01-02\)"):
        Event("c-2", "conditions", {}, d("2025-01-02"), d("2025-01-01"))
    with pytest.raises(TypeError):
        Event("c-3", "conditions", {}, datetime(2025, 1, 1), None)
    with pytest.raises(TypeError):
        Event("c-3", "conditions", {}, "2025-01-01", None)


# --------------------------------------------------------------------------- windows


def test_window_text():
    a, b = d("2024-09-11"), d("2025-09-11")
    assert str(Window(a, b)) == "2024-09-11 .. 2025-09-11, both inclusive"
    assert str(Window(a, b, False, False)) == "2024-09-11 .. 2025-09-11, both exclusive"
    assert str(Window(a, b, low_closed=False)) == "2024-09-11 (exclusive) .. 2025-09-11 (inclusive)"
    assert str(Window(a, b, high_closed=False)) == "2024-09-11 (inclusive) .. 2025-09-11 (exclusive)"
    assert str(Window(None, b)) == "up to 2025-09-11, inclusive"
    assert str(Window(None, b, high_closed=False)) == "up to 2025-09-11, exclusive"
    assert str(Window(b, None)) == "from 2025-09-11, inclusive"
    assert str(Window(b, None, low_closed=False)) == "from 2025-09-11, exclusive"
    assert str(Window(None, None)) == "all time"
    assert repr(Window(a, None)) == (
        "Window(datetime.date(2024, 9, 11), None, low_closed=True, high_closed=True)"
    )


def test_window_whole_day_bounds():
    w = Window(d("2024-02-28"), d("2024-03-01"), low_closed=False, high_closed=False)
    assert (w.first_day(), w.last_day()) == (d("2024-02-29"), d("2024-02-29"))
    assert not w.is_empty()
    w = Window(d("2025-02-28"), d("2025-03-01"), low_closed=False, high_closed=False)
    assert w.is_empty()  # no whole day strictly between in a common year
    w = Window(d("2024-12-31"), d("2025-01-31"), low_closed=False)
    assert (w.first_day(), w.last_day()) == (d("2025-01-01"), d("2025-01-31"))
    assert Window(None, None).first_day() is None and Window(None, None).last_day() is None
    assert not Window(None, None).is_empty()
    assert Window(d("2025-01-02"), d("2025-01-01")).is_empty()
    assert not Window(d("2025-01-01"), d("2025-01-01")).is_empty()
    assert Window(d("2025-01-01"), d("2025-01-01"), high_closed=False).is_empty()


def test_window_contains():
    w = Window(d("2024-09-11"), d("2025-09-11"), low_closed=False)
    assert not w.contains(d("2024-09-11"))
    assert w.contains(d("2024-09-12"))
    assert w.contains(d("2025-09-11"))
    assert not w.contains(d("2025-09-12"))
    assert Window(None, d("2025-01-01")).contains(date.min)
    assert not Window(None, d("2025-01-01"), high_closed=False).contains(d("2025-01-01"))
    assert Window(d("2025-01-01"), None).contains(date.max)
    assert Window(None, None).contains(d("2000-02-29"))


def test_window_overlaps():
    w = Window(d("2025-01-10"), d("2025-01-20"))
    assert w.overlaps(d("2025-01-01"), d("2025-01-10"))  # touches the first day
    assert not w.overlaps(d("2025-01-01"), d("2025-01-09"))
    assert w.overlaps(d("2025-01-20"), d("2025-02-01"))  # touches the last day
    assert not w.overlaps(d("2025-01-21"), None)
    assert w.overlaps(d("2024-01-01"), None)  # ongoing
    assert w.overlaps(d("2025-01-12"), d("2025-01-12"))
    open_w = Window(d("2025-01-10"), d("2025-01-20"), False, False)
    assert not open_w.overlaps(d("2025-01-01"), d("2025-01-10"))
    assert not open_w.overlaps(d("2025-01-20"), None)
    assert open_w.overlaps(d("2025-01-19"), None)
    empty = Window(d("2025-01-10"), d("2025-01-11"), False, False)
    assert not empty.overlaps(d("2025-01-01"), None)
    assert Window(None, None).overlaps(d("2025-01-01"), d("2025-01-01"))


def test_window_equality_ignores_inclusivity_of_unbounded_ends():
    assert Window(None, d("2025-01-01"), low_closed=False) == Window(None, d("2025-01-01"))
    assert hash(Window(None, d("2025-01-01"), low_closed=False)) == hash(Window(None, d("2025-01-01")))
    assert Window(d("2025-01-01"), None, low_closed=False) != Window(d("2025-01-01"), None)


# --------------------------------------------------------------------------- coverage


COV = Coverage(d("2020-01-01"), d("2025-09-11"))


def test_coverage_text_and_validation():
    assert str(COV) == "complete 2020-01-01 .. 2025-09-11"
    assert str(Coverage(None, d("2025-09-11"))) == "complete up to 2025-09-11"
    assert repr(Coverage(None, d("2025-09-11"))) == "Coverage(None, datetime.date(2025, 9, 11))"
    with pytest.raises(ValueError, match="needs an end date"):
        Coverage(d("2020-01-01"), None)
    with pytest.raises(ValueError, match="after it ends"):
        Coverage(d("2025-01-02"), d("2025-01-01"))
    assert Coverage(None, d("2025-01-01")) == Coverage(None, d("2025-01-01"))


def test_coverage_covers():
    assert COV.covers(Window(d("2020-01-01"), d("2025-09-11")))  # exactly equal
    assert not COV.covers(Window(d("2019-12-31"), d("2025-09-11")))  # one day before
    assert not COV.covers(Window(d("2020-01-01"), d("2025-09-12")))  # one day after
    # Open ends move the whole-day bounds back inside.
    assert COV.covers(Window(d("2019-12-31"), d("2025-09-12"), low_closed=False, high_closed=False))
    assert COV.covers(Window(d("2024-02-29"), d("2024-02-29")))
    assert not COV.covers(Window(None, d("2025-01-01")))  # unbounded past needs coverage since birth
    assert Coverage(None, d("2025-09-11")).covers(Window(None, d("2025-09-11")))
    assert not Coverage(None, d("2025-09-11")).covers(Window(None, d("2025-09-12")))
    assert not Coverage(None, d("2025-09-11")).covers(Window(d("2025-01-01"), None))  # never complete forever
    assert not COV.covers(Window(None, None))
    assert COV.covers(Window(d("2030-01-02"), d("2030-01-01")))  # empty: nothing to miss
    assert COV.covers(Window(d("2030-01-01"), d("2030-01-02"), False, False))


# --------------------------------------------------------------------------- exposure


W = Window(d("2025-01-01"), d("2025-01-31"))


def test_exposure_days_basics():
    assert exposure_days([], W) == 0
    assert exposure_days([(d("2025-01-01"), d("2025-01-14"))], W) == 14
    assert exposure_days([(d("2025-01-01"), d("2025-01-15"))], W) == 15
    # Overlapping records count each day once.
    assert exposure_days([(d("2025-01-01"), d("2025-01-10")), (d("2025-01-05"), d("2025-01-14"))], W) == 14
    # Adjacent records (end d, next start d + 1) are contiguous: no gap, no double count.
    assert exposure_days([(d("2025-01-01"), d("2025-01-07")), (d("2025-01-08"), d("2025-01-14"))], W) == 14
    # A record starting before the window is clipped to it; so is one ending after.
    assert exposure_days([(d("2024-12-01"), d("2025-01-03"))], W) == 3
    assert exposure_days([(d("2025-01-30"), d("2025-03-01"))], W) == 2
    # Ongoing records run to the window's last day.
    assert exposure_days([(d("2025-01-18"), None)], W) == 14
    assert exposure_days([(d("2024-06-01"), None)], W) == 31
    # Records outside the window count nothing; a nested record adds nothing.
    assert exposure_days([(d("2024-01-01"), d("2024-12-31")), (d("2025-02-01"), None)], W) == 0
    assert exposure_days([(d("2025-01-01"), d("2025-01-20")), (d("2025-01-05"), d("2025-01-06"))], W) == 20


def test_exposure_days_across_month_ends_and_leap_days():
    feb_2024 = Window(d("2024-02-01"), d("2024-02-29"))
    assert exposure_days([(d("2024-01-15"), None)], feb_2024) == 29
    feb_2025 = Window(d("2025-02-01"), d("2025-03-01"), high_closed=False)
    assert exposure_days([(d("2025-01-15"), None)], feb_2025) == 28
    open_window = Window(d("2025-01-01"), d("2025-01-31"), low_closed=False, high_closed=False)
    assert exposure_days([(d("2025-01-01"), d("2025-01-31"))], open_window) == 29


def test_exposure_days_with_unbounded_windows():
    assert exposure_days([(d("2020-01-01"), d("2020-01-10"))], Window(None, None)) == 10
    assert exposure_days([(d("2020-01-01"), d("2020-01-10"))], Window(d("2020-01-05"), None)) == 6
    assert exposure_days([(d("2020-01-01"), None)], Window(None, d("2020-01-10"))) == 10
    with pytest.raises(ValueError, match="ongoing and the window has no last day"):
        exposure_days([(d("2020-01-01"), None)], Window(d("2020-01-01"), None))
    assert exposure_days([(d("2020-01-01"), None)], Window(d("2020-01-02"), d("2020-01-01"))) == 0


def test_exposure_days_rejects_backwards_periods():
    with pytest.raises(ValueError, match="ends"):
        exposure_days([(d("2025-01-10"), d("2025-01-09"))], W)


# --------------------------------------------------------------------------- continuity


def test_covered_continuously_gaps():
    full = [(d("2025-01-01"), d("2025-01-31"))]
    assert covered_continuously(full, W, 0)
    # A 3-day gap (11, 12, 13 January) is allowed at max 3 and not at max 2.
    gapped = [(d("2025-01-01"), d("2025-01-10")), (d("2025-01-14"), None)]
    assert covered_continuously(gapped, W, 3)
    assert not covered_continuously(gapped, W, 2)
    # Adjacent records leave no gap.
    assert covered_continuously([(d("2025-01-01"), d("2025-01-15")), (d("2025-01-16"), None)], W, 0)
    # Gaps at the very start or end of the window count too.
    late_start = [(d("2025-01-04"), None)]
    assert covered_continuously(late_start, W, 3)
    assert not covered_continuously(late_start, W, 2)
    early_end = [(d("2024-12-01"), d("2025-01-28"))]
    assert covered_continuously(early_end, W, 3)
    assert not covered_continuously(early_end, W, 2)
    # No records: the whole window is one gap.
    assert covered_continuously([], W, 31)
    assert not covered_continuously([], W, 30)
    # Out of order and overlapping records.
    assert covered_continuously(
        [(d("2025-01-20"), None), (d("2025-01-01"), d("2025-01-12")), (d("2025-01-05"), d("2025-01-18"))],
        W,
        1,
    )


def test_covered_continuously_edge_windows():
    assert covered_continuously([], Window(d("2025-01-02"), d("2025-01-01")), 0)  # empty window
    assert not covered_continuously([(date.min, None)], Window(None, d("2025-01-01")), 100)
    ongoing = [(d("2020-01-01"), None)]
    assert covered_continuously(ongoing, Window(d("2020-01-01"), None), 0)
    assert not covered_continuously(
        [(d("2020-01-01"), d("2030-01-01"))], Window(d("2020-01-01"), None), 10**6
    )
    with pytest.raises(ValueError, match="max_gap_days"):
        covered_continuously([], W, -1)


# --------------------------------------------------------------------------- properties

BASE = date(2024, 2, 20)  # spans a leap day and a month end
_offsets = st.integers(0, 30)


@st.composite
def periods(draw):
    start = draw(_offsets)
    end = None if draw(st.integers(0, 4)) == 0 else start + draw(st.integers(0, 10))
    return BASE + timedelta(start), None if end is None else BASE + timedelta(end)


@st.composite
def windows(draw):
    low, high = sorted((draw(_offsets), draw(_offsets)))
    return Window(BASE + timedelta(low), BASE + timedelta(high), draw(st.booleans()), draw(st.booleans()))


def _active_days(ps, w: Window) -> set[date]:
    """Brute force: every day of the window on which some period is active."""
    first, last = w.first_day(), w.last_day()
    days = set()
    day = first
    while day <= last:
        if any(s <= day and (e is None or day <= e) for s, e in ps):
            days.add(day)
        day += timedelta(1)
    return days


@given(st.lists(periods(), max_size=6), windows())
def test_exposure_days_equals_brute_force(ps, w):
    """Law: exposure_days(P, W) is the number of days of W on which some period of P is active,
    as counted one day at a time."""
    assert exposure_days(ps, w) == len(_active_days(ps, w))


@given(st.lists(periods(), max_size=6), windows(), st.randoms())
def test_exposure_days_is_order_independent_and_bounded(ps, w, rnd):
    """Law: exposure_days does not depend on the order of the periods, and never exceeds
    the number of days in the window."""
    shuffled = list(ps)
    rnd.shuffle(shuffled)
    assert exposure_days(shuffled, w) == exposure_days(ps, w)
    length = 0 if w.is_empty() else days_inclusive(w.first_day(), w.last_day())
    assert 0 <= exposure_days(ps, w) <= length


@given(st.lists(periods(), max_size=6), windows(), st.integers(0, 5))
def test_covered_continuously_equals_brute_force(ps, w, gap):
    """Law: covered_continuously(P, W, g) iff no run of uncovered days of W is longer than g."""
    active = _active_days(ps, w)
    longest = run = 0
    if not w.is_empty():
        day = w.first_day()
        while day <= w.last_day():
            run = 0 if day in active else run + 1
            longest = max(longest, run)
            day += timedelta(1)
    assert covered_continuously(ps, w, gap) == (longest <= gap)


@given(periods(), windows())
def test_overlaps_agrees_with_exposure(p, w):
    """Law: a period overlaps a window iff it contributes at least one exposure day there."""
    assert w.overlaps(*p) == (exposure_days([p], w) > 0)


@given(windows(), _offsets)
def test_contains_agrees_with_whole_day_bounds(w, offset):
    """Law: contains(d) iff first_day() <= d <= last_day()."""
    day = BASE + timedelta(offset)
    assert w.contains(day) == (w.first_day() <= day <= w.last_day())


@given(windows(), windows())
def test_coverage_covers_iff_every_day_is_inside(cov_window, w):
    """Law: Coverage(a, b).covers(W) iff every day of W lies in a..b."""
    cov = Coverage(cov_window.low, cov_window.high)
    inside = Window(cov.low, cov.high)
    days = _active_days([(BASE - timedelta(1), None)], w)  # every day of w
    assert cov.covers(w) == all(inside.contains(day) for day in days)
