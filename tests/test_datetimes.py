"""Date-times (issue 11): `age in hours at X`, `age in minutes at X`, births and anchors given as date-times.

What a designer relies on: 71 h 59 min is under 72 hours and 72 h is not; the same instant written in two
offsets is the same instant; a birth or an anchor known only to the day gives UNKNOWN exactly where the
hours could go either way (never a guess); offsets are the ones written (no daylight-saving rule); a
malformed date-time is a record problem; the checker refuses what makes no sense with a located
diagnostic; the SQL engines refuse the form by name; the generated evaluator agrees with the reference
interpreter; and refining a date to a date-time on that day never turns a decided status into its opposite.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
import reference_interpreter as R
from hypothesis import given, settings
from hypothesis import strategies as st
from test_differential import assert_agree

from eligibility_dsl import AnchorError, RecordError, check_source, compile_file
from eligibility_dsl.runtime.bounded import Bounded
from eligibility_dsl.runtime.datetimes import age_in, compare_datetimes, elapsed, parse_datetime
from eligibility_dsl.screening.engines import ENGINES, EngineUnavailable, Plan
from eligibility_dsl.screening.inputs import Input

DATA = Path(__file__).parent / "fixtures" / "datetimes"
SPEC = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
TRIAL = compile_file(DATA / SPEC["trial"])
WINDOWS = json.loads((DATA / "windows.json").read_text(encoding="utf-8"))
WINDOW_TRIAL = compile_file(DATA / WINDOWS["trial"])
CASES = [(TRIAL, c) for c in SPEC["cases"]] + [(WINDOW_TRIAL, c) for c in WINDOWS["cases"]]


@pytest.mark.parametrize(("trial", "case"), CASES, ids=[c["name"] for _, c in CASES])
def test_boundary_cases_decide_as_stated(trial, case):
    decision = trial.evaluate(case["record"], case["anchors"], trace=True)
    got = {c.id: c.status.value for c in decision.criteria}
    reference = R.evaluate(trial.checked, trial.bind(case["record"]), trial.parse_anchors(case["anchors"]))
    for cid, expected in case["expected"].items():
        assert got[cid] == expected, f"{cid}: {case['why']}"
        assert R.STATUS[reference[cid]] == expected, f"{cid} (reference): {case['why']}"
    assert_agree(trial, case["record"], case["anchors"])


@pytest.mark.parametrize("case", json.loads((DATA / "cql_cases.json").read_text(encoding="utf-8"))["cases"],
                         ids=lambda c: c["expression"])
def test_cql_hours_between(case):
    assert elapsed(case["unit"], case["start"], case["end"]) == (case["whole"], case["whole"]), case["source"]


def test_the_trace_and_the_decision_show_the_date_times():
    record = {"id": "r", "birth_date": "2025-09-09T06:00:00+02:00"}
    decision = TRIAL.evaluate(record, {"screening": "2025-09-12T05:59:00+02:00"}, trace="full")
    text = decision.explain("full")
    assert "screening 2025-09-12T05:59:00+02:00" in text.splitlines()[0]
    assert "age in hours at screening  →  71 h" in text
    assert "birth_date  →  2025-09-09T06:00:00+02:00" in text and "screening  →  2025-09-12T05:59:00+02:00" in text
    assert decision.to_dict()["anchors"] == {"screening": "2025-09-12T05:59:00+02:00"}


def test_a_malformed_birth_date_time_is_a_record_problem():
    with pytest.raises(RecordError) as info:
        TRIAL.bind({"id": "r", "birth_date": "2025-09-09T25:00:00+02:00"})
    assert "birth_date" in str(info.value) and "`2025-09-09T25:00:00+02:00` is not a valid date-time" in str(info.value)


@pytest.mark.parametrize("text", ["2025-09-09T06:00:00+15:00", "2025-09-09T06:61", "2025-09-09T6:00",
                                  "2025-02-30T06:00", "2025-09-09T06:00:00+0200", "2025-09-09 06:00"])
def test_malformed_date_times_are_refused(text):
    with pytest.raises(ValueError, match="is not a valid date-time"):
        parse_datetime(text)


def test_a_malformed_anchor_date_time_is_an_input_problem():
    with pytest.raises(AnchorError, match="anchor `screening`: `2025-09-12T24:00` is not a valid date-time"):
        TRIAL.parse_anchors({"screening": "2025-09-12T24:00"})


def test_a_date_time_anchor_keeps_its_date_for_every_date_form():
    anchors = TRIAL.parse_anchors({"screening": "2025-09-11T23:30:00-05:00"})
    assert anchors["screening"] == datetime.date(2025, 9, 11)  # the date as written, as windows read it
    assert str(anchors.times["screening"]) == "2025-09-11T23:30:00-05:00"


def test_runtime_rules():
    assert compare_datetimes("=", "2025-09-11T14:30:00+02:00", "2025-09-11T12:30:00Z") is True
    assert compare_datetimes("<", "2025-09-11", "2025-09-11T14:00") is None  # the finer part decides
    assert compare_datetimes("<", "2025-09-10", "2025-09-11T14:00") is True
    assert compare_datetimes("<", "2025-09-11T14:30", "2025-09-11T14:30") is False  # one precision: points
    # the latest birth to the earliest screening, the earliest birth to the latest screening
    low = age_in("hours", "2025-09-09T23:59:59", "2025-09-12T00:00:00")
    high = age_in("hours", "2025-09-09T00:00:00", "2025-09-12T23:59:59")
    assert (low.value, high.value) == (48, 95) and age_in("hours", "2025-09-09", "2025-09-12") == Bounded(low, high)
    assert age_in("minutes", "2025-09-09T06:00", "2025-09-09T06:00:59").value == Decimal(0)


@pytest.mark.parametrize(("body", "code", "at"), [
    ("age in days at s < 3 days", "E0190", "age in days at s"),
    ("age in hours at 5 < 72 hours", "E0201", "5"),
    ("age in hours at s < 3 months", "E0202", "age in hours at s < 3 months"),  # months: no fixed length
    ("age in hours at s < 72 mg", "E0202", "age in hours at s < 72 mg"),
])
def test_what_makes_no_sense_is_a_located_diagnostic(body, code, at):
    source = f'trial T "t"\nanchor s\ninclude I1 "x":\n    {body}\n'
    found = check_source(source)[1]
    assert found and found[0].code == code, [d.to_dict() for d in found]
    assert source[found[0].span.start:found[0].span.end] == at


def test_the_sql_engines_refuse_age_in_hours_by_name():
    plan = Plan(TRIAL, TRIAL.parse_anchors({"screening": "2025-09-12"}),
                (Input("<records>", "records", records=[{"id": "x"}]),))
    with pytest.raises(EngineUnavailable, match=r"E0401.*`age in hours`/`age in minutes`.*criterion `I1`"):
        ENGINES["duckdb"].check(plan)


# ------------------------------------------------------------------ properties

_DAY = st.dates(datetime.date(2025, 9, 5), datetime.date(2025, 9, 14))
_OFFSETS = st.sampled_from([None, 0, 60, 120, -300, 330, 840, -720])


@st.composite
def _date_times(draw, day=None, offsets=True):
    d = draw(_DAY) if day is None else day
    precision = draw(st.sampled_from(["day", "hour", "minute", "second"]))
    if precision == "day":
        return d.isoformat()
    h, m, s = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    text = {"hour": f"{h:02d}", "minute": f"{h:02d}:{m:02d}", "second": f"{h:02d}:{m:02d}:{s:02d}"}[precision]
    offset = draw(_OFFSETS) if offsets else None
    sign, minutes = ("+" if (offset or 0) > 0 else "-"), abs(offset or 0)
    zone = "" if offset is None else "Z" if offset == 0 else f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return f"{d.isoformat()}T{text}{zone}"


@settings(max_examples=300, deadline=None)
@given(birth=_date_times(), anchor=_date_times())
def test_the_generated_evaluator_agrees_with_the_reference(birth, anchor):
    assert_agree(TRIAL, {"id": "r", "birth_date": birth}, {"screening": anchor})


_OPPOSITE = {"MET": "NOT_MET", "NOT_MET": "MET"}


def _statuses(birth, anchor):
    decision = TRIAL.evaluate({"id": "r", "birth_date": birth}, {"screening": anchor})
    return {c.id: c.status.value for c in decision.criteria}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), day=_DAY, anchor=_date_times())
def test_refining_a_birth_date_never_turns_a_status_into_its_opposite(data, day, anchor):
    """Law: a date-only birth refined to any date-time on that day (with or without an offset): UNKNOWN may
    become decided, a decided status never becomes its opposite (MET never NOT_MET)."""
    coarse = _statuses(day.isoformat(), anchor)
    fine = _statuses(data.draw(_date_times(day)), anchor)
    for cid, status in coarse.items():
        assert fine[cid] != _OPPOSITE.get(status), (cid, coarse, fine)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), day=_DAY, birth=_date_times())
def test_refining_an_anchor_date_never_turns_a_status_into_its_opposite(data, day, birth):
    coarse = _statuses(birth, day.isoformat())
    fine = _statuses(birth, data.draw(_date_times(day)))
    for cid, status in coarse.items():
        assert fine[cid] != _OPPOSITE.get(status), (cid, coarse, fine)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), day=_DAY, anchor=_date_times(offsets=False))
def test_refining_on_one_clock_keeps_a_decided_status(data, day, anchor):
    """A refinement without an offset, against an anchor without one, only narrows the possible ages: a
    decided status stays exactly as it was."""
    coarse = _statuses(day.isoformat(), anchor)
    fine = _statuses(data.draw(_date_times(day, offsets=False)), anchor)
    for cid, status in coarse.items():
        if status in _OPPOSITE:
            assert fine[cid] == status, (cid, coarse, fine)


# ------------------------------------------------------------------ windows in hours (issue 11)

def _window_record(dates, codes=("2160-0",)):
    obs = [{"id": f"o{i}", "code": {"system": "LOINC", "code": codes[i % len(codes)]}, "date": d,
            "value": f"{1 + i % 3} mg/dL"} for i, d in enumerate(dates)]
    return {"id": "r", "observations": obs,
            "coverage": {"observations": {"from": "2025-01-01", "to": "2025-09-14"}}}


def test_a_malformed_event_date_time_is_a_record_problem():
    with pytest.raises(RecordError) as info:
        WINDOW_TRIAL.bind(_window_record(["2025-09-08T07:59:00+0100"]))
    assert "observations[0].date" in str(info.value) and "is not a valid date-time" in str(info.value)


def test_the_trace_shows_the_exact_window_and_the_event_time():
    decision = WINDOW_TRIAL.evaluate(_window_record(["2025-09-08T08:01:00+01:00"]),
                                     {"screening": "2025-09-11T08:00:00+01:00"}, trace="full")
    text = decision.explain("full")
    assert "window: 2025-09-08T08:00:00+01:00 .. 2025-09-11T08:00:00+01:00, both inclusive" in text
    assert "found: o0: LOINC 2160-0, 2025-09-08T08:01:00+01:00" in text


def test_the_sql_engines_refuse_exact_windows_and_keep_whole_day_ones():
    timed = Plan(WINDOW_TRIAL, WINDOW_TRIAL.parse_anchors({"screening": "2025-09-11T08:00:00+01:00"}),
                 (Input("<records>", "records", records=[{"id": "x"}]),))
    with pytest.raises(EngineUnavailable, match=r"E0401.*a window in hours or minutes on an anchor given as a "
                                                r"date-time.*criterion `W1`"):
        ENGINES["duckdb"].check(timed)
    from eligibility_dsl.backends.sql.criteria import SqlCompileError, compile_trial
    with pytest.raises(SqlCompileError) as info:  # on a date anchor only W5 (a query inside a query) is refused
        compile_trial(WINDOW_TRIAL.checked, WINDOW_TRIAL.parse_anchors({"screening": "2025-09-11"}))
    assert "`W5`" in str(info.value) and "`W1`" not in str(info.value) and "`W2`" not in str(info.value)


_EVENT_DAYS = st.dates(datetime.date(2025, 9, 6), datetime.date(2025, 9, 12))


@settings(max_examples=300, deadline=None)
@given(dates=st.lists(_date_times(), max_size=4), anchor=_date_times())
def test_windows_agree_with_the_reference(dates, anchor):
    assert_agree(WINDOW_TRIAL, _window_record(dates, ("2160-0", "2160-0", "999-9")), {"screening": anchor})


def _window_statuses(dates, anchor):
    decision = WINDOW_TRIAL.evaluate(_window_record(dates), {"screening": anchor})
    return {c.id: c.status.value for c in decision.criteria}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), days=st.lists(_EVENT_DAYS, min_size=1, max_size=3), anchor=_date_times())
def test_refining_an_event_date_never_turns_a_status_into_its_opposite(data, days, anchor):
    """Law: an event dated by day refined to any date-time on that day (any offset) never turns a decided
    status into its opposite, whether the anchor is a date or a date-time.  Days may repeat: untimed events
    on one day are tied (`latest` is what they agree on, else unknown), which no choice of times contradicts."""
    coarse = _window_statuses([d.isoformat() for d in days], anchor)
    fine = _window_statuses([data.draw(_date_times(d)) for d in days], anchor)
    for cid, status in coarse.items():
        assert fine[cid] != _OPPOSITE.get(status), (cid, coarse, fine)


# ------------------------------------------------------------------ anchors through the tools

@pytest.mark.parametrize("jobs", [1, 2])
def test_screening_keeps_date_time_anchors(tmp_path, jobs):
    from eligibility_dsl.screening.run import screen_rows
    path = tmp_path / "records.json"
    path.write_text(json.dumps([{"id": f"p{h}", "birth_date": f"2025-09-09T0{h}:00:00+02:00"} for h in (3, 4)]))
    rows = list(screen_rows(DATA / SPEC["trial"], [str(path)], {"screening": "2025-09-12T03:30:00+02:00"}, jobs=jobs))
    assert [(r.record_id, r.statuses[0]) for r in rows] == [("p3", "NOT_MET"), ("p4", "MET")]  # 72.5 h, 71.5 h


def test_the_command_line_takes_a_date_time_anchor(tmp_path, capsys):
    from eligibility_dsl.cli import main
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"id": "r", "birth_date": "2025-09-09T06:00:00+02:00"}))
    code = main(["eval", str(DATA / SPEC["trial"]), str(path), "--anchor", "screening=2025-09-12T05:59:00+02:00"])
    out = capsys.readouterr().out
    assert code == 0 and "screening 2025-09-12T05:59:00+02:00" in out and "I1  include  MET" in out
    assert main(["eval", str(DATA / SPEC["trial"]), str(path), "--anchor", "screening=2025-09-12T05:59+0200"]) == 2
