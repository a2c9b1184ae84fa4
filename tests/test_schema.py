"""The published JSON Schema of patient records: generated from the model, and agreeing with the binder."""

import copy
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from eligibility_dsl import RecordError, compile_source
from eligibility_dsl.cli import main as elig
from eligibility_dsl.records.binder import _DECIMAL_TEXT
from eligibility_dsl.records.model import COLLECTIONS, MRSS_SITES
from eligibility_dsl.records.schema import DECIMAL_TEXT, record_schema
from eligibility_dsl.runtime.codes import normalize_system
from eligibility_dsl.runtime.quantity import Quantity

ROOT = Path(__file__).parent.parent
PUBLISHED = ROOT / "eligibility_dsl" / "schemas" / "patient-record-v1.schema.json"

TRIAL = compile_source("""trial T "t"
anchor screening
fact flag: boolean "a condition"
fact score: number
fact fvc: quantity in %
fact diagnosed: date
fact note: text
fact smoking: code of ["current", "former", "never"]
include I1 "x": flag
""")

GENERIC = Draft202012Validator(record_schema())
FOR_TRIAL = Draft202012Validator(record_schema(TRIAL.facts, "T"))


def errors(validator, record) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(record)]


def binds(record) -> bool:
    try:
        TRIAL.bind(record)
    except RecordError:
        return False
    return True


def example_records():
    for path in sorted((ROOT / "trials" / "patients").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, record in enumerate(data if isinstance(data, list) else [data]):
            yield pytest.param(record, id=f"{path.name}[{i}]")
    for path in sorted((ROOT / "tests" / "fixtures" / "evaluation").glob("*/cases.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            yield pytest.param(case["record"], id=f"{path.parent.name}: {case['name']}")


def test_the_published_schema_is_the_generated_one():
    """Regenerate with `elig schema > eligibility_dsl/schemas/patient-record-v1.schema.json`."""
    assert json.loads(PUBLISHED.read_text(encoding="utf-8")) == record_schema()


def test_the_schemas_are_valid_draft_2020_12():
    Draft202012Validator.check_schema(record_schema())
    Draft202012Validator.check_schema(record_schema(TRIAL.facts, "T"))
    assert record_schema()["$id"] == "urn:eligibility-dsl:patient-record:v1"
    assert record_schema(TRIAL.facts, "NCT 1/2")["$id"] == "urn:eligibility-dsl:patient-record:v1:trial:NCT%201%2F2"


def test_every_collection_and_field_of_the_model_is_in_the_schema():
    schema = record_schema()
    for name, collection in COLLECTIONS.items():
        event = schema["$defs"][f"{name}_event"]
        assert set(event["properties"]) - {"components", "items"} == {"id", *collection.fields}  # items: lang11b
        assert event["required"] == ["id", *(f.name for f in collection.fields.values() if f.required)]
    assert list(schema["$defs"]["mrss_components"]["properties"]) == list(MRSS_SITES)
    assert DECIMAL_TEXT == _DECIMAL_TEXT.pattern


@pytest.mark.parametrize("record", list(example_records()))
def test_example_records_validate(record):
    assert errors(GENERIC, record) == []


def test_the_complete_example_in_the_docs_validates_and_binds():
    text = (ROOT / "docs" / "patient_model.md").read_text(encoding="utf-8")
    after = text[text.index("## A complete example"):]
    record = json.loads(re.search(r"```json\n(.*?)```", after, re.DOTALL).group(1))
    assert errors(GENERIC, record) == []
    trial = compile_source('trial T "t"\nanchor screening\nfact consented: boolean\nfact lactating: boolean\n'
                           'fact plans_children_within_12_months: boolean\ninclude I1 "x": consented\n')
    bound = trial.bind(record)
    assert all(bound.events[name] for name in COLLECTIONS)
    assert set(bound.coverage) == set(COLLECTIONS)
    events = {e.id: e for es in bound.events.values() for e in es}  # what the text under the example says
    assert str(events["MedicationStatement/m1"].fields["daily_dose"]) == "2000 mg/day"
    assert events["mrss-2"].fields["score"] == 20


def test_a_trial_schema_types_each_declared_fact():
    facts = record_schema(TRIAL.facts)["properties"]["facts"]
    assert facts["additionalProperties"] is False and set(facts["properties"]) == set(TRIAL.checked.facts) - {
        "birth_date", "sex"}
    assert facts["properties"]["smoking"]["anyOf"][0] == {"type": "string", "enum": ["current", "former", "never"]}
    assert "percent" in facts["properties"]["fvc"]["description"]
    record = {"facts": {"flag": True, "score": "3.10", "fvc": "48 %", "diagnosed": "2020-01-31", "note": "x",
                        "smoking": "never"}}
    assert errors(FOR_TRIAL, record) == [] and binds(record)
    assert "additionalProperties" not in record_schema()["properties"]["facts"]  # generic: any fact


VALID = {"id": "r", "record_version": "1", "birth_date": "1980-01-01", "sex": "female",
         "facts": {"flag": None, "score": 3, "fvc": {"value": "48.5", "unit": "%"}},
         "coverage": {"conditions": {"from": None, "to": "2025-09-11"}, "medications": {"to": "2025-09-11"}},
         "conditions": [{"id": "c1", "code": [{"system": "icd-10-cm", "code": "M34.0", "display": "SSc"},
                                              {"system": "http://snomed.info/sct/", "code": "89155008"}],
                         "onset": "2022-11-02", "status": "active", "abatement": None}],
         "medications": [{"id": "m1", "code": {"system": "ATC", "code": "l04aa06"}, "dose": "1000 mg",
                          "frequency": 2, "route": "oral", "start": "2024-03-01", "end": None}],
         "observations": [
             {"id": "o1", "code": {"system": "LOINC", "code": "19872-1"}, "date": "2025-08-28", "value": "72 %"},
             {"id": "o2", "code": {"system": "LOINC", "code": "8061-4"}, "date": "2025-08-28", "value": True},
             {"id": "o3", "code": {"system": "LOINC", "code": "2"}, "date": "2025-08-28", "value": "1:160"},
             {"id": "o4", "code": {"system": "LOINC", "code": "3"}, "date": "2025-08-28", "value": 7.5,
              "reference_low": {"value": 1, "unit": "mg/dL"}},
             {"id": "o5", "code": {"system": "LOINC", "code": "4"}, "date": "2025-08-28",
              "value": {"system": "SNOMED CT", "code": "10828004", "display": "positive"}}],
         "procedures": None,
         "trial_participations": [{"id": "t1", "compound": "X-123", "start": "2024-01-01", "half_life": "30 h"}],
         "assessments": [{"id": "a1", "code": {"system": "local", "code": "mRSS"}, "date": "2025-09-04",
                          "score": 19, "components": {"face": 1, "abdomen": None}}]}


def test_a_record_using_every_accepted_spelling_is_valid_for_both():
    assert errors(FOR_TRIAL, VALID) == [] and binds(VALID)


def _with(path: str, value):
    """VALID with the value at a dotted path (list indices as numbers) replaced; `...` deletes it."""
    record = copy.deepcopy(VALID)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = record
    for p in parents:
        target = target[p]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return record


INVALID = {
    "an event without id": _with("conditions.0.id", ...),
    "an event with an empty id": _with("medications.0.id", ""),
    "a coding without system": _with("medications.0.code", {"code": "L04AA06"}),
    "an unknown code system": _with("medications.0.code", {"system": "ICD9", "code": "710.1"}),
    "an empty list of codings": _with("conditions.0.code", []),
    "a coverage without `to`": _with("coverage.conditions", {"from": "2020-01-01"}),
    "a coverage of an unknown collection": _with("coverage.vaccinations", {"to": "2025-09-11"}),
    "an unknown collection": _with("vaccinations", []),
    "an unknown field in an event": _with("medications.0.dosage", "1000 mg"),
    "a required field given as null": _with("conditions.0.onset", None),
    "a date not written YYYY-MM-DD": _with("conditions.0.onset", "2022-11-2"),
    "a code outside its list": _with("conditions.0.status", "chronic"),
    "a quantity without unit": _with("medications.0.dose", {"value": 1000}),
    "a quantity text without space": _with("medications.0.dose", "1000mg"),
    "decimal text in scientific notation": _with("medications.0.frequency", "2e0"),
    "an mRSS site scored 4": _with("assessments.0.components.face", 4),
    "an unknown mRSS site": _with("assessments.0.components.nose", 1),
    "components on an assessment that is not the mRSS": _with("assessments.0.code", {"system": "LOCAL",
                                                                                     "code": "HAQ-DI"}),
    "the record version as a number": _with("record_version", 1),
    "facts given as null": _with("facts", None),
    "an unknown top-level field": _with("gender", "female"),
    "sex outside its list": _with("sex", "F"),
    "an unknown fact": _with("facts.flg", True),
    "a boolean fact given as text": _with("facts.flag", "yes"),
}


# Observation values that both accept, with what the binder reads them as.
OBSERVATION_VALUES = {
    "a titre stays text": ("1:160", str),
    "decimal text is a number": ("7.5", Decimal),
    "a decimal and a known unit is a quantity": ("7.5 mmol/L", Quantity),
    "a list of codings": ([{"system": "SNOMED", "code": "10828004"}, {"system": "LOCAL", "code": "POS"}], tuple),
}


@pytest.mark.parametrize(("value", "kind"), OBSERVATION_VALUES.values(), ids=OBSERVATION_VALUES.keys())
def test_observation_values_read_by_both(value, kind):
    record = _with("observations.2.value", value)
    assert errors(FOR_TRIAL, record) == []
    bound = TRIAL.bind(record)
    assert isinstance(bound.events["observations"][2].fields["value"], kind)


@pytest.mark.parametrize("record", INVALID.values(), ids=INVALID.keys())
def test_invalid_records_are_refused_by_the_schema_and_the_binder(record):
    assert errors(FOR_TRIAL, record) != []
    assert not binds(record)


@pytest.mark.parametrize("name", [n for n in INVALID if "fact" not in n])
def test_the_generic_schema_refuses_them_too(name):
    assert errors(GENERIC, INVALID[name]) != []


# What a schema cannot check, stated in schema.py's docstring and the docs: the binder refuses these.
BINDER_ONLY = {
    "an observation value with an unknown unit": _with("observations.2.value", "2 katals/L"),
    "a date that does not exist": _with("conditions.0.onset", "2023-02-29"),
    "an unknown unit": _with("medications.0.dose", "1000 mgs"),
    "a unit of the wrong dimension": _with("trial_participations.0.half_life", "30 mg"),
    "an event that ends before it starts": _with("medications.0.end", "2024-02-01"),
    "a coverage that ends before it starts": _with("coverage.conditions", {"from": "2026-01-01",
                                                                           "to": "2025-09-11"}),
    "an event id used twice": _with("observations.1.id", "c1"),
    "mRSS components that do not add up to the score": _with(
        "assessments.0.components", {site: 1 for site in MRSS_SITES}),
}


@pytest.mark.parametrize("record", BINDER_ONLY.values(), ids=BINDER_ONLY.keys())
def test_what_only_the_binder_can_check(record):
    assert errors(FOR_TRIAL, record) == []
    assert not binds(record)


@pytest.mark.parametrize("spelling", [
    "ATC", "atc", " Atc ", "RxNorm", "rx norm", "SNOMED", "SNOMED CT", "snomed-ct", "SCT", "ICD10", "ICD-10",
    "icd_10_cm", "ICD-10-CM", "LOINC", "cvx", "LOCAL", "http://snomed.info/sct", "HTTP://SNOMED.INFO/SCT//",
    "http://hl7.org/fhir/sid/icd-10-cm", "http://www.whocc.no/atc", "urn:eligibility-dsl:local",
    "http://loinc.org", "ICD9", "ICD-9-CM", "SNOMED CT US", "urn:oid:2.16.840.1.113883.6.96", "http://snomed.info",
    "http://loinc.org/x", "LOINC:", "a\ttc", "", "ATCC", "ICD-10-PCS", "cpt", "NDC", "ucum",
    "urn:oid:2.16.840.1.113883.12.292", "HL7:v2-0203", "hl7:v3-ActCode/", "HL7:", "HL7:-x",
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "http://terminology.hl7.org/CodeSystem/",
    "HTTP://hl7.org/fhir/V3/ActCode", "http://hl7.org/fhir/v4/x", "http://hl7.org/fhir/v2/",
])
def test_the_code_system_pattern_accepts_exactly_what_the_binder_does(spelling):
    pattern = record_schema()["$defs"]["system"]["pattern"]
    assert bool(re.search(pattern, spelling)) == (normalize_system(spelling) is not None)


def test_main_prints_the_generic_or_a_trial_schema(capsys, tmp_path):
    assert elig(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == record_schema()
    trial = tmp_path / "t.elig"
    trial.write_text('trial NCT1 "t"\nfact flag: boolean\ninclude I1 "x": flag\n', encoding="utf-8")
    assert elig(["schema", str(trial)]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$id"].endswith(":trial:NCT1") and list(schema["properties"]["facts"]["properties"]) == ["flag"]
    trial.write_text('trial NCT1 "t"\ninclude I1 "x": flg\n', encoding="utf-8")
    assert elig(["schema", str(trial)]) == 1
    assert "unknown name `flg`" in capsys.readouterr().out
    assert elig(["schema", str(tmp_path / "missing.elig")]) == 2
    assert "cannot read" in capsys.readouterr().err
