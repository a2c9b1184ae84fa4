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
    return json.loads((ROOT / "tests/fixtures/patients/ssc/base.json").read_text(encoding="utf-8"),
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
