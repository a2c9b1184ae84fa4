"""A code set naming an ingredient reaches the products that contain it (issue 10, false ELIGIBLE #1).

Each case in ``fixtures/terminology/rxnorm_products.json`` adds to the clean ELIGIBLE SSc record one
medication coded with an RxNorm *product* (clinical or branded drug, pack, biosimilar), as EHR orders
carry them.  Before compile-time expansion the product code matched no code set, the exclusion came out
NOT_MET and the decision ELIGIBLE.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility_dsl import Outcome, Status, compile_file
from eligibility_dsl.terminology import shipped

ROOT = Path(__file__).parent.parent
CASES = json.loads((ROOT / "tests/fixtures/terminology/rxnorm_products.json").read_text(encoding="utf-8"))
ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}


@pytest.fixture(scope="module")
def trial():
    return compile_file(ROOT / "trials" / "ssc_telitacicept.elig")


@pytest.fixture(scope="module")
def base():
    return json.loads((ROOT / "trials/tests/ssc_telitacicept/base.json").read_text(encoding="utf-8"),
                      parse_float=Decimal)


def _with(base: dict, add: dict) -> dict:
    record = copy.deepcopy(base)
    for collection, events in add.items():
        record.setdefault(collection, []).extend(copy.deepcopy(events))
    return record


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_product_of_an_excluded_ingredient_excludes(trial, base, case):
    decision = trial.evaluate(_with(base, case["add"]), ANCHORS)
    assert decision.criterion(case["criterion"]).status is Status.MET, case["why"]
    assert decision.outcome is Outcome.INELIGIBLE


def test_derived_codes_are_recorded_with_what_they_came_from(trial):
    spec = trial.checked.codesets["rituximab"]
    derived = {code: via for _, code, _, via in spec.derived}
    assert derived["1657865"].startswith("RxNorm 121191")
    assert trial.checked.terminology == shipped().release


def test_without_a_terminology_a_product_code_matches_nothing(base):
    """The expansion is what makes the difference (and a site may switch it off, or bring its own)."""
    trial = compile_file(ROOT / "trials" / "ssc_telitacicept.elig", terminology=False)
    decision = trial.evaluate(_with(base, CASES[0]["add"]), ANCHORS)
    assert decision.criterion("E8").status is Status.NOT_MET
    assert trial.checked.codesets["rituximab"].derived == ()


def test_a_malformed_code_is_unknown_in_a_set_not_a_quiet_no():
    """`code in SET` on a malformed code (a garbled code of the set, perhaps) is unknown; the query names it."""
    from eligibility_dsl import compile_source

    trial = compile_source('trial NCT1 "t"\nanchor screening\ncodeset rtx "rituximab": RxNorm "121191"\n'
                           'exclude E1 "rituximab":\n'
                           '    exists medications where code in rtx during 1 year before screening\n'
                           'exclude E2 "rituximab": exists medications in rtx during 1 year before screening\n')
    record = {"id": "p", "birth_date": "1980-01-01", "sex": "female",
              "coverage": {"medications": {"from": "2023-01-01", "to": "2025-09-11"}},
              "medications": [{"id": "m1", "code": {"system": "RxNorm", "code": "12119x"}, "start": "2025-06-01"}]}
    decision = trial.evaluate(record, {"screening": "2025-09-11"})
    assert decision.criterion("E1").status is Status.UNKNOWN
    assert decision.criterion("E2").status is Status.UNKNOWN
    assert any("record m1:" in p and "`12119x`" in p for p in decision.criterion("E2").problems)
    assert decision.outcome is Outcome.INDETERMINATE


def test_the_full_trace_names_a_code_reached_through_the_terminology(trial, base):
    """A biosimilar product matched through the ingredient rituximab: the trace says so, and which release."""
    from eligibility_dsl.explain.render import render_text

    record = _with(base, {"medications": [{"id": "m-truxima", "code": {"system": "RxNorm", "code": "2105831"},
                                           "start": "2025-03-01", "end": "2025-03-01"}]})
    decision = trial.evaluate(record, ANCHORS)
    assert decision.criterion("E8").status is Status.MET
    text = render_text(decision, "full", None, trial.checked)
    line = next(ln for ln in text.splitlines() if "matched RxNorm 2105831" in ln)
    assert "rituximab-abbs" in line and "a product of RxNorm 121191 (rituximab)" in line
    assert f"via {shipped().release}" in line


def test_elig_doc_lists_the_codes_reached_through_the_terminology(trial):
    from eligibility_dsl.explain.trial_doc import to_markdown, trial_document

    doc = trial_document(trial.checked)
    rituximab = next(cs for cs in doc["codesets"] if cs["name"] == "rituximab")
    assert rituximab["release"] == shipped().release
    assert {d["code"] for d in rituximab["derived"]} >= {"1657865", "2105831"}
    assert all(c["code"] not in {d["code"] for d in rituximab["derived"]} for c in rituximab["codes"])
    md = to_markdown(doc)
    assert "codes reached through the terminology" in md
    assert "RxNorm 316648 (rituximab 10 MG/ML), a product of RxNorm 121191 (rituximab)" in md


def test_the_html_document_lists_every_derived_code(trial):
    from eligibility_dsl.explain.trial_doc import to_html, trial_document

    html = to_html(trial_document(trial.checked))
    assert "codes reached through the terminology" in html
    assert "RxNorm 2105831 (10 ML rituximab-abbs 10 MG/ML Injection [Truxima]), a product of RxNorm 121191" in html
