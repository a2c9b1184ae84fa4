"""Boundary tests of the flagship trial (trials/ssc_telitacicept.elig).

Two layers:

- every check of ``tests/boundaries.py`` (data under ``tests/fixtures/boundaries/``) on the real trial: each
  threshold and window length at the boundary and one smallest step either side;
- Hypothesis properties where the boundary is a family (any screening date, any half-life, any dose, any set of
  courses), each against an oracle written here from the trial's comments, independently of the library.

The mutation check (tests/test_mutation.py) reuses the first layer against mutants of the trial.
"""

from __future__ import annotations

import calendar
import copy
import datetime
from decimal import Decimal
from fractions import Fraction

import boundaries as B
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl import compile_file

DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def trial():
    return compile_file(B.TRIAL_FILE)


# ------------------------------------------------------------------------------------ the checks, as data

@pytest.mark.parametrize("check", B.CHECKS, ids=[c.name for c in B.CHECKS])
def test_boundary(trial, check):
    check.run(trial)


def test_every_data_file_has_both_sides_of_its_boundaries():
    for path in sorted(B.DATA.glob("*.json")):
        if path.name == "windows.json":
            continue
        data = B.load_json(path)
        assert data["about"].strip() and data["cases"], path.name
        assert len({c["expected"] for c in data["cases"]}) >= 2, f"{path.name}: only one side of the boundary"
        for case in data["cases"]:
            assert set(case) <= {"name", "expected", "why", "patch", "anchors", "criterion"}, (path.name, case)
            assert case["why"].strip(), (path.name, case["name"])


def test_evaluation_leaves_records_untouched(trial):
    # Check caches each record; that is only sound while evaluating never modifies its input.
    for check in B.CHECKS[::7]:
        before = copy.deepcopy(check.record())
        check.status(trial)
        assert check.record() == before, check.name


# ------------------------------------------------------------------- calendar: an independent oracle

def minus_months(d: datetime.date, months: int) -> datetime.date:
    """Calendar subtraction clamped to the month's end (CQL): 2025-03-31 - 1 month = 2025-02-28."""
    index = d.year * 12 + d.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def window_first_day(window: str, screening: datetime.date, first_dose: datetime.date) -> datetime.date:
    """The first day of a worded window such as `6 months before first_dose` (both ends inclusive)."""
    amount, unit, _before, anchor = window.split()
    at = {"screening": screening, "first_dose": first_dose}[anchor]
    n = int(amount)
    if unit in ("day", "days"):
        return at - n * DAY
    if unit in ("month", "months"):
        return minus_months(at, n)
    assert unit in ("year", "years"), unit
    return minus_months(at, 12 * n)


def test_the_oracle_clamps_like_cql():
    d = datetime.date.fromisoformat
    assert minus_months(d("2025-03-31"), 1) == d("2025-02-28")
    assert minus_months(d("2028-03-31"), 1) == d("2028-02-29")
    assert minus_months(d("2028-02-29"), 12) == d("2027-02-28")
    assert minus_months(d("2025-01-15"), 1) == d("2024-12-15")


def test_the_hand_written_first_days_are_right():
    data = B.window_data()
    windows = {w["window"] for w in data["windows"]}
    for row in data["anchors"]:
        assert set(row["first_day"]) == windows, row["screening"]
        s, fd = datetime.date.fromisoformat(row["screening"]), datetime.date.fromisoformat(row["first_dose"])
        for window, day in row["first_day"].items():
            assert day == window_first_day(window, s, fd).isoformat(), (row["screening"], window)


def test_the_window_rows_include_the_required_calendar_cases():
    rows = {r["screening"]: r for r in B.window_data()["anchors"]}
    for screening in ["2025-03-31", "2028-03-31", "2025-03-30", "2028-03-30", "2025-03-01", "2028-03-01"]:
        assert screening in rows
    assert rows["2025-03-31"]["first_day"]["1 month before screening"] == "2025-02-28"
    assert rows["2028-03-31"]["first_day"]["1 month before screening"] == "2028-02-29"
    assert rows["2028-02-29"]["first_day"]["1 year before screening"] == "2027-02-28"


# --------------------------------------------------------------------------------- Hypothesis properties

def evaluate(trial, criterion: str, patch: dict, screening: datetime.date, first_dose: datetime.date | None = None,
             *, extend_coverage: bool = True):
    """The criterion's status on base.json patched; every collection's coverage first extended to first_dose."""
    first_dose = first_dose or screening + 14 * DAY
    record = B.BASE
    if extend_coverage:
        coverage = {name: {"to": first_dose.isoformat()} for name in B.BASE["coverage"]}
        record = B.merge_patch(record, {"coverage": coverage})
    record = B.merge_patch(record, patch)
    anchors = {"screening": screening.isoformat(), "first_dose": first_dose.isoformat()}
    decision = trial.evaluate(record, anchors, trace=False)
    return str(decision.criterion(criterion).status), (record, anchors)


def explain(trial, criterion: str, context) -> str:
    record, anchors = context
    return B.criterion_explanation(trial.evaluate(record, anchors), criterion)


# Screenings from 2024: the base record's histories are complete from 2023-01-01, which covers every window.
screenings = st.dates(datetime.date(2024, 1, 1), datetime.date(2099, 12, 31))
WINDOWS = B.window_data()["windows"]


@pytest.mark.parametrize("window", WINDOWS, ids=[B.slug(w["literal"]) for w in WINDOWS])
@given(screening=screenings, offset=st.integers(0, 60))
def test_any_screening_date_event_on_first_day_counts_and_the_day_before_not(trial, window, screening, offset):
    first_dose = screening + offset * DAY
    first = window_first_day(window["window"], screening, first_dose)
    for day, expected in ((first, window["on_first_day"]), (first - DAY, window["on_day_before"])):
        patch = B.fill(window["patch"], {"day": day, "screening": screening, "first_dose": first_dose})
        got, ctx = evaluate(trial, window["criterion"], patch, screening, first_dose)
        assert got == expected, f"{window['literal']}, window opens {first}, day {day}\n" + explain(
            trial, window["criterion"], ctx)


def add_years_clamped(d: datetime.date, years: int) -> datetime.date:
    year = d.year + years
    return datetime.date(year, d.month, min(d.day, calendar.monthrange(year, d.month)[1]))


@given(birth=st.dates(datetime.date(1900, 1, 1), datetime.date(2080, 12, 31)),
       offset=st.one_of(st.integers(-3, 3), st.integers(-800, 800)))
def test_age_is_met_from_the_18th_birthday_on(trial, birth, offset):
    # The 18th birthday with CQL clamping: born 29 February, 18 on 28 February of a non-leap year.
    eighteenth = add_years_clamped(birth, 18)
    screening = eighteenth + offset * DAY
    got, ctx = evaluate(trial, "I2", {"birth_date": birth.isoformat()}, screening, extend_coverage=False)
    assert got == ("MET" if screening >= eighteenth else "NOT_MET"), explain(trial, "I2", ctx)


def test_born_29_february_is_18_on_28_february_of_a_non_leap_year(trial):
    # The library's documented rule (README: "completed years with clamping", as CQL); some jurisdictions
    # would say 1 March. Asserted so that a change of rule is a visible decision.
    born = {"birth_date": "2008-02-29"}
    assert evaluate(trial, "I2", born, datetime.date(2026, 2, 27))[0] == "NOT_MET"
    assert evaluate(trial, "I2", born, datetime.date(2026, 2, 28))[0] == "MET"
    assert evaluate(trial, "I2", born, datetime.date(2026, 3, 1))[0] == "MET"


half_lives = st.one_of(
    st.none(),
    st.decimals(Decimal("0.1"), Decimal("3000"), places=1).map(lambda v: (v, "h")),
    st.decimals(Decimal("0.1"), Decimal("3000"), places=1).map(lambda v: (v, "days")),
    st.sampled_from([(Decimal("134.4"), "h"), (Decimal("134.3"), "h"), (Decimal("134.5"), "h"),
                     (Decimal("5.6"), "days"), (Decimal("139.2"), "h")]),
)


@given(screening=screenings, days=st.integers(0, 400), half_life=half_lives)
def test_washout_is_max_of_28_days_and_5_half_lives_inclusive(trial, screening, days, half_life):
    last_dose = (screening - days * DAY).isoformat()
    participation = {"id": "t1", "compound": "XYZ-001", "start": last_dose, "last_dose": last_dose}
    if half_life is None:
        expected = "MET" if days <= 28 else "UNKNOWN"
    else:
        value, unit = half_life
        participation["half_life"] = f"{value} {unit}"
        hours = 5 * value * (24 if unit == "days" else 1)
        expected = "MET" if days * 24 <= max(28 * 24, hours) else "NOT_MET"
    got, ctx = evaluate(trial, "E6", {"trial_participations": [participation]}, screening)
    assert got == expected, explain(trial, "E6", ctx)


@given(value=st.one_of(st.decimals(Decimal("0"), Decimal("150"), places=3),
                       st.decimals(Decimal("49.9"), Decimal("50.1"), places=3)))
def test_fvc_is_met_strictly_above_50_percent(trial, value):
    obs = [{"id": "o1", "code": {"system": "LOINC", "code": "19872-1"}, "date": "2025-08-28",
            "value": {"value": value, "unit": "%"}}]
    got, ctx = evaluate(trial, "I3", {"observations": obs}, datetime.date(2025, 9, 11))
    assert got == ("MET" if value > 50 else "NOT_MET"), explain(trial, "I3", ctx)


# prednisone_equivalent_dose in trials/lib/ssc_valuesets.elig (mg equivalent to 5 mg prednisone), by ATC
# code, as the exact factor 5 / dose: a Fraction, so the oracle never rounds.
EQUIVALENT_DOSE = {"H02AB07": "5", "H02AB06": "5", "H02AB04": "4", "H02AB08": "4", "H02AB09": "20",
                   "H02AB10": "25", "H02AB02": "0.75", "H02AB01": "0.75"}
PREDNISONE_EQUIVALENT = {code: Fraction(5) / Fraction(dose) for code, dose in EQUIVALENT_DOSE.items()}


@given(code=st.sampled_from(sorted(PREDNISONE_EQUIVALENT)), dose=st.decimals(Decimal("0"), Decimal("60"), places=2))
def test_corticosteroids_allowed_up_to_10_mg_prednisone_equivalent(trial, code, dose):
    meds = [{"id": "m2", "code": {"system": "ATC", "code": code}, "daily_dose": f"{dose} mg/day",
             "start": "2025-01-10"}]
    got, ctx = evaluate(trial, "I6", {"medications": meds}, datetime.date(2025, 9, 11))
    expected = "MET" if Fraction(dose) * PREDNISONE_EQUIVALENT[code] <= 10 else "NOT_MET"
    assert got == expected, explain(trial, "I6", ctx)


courses = st.lists(st.tuples(st.integers(-40, 5), st.integers(0, 20),
                             st.sampled_from([("H02AB07", "99.9"), ("H02AB07", "100"), ("H02AB07", "150"),
                                              ("H02AB04", "79.9"), ("H02AB04", "80")])),
                   min_size=1, max_size=4)


@given(screening=screenings, courses=courses)
def test_high_dose_days_count_distinct_days_in_the_month(trial, screening, courses):
    # Start offsets are relative to the window's first day (screening - 1 month); overlaps count once.
    first = minus_months(screening, 1)
    meds, days = [], set()
    for i, (start, length, (code, dose)) in enumerate(courses):
        s, e = first + start * DAY, first + (start + length) * DAY
        meds.append({"id": f"hd{i}", "code": {"system": "ATC", "code": code}, "daily_dose": f"{dose} mg/day",
                     "start": s.isoformat(), "end": e.isoformat()})
        if Fraction(dose) * PREDNISONE_EQUIVALENT[code] >= 100:
            days |= {s + k * DAY for k in range(length + 1) if first <= s + k * DAY <= screening}
    got, ctx = evaluate(trial, "E10", {"medications": meds}, screening)
    assert got == ("MET" if len(days) > 14 else "NOT_MET"), f"{len(days)} days\n" + explain(trial, "E10", ctx)


@given(value=st.decimals(Decimal("0"), Decimal("500"), places=2),
       uln=st.decimals(Decimal("10"), Decimal("100"), places=1))
def test_alt_above_3_times_uln(trial, value, uln):
    obs = [{"id": "o3", "code": {"system": "LOINC", "code": "1742-6"}, "date": "2025-08-28",
            "value": f"{value} U/L", "reference_high": f"{uln} U/L"}]
    got, ctx = evaluate(trial, "E13", {"observations": obs}, datetime.date(2025, 9, 11))
    assert got == ("MET" if value > 3 * uln else "NOT_MET"), explain(trial, "E13", ctx)


def longest_uncovered_run(periods, first: datetime.date, last: datetime.date) -> int:
    covered = set()
    for s, e in periods:
        covered |= {s + k * DAY for k in range((e - s).days + 1)}
    longest = run = 0
    day = first
    while day <= last:
        run = 0 if day in covered else run + 1
        longest = max(longest, run)
        day += DAY
    return longest


@given(screening=screenings,
       periods=st.lists(st.tuples(st.integers(-60, 200), st.integers(0, 200)), min_size=1, max_size=3))
def test_conventional_treatment_continuous_allowing_gaps_of_35_days(trial, screening, periods):
    first = minus_months(screening, 6)
    spans = sorted((first + s * DAY, first + (s + n) * DAY) for s, n in periods)
    meds = [{"id": f"mmf{i}", "code": {"system": "ATC", "code": "L04AA06"}, "daily_dose": "2000 mg/day",
             "start": s.isoformat(), "end": e.isoformat()} for i, (s, e) in enumerate(spans)]
    patch = {"facts": {"new_skin_involvement": True}, "medications": meds}
    got, ctx = evaluate(trial, "I5", patch, screening)
    expected = "MET" if longest_uncovered_run(spans, first, screening) <= 35 else "NOT_MET"
    assert got == expected, explain(trial, "I5", ctx)


@given(earlier=st.integers(0, 51), later=st.integers(0, 51))
def test_delta_mrss_of_zero_or_more_is_met(trial, earlier, later):
    patch = {"facts": {"new_skin_involvement": False},
             "assessments": [{"id": f"a{i}", "code": {"system": "LOCAL", "code": "mRSS"}, "date": date, "score": score}
                             for i, (date, score) in enumerate([("2025-03-12", earlier), ("2025-09-04", later)])]}
    got, ctx = evaluate(trial, "I5", patch, datetime.date(2025, 9, 11))
    assert got == ("MET" if later - earlier >= 0 else "NOT_MET"), explain(trial, "I5", ctx)


SCORE_FACTS = ["skin_thickening_proximal_to_mcp", "puffy_fingers", "sclerodactyly", "digital_tip_ulcers",
               "fingertip_pitting_scars", "telangiectasia", "abnormal_nailfold_capillaries", "raynaud_phenomenon"]


def acr_eular_2013(f: dict[str, bool], ild: bool, pah: bool, antibody: bool) -> int:
    """van den Hoogen 2013, Table 1: the highest weight in each category, summed."""
    return (9 * f["skin_thickening_proximal_to_mcp"]
            + max(4 * f["sclerodactyly"], 2 * f["puffy_fingers"])
            + max(3 * f["fingertip_pitting_scars"], 2 * f["digital_tip_ulcers"])
            + 2 * f["telangiectasia"] + 2 * f["abnormal_nailfold_capillaries"]
            + 2 * (ild or pah) + 3 * f["raynaud_phenomenon"] + 3 * antibody)


@given(facts=st.fixed_dictionaries({name: st.booleans() for name in SCORE_FACTS}),
       ild=st.booleans(), pah=st.booleans(), antibody=st.booleans())
def test_acr_eular_2013_of_9_or_more_is_met(trial, facts, ild, pah, antibody):
    conditions = [{"id": "c1", "code": {"system": "ICD10", "code": "M34.0"}, "onset": "2022-11-02", "status": "active"}]
    if ild:
        conditions.append({"id": "c2", "code": {"system": "ICD10", "code": "J84.10"}, "onset": "2024-02-15"})
    if pah:
        conditions.append({"id": "c4", "code": {"system": "ICD10", "code": "I27.0"}, "onset": "2024-06-01"})
    observations = [{"id": "o4", "code": {"system": "LOINC", "code": "17570-3"}, "date": "2023-01-12",
                     "value": antibody}]
    patch = {"facts": {**facts, "consented": True}, "conditions": conditions, "observations": observations,
             "coverage": {"observations": {"from": None}, "conditions": {"from": None}}}
    got, ctx = evaluate(trial, "I1", patch, datetime.date(2025, 9, 11))
    score = acr_eular_2013(facts, ild, pah, antibody)
    assert got == ("MET" if score >= 9 else "NOT_MET"), f"score {score}\n" + explain(trial, "I1", ctx)
