"""Windows relative to events: a window anchored on a date found in the record (`90 days after
diagnosis_date`, `from onset to onset + 90 days` inside a query over conditions) and `starting during W`
(the events that start in W, not those overlapping it).

What a designer relies on: a prescription "within the 90 days following the diagnosis date" counts from the
diagnosis day to day 90 inclusive and not a day more; one started before the diagnosis and still running is
not "within" it when the criterion says `starting`; an anchoring event that is absent, or not known to be the
first, leaves the window unknown (Kleene), never empty; the SQL engines refuse `starting during` by name; the
generated evaluator agrees with the reference interpreter.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import reference_interpreter as R
from hypothesis import given, settings
from hypothesis import strategies as st
from test_differential import assert_agree

from eligibility_dsl import compile_file, compile_source
from eligibility_dsl.language.format import format_source
from eligibility_dsl.screening.engines import ENGINES, EngineUnavailable, Plan
from eligibility_dsl.screening.inputs import Input

DATA = Path(__file__).parent / "fixtures" / "relative"
SPEC = json.loads((DATA / "cases.json").read_text(encoding="utf-8"), parse_float=Decimal)
TRIAL = compile_file(DATA / SPEC["trial"])
ANCHORS = SPEC["anchors"]


@pytest.mark.parametrize("case", SPEC["cases"], ids=lambda c: c["name"])
def test_boundary_cases_decide_as_stated(case):
    decision = TRIAL.evaluate(case["record"], ANCHORS, trace=True)
    got = {c.id: c.status.value for c in decision.criteria}
    reference = R.evaluate(TRIAL.checked, TRIAL.bind(case["record"]), TRIAL.parse_anchors(ANCHORS))
    for cid, expected in case["expected"].items():
        assert got[cid] == expected, f"{cid}: {case['why']}"
        assert R.STATUS[reference[cid]] == expected, f"{cid} (reference): {case['why']}"


def test_the_trace_says_the_window_counts_starts():
    case = next(c for c in SPEC["cases"] if c["name"] == "rx-started-before-diagnosis")
    from eligibility_dsl.explain.render import render_text

    text = render_text(TRIAL.evaluate(case["record"], ANCHORS, trace="full"), "full", checked=TRIAL.checked)
    assert "starting in 2024-01-10 .. 2024-04-09, both inclusive" in text


def test_starting_is_kept_by_the_formatter_and_read_by_elig_doc():
    source = (DATA / "relative.elig").read_text(encoding="utf-8")
    assert format_source(source) == source
    from eligibility_dsl.explain.trial_doc import reading

    p2 = next(c for c in TRIAL.criteria if c.id == "P2")
    assert "started in the 90 days after" in reading(p2.expr, TRIAL.checked)


def test_starting_remains_usable_as_a_name():
    trial = compile_source('trial T "t"\nanchor s\nfact starting: boolean\ninclude I1 "x": starting\n')
    assert trial.criteria[0].id == "I1"


def test_the_sql_engines_refuse_starting_during_by_name():
    plan = Plan(TRIAL, TRIAL.parse_anchors(ANCHORS), (Input("<records>", "records", records=[{"id": "x"}]),))
    with pytest.raises(EngineUnavailable, match=r"E0401.*`starting during`.*criterion `P2`"):
        ENGINES["duckdb"].check(plan)


_HEADER = ('trial T "t"\nanchor s\ncodeset dm: ICD10 "E11*"\ncodeset rx: ATC "A10*"\n'
           "define first_dx: earliest onset of conditions in dm during before s\n")
_BODIES = [
    "exists conditions in dm where (exists medications in rx starting during 30 days after onset) during before s",
    "exists medications in rx starting during 30 days after first_dx",
    "count medications in rx starting during [first_dx - 10 days, first_dx + 10 days) >= 1",
    "exists medications in rx starting during before s",
    "days on medications in rx starting during 20 days before s > 3 days",
]


@st.composite
def _records(draw):
    day = lambda: f"2024-01-{draw(st.integers(1, 31)):02d}"
    conditions = [{"id": f"c{i}", "code": {"system": "ICD10", "code": "E11.9"}, "onset": day()}
                  for i in range(draw(st.integers(0, 2)))]
    medications = []
    for i in range(draw(st.integers(0, 3))):
        m = {"id": f"m{i}", "code": draw(st.sampled_from([{"system": "ATC", "code": "A10BA02"},
                                                          {"system": "ATC", "code": "C09AA02"}])), "start": day()}
        if draw(st.booleans()):
            m["end"] = f"2024-02-{draw(st.integers(1, 28)):02d}"
        medications.append(m)
    record = {"id": "r", "conditions": conditions, "medications": medications, "coverage": {}}
    for coll in ("conditions", "medications"):
        if draw(st.booleans()):
            record["coverage"][coll] = {"from": draw(st.sampled_from([None, "2024-01-15"])), "to": "2024-03-01"}
    return record


@settings(max_examples=150, deadline=None)
@given(body=st.sampled_from(_BODIES), record=_records())
def test_generated_and_reference_evaluation_agree(body, record):
    """Law: fast, traced, stopping and reference evaluation give the same statuses and outcome."""
    trial = _compiled(_HEADER + f'include I1 "x":\n    {body}\n')
    assert_agree(trial, record, trial.parse_anchors({"s": "2024-03-01"}))


_TRIALS: dict[str, object] = {}


def _compiled(source: str):
    if source not in _TRIALS:
        _TRIALS[source] = compile_source(source)
    return _TRIALS[source]
