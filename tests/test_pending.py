"""Decisions at screening (docs/screening_time.md): records with an as-of date, pending windows, the
provisional outcome and what to confirm; current-list coverage. The cases are data
(tests/fixtures/pending/cases.json, over pending.elig, each with its reasoning); the laws run over them and
over the SSc trial's screening-time patients."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import reference_interpreter as R

from eligibility_dsl import compile_file
from eligibility_dsl.authoring.suite import merge_patch
from eligibility_dsl.cli.verify import verify_one
from eligibility_dsl.explain.canonical import load_strict
from eligibility_dsl.explain.markdown import record_markdown
from eligibility_dsl.explain.record import RecordBuilder, decision_schema
from eligibility_dsl.records.binder import RecordError
from eligibility_dsl.screening import Attrition, Input, screen_rows

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "fixtures" / "pending"
SPEC = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
ANCHORS = SPEC["anchors"]
TRIAL = compile_file(DATA / "pending.elig")
SSC = compile_file(ROOT / "trials" / "ssc_telitacicept.elig")
SSC_SUITE = json.loads((ROOT / "trials" / "tests" / "ssc_telitacicept" / "screening.test.json").read_text("utf-8"))
SSC_BASE = json.loads((ROOT / "trials" / "tests" / "ssc_telitacicept" / "base.json").read_text("utf-8"))


def record_of(case):
    return merge_patch(copy.deepcopy(SPEC["base"]), case["record"])


CASES = [pytest.param(c, id=c["name"]) for c in SPEC["cases"]]


def all_records():
    """(trial, record, anchors) for every fixture case and every SSc screening-time patient."""
    out = [(TRIAL, record_of(c), ANCHORS) for c in SPEC["cases"]]
    for c in SSC_SUITE["cases"]:
        out.append((SSC, merge_patch(copy.deepcopy(SSC_BASE), c.get("patch", {})), {**SSC_SUITE["anchors"],
                                                                                     **c.get("anchors", {})}))
    return out


@pytest.mark.parametrize("case", CASES)
def test_fixture_case(case):
    d = TRIAL.evaluate(record_of(case), ANCHORS)
    expect = case["expect"]
    assert str(d.outcome) == expect["outcome"], case["why"]
    assert (None if d.provisional is None else str(d.provisional)) == expect["provisional"], case["why"]
    got = {c.id: str(c.status) + ("" if c.provisional is None else f"/{c.provisional}") for c in d.criteria}
    assert got == expect["criteria"], case["why"]
    if "to_confirm" in expect:
        items = [[t.criterion, t.collection, t.first.isoformat(), t.last.isoformat(), t.anchor]
                 for t in (d.pending.to_confirm if d.provisional is not None else ())]
        assert items == expect["to_confirm"], case["why"]


@pytest.mark.parametrize("case", SPEC["record_errors"], ids=[c["name"] for c in SPEC["record_errors"]])
def test_a_bad_as_of_or_current_list_is_a_record_error(case):
    with pytest.raises(RecordError) as err:
        TRIAL.evaluate(record_of(case), ANCHORS)
    assert [(i.path, i.message) for i in err.value.issues] == [(case["path"], case["message"])]


@pytest.mark.parametrize(("trial", "record", "anchors"), all_records())
def test_the_reference_interpreter_agrees_on_plain_and_provisional_statuses(trial, record, anchors):
    """Differential: the reference interpreter (tests/reference_interpreter.py, its own reading of the
    coverage rule and of "nothing changes after as_of") gives the same plain statuses, and under the
    assumption the statuses the decision reports as provisional (or decided)."""
    bound = trial.bind(record)
    d = trial.evaluate(record, anchors)
    plain = R.evaluate(trial.checked, bound, anchors)
    assert {c.id: str(c.status) for c in d.criteria} == {k: R.STATUS[v] for k, v in plain.items()}
    if d.pending is None and str(d.outcome) != "INDETERMINATE":
        return  # a decided outcome: nothing pending is computed
    assumed = R.pending_values(trial.checked, bound, anchors)
    got = {c.id: str(c.provisional or c.status) for c in d.criteria}
    assert got == {k: R.STATUS[v] for k, v in assumed.items()}
    want = R.decide(trial.checked, assumed)
    if d.provisional is not None:
        assert str(d.provisional) == want
    else:
        assert want in (str(d.outcome), "INDETERMINATE")


@pytest.mark.parametrize(("trial", "record", "anchors"), all_records())
def test_laws_of_pending(trial, record, anchors):
    """Laws: a pending decision is never a plain outcome (INDETERMINATE with the provisional outcome apart);
    a criterion decided without the assumption keeps its status under it; a provisional ELIGIBLE has every
    criterion MET (inclusion) or NOT_MET (exclusion), plainly or provisionally; anything to confirm starts
    after as_of and ends by the last anchor."""
    d = trial.evaluate(record, anchors)
    bound = trial.bind(record)
    if d.provisional is not None:
        assert str(d.outcome) == "INDETERMINATE"
        assert d.to_confirm and d.pending.as_of == bound.as_of
    for c in d.criteria:
        assert c.provisional is None or str(c.status) == "UNKNOWN"
    if str(d.provisional) == "ELIGIBLE":
        for c in d.criteria:
            assert str(c.provisional or c.status) == ("MET" if c.kind == "include" else "NOT_MET")
    if d.pending is not None:
        for t in d.pending.to_confirm:
            assert bound.as_of < t.first <= t.last <= max(trial.parse_anchors(anchors).values())


def ssc_pending():
    case = SSC_SUITE["cases"][0]
    record = merge_patch(copy.deepcopy(SSC_BASE), case["patch"])
    return record, SSC.evaluate(record, SSC_SUITE["anchors"])


def test_text_says_indeterminate_first_then_eligible_pending_confirmation():
    _, d = ssc_pending()
    text = d.explain()
    head = text.splitlines()[0]
    assert head.startswith("INDETERMINATE: ELIGIBLE pending confirmation at first_dose (2025-09-25)  NCT06546540")
    assert "to confirm (the record is as of 2025-09-11):" in text
    # Both parts of I6 run to the first dose: the stable mycophenolate dose too (an ongoing record at one dose
    # says nothing of a change recorded after screening), and the corticosteroid total.
    assert d.to_confirm == ("I6 (MET if unchanged): stable daily_dose of medications in mycophenolate: "
                            "nothing new or changed in medications 2025-09-12 .. 2025-09-25",
                            "I6 (MET if unchanged): highest daily total of daily_dose / "
                            "prednisone_equivalent_dose[code] * 5 mg over medications in systemic_corticosteroids: "
                            "nothing new or changed in medications 2025-09-12 .. 2025-09-25")
    assert "mycophenolate: nothing new" in text
    assert "UNKNOWN (pending: MET)" in text
    as_dict = d.to_dict()
    assert as_dict["outcome"] == "INDETERMINATE" and as_dict["pending"]["provisional"] == "ELIGIBLE"
    assert [c.get("provisional") for c in as_dict["criteria"] if c["id"] == "I6"] == ["MET"]


def test_the_decision_record_holds_it_validates_and_verifies():
    record, d = ssc_pending()
    builder = RecordBuilder(SSC.checked)
    built = builder.build(d, record, view="full", input_file="p.json")
    jsonschema.Draft202012Validator(decision_schema()).validate(json.loads(json.dumps(built)))
    content = built["content"]
    assert content["outcome"] == "INDETERMINATE"
    assert content["as_of"] == {"date": "2025-09-11", "basis": "stated by the record (as_of)"}
    assert content["pending"]["provisional"] == "ELIGIBLE" and len(content["pending"]["to_confirm"]) == 2
    stored = load_strict(json.dumps(built))
    lines = verify_one(stored, SSC, builder, [load_strict(json.dumps(record))], False, "p.json")
    assert lines[0].startswith("confirmed: "), "\n".join(lines)
    markdown = record_markdown(built)
    assert "## ELIGIBLE pending confirmation at first\\_dose" in markdown
    from eligibility_dsl.explain.html import record_html

    html = record_html(built)
    assert "ELIGIBLE pending confirmation at first_dose" in html and "(pending: MET)" in html


def test_records_without_as_of_keep_their_decision_record_unchanged():
    """No `pending` key for a record without an as-of date: existing decision ids stay valid."""
    d = SSC.evaluate(SSC_BASE, SSC_SUITE["anchors"])
    content = RecordBuilder(SSC.checked).content(d, SSC_BASE)
    assert "pending" not in content and d.pending is None and d.provisional is None and d.to_confirm == ()


def test_screen_rows_carry_provisional_and_pending_and_the_attrition_counts_them():
    records = [record_of(c) for c in SPEC["cases"]]
    rows = list(screen_rows(TRIAL, [Input("<records>", records=records)], ANCHORS))
    assert [r.provisional for r in rows] == [c["expect"]["provisional"] for c in SPEC["cases"]]
    assert rows[0].pending == TRIAL.evaluate(records[0], ANCHORS).to_confirm and rows[0].pending
    assert all(r.pending == () for r in rows if r.provisional is None)
    table = Attrition.for_trial(TRIAL)
    table.add(rows)
    provisional = sum(1 for c in SPEC["cases"] if c["expect"]["provisional"] == "ELIGIBLE")
    assert table.to_dict()["provisional"] == {"ELIGIBLE": provisional}
    assert "ELIGIBLE pending confirmation" in table.to_text()
    pending_i1 = table.steps()[0]["pending"]
    assert pending_i1 == sum(1 for r in rows if r.provisional is not None and r.statuses[0] == "UNKNOWN")


def test_the_sql_engine_gives_the_same_outcome_and_statuses_without_the_provisional_part():
    """The SQL engines bind records with the same binder (as_of checked, current lists as one-day periods)
    and decide the same outcome and statuses; they do not compute the provisional outcome: its columns are
    null / empty there (docs/screening_time.md)."""
    pytest.importorskip("duckdb")
    pytest.importorskip("sqlglot")
    from eligibility_dsl import compile_source

    text = (DATA / "pending.elig").read_text(encoding="utf-8")
    i2 = text.index("include I2")
    trial = compile_source(text[:i2] + text[text.index("exclude E1"):], "pending_sql.elig")  # no `stable` in SQL
    records = [record_of(c) for c in SPEC["cases"]]
    inputs = [Input("<records>", records=records)]
    sql_rows = list(screen_rows(trial, inputs, ANCHORS, engine="duckdb"))
    py_rows = list(screen_rows(trial, inputs, ANCHORS))
    assert any(r.provisional for r in py_rows)
    assert [(r.outcome, r.statuses) for r in sql_rows] == [(r.outcome, r.statuses) for r in py_rows]
    assert all(r.provisional is None and r.pending == () for r in sql_rows)
