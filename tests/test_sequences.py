"""The worst / best value in a window: `highest F of Q` and `lowest F of Q`.

What a designer relies on: "creatinine >= 1.5 x baseline within 48 h" compares the highest value in the window
with the baseline, exactly and across units; a history not known to be complete makes the highest known from
below (it can confirm a rise, never rule one out) and the lowest unknown; values that cannot be ordered
together are unknown, never silently skipped; the SQL engines refuse the construct by name; the generated
evaluator agrees with the reference interpreter.
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

from eligibility_dsl import check_source, compile_file, compile_source
from eligibility_dsl.screening.engines import ENGINES, EngineUnavailable, Plan
from eligibility_dsl.screening.inputs import Input

DATA = Path(__file__).parent / "fixtures" / "sequences"
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


def test_values_that_cannot_be_ordered_are_a_named_problem():
    case = next(c for c in SPEC["cases"] if c["name"] == "anc-unitless")
    decision = TRIAL.evaluate(case["record"], ANCHORS)
    assert any("cannot be compared" in p for p in decision.criteria[1].problems)


def test_a_field_that_is_not_a_number_is_a_located_error():
    source = ('trial T "t"\nanchor s\ninclude I1 "x":\n'
              '    highest status of conditions during before s = "active"\n')
    (found,) = check_source(source)[1]
    assert (found.code, found.span.line) == ("E0201", 4) and "`status`" in found.message


def test_the_sql_engines_refuse_highest_and_lowest_by_name():
    plan = Plan(TRIAL, TRIAL.parse_anchors(ANCHORS), (Input("<records>", "records", records=[{"id": "x"}]),))
    with pytest.raises(EngineUnavailable, match=r"E0401.*`highest`/`lowest` of a field.*criterion `I1`"):
        ENGINES["duckdb"].check(plan)


_HEADER = 'trial T "t"\nanchor s\ncodeset cr: LOINC "2160-0"\n'
_BODIES = ["highest value of observations in cr during 10 days before s >= 1.5 mg/dL",
           "lowest value of observations in cr during 10 days before s < 1 mg/dL",
           "highest value of observations in cr where value > 1 mg/dL during 10 days before s = 2 mg/dL",
           "lowest value of observations during 10 days before s <= 100 umol/L"]


@st.composite
def _records(draw):
    values = st.sampled_from(["0.9 mg/dL", "1.5 mg/dL", "2 mg/dL", "133 umol/L", "88.4 umol/L", "1", None, "<1 mg/dL"])
    obs = []
    for i in range(draw(st.integers(0, 4))):
        o = {"id": f"o{i}", "code": draw(st.sampled_from([{"system": "LOINC", "code": "2160-0"},
                                                         {"system": "LOINC", "code": "751-8"}])),
             "date": f"2025-03-{draw(st.integers(18, 31)):02d}"}
        v = draw(values)
        if v is not None:
            o["value"] = v
        obs.append(o)
    record = {"id": "r", "observations": obs}
    if draw(st.booleans()):
        record["coverage"] = {"observations": {"from": draw(st.sampled_from([None, "2025-03-25"])), "to": "2025-04-01"}}
    return record


@settings(max_examples=150, deadline=None)
@given(body=st.sampled_from(_BODIES), record=_records())
def test_generated_and_reference_evaluation_agree(body, record):
    """Law: fast, traced, stopping and reference evaluation give the same statuses and outcome."""
    trial = _compiled(_HEADER + f'include I1 "x":\n    {body}\n')
    assert_agree(trial, record, trial.parse_anchors({"s": "2025-04-01"}))


_TRIALS: dict[str, object] = {}


def _compiled(source: str):
    if source not in _TRIALS:
        _TRIALS[source] = compile_source(source)
    return _TRIALS[source]
