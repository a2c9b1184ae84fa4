"""Counting over items: `count items with COND of latest|earliest Q` over the items an assessment lists.

What a trial designer relies on: the CMAI rule of NCT03926520 ("4 on at least one item, 3 on at least two, or
2 on at least three") is decided at each threshold; an unscored item leaves the count between bounds, so the
rule is decided only when every possible score agrees; the assessment counted is the latest (earliest) one,
known only where the assessment history is complete; mistakes are located diagnostics; the SQL engines refuse
the construct by name; the generated evaluator agrees with the reference interpreter.
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

from eligibility_dsl import CompileError, InputError, check_source, compile_file, compile_source
from eligibility_dsl.explain.render import render_text
from eligibility_dsl.screening.engines import ENGINES, EngineUnavailable, Plan
from eligibility_dsl.screening.inputs import Input

DATA = Path(__file__).parent / "fixtures" / "items"
SPEC = json.loads((DATA / "cases.json").read_text(encoding="utf-8"), parse_float=Decimal)
TRIAL = compile_file(DATA / SPEC["trial"])
ANCHORS = SPEC["anchors"]

HEADER = 'trial T "t"\nanchor screening\ncodeset cmai: LOCAL "CMAI"\ncodeset cs: LOINC "1742-6"\n'


@pytest.mark.parametrize("case", SPEC["cases"], ids=lambda c: c["name"])
def test_boundary_cases_decide_as_stated(case):
    decision = TRIAL.evaluate(case["record"], ANCHORS, trace=True)
    status = {c.id: c.status.value for c in decision.criteria}[case["criterion"]]
    assert status == case["expected"], case["why"]
    reference = R.evaluate(TRIAL.checked, TRIAL.bind(case["record"]), TRIAL.parse_anchors(ANCHORS))
    assert R.STATUS[reference[case["criterion"]]] == case["expected"], case["why"]


def test_an_unscored_item_is_named_as_the_missing_data():
    case = next(c for c in SPEC["cases"] if c["name"] == "unscored-item-could-decide")
    decision = TRIAL.evaluate(case["record"], ANCHORS)
    assert "assessments a1 item hitting: score" in decision.missing


def test_the_trace_shows_each_item_and_the_range():
    case = next(c for c in SPEC["cases"] if c["name"] == "unscored-item-could-decide")
    text = render_text(TRIAL.evaluate(case["record"], ANCHORS, trace="full"), "full", checked=TRIAL.checked)
    assert "between 2 and 3" in text and "item hitting, score missing" in text


def _diagnostics(body: str):
    return [(d.code, d.message, d.span.line if d.span else None) for d in check_source(HEADER + body)[1]]


def test_items_of_another_collection_are_a_located_error():
    found = _diagnostics('include I1 "x":\n    count items with score >= 3 of latest observations in cs '
                         'during 7 days before screening >= 1\n')
    assert [(c, line) for c, _, line in found] == [("E0174", 6)]
    assert "only assessments have items, not `observations`" in found[0][1]


def test_a_condition_over_items_sees_the_item_fields_only():
    found = _diagnostics('include I1 "x":\n    count items with value >= 3 of latest assessments in cmai '
                         'during 7 days before screening >= 1\n')
    assert found and found[0][0] == "E0101" and "`value`" in found[0][1]
    found = _diagnostics('include I1 "x":\n    count items with score of latest assessments in cmai '
                         'during 7 days before screening >= 1\n')
    assert found and found[0][0] == "E0201" and "not a condition" in found[0][1]


def test_items_and_with_remain_usable_as_names():
    source = HEADER + 'fact items: boolean\nfact with: boolean\ninclude I1 "x": items and with\n'
    assert compile_source(source).criteria[0].id == "I1"


def test_a_malformed_item_score_is_a_record_error_with_its_path():
    record = {"id": "r", "assessments": [{"id": "a1", "code": {"system": "LOCAL", "code": "CMAI"},
                                          "date": "2025-09-01", "items": {"pacing": "severe", "hitting": True}}]}
    with pytest.raises(InputError) as err:
        TRIAL.bind(record)
    text = str(err.value)
    assert "assessments[0].items.pacing" in text and "assessments[0].items.hitting" in text


def test_the_sql_engines_refuse_counting_over_items_by_name():
    plan = Plan(TRIAL, TRIAL.parse_anchors(ANCHORS), (Input("<records>", "records", records=[{"id": "x"}]),))
    with pytest.raises(EngineUnavailable, match=r"E0401.*counting over items.*criterion `I1`"):
        ENGINES["duckdb"].check(plan)


_CONDITIONS = ["score >= 3", "score = 2", 'item = "i1"', "not (score < 4)", "(score >= 2 and item != \"i2\")"]


@st.composite
def _records(draw):
    day = lambda: (datetime.date(2025, 9, 11) - datetime.timedelta(days=draw(st.integers(0, 20)))).isoformat()
    assessments = []
    for i in range(draw(st.integers(0, 3))):
        a = {"id": f"a{i}", "code": draw(st.sampled_from([{"system": "LOCAL", "code": "CMAI"},
                                                         {"system": "LOINC", "code": "1742-6"}])), "date": day()}
        if draw(st.integers(0, 4)):
            a["items"] = draw(st.dictionaries(st.sampled_from(["i1", "i2", "i3", "i4"]),
                                              st.one_of(st.none(), st.integers(0, 4)), max_size=4))
        assessments.append(a)
    record = {"id": "r", "assessments": assessments}
    if draw(st.booleans()):
        record["coverage"] = {"assessments": {"from": draw(st.sampled_from([None, "2025-09-01"])), "to": "2025-09-11"}}
    return record


@settings(max_examples=150, deadline=None)
@given(cond=st.sampled_from(_CONDITIONS), which=st.sampled_from(["latest", "earliest"]),
       op=st.sampled_from([">=", "<", "="]), n=st.integers(0, 4), record=_records())
def test_generated_and_reference_evaluation_agree(cond, which, op, n, record):
    """Law: fast, traced, stopping and reference evaluation give the same statuses and outcome."""
    trial = _compiled(HEADER + f'include I1 "x":\n    count items with {cond} of {which} assessments in cmai '
                      f'during 14 days before screening {op} {n}\n')
    assert_agree(trial, record, trial.parse_anchors({"screening": "2025-09-11"}))


_TRIALS: dict[str, object] = {}


def _compiled(source: str):
    if source not in _TRIALS:
        try:
            _TRIALS[source] = compile_source(source)
        except CompileError as err:  # pragma: no cover - a generator mistake
            raise AssertionError(f"{err}\n{source}") from None
    return _TRIALS[source]
