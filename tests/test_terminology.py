"""Records coded the way sites code them are read as they mean (issue 10, false ELIGIBLE #2 and #3).

Each case in ``fixtures/terminology/false_eligible.json`` patches the clean ELIGIBLE SSc record with one
event that excludes the patient, coded in a system or spelling real exports use.  Before the code systems
were extended these records were refused (CPT, ICD-10-PCS, ICD-9-CM were unknown systems) or, worse,
accepted and decided ELIGIBLE (CVX `3` matched nothing).  A malformed code in a code set is a
compile-time error, and a malformed code in a record is kept and flagged (``Coding.problem``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from boundaries import merge_patch

from eligibility_dsl import Outcome, Status, compile_file, compile_source
from eligibility_dsl.diagnostics import CompileError

ROOT = Path(__file__).parent.parent
CASES = json.loads((ROOT / "tests/fixtures/terminology/false_eligible.json").read_text(encoding="utf-8"))
ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}


@pytest.fixture(scope="module")
def trial():
    return compile_file(ROOT / "trials" / "ssc_telitacicept.elig")


@pytest.fixture(scope="module")
def base():
    return json.loads((ROOT / "trials/tests/ssc_telitacicept/base.json").read_text(encoding="utf-8"),
                      parse_float=Decimal)


def test_the_base_record_is_eligible(trial, base):
    assert trial.evaluate(base, ANCHORS).outcome is Outcome.ELIGIBLE


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_an_exclusion_coded_as_sites_code_it_excludes(trial, base, case):
    decision = trial.evaluate(merge_patch(base, case["patch"]), ANCHORS)
    assert decision.criterion(case["criterion"]).status is Status.MET, case["why"]
    assert decision.outcome is Outcome.INELIGIBLE


def test_a_malformed_code_in_a_code_set_is_a_compile_time_error():
    source = ('trial NCT1 "t"\nanchor screening\n'
              'codeset pe "plasma exchange":\n    ICD10PCS "6A55OZ3", LOINC "2160-1", SNOMED "38013005"\n'
              'include I1 "x": exists procedures in pe during 1 month before screening\n')
    with pytest.raises(CompileError) as caught:
        compile_source(source)
    found = [(d.code, d.message) for d in caught.value.diagnostics]
    assert [c for c, _ in found] == ["E0125", "E0125"]
    assert "`6A55OZ3`" in found[0][1] and "other than I and O" in found[0][1]
    assert "`2160-1`" in found[1][1] and "check digit should be 0" in found[1][1]


def test_a_class_prefix_that_begins_no_code_is_a_compile_time_error():
    source = 'trial NCT1 "t"\ncodeset x "x":\n    ATC "L0A*", ICD10 "M34*"\ninclude I1 "x": true\n'
    with pytest.raises(CompileError) as caught:
        compile_source(source)
    assert [(d.code, d.message) for d in caught.value.diagnostics] == [
        ("E0125", "`L0A*` cannot begin any ATC code")]


def test_a_malformed_code_in_a_record_binds_and_is_flagged(trial, base):
    record = merge_patch(base, {"immunizations": [
        {"id": "i1", "code": [{"system": "CVX", "code": "MMR"}, {"system": "SNOMED", "code": "38013006"}],
         "date": "2025-08-28"}]})
    bound = trial.bind(record)
    [event] = bound.events["immunizations"]
    problems = [c.problem for c in event.fields["code"]]
    assert "not a well-formed CVX code" in problems[0] and "check digit (Verhoeff)" in problems[1]
    well_formed = trial.bind(base)
    assert all(c.problem is None for items in well_formed.events.values() for e in items
               for c in (e.fields.get("code") or ()))
