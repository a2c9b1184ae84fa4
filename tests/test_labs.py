"""Laboratory results (`value is positive`, censored values) and concurrent daily totals.

The boundary cases of each form are data in tests/fixtures/evaluation/labs/; this module holds the
SSc trial's concurrent-corticosteroid case, the laws (Hypothesis) and the checker's diagnostics.
"""

from __future__ import annotations

import copy
import functools
import json
from decimal import Decimal
from pathlib import Path

import pytest
import reference_interpreter as R
import strategies as S
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl import compile_file
from eligibility_dsl.api import check_source, compile_source
from eligibility_dsl.runtime.censored import Censored, parse_censored, parse_titre
from eligibility_dsl.runtime.codes import Coding
from eligibility_dsl.runtime.labs import RESULT_WORDS, classify
from eligibility_dsl.runtime.ops import CMP, compare_value
from eligibility_dsl.runtime.quantity import Quantity
from eligibility_dsl.runtime.titre import Titre
from eligibility_dsl.runtime.totals import ZERO, peak_daily_total
from eligibility_dsl.runtime.units import parse_unit

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "labs"
SSC_ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}
OPS = ("<", "<=", ">", ">=", "=", "!=")


def q(value, unit: str) -> Quantity:
    return Quantity(Decimal(str(value)), parse_unit(unit))


# ------------------------------------------------------------- the SSc trial: concurrent corticosteroids

@pytest.fixture(scope="module")
def ssc():
    return compile_file(ROOT / "trials" / "ssc_telitacicept.elig")


def _concurrent() -> dict:
    return json.loads((FIXTURES / "ssc_concurrent_corticosteroids.json").read_text(encoding="utf-8"))


def test_two_concurrent_corticosteroids_each_under_the_limit_add_up_to_ineligible(ssc):
    """Methylprednisolone 4 mg/day (5 mg/day prednisone-equivalent) and prednisone 7.5 mg/day, on the same
    days before the first dose: 12.5 mg/day together, over I6's 10 mg/day (a false ELIGIBLE before)."""
    decision = ssc.evaluate(_concurrent(), SSC_ANCHORS)
    assert str(decision.criterion("I6").status) == "NOT_MET"
    assert str(decision.outcome) == "INELIGIBLE"
    assert [str(c.status) for c in decision.criteria if c.id != "I6"] == \
        ["MET"] * 5 + ["NOT_MET"] * 14  # everything else as for the eligible example
    text = decision.explain("full")
    assert "12.5 mg/day" in text and "m2: ATC H02AB04" in text and "m3: ATC H02AB07" in text


def test_the_same_corticosteroids_on_different_days_do_not_add_up(ssc):
    record = _concurrent()
    record["medications"][1]["end"] = "2025-08-31"  # methylprednisolone stops before prednisone starts
    decision = ssc.evaluate(record, SSC_ANCHORS)
    assert str(decision.criterion("I6").status) == "MET"
    assert str(decision.outcome) == "ELIGIBLE"


def test_an_unrecorded_corticosteroid_history_is_known_only_from_below(ssc):
    """Without coverage another record could add to the total: 12.5 mg/day is 'at least', which still
    refutes `<= 10 mg/day`, while 5 mg/day alone leaves it unknown."""
    record = _concurrent()
    del record["coverage"]["medications"]
    assert str(ssc.evaluate(record, SSC_ANCHORS).criterion("I6").status) == "NOT_MET"
    record["medications"] = record["medications"][:2]
    assert str(ssc.evaluate(record, SSC_ANCHORS).criterion("I6").status) == "UNKNOWN"


# ------------------------------------------------------------------------------ censored values

_BOUNDS = st.sampled_from([Decimal(v) for v in ("0", "20", "49.9", "50", "50.1", "200", "1000")])
_CENSOR_OPS = st.sampled_from(("<", "<=", ">", ">="))


def _consistent(op: str, bound: Decimal) -> list[Decimal]:
    """Values a laboratory's `op bound` allows, near and far from the bound."""
    step = [Decimal("0.001"), Decimal("0.1"), Decimal(1), Decimal(30), Decimal(10000)]
    below = [bound - s for s in step] + ([bound] if op == "<=" else [])
    above = [bound + s for s in step] + ([bound] if op == ">=" else [])
    return below if op in ("<", "<=") else above


@given(_CENSOR_OPS, _BOUNDS, st.sampled_from(OPS), _BOUNDS, st.sampled_from(["U/mL", "U/L"]))
def test_a_censored_value_never_decides_a_comparison_its_bound_does_not_decide(op, bound, cmp, threshold, unit):
    """Law: when `op bound` (a censored result, e.g. `<50 U/mL`) compared with a threshold gives True or
    False, every exact value the censoring allows gives that same answer; and the reference
    interpreter's case table agrees with the interval reasoning."""
    text = f"{op}{bound} U/mL"
    t = q(threshold, unit)
    decided = compare_value(cmp, text, t)
    assert decided == R.compare(cmp, text, t)
    if decided is not None:
        for x in _consistent(op, bound):
            assert CMP[cmp](q(x, "U/mL"), t) == decided, (text, cmp, t, x)


def test_censored_values_from_the_issue():
    v = "<50 {copies}/mL"
    assert compare_value("<", v, q(200, "{copies}/mL")) is True
    assert compare_value("<", v, q(20, "{copies}/mL")) is None
    assert compare_value(">=", v, q(50, "{copies}/mL")) is False
    assert compare_value("<", v, q(50, "{copies}/mL")) is True  # every value below 50 is below 50
    assert compare_value("<", "<=50 U/L", q(50, "U/L")) is None  # it may be exactly 50
    assert compare_value(">", ">1000 U/L", q(1, "U/mL")) is True  # 1 U/mL = 1000 U/L


@pytest.mark.parametrize("text", ["1:160", "positive", "< 50 bogus_unit", "<", "50", "<<50", "<50 mg extra words"])
def test_texts_that_are_not_censored_values_stay_texts(text):
    assert parse_censored(text) is None


def test_a_censored_value_against_another_dimension_is_a_reported_problem():
    trial = compile_source('trial T "t"\nanchor screening\ncodeset lab: LOINC "1742-6"\n'
                           'include I1 "x": exists observations in lab where value < 10 mg during before screening\n')
    record = {"observations": [{"id": "o1", "code": {"system": "LOINC", "code": "1742-6"}, "date": "2025-01-01",
                                "value": "<50 U/L"}]}
    decision = trial.evaluate(record, {"screening": "2025-09-11"})
    assert str(decision.criterion("I1").status) == "UNKNOWN"
    assert any("<50 U/L" in p for p in decision.criterion("I1").problems)


# --------------------------------------------------------------------- result words and units

_LIMIT_VALUES = st.sampled_from([Decimal(v) for v in ("7", "20", "40", "40.5")])
_RESULT_VALUES = st.sampled_from([Decimal(v) for v in ("0", "5", "7", "19.99", "20", "40", "40.01", "48", "121")])
_INTERPRETATIONS = st.one_of(st.none(), st.sampled_from(["N", "H", "L", "POS", "NEG", "A", "HH", "IND"]).map(
    lambda c: Coding("HL7:v3-ObservationInterpretation", c)))


@given(st.sampled_from(sorted(RESULT_WORDS)), _RESULT_VALUES, st.one_of(st.none(), _LIMIT_VALUES),
       st.one_of(st.none(), _LIMIT_VALUES), _INTERPRETATIONS, st.data())
def test_restating_a_result_in_an_equivalent_unit_changes_no_answer(word, value, low, high, interp, data):
    """Law: `value is WORD` gives the same answer (and the reference interpreter agrees) when the value
    and the reference limits are written in other units of the same dimension (U/L, U/mL, kU/L)."""
    as_q = lambda v: None if v is None else q(v, "U/L")
    original = classify(word, as_q(value), as_q(low), as_q(high), interp)[0]
    fields = {"value": as_q(value), "reference_low": as_q(low), "reference_high": as_q(high),
              "interpretation": interp}
    assert original == R.result_is(word, fields, R.compare)
    restate = lambda x: None if x is None else data.draw(st.sampled_from(S.restatements(x)))
    v2, low2, high2 = restate(as_q(value)), restate(as_q(low)), restate(as_q(high))
    assert classify(word, v2, low2, high2, interp)[0] == original


@pytest.mark.parametrize(("word", "value", "low", "high", "interp", "expected", "rule"), [
    ("positive", q(48, "U/mL"), None, q(20, "U/mL"), None, True, "above the upper limit 20 U/mL"),
    ("positive", q(20, "U/mL"), None, q(20, "U/mL"), None, False, "not above the upper limit"),
    ("positive", Coding("SNOMED", "10828004"), None, None, None, True, "coded value SNOMED 10828004"),
    ("negative", Coding("SNOMED", "260415000"), None, None, None, True, "coded value SNOMED 260415000"),
    ("positive", None, None, None, "POS", True, "interpretation `POS`"),
    ("positive", "Detected", None, None, None, True, "value `Detected`"),
    ("positive", q(48, "U/mL"), None, q(20, "U/mL"), "N", None, "disagree"),
    ("positive", "1:160", None, None, None, None, "nothing says"),
    ("abnormal", q(5, "U/L"), q(7, "U/L"), q(40, "U/L"), None, True, "below the lower limit 7 U/L"),
    ("normal", q(40, "U/L"), q(7, "U/L"), q(40, "U/L"), None, True, "inside the reference range"),
    ("abnormal", q(3, "U/L"), None, q(40, "U/L"), None, False, "inside"),  # no lower limit: none below
    ("high", "<50 U/L", None, q(40, "U/L"), None, None, "unknown"),
    ("high", "<40 U/L", None, q(40, "U/L"), None, False, "not above"),
    ("low", q(8, "U/L"), None, None, "L", True, "interpretation `L`"),
    ("positive", True, None, None, None, True, "value true"),
])
def test_result_words_state_the_rule_they_used(word, value, low, high, interp, expected, rule):
    coding = None if interp is None else Coding("HL7:v3-ObservationInterpretation", interp)
    answer, why, _ = classify(word, value, low, high, coding)
    assert answer is expected
    assert rule in why


def test_disagreeing_sources_are_a_problem_in_the_decision_and_the_rule_is_in_the_trace():
    trial = compile_source('trial T "t"\nanchor screening\ncodeset ana: LOINC "8061-4"\n'
                           'include I1 "ANA positive": exists observations in ana where value is positive '
                           'during before screening\n')
    obs = {"id": "o1", "code": {"system": "LOINC", "code": "8061-4"}, "date": "2025-01-01", "value": "48 U/mL",
           "reference_high": "20 U/mL"}
    anchors = {"screening": "2025-09-11"}
    met = trial.evaluate({"observations": [obs]}, anchors)
    assert str(met.criterion("I1").status) == "MET"
    assert "o1: is positive by value 48 U/mL above the upper limit 20 U/mL" in met.explain("full")
    conflicting = dict(obs, interpretation={"system": "HL7:v3-ObservationInterpretation", "code": "N"})
    unknown = trial.evaluate({"observations": [conflicting]}, anchors)
    assert str(unknown.criterion("I1").status) == "UNKNOWN"
    assert any("disagree" in p and "`N`" in p for p in unknown.criterion("I1").problems)


# ------------------------------------------------------------------------------- daily totals

_SPANS = st.lists(st.tuples(st.integers(0, 40), st.one_of(st.none(), st.integers(0, 20)),
                            st.sampled_from([Decimal(v) for v in ("0", "2.5", "4", "5", "7.5", "10")])),
                  max_size=8)


@given(_SPANS, st.integers(0, 30), st.integers(0, 30))
def test_the_sweep_finds_the_same_peak_as_counting_day_by_day(raw, first, length):
    """Law: the sorted sweep's highest daily total equals the largest of the day-by-day sums (and ZERO
    when no record touches the window); mixing mg/day and g/day changes nothing."""
    spans = [(s, None if d is None else s + d, q(a, "mg/day") if i % 2 else q(a / 1000, "g/day"))
             for i, (s, d, a) in enumerate(raw)]
    last = first + length
    peak = peak_daily_total(spans, first, last)
    by_day = [sum((a.to(parse_unit("mg/day")).value for s, e, a in spans if s <= day and (e is None or day <= e)),
                  Decimal(0)) for day in range(first, last + 1)
              if any(s <= day and (e is None or day <= e) for s, e, _ in spans)]
    if not by_day:
        assert peak is ZERO
    else:
        assert peak.to(parse_unit("mg/day")).value == max(by_day)


# ----------------------------------------------------------------------------- the checker

_HEAD = ('trial T "t"\nanchor screening\ncodeset ana: LOINC "8061-4"\ncodeset cs: ATC "H02AB07"\n'
         'fact n: number\n')


@pytest.mark.parametrize(("logic", "code", "message", "at"), [
    ("exists observations in ana where value is postive during before screening", "E0140",
     "unknown result word `postive`", "postive"),
    ("n is positive", "E0141", "`is positive` asks about a laboratory result, not about `n`", "n is"),
    ("exists medications in cs where code is positive during before screening", "E0141",
     "`is positive` asks about a laboratory result, not about `code`", "code is"),
    ("highest daily total of value over observations in ana during 30 days before screening < 1", "E0142",
     "`highest daily total` adds up the records active on each day, but observations are events of a single day",
     "observations"),
    ("highest daily total of daily_dose over medications in cs during before screening <= 10 mg/day", "E0113",
     "`highest daily total` needs a window with a start and an end", "medications"),
    ("highest daily total of start over medications in cs during 30 days before screening <= 10 mg/day", "E0201",
     "a daily total adds up numbers or quantities, found `start` (a date)", "start"),
])
def test_the_checker_locates_mistakes_in_the_new_forms(logic, code, message, at):
    prefix = 'include I1 "x": '
    _, diagnostics = check_source(_HEAD + prefix + logic + "\n", "t.elig")
    errors = [d for d in diagnostics if d.severity == "error"]
    assert [(d.code, d.message) for d in errors] == [(code, message)]
    assert (errors[0].span.line, errors[0].span.column) == (6, 1 + len(prefix) + logic.index(at))


def test_an_unknown_result_word_suggests_the_closest():
    _, diagnostics = check_source(_HEAD + 'include I1 "x": exists observations in ana where value is abnormel '
                                  "during before screening\n", "t.elig")
    assert "abnormal" in (diagnostics[0].help or "")


def test_is_daily_total_and_over_remain_usable_as_names():
    trial = compile_source('trial T "t"\nfact is: number\nfact total: number\nfact over: boolean\n'
                           'define daily: total + is\ninclude I1 "x": over and daily > 1\n')
    assert str(trial.evaluate({"facts": {"is": 1, "total": 1, "over": True}}, {}).outcome) == "ELIGIBLE"


def test_a_censored_text_is_compared_the_same_way_after_a_round_trip_through_the_record():
    """A FHIR valueQuantity with a comparator reaches the record as the text `<20 U/mL`."""
    c = parse_censored("<20 U/mL")
    assert isinstance(c, Censored) and str(c) == "<20 U/mL"
    assert parse_censored(str(c)) == c
    assert copy.copy(c) == c


# ------------------------------------------------------------ the data-file suite, against the oracle

_SUITE = Path(__file__).parent / "fixtures" / "evaluation" / "labs"


def _suite_cases():
    spec = json.loads((_SUITE / "cases.json").read_text(encoding="utf-8"))
    return [pytest.param(case, spec["anchors"], id=case["name"]) for case in spec["cases"]]


@pytest.fixture(scope="module")
def labs_trial():
    return compile_file(_SUITE / "criteria.elig")


@pytest.mark.parametrize(("case", "anchors"), _suite_cases())
def test_the_reference_interpreter_agrees_on_every_laboratory_case(labs_trial, case, anchors):
    reference = R.evaluate(labs_trial.checked, labs_trial.bind(case["record"]), anchors)
    assert {cid: R.STATUS[v] for cid, v in reference.items()} == case["criteria"]


# ------------------------------------------------------------------------ from FHIR, end to end

def _fhir_observation(oid: str, loinc: str, **value) -> dict:
    return {"fullUrl": f"urn:uuid:{oid}", "resource": {
        "resourceType": "Observation", "id": oid, "status": "final", "subject": {"reference": "urn:uuid:p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": "2025-06-01T09:00:00Z", **value}}


def test_fhir_comparators_interpretations_and_reference_ranges_reach_the_result_words():
    """A censored `valueQuantity` (comparator `<`), an interpretation-only result and a quantity with its
    referenceRange, read from a FHIR Bundle, decide the result words and comparisons as documented."""
    from eligibility_dsl.records.fhir import CoveragePolicy, read_bundle

    ucum = "http://unitsofmeasure.org"
    interp = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": "2025-09-11T00:00:00Z", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "female",
                                                "birthDate": "1980-01-01"}},
        _fhir_observation("vl", "20447-9", valueQuantity={"value": 50, "comparator": "<", "unit": "copies/mL",
                                                         "system": ucum, "code": "{copies}/mL"}),
        _fhir_observation("ana", "8061-4", interpretation=[{"coding": [{"system": interp, "code": "POS"}]}]),
        _fhir_observation("alt", "1742-6", valueQuantity={"value": 130, "unit": "U/L", "system": ucum, "code": "U/L"},
                          referenceRange=[{"low": {"value": 7, "unit": "U/L", "system": ucum, "code": "U/L"},
                                           "high": {"value": 40, "unit": "U/L", "system": ucum, "code": "U/L"}}]),
    ]}
    [record] = read_bundle(bundle, coverage=CoveragePolicy.period("2020-01-01", "2025-09-11"))
    trial = compile_file(_SUITE / "criteria.elig")
    decision = trial.evaluate(record, {"screening": "2025-09-11"})
    statuses = {c.id: str(c.status) for c in decision.criteria}
    assert statuses == {"POS": "MET", "NEG": "NOT_MET", "ABN": "MET", "HIGH": "MET", "ULN3": "MET",
                        "VL200": "MET", "VL20": "UNKNOWN", "VL50": "NOT_MET", "DOSE": "MET"}
    text = decision.explain("full")
    assert "is positive by interpretation `POS`" in text and "Observation/" in text


# ------------------------------------------------- result words of one observation, anywhere (issue 10 §4)

_WORDS = ('trial T "t"\nanchor screening\ncodeset ana: LOINC "8061-4"\ncodeset cs: ATC "H02AB07"\n'
          'include I1 "latest ANA positive":\n'
          '    latest value of observations in ana during 1 year before screening is positive\n')
_ANA = {"id": "r", "coverage": {"observations": {"from": "2020-01-01", "to": "2025-09-11"}},
        "observations": [
            {"id": "o1", "code": {"system": "LOINC", "code": "8061-4"}, "date": "2025-01-10", "value": "negative"},
            {"id": "o2", "code": {"system": "LOINC", "code": "8061-4"}, "date": "2025-06-01",
             "interpretation": {"system": "HL7:v3-ObservationInterpretation", "code": "POS"}}]}


def test_a_result_word_of_the_latest_observation_shows_its_rule_in_the_trace():
    trial = compile_source(_WORDS)
    decision = trial.evaluate(_ANA, {"screening": "2025-09-11"})
    assert str(decision.criterion("I1").status) == "MET"
    text = decision.explain("full")
    assert "latest value of observations in ana during 1 year before screening is positive  →  true" in text
    assert "note: latest observation o2: is positive by interpretation `POS`" in text


def test_a_result_word_of_a_pick_reads_the_whole_observation_not_only_its_value():
    """`latest value of Q is high` uses the reference range of that observation; `latest value of Q > x`
    would only see the value."""
    trial = compile_source(_WORDS.replace("in ana", "in alt").replace('codeset ana: LOINC "8061-4"',
                                                                      'codeset alt: LOINC "1742-6"')
                           .replace("is positive", "is high"))
    record = {"id": "r", "coverage": {"observations": {"from": "2020-01-01", "to": "2025-09-11"}},
              "observations": [{"id": "a1", "code": {"system": "LOINC", "code": "1742-6"}, "date": "2025-07-01",
                                "value": "95 U/L", "reference_high": "40 U/L"}]}
    assert str(trial.evaluate(record, {"screening": "2025-09-11"}).criterion("I1").status) == "MET"
    del record["observations"][0]["reference_high"]
    c = trial.evaluate(record, {"screening": "2025-09-11"}).criterion("I1")
    assert str(c.status) == "UNKNOWN" and c.missing == ("observations a1: a result that says whether it is high",)


@pytest.mark.parametrize(("logic", "code", "message", "at"), [
    ("latest value of observations in ana during 1 year before screening is postive", "E0140",
     "unknown result word `postive`", "postive"),
    ("latest value of medications in cs during 1 year before screening is positive", "E0112",
     "medications have no field `value`", "value"),
])
def test_a_result_word_of_a_pick_is_checked_with_located_errors(logic, code, message, at):
    prefix = 'include I1 "x": '
    _, diagnostics = check_source(_HEAD + prefix + logic + "\n", "t.elig")
    errors = [d for d in diagnostics if d.severity == "error"]
    assert [(d.code, d.message) for d in errors] == [(code, message)]
    assert (errors[0].span.line, errors[0].span.column) == (6, 1 + len(prefix) + logic.index(at))


def test_elig_doc_reads_a_result_word_of_a_pick():
    from eligibility_dsl.explain.trial_doc import trial_document

    doc = trial_document(compile_source(_WORDS).checked)
    assert doc["include"][0]["reading"].startswith("the most recent ana, measured in the 1 year before screening, "
                                                   "is positive (by its interpretation")


def test_the_sql_backend_rejects_a_result_word_of_a_pick_in_words():
    from eligibility_dsl.backends.sql.criteria import SqlCompileError, compile_trial

    trial = compile_source(_WORDS)
    with pytest.raises(SqlCompileError) as err:
        compile_trial(trial.checked, trial.parse_anchors({"screening": "2025-09-11"}))
    (d,) = err.value.diagnostics
    assert d.code == "E0401" and "a result word of the latest observation" in d.message and d.span is not None


@functools.cache
def _words_trial():
    return compile_file(Path(__file__).parent / "fixtures" / "evaluation" / "result_words" / "criteria.elig")


@given(st.data())
def test_result_words_of_a_pick_agree_with_the_reference_on_generated_records(data):
    """Law: on any record, `latest/earliest value of Q is WORD` decides the same in fast, traced and the
    reference interpreter (a differential test over generated observations, interpretations and ranges)."""
    trial = _words_trial()
    record = data.draw(S.records(trial, max_events=4))
    anchors = trial.parse_anchors({"screening": "2025-09-11"})
    reference = R.evaluate(trial.checked, trial.bind(record), anchors)
    for mode in ({"trace": False}, {"trace": True}):
        decision = trial.evaluate(record, anchors, **mode)
        assert {c.id: c.status.value for c in decision.criteria} == \
            {cid: R.STATUS[v] for cid, v in reference.items()}, mode


# ------------------------------------------------------------------------------------- titres


_DILUTIONS = st.sampled_from((10, 20, 40, 80, 160, 320, 640, 1280, 2560)).map(Decimal)


@given(_DILUTIONS, _DILUTIONS, st.sampled_from(OPS), st.sampled_from(("1:{}", "1/{}", "1:{} speckled", " 1 : {} ")))
def test_a_titre_text_compares_as_its_dilution(a, b, op, form):
    """Law: `1:a op titre 1:b` is `a op b`, however the laboratory wrote the titre."""
    assert compare_value(op, form.format(a), Titre(b)) is CMP[op](a, b)


@given(st.sampled_from(("<", "<=", ">", ">=")), _DILUTIONS, _DILUTIONS, st.sampled_from(OPS))
def test_a_censored_titre_decides_only_what_every_titre_it_allows_decides(cop, bound, threshold, op):
    """Law: `<1:40 op titre 1:t` is True (False) only if it holds (fails) for every dilution the censored
    titre allows (checked on the dilutions around the bound), else unknown."""
    answer = compare_value(op, f"{cop}1:{bound}", Titre(threshold))
    allowed = [d for d in (bound / 2, bound - Decimal("0.5"), bound, bound + Decimal("0.5"), bound * 2)
               if CMP[cop](d, bound)]
    outcomes = {CMP[op](d, threshold) for d in allowed}
    if answer is not None:
        assert outcomes == {answer}


@pytest.mark.parametrize("text", ["1:160", "1:80 speckled", "<1:40", ">1:1280", ">=1:160"])
def test_a_titre_reads_back_as_written(text):
    titre = parse_titre(text)
    assert str(titre) == text and parse_titre(str(titre)) == titre


@pytest.mark.parametrize("text", ["160", "2:160", "1:0", "1:", "positive", "1:160:320"])
def test_texts_that_are_no_titres_stay_texts(text):
    assert parse_titre(text) is None


def test_a_titre_against_a_number_is_unknown_never_a_quiet_no():
    assert S_compare("=", Decimal(160), Titre(Decimal(160))) is None
    assert S_compare("<", "positive", Titre(Decimal(160))) is None


def S_compare(op, a, b):
    from eligibility_dsl.backends.python.support import compare_dynamic

    problems: list = []
    value = compare_dynamic(op, a, b, problems)
    assert value is not None or problems
    return value


@pytest.mark.parametrize(("logic", "code", "message", "at"), [
    ("n >= titre 1:160", "E0201", "cannot compare `n` (a number) with `titre 1:160` (a titre)", "n"),
    ("titre 1:0 < titre 1:20", "E0155", "`titre 1:0` is no dilution", "titre 1:0"),
])
def test_the_checker_locates_mistakes_with_titres(logic, code, message, at):
    prefix = 'include I1 "x": '
    _, diagnostics = check_source(_HEAD + prefix + logic + "\n", "t.elig")
    errors = [d for d in diagnostics if d.severity == "error"]
    assert [(d.code, d.message) for d in errors] == [(code, message)]
    assert (errors[0].span.line, errors[0].span.column) == (6, 1 + len(prefix) + logic.index(at))


def test_a_titre_comparison_is_traced_and_read_in_the_document():
    from eligibility_dsl.explain.trial_doc import trial_document

    trial = compile_file(Path(__file__).parent / "fixtures" / "evaluation" / "titres" / "criteria.elig")
    record = {"id": "r", "coverage": {"observations": {"from": "2020-01-01", "to": "2025-09-11"}},
              "observations": [{"id": "o1", "code": {"system": "LOINC", "code": "8061-4"}, "date": "2025-06-01",
                                "value": "1:320"}]}
    text = trial.evaluate(record, {"screening": "2025-09-11"}).explain("full")
    assert "found: o1: LOINC 8061-4, 2025-06-01, value 1:320" in text and "titre 1:160  →  1:160" in text
    reading = trial_document(trial.checked)["include"][0]["reading"]
    assert reading.endswith("is at least a titre of 1:160")


@given(st.data())
def test_titres_agree_with_the_reference_on_generated_records(data):
    """Law: the titre suite's criteria decide the same in fast, traced and the reference interpreter."""
    trial = _titres_trial()
    record = data.draw(S.records(trial, max_events=4))
    anchors = trial.parse_anchors({"screening": "2025-09-11"})
    reference = R.evaluate(trial.checked, trial.bind(record), anchors)
    for mode in ({"trace": False}, {"trace": True}):
        decision = trial.evaluate(record, anchors, **mode)
        assert {c.id: c.status.value for c in decision.criteria} == \
            {cid: R.STATUS[v] for cid, v in reference.items()}, mode


@functools.cache
def _titres_trial():
    return compile_file(Path(__file__).parent / "fixtures" / "evaluation" / "titres" / "criteria.elig")
