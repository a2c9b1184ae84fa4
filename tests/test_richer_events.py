"""Richer events (issue 11): `reason`, `body_site`, `severity`, `grade` and `setting` through the binder
(tests/fixtures/richer_events/invalid_records.json), the FHIR adapter (tests/fixtures/fhir/cases/
richer_events.json and its .expected.json) and the JSON Schema. Evaluation on every engine is in
tests/fixtures/evaluation/richer_events/ and tests/spec/richer_events.json."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from eligibility_dsl import compile_file
from eligibility_dsl.records.binder import RecordError
from eligibility_dsl.records.fhir import read_bundle
from eligibility_dsl.records.schema import record_schema

FIXTURES = Path(__file__).parent / "fixtures"
TRIAL = compile_file(FIXTURES / "evaluation" / "richer_events" / "criteria.elig")
INVALID = json.loads((FIXTURES / "richer_events" / "invalid_records.json").read_text(encoding="utf-8"))
BUNDLE = FIXTURES / "fhir" / "cases" / "richer_events.json"
EXPECTED = json.loads((FIXTURES / "fhir" / "cases" / "richer_events.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", INVALID["cases"], ids=lambda c: c["name"])
def test_the_binder_refuses_values_the_fields_cannot_hold(case):
    with pytest.raises(RecordError) as err:
        TRIAL.bind(json.loads(json.dumps(case["record"]), parse_float=Decimal))
    assert [[i.path, i.message] for i in err.value.issues] == case["issues"]


@pytest.mark.parametrize("case", INVALID["cases"], ids=lambda c: c["name"])
def test_the_schema_refuses_them_too(case):
    assert list(Draft202012Validator(record_schema()).iter_errors(case["record"])), case["name"]


def test_the_fhir_adapter_reads_reason_body_site_severity_and_setting():
    [record] = read_bundle(BUNDLE)
    events = {e["id"]: e for coll in ("conditions", "encounters", "observations", "medications", "procedures")
              for e in record.get(coll, [])}
    for event_id, fields in EXPECTED["fields"].items():
        for name, value in fields.items():
            assert events[event_id].get(name) == value, (event_id, name, EXPECTED["why"].get(event_id))
    assert record["problems"] == EXPECTED["problems"]


def test_a_fhir_record_is_screened_over_the_new_fields():
    [record] = read_bundle(BUNDLE)
    decision = TRIAL.evaluate(record, EXPECTED["anchors"])
    statuses = {c.id: str(c.status) for c in decision.criteria}
    assert {k: statuses[k] for k in EXPECTED["criteria"]} == EXPECTED["criteria"]
