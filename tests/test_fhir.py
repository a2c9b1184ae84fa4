"""FHIR R4 in (records/fhir): Synthea bundles and Bulk NDJSON to records the normal binder accepts.

Fixtures (tests/fixtures/fhir/): the 20 Synthea R4 bundles (synthea/, Apache-2.0, source in LICENSE.md);
golden records for three of them (golden/); a Bulk Data export built from four (bulk/, by make_bulk.py);
a hand-written bundle with every form the adapter reads (cases/forms.json); and the example trial's
expected decisions over all 20 (t2dm_decisions.json, seven of them checked by hand, with the reason).
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility_dsl import compile_file, compile_source
from eligibility_dsl.cli import main as elig
from eligibility_dsl.explain import RecordFailure
from eligibility_dsl.records.fhir import CoveragePolicy, FhirError, read_bulk, read_bundle, to_json

ROOT = Path(__file__).parent.parent
FHIR = ROOT / "tests" / "fixtures" / "fhir"
BUNDLES = sorted(p for p in (FHIR / "synthea").glob("*_*.json"))
DECISIONS = json.loads((FHIR / "t2dm_decisions.json").read_text(encoding="utf-8"))
TRIAL = ROOT / DECISIONS["trial"]
COMPLETE = CoveragePolicy.period(None, "2021-01-15")
ANY_TRIAL = compile_source('trial NCT1 "t"\ninclude I1 "x": true\n')


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


@pytest.fixture(scope="module")
def trial():
    return compile_file(TRIAL)


@pytest.fixture(scope="module")
def forms():
    [record] = read_bundle(FHIR / "cases" / "forms.json", coverage=CoveragePolicy.first_encounter())
    return record


def by_id(record, collection, event_id):
    return next(e for e in record.get(collection, ()) if e["id"] == event_id)


def test_there_are_20_synthea_bundles():
    assert len(BUNDLES) == 20


@pytest.mark.parametrize("policy", [CoveragePolicy.none(), COMPLETE, CoveragePolicy.first_encounter("2021-03-31")],
                         ids=["none", "period", "first-encounter"])
def test_every_synthea_bundle_converts_and_binds(policy):
    for path in BUNDLES:
        [record] = read_bundle(path, coverage=policy)
        bound = ANY_TRIAL.bind(record)  # raises RecordError if the record does not fit
        assert bound.id == record["id"] and bound.coverage_policy == record["coverage_policy"]
        assert all(e.id.split("/")[0] in {"Condition", "Observation", "MedicationRequest", "Immunization",
                                          "Procedure", "AllergyIntolerance", "Encounter"}
                   for events in bound.events.values() for e in events)


@pytest.mark.parametrize("golden", sorted((FHIR / "golden").glob("*.record.json")), ids=lambda p: p.name[:20])
def test_golden_records(golden):
    """Regenerate after a deliberate change: see the fixture's name and COMPLETE (2021-01-15, since birth)."""
    [record] = read_bundle(FHIR / "synthea" / golden.name.replace(".record.json", ".json"), coverage=COMPLETE)
    assert json.loads(to_json(record)) == json.loads(golden.read_text(encoding="utf-8"))


def test_bulk_ndjson_converts_to_the_same_records_as_the_bundles():
    sys.path.insert(0, str(FHIR))
    import make_bulk
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (FHIR / "bulk").glob("*.ndjson")}
    assert on_disk == make_bulk.build(), "tests/fixtures/fhir/bulk is out of date: run make_bulk.py"
    bulk = read_bulk(FHIR / "bulk", coverage=COMPLETE)
    bundles = [read_bundle(FHIR / "synthea" / name, coverage=COMPLETE)[0] for name in make_bulk.BUNDLES]
    assert sorted(bulk, key=lambda r: r["id"]) == sorted(bundles, key=lambda r: r["id"])


# ------------------------------------------------------------------ the rules, on cases/forms.json

def test_references_in_every_form_reach_the_patient(forms):
    assert forms["id"] == "Patient/p1"  # fullUrl http://.../Patient/p1, `Patient/p1`, and a conditional reference
    assert by_id(forms, "conditions", "Condition/dm")["onset"] == "2019-05-01"  # via Patient?identifier=urn:mrn|MRN-1
    assert by_id(forms, "encounters", "Encounter/0b7e7b8e-1c9b-4a5e-9d51-3f3c1d8e2a01")["class"] == "ambulatory"


def test_dates_keep_the_local_day_as_written(forms):
    # 2019-05-01T23:30:00-05:00 is 2019-05-02 in UTC, but the day it happened where it was recorded is May 1.
    assert by_id(forms, "conditions", "Condition/dm")["onset"] == "2019-05-01"


def test_statuses(forms):
    ids = {e["id"] for name, events in forms.items() if name != "problems" and isinstance(events, list)
           for e in events}
    for dropped in ("Condition/flu-error", "Observation/cancelled-lab", "MedicationRequest/plan",
                    "MedicationStatement/not-taken", "Immunization/flu-not-done", "Procedure/not-done", "Encounter/e2"):
        assert dropped not in ids
    assert by_id(forms, "conditions", "Condition/ra-refuted")["verification"] == "refuted"
    assert by_id(forms, "allergies", "AllergyIntolerance/penicillin")["status"] == "refuted"


def test_codings_in_unknown_systems_are_left_out_and_icd10cm_is_kept(forms):
    codes = by_id(forms, "conditions", "Condition/dm")["code"]
    assert [(c["system"], c["code"]) for c in codes] == [("SNOMED", "44054006"), ("ICD10CM", "E11.9")]


def test_an_undatable_event_is_left_out_and_its_collection_loses_coverage(forms):
    assert "conditions" not in forms["coverage"] and "observations" in forms["coverage"]
    [problem] = [p for p in forms["problems"] if p["path"] == "Condition/old-asthma"]
    assert "partial date" in problem["message"] and "coverage of conditions is withdrawn" in problem["message"]


def test_observation_forms(forms):
    systolic = by_id(forms, "observations", "Observation/bp.component[0]")
    assert systolic["value"] == {"value": 152, "unit": "mmHg"}  # UCUM mm[Hg], exactly the same unit
    assert systolic["interpretation"] == [{"system": "HL7:v3-ObservationInterpretation", "code": "H"}]
    assert by_id(forms, "observations", "Observation/bp.component[1]")["value"]["value"] == Decimal("88.0")
    a1c = by_id(forms, "observations", "Observation/a1c")
    assert (a1c["date"], a1c["reference_low"]["value"], a1c["reference_high"]["value"]) == (
        "2025-08-20", Decimal("4.0"), Decimal("5.6"))
    assert by_id(forms, "observations", "Observation/viral-load")["value"] == "<50 {copies}/mL"  # censored: text
    assert by_id(forms, "observations", "Observation/ana")["value"] == "1:160"
    assert by_id(forms, "observations", "Observation/smoking")["value"][0]["code"] == "8517006"
    assert "value" not in by_id(forms, "observations", "Observation/temp")  # `Cel`: not a unit here yet
    assert any(p["path"] == "Observation/temp" and "Cel" in p["message"] for p in forms["problems"])


def test_daily_doses_only_when_computable(forms):
    metformin = by_id(forms, "medications", "MedicationRequest/metformin")
    assert [c["code"] for c in metformin["code"]] == ["860975", "6809"]  # contained Medication and its ingredient
    assert (metformin["daily_dose"], metformin["route"]) == ({"value": 1000, "unit": "mg/d"}, "oral")  # BID
    mtx = by_id(forms, "medications", "MedicationStatement/mtx")  # referenced Medication, weekly
    assert (mtx["code"][0]["code"], mtx["daily_dose"]) == ("L04AX03", {"value": 15, "unit": "mg/wk"})
    ibuprofen = by_id(forms, "medications", "MedicationRequest/ibuprofen-q6h")  # 1 per 6 h, boundsPeriod
    assert (ibuprofen["start"], ibuprofen["end"], ibuprofen["daily_dose"]["value"]) == ("2025-02-01", "2025-02-07",
                                                                                        1600)
    assert "daily_dose" not in by_id(forms, "medications", "MedicationRequest/paracetamol-prn")  # as needed
    prednisone = by_id(forms, "medications", "MedicationAdministration/pred")
    assert (prednisone["start"], prednisone["end"], prednisone["dose"]) == ("2025-08-01", "2025-08-01",
                                                                            {"value": 20, "unit": "mg"})
    assert "daily_dose" not in prednisone


def test_unread_clinical_types_are_reported(forms):
    paths = {p["path"]: p["message"] for p in forms["problems"]}
    assert "FamilyMemberHistory" in paths
    assert "coverage of medications is withdrawn" in paths["MedicationDispense"]
    assert "Claim" not in paths  # billing: nothing for the patient model
    assert "medications" not in forms["coverage"]


def test_the_coverage_policy_is_in_the_record_and_the_bound_record(forms):
    assert forms["coverage_policy"].startswith("from the first encounter (2023-02-01) to the export date (2025-09-11)")
    assert ANY_TRIAL.bind(forms).coverage_policy == forms["coverage_policy"]
    [none] = read_bundle(FHIR / "cases" / "forms.json")
    assert "coverage" not in none and none["coverage_policy"].startswith("none")


def test_a_patient_outside_the_export_is_a_record_failure():
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/missing"},
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
                      "onsetDateTime": "2020-01-01"}}]}
    records = read_bundle(bundle)
    [failure] = list(ANY_TRIAL.evaluate_many(records, {}, errors="return"))
    assert isinstance(failure, RecordFailure) and "not in the export" in failure.issues[0].message


def test_input_that_is_not_a_bundle_is_an_error(tmp_path):
    with pytest.raises(FhirError, match="expected a FHIR Bundle"):
        read_bundle({"resourceType": "Patient"})
    with pytest.raises(FhirError, match="type `history`"):
        read_bundle({"resourceType": "Bundle", "type": "history"})
    bad = tmp_path / "x.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(FhirError, match="invalid JSON"):
        read_bundle(bad)


def test_bundles_keep_decimals_exact():
    [record] = read_bundle(b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": '
                           b'{"resourceType": "Patient", "id": "p"}}, {"resource": {"resourceType": "Observation",'
                           b' "id": "o", "status": "final", "subject": {"reference": "Patient/p"}, "code": {"coding":'
                           b' [{"system": "http://loinc.org", "code": "2160-0"}]}, "effectiveDateTime": "2020-01-01",'
                           b' "valueQuantity": {"value": 0.10000000000000000555, "unit": "mg/dL"}}}]}')
    assert record["observations"][0]["value"]["value"] == Decimal("0.10000000000000000555")


# ------------------------------------------------------------------ the example trial, end to end

def test_example_trial_over_all_20_bundles_from_the_api(trial):
    records = [read_bundle(p, coverage=COMPLETE)[0] for p in BUNDLES]
    decisions = list(trial.evaluate_many(records, DECISIONS["anchors"], trace=True, errors="return"))
    for path, decision in zip(BUNDLES, decisions, strict=True):
        expected = DECISIONS["decisions"][path.name]
        assert decision.record_id == expected["record"]
        got = {"outcome": decision.outcome.name, "criteria": {c.id: c.status.name for c in decision.criteria}}
        assert got == {"outcome": expected["outcome"], "criteria": expected["criteria"]}, expected.get("why")
    assert sum("why" in d for d in DECISIONS["decisions"].values()) >= 5


def test_example_trial_from_the_cli(capsys):
    paths = [str(p) for p in BUNDLES]
    assert elig(["eval", str(TRIAL), *paths, "--fhir", "--complete-to", "2021-01-15",
                 "--anchor", "screening=2021-01-15", "--format", "json"]) == 0
    captured = capsys.readouterr()
    out = [json.loads(line)["content"] for line in captured.out.splitlines() if line.strip()]  # JSON Lines
    assert [d["outcome"] for d in out] == [DECISIONS["decisions"][p.name]["outcome"] for p in BUNDLES]
    assert "note: Patient/" in captured.err  # non-fatal source problems are shown


def test_cli_reads_a_bulk_directory_and_refuses_bad_coverage(capsys):
    assert elig(["eval", str(TRIAL), str(FHIR / "bulk"), "--fhir", "--coverage-policy", "first-encounter",
                 "--complete-to", "2021-01-15", "--anchor", "screening=2021-01-15", "--format", "json"]) == 0
    assert len([line for line in capsys.readouterr().out.splitlines() if line.strip()]) == 4
    assert elig(["eval", str(TRIAL), str(BUNDLES[0]), "--fhir", "--complete-from", "2022-01-01",
                 "--complete-to", "2021-01-15", "--anchor", "screening=2021-01-15"]) == 2
    assert "starts (2022-01-01) after it ends" in capsys.readouterr().err


# ------------------------------------------------------------------ against fhir.resources' R4B models

@pytest.mark.parametrize("name", ["cases/forms.json", "synthea/" + BUNDLES[7].name, "synthea/" + BUNDLES[13].name],
                         ids=["forms", "fabian", "laticia"])
def test_the_mapping_agrees_with_the_r4b_models(name):
    """The inputs are valid FHIR (the R4B models accept them), and each mapped Condition, Observation
    and Immunization has the code and the local calendar day that the models read."""
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate(json.loads((FHIR / name).read_text(encoding="utf-8")))
    records = read_bundle(FHIR / name)
    events = {e["id"]: e for r in records for events in r.values() if isinstance(events, list)
              for e in events if isinstance(e, dict) and "id" in e}
    checked = 0
    for entry in bundle.entry:
        res = entry.resource
        kind, rid = res.get_resource_type(), res.id or entry.fullUrl.rsplit(":", 1)[-1]
        event = events.get(f"{kind}/{rid}")
        if event is None or kind not in ("Condition", "Observation", "Immunization"):
            continue
        code_field, date_field = {"Condition": ("code", "onsetDateTime"), "Observation": ("code", "effectiveDateTime"),
                                  "Immunization": ("vaccineCode", "occurrenceDateTime")}[kind]
        concept, when = getattr(res, code_field), getattr(res, date_field)
        if when is None:
            continue
        day = when.date().isoformat() if hasattr(when, "date") else str(when)
        assert event.get("onset", event.get("date")) == day
        assert event["code"][0]["code"] == concept.coding[0].code
        checked += 1
    assert checked > 0
