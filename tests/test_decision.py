"""The outcome rule and the explanation an auditor reads."""

import json

import pytest

from eligibility_dsl import Outcome, Status, compile_source
from eligibility_dsl.explain import CriterionResult, decide, render_text

TRIAL = compile_source("""trial NCT00000009 "Decision rule"
version "2"
anchor screening
fact fvc: quantity in %
fact consented: boolean
fact hl: quantity in h
fact last_dose: date
define washout: max(28 days, 5 * hl)
include I3 "Lung function FVC% > 50%": fvc > 50 %
exclude E1 "Subjects who did not consent": not consented
exclude E6 "Washout": days between last_dose and screening < washout
""", "d.elig")
ANCHORS = {"screening": "2025-09-11"}


def result(kind, status):
    return CriterionResult("X", kind, "", status, ("m",) if status is Status.UNKNOWN else ())


@pytest.mark.parametrize(("statuses", "outcome"), [
    ([("include", Status.MET), ("exclude", Status.NOT_MET)], Outcome.ELIGIBLE),
    ([("include", Status.NOT_MET), ("exclude", Status.UNKNOWN)], Outcome.INELIGIBLE),
    ([("include", Status.UNKNOWN), ("exclude", Status.MET)], Outcome.INELIGIBLE),
    ([("include", Status.UNKNOWN), ("exclude", Status.NOT_MET)], Outcome.INDETERMINATE),
    ([("include", Status.MET), ("exclude", Status.UNKNOWN)], Outcome.INDETERMINATE),
    ([], Outcome.ELIGIBLE),
])
def test_outcome_rule(statuses, outcome):
    got, missing = decide([result(k, s) for k, s in statuses])
    assert got is outcome
    assert missing == (("m",) if outcome is Outcome.INDETERMINATE else ())


def test_summary_explanation_reads_like_the_protocol():
    d = TRIAL.evaluate({"id": "p1", "facts": {"fvc": "48 %", "consented": True, "last_dose": "2025-09-01"}}, ANCHORS)
    assert render_text(d, width=None) == (
        "INELIGIBLE  NCT00000009 v2 · record p1 · screening 2025-09-11\n"
        "  because: I3 (inclusion not met), E6 (exclusion met)\n"
        "\n"
        '  I3  include  NOT_MET       "Lung function FVC% > 50%"\n'
        "      → fvc 48 % is not > 50 %\n"
        '  E1  exclude  NOT_MET       "Subjects who did not consent"\n'
        "      → consented is true\n"
        '  E6  exclude  MET           "Washout"\n'
        "      → days between last_dose and screening 10 days is < washout: < 28 days already decides "
        "`max(28 days, 5 * hl)` (hl missing)\n"
    )


def test_full_explanation_shows_every_value_down_to_facts_and_thresholds():
    d = TRIAL.evaluate({"facts": {"fvc": "48 %", "consented": True, "last_dose": "2025-09-01"}}, ANCHORS)
    text = d.explain("full")
    assert "✗ fvc > 50 %  →  false   [d.elig:9]" in text
    assert "· fvc  →  48 %   (fact)" in text
    assert "· hl  →  unknown   (fact, missing)" in text
    assert "note: a bound is a max or min with an unknown argument" in text
    assert "· screening  →  2025-09-11   (anchor)" in text


def test_indeterminate_names_the_missing_facts():
    d = TRIAL.evaluate({"facts": {"consented": True, "last_dose": "2025-01-01"}}, ANCHORS)
    assert d.outcome is Outcome.INDETERMINATE
    assert d.missing == ("fvc", "hl")
    assert ("  missing (supplying these would settle the decision):\n"
            "    - fvc\n"
            "    - hl\n") in d.explain()


def test_json_is_complete_and_serialisable():
    d = TRIAL.evaluate({"id": "p1", "facts": {"fvc": "50.5 %", "consented": False, "hl": "24 h",
                                              "last_dose": "2025-01-01"}}, ANCHORS)
    data = json.loads(json.dumps(d.to_dict()))
    assert data["outcome"] == "INELIGIBLE" and data["reasons"] == ["E1"]
    assert data["anchors"] == {"screening": "2025-09-11"}
    i3 = data["criteria"][0]
    assert i3["facts_read"] == {"fvc": {"value": "50.5", "unit": "%"}}
    assert i3["trace"]["expr"] == "fvc > 50 %" and i3["trace"]["value"] is True
    assert i3["trace"]["span"] == {"file": "d.elig", "line": 9, "column": 40, "end_line": 9, "end_column": 50}
    assert i3["trace"]["children"][0] == {"expr": "fvc", "kind": "Fact", "value": {"value": "50.5", "unit": "%"},
                                          "span": {"file": "d.elig", "line": 9, "column": 40, "end_line": 9,
                                                   "end_column": 43}, "fact": "fvc"}


def test_fast_mode_stops_at_the_first_decisive_criterion():
    d = TRIAL.evaluate({"facts": {"fvc": "40 %"}}, ANCHORS, fast=True)
    assert [str(c.status) for c in d.criteria] == ["NOT_MET", "NOT_EVALUATED", "NOT_EVALUATED"]
    assert d.outcome is Outcome.INELIGIBLE and d.mode == "fast"
    assert d.trace == {"I3": None, "E1": None, "E6": None}


def test_evaluation_is_deterministic_and_reads_no_clock():
    record = {"facts": {"fvc": "60 %", "consented": True, "last_dose": "2020-01-01"}}
    assert TRIAL.evaluate(record, ANCHORS).to_dict() == TRIAL.evaluate(record, ANCHORS).to_dict()
    later = TRIAL.evaluate(record, {"screening": "2020-01-15"})
    assert later.criterion("E6").status is Status.MET
