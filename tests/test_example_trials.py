"""The example trials in trials/examples/: each compiles with no diagnostics, declares the
criteria of its listing, and decides its example patient (trials/examples/patients/*.json,
each with the expected outcome and status per criterion) as expected. Variants of the example
patients pin the interpretations written in the trial files' comments."""

import copy
import json
from pathlib import Path

import pytest

from eligibility_dsl import compile_file
from eligibility_dsl.api import check_file

EXAMPLES = Path(__file__).parent.parent / "trials" / "examples"
MYELOMA = EXAMPLES / "nct03860038_myeloma.elig"
DCSSC = EXAMPLES / "nct00043706_dcssc.elig"

EXPECTED_IDS = {
    MYELOMA: ["I1", "I2", "I3", "I4", "I5", "I6", "E1", "E2", "E3", "E4", "E5"],
    DCSSC: ["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "E1", "E2", "E3", "E4", "E5", "E6"],
}
PATIENTS = sorted((EXAMPLES / "patients").glob("*.json"))


@pytest.mark.parametrize("path", list(EXPECTED_IDS), ids=lambda p: p.name)
def test_compiles_without_diagnostics(path: Path):
    trial, diagnostics = check_file(path, lib_path=[EXAMPLES.parent / "lib"])  # they import ../lib
    assert diagnostics == []
    assert [c.id for c in trial.criteria] == EXPECTED_IDS[path]


def test_every_example_trial_has_a_patient():
    trials = {json.loads(p.read_text(encoding="utf-8"))["trial"] for p in PATIENTS}
    assert trials == {p.name for p in EXPECTED_IDS}


def _decide(trial_path: Path, record: dict, anchors: dict):
    return compile_file(trial_path, lib_path=[EXAMPLES.parent / "lib"]).evaluate(record, anchors)


@pytest.mark.parametrize("sidecar", PATIENTS, ids=lambda p: p.stem)
def test_example_patient(sidecar: Path):
    spec = json.loads(sidecar.read_text(encoding="utf-8"))
    decision = _decide(EXAMPLES / spec["trial"], spec["record"], spec["anchors"])
    assert {c.id: str(c.status) for c in decision.criteria} == spec["criteria"]
    assert str(decision.outcome) == spec["outcome"]


def _base(name: str) -> tuple[dict, dict]:
    spec = json.loads((EXAMPLES / "patients" / name).read_text(encoding="utf-8"))
    return copy.deepcopy(spec["record"]), spec["anchors"]


def _status(decision, cid: str) -> str:
    return str(decision.criterion(cid).status)


# ------------------------------------------------------------------ NCT03860038 variants

@pytest.mark.parametrize(("end", "status"), [("2025-08-22", "MET"), ("2025-08-18", "NOT_MET")])
def test_myeloma_washout_is_five_half_lives_when_longer_than_four_weeks(end, status):
    # Ixazomib: 5 x 9.5 days = 47.5 days. First dose 2025-10-06: a last dose 45 days before
    # is within the washout, 49 days before is not; neither is within the 4 weeks.
    record, anchors = _base("nct03860038_eligible.json")
    record["medications"].append({"id": "m6", "code": {"system": "ATC", "code": "L01XG03", "display": "ixazomib"},
                                  "dose": "4 mg", "route": "oral", "start": "2025-06-01", "end": end})
    decision = _decide(MYELOMA, record, anchors)
    assert _status(decision, "E5") == status
    assert str(decision.outcome) == ("INELIGIBLE" if status == "MET" else "ELIGIBLE")


def test_myeloma_washout_within_four_weeks_needs_no_half_life():
    # Elotuzumab has no half-life in the table; a dose 20 days before the first dose is
    # within the 4 weeks whatever its half-life.
    record, anchors = _base("nct03860038_eligible.json")
    record["medications"].append({"id": "m6", "code": {"system": "ATC", "code": "L01FX08", "display": "elotuzumab"},
                                  "route": "intravenous", "start": "2025-06-01", "end": "2025-09-16"})
    assert _status(_decide(MYELOMA, record, anchors), "E5") == "MET"


def test_myeloma_washout_without_half_life_is_unknown_after_four_weeks():
    record, anchors = _base("nct03860038_eligible.json")
    record["medications"].append({"id": "m6", "code": {"system": "ATC", "code": "L01FX08", "display": "elotuzumab"},
                                  "route": "intravenous", "start": "2025-03-01", "end": "2025-07-01"})
    decision = _decide(MYELOMA, record, anchors)
    assert _status(decision, "E5") == "UNKNOWN"
    assert str(decision.outcome) == "INDETERMINATE"


def test_myeloma_ongoing_treatment_is_within_the_washout():
    record, anchors = _base("nct03860038_eligible.json")
    del record["medications"][4]["end"]  # lenalidomide maintenance still ongoing
    assert _status(_decide(MYELOMA, record, anchors), "E5") == "MET"


def _myeloma_labs(*labs):
    """The eligible myeloma patient with its laboratory results replaced by ``labs`` ((LOINC, value) pairs,
    dated 2025-09-15, a week before screening), the ECOG grade kept."""
    record, anchors = _base("nct03860038_eligible.json")
    ecog = [o for o in record["observations"] if o["code"]["code"] == "89247-1"]
    record["observations"] = ecog + [{"id": f"lab{n}", "code": {"system": "LOINC", "code": code},
                                      "date": "2025-09-15", "value": value} for n, (code, value) in enumerate(labs)]
    return record, anchors


@pytest.mark.parametrize("labs, status", [
    pytest.param([("33358-3", "1 g/dL")], "MET", id="serum-M-protein-exactly-1-g/dL"),
    pytest.param([("33358-3", "10 g/L")], "MET", id="serum-M-protein-10-g/L"),
    pytest.param([("33358-3", "0.9 g/dL"), ("42482-0", "200 mg/d")], "MET", id="urine-M-protein-exactly-200-mg/day"),
    pytest.param([("33358-3", "0.9 g/dL"), ("42482-0", "199 mg/d"), ("36916-5", "10 mg/dL"), ("33944-0", "1.2 mg/dL"),
                  ("48378-4", "8.33")], "MET", id="involved-kappa-10-mg/dL-abnormal-ratio"),
    pytest.param([("33358-3", "0.9 g/dL"), ("42482-0", "199 mg/d"), ("36916-5", "10 mg/dL"), ("33944-0", "6.5 mg/dL"),
                  ("48378-4", "1.65")], "NOT_MET", id="kappa-10-mg/dL-but-ratio-1.65-normal"),
    pytest.param([("33358-3", "0.9 g/dL"), ("42482-0", "199 mg/d"), ("36916-5", "0.5 mg/dL"), ("33944-0", "9.9 mg/dL"),
                  ("48378-4", "0.05")], "NOT_MET", id="involved-lambda-9.9-mg/dL"),
    pytest.param([("33358-3", "0.9 g/dL")], "UNKNOWN", id="below-in-serum-urine-and-FLC-not-measured"),
    pytest.param([("33358-3", "0.1 mmol/L"), ("42482-0", "100 mg/d"), ("36916-5", "1 mg/dL"), ("33944-0", "1 mg/dL"),
                  ("48378-4", "1")], "UNKNOWN", id="M-protein-in-mol/L-is-not-converted"),
])
def test_myeloma_measurable_disease_reads_the_imwg_thresholds(labs, status):
    """I3 over the record (IMWG): serum M-protein >= 1 g/dL, urine M-protein >= 200 mg/24 h, or an involved
    free light chain >= 10 mg/dL with an abnormal kappa/lambda ratio. The proteins have no molar mass
    (`analyte none`): a serum M-protein in mmol/L is a problem, never a conversion."""
    record, anchors = _myeloma_labs(*labs)
    decision = _decide(MYELOMA, record, anchors)
    assert _status(decision, "I3") == status
    if status == "UNKNOWN" and labs[0][1].endswith("mmol/L"):
        assert any("0.1 mmol/L" in problem for problem in decision.criterion("I3").problems)


def test_myeloma_transplant_of_unknown_donor_leaves_e3_unknown():
    record, anchors = _base("nct03860038_eligible.json")
    record["procedures"][0]["code"] = {"system": "SNOMED", "code": "234336002",
                                       "display": "hemopoietic stem cell transplant"}
    decision = _decide(MYELOMA, record, anchors)
    assert _status(decision, "E3") == "UNKNOWN"
    assert str(decision.outcome) == "INDETERMINATE"


def test_myeloma_any_transplant_within_three_months_excludes():
    record, anchors = _base("nct03860038_eligible.json")
    record["procedures"].append({"id": "p2", "code": {"system": "SNOMED", "code": "234336002"},
                                 "date": "2025-07-10"})
    assert _status(_decide(MYELOMA, record, anchors), "E3") == "MET"


def test_myeloma_ecog_three_fails():
    record, anchors = _base("nct03860038_eligible.json")
    record["observations"][0]["value"] = 3
    decision = _decide(MYELOMA, record, anchors)
    assert _status(decision, "I6") == "NOT_MET"
    assert list(decision.reasons) == ["I6"]


# ------------------------------------------------------------------ NCT00043706 variants

@pytest.mark.parametrize(("onset", "status"), [("2024-03-11", "MET"), ("2024-03-10", "NOT_MET")])
def test_dcssc_disease_duration_of_18_months_is_inclusive(onset, status):
    # Screening 2025-09-11: 18 months before is 2024-03-11.
    record, anchors = _base("nct00043706_eligible.json")
    record["conditions"][0]["onset"] = onset
    assert _status(_decide(DCSSC, record, anchors), "I2") == status


@pytest.mark.parametrize(("daily_dose", "status"), [("8 mg/day", "NOT_MET"), ("10 mg/day", "MET")])
def test_dcssc_steroid_dose_is_converted_to_prednisone(daily_dose, status):
    # Methylprednisolone factor 1.25: 8 mg/day = 10 mg/day prednisone (not greater than 10),
    # 10 mg/day = 12.5 mg/day prednisone. The patient's prednisone is stopped before screening, so that
    # the methylprednisolone is the only systemic steroid.
    record, anchors = _base("nct00043706_eligible.json")
    record["medications"][1]["end"] = "2025-08-31"
    record["medications"].append({"id": "m5", "code": {"system": "ATC", "code": "H02AB04",
                                                       "display": "methylprednisolone"},
                                  "daily_dose": daily_dose, "route": "oral", "start": "2025-09-01"})
    assert _status(_decide(DCSSC, record, anchors), "E5") == status


@pytest.mark.parametrize(("daily_dose", "status"), [("2 mg/day", "NOT_MET"), ("4 mg/day", "MET")])
def test_dcssc_steroids_taken_on_the_same_days_add_up(daily_dose, status):
    # The patient's prednisone 7.5 mg/day runs on; methylprednisolone 2 mg/day (2.5 mg prednisone) makes
    # 10 mg/day, not greater than 10; 4 mg/day (5 mg prednisone) makes 12.5 mg/day.
    record, anchors = _base("nct00043706_eligible.json")
    record["medications"].append({"id": "m5", "code": {"system": "ATC", "code": "H02AB04",
                                                       "display": "methylprednisolone"},
                                  "daily_dose": daily_dose, "route": "oral", "start": "2025-09-01"})
    assert _status(_decide(DCSSC, record, anchors), "E5") == status


def test_dcssc_inhaled_steroid_is_not_counted_even_at_a_high_dose():
    record, anchors = _base("nct00043706_eligible.json")
    record["medications"].append({"id": "m5", "code": {"system": "RxNorm", "code": "10759",
                                                       "display": "triamcinolone, inhaled"},
                                  "daily_dose": "20 mg/day", "route": "inhaled", "start": "2025-09-01"})
    assert _status(_decide(DCSSC, record, anchors), "E5") == "NOT_MET"


def test_dcssc_mrss_outside_the_assumed_range_fails():
    record, anchors = _base("nct00043706_eligible.json")
    record["assessments"][1]["score"] = 50
    assert _status(_decide(DCSSC, record, anchors), "I3") == "NOT_MET"


def test_dcssc_limited_skin_involvement_is_not_diffuse():
    # Skin thickening only distal to the elbows and knees (and the face): the limited subset.
    record, anchors = _base("nct00043706_eligible.json")
    items = record["assessments"][1]["items"]
    for area in ("anterior_chest", "right_upper_arm", "left_upper_arm"):
        items[area] = 0
    decision = _decide(DCSSC, record, anchors)
    assert _status(decision, "I1") == "NOT_MET"
    assert list(decision.reasons) == ["I1"]


def test_dcssc_mrss_without_its_body_areas_leaves_the_subset_unknown():
    record, anchors = _base("nct00043706_eligible.json")
    del record["assessments"][1]["items"]
    decision = _decide(DCSSC, record, anchors)
    assert _status(decision, "I1") == "UNKNOWN"
    assert str(decision.outcome) == "INDETERMINATE"


def test_dcssc_other_connective_tissue_disease_excludes():
    record, anchors = _base("nct00043706_eligible.json")
    record["conditions"].append({"id": "c3", "code": {"system": "ICD10", "code": "M35.00",
                                                      "display": "Sjogren syndrome, unspecified"},
                                 "onset": "2025-01-10", "status": "active"})
    decision = _decide(DCSSC, record, anchors)
    assert _status(decision, "E2") == "MET"
    assert list(decision.reasons) == ["E2"]


def test_dcssc_other_autoimmune_disease_excludes():
    record, anchors = _base("nct00043706_eligible.json")
    record["conditions"].append({"id": "c3", "code": {"system": "ICD10", "code": "E06.3",
                                                      "display": "autoimmune thyroiditis"},
                                 "onset": "2019-04-02", "status": "active"})
    decision = _decide(DCSSC, record, anchors)
    assert _status(decision, "E2") == "MET"
    assert list(decision.reasons) == ["E2"]


def test_dcssc_breastfeeding_at_screening_excludes():
    record, anchors = _base("nct00043706_eligible.json")
    record["conditions"].append({"id": "c3", "code": {"system": "SNOMED", "code": "169750002",
                                                      "display": "Mother currently breast-feeding"},
                                 "onset": "2025-06-20", "status": "active"})
    decision = _decide(DCSSC, record, anchors)
    assert _status(decision, "E1") == "MET"
    assert list(decision.reasons) == ["E1"]


def test_dcssc_immunosuppressant_within_four_weeks_excludes():
    record, anchors = _base("nct00043706_eligible.json")
    record["medications"][0]["end"] = "2025-08-28"  # methotrexate: exactly 4 weeks before the first dose
    assert _status(_decide(DCSSC, record, anchors), "E4") == "MET"
