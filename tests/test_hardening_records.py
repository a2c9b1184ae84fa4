"""Issue 8, record side: a record no patient can have is refused with the field's path, never believed;
numbers are printed bounded; the CLI turns every malformed input into `error: ...` and exit status 2."""

import copy
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility_dsl import compile_source
from eligibility_dsl.cli import main
from eligibility_dsl.explain.values import json_value, text_value
from eligibility_dsl.language.loader import file_loader
from eligibility_dsl.records import jsonread
from eligibility_dsl.records.binder import RecordError
from eligibility_dsl.runtime.quantity import MagnitudeError, Quantity

ROOT = Path(__file__).parent.parent
TRIAL_PATH = ROOT / "trials" / "ssc_telitacicept.elig"
PATIENT = json.loads((ROOT / "trials" / "patients" / "example.json").read_text(), parse_float=Decimal)
TRIAL = compile_source(TRIAL_PATH.read_text(), str(TRIAL_PATH), file_loader)
ANCHORS = TRIAL.parse_anchors({"screening": "2025-09-11", "first_dose": "2025-09-20"})


def issues(record) -> list[str]:
    with pytest.raises(RecordError) as caught:
        TRIAL.bind(record)
    return [str(i) for i in caught.value.issues]


def with_medication(**fields) -> dict:
    record = copy.deepcopy(PATIENT)
    record["medications"].append({"id": "m9", "code": {"system": "ATC", "code": "H02AB07"}, "start": "2025-08-01",
                                  **fields})
    return record


def test_the_example_patient_is_eligible():
    assert str(TRIAL.evaluate(PATIENT, ANCHORS).outcome) == "ELIGIBLE"


def test_a_negative_prednisone_dose_is_a_record_error_not_eligible():
    found = issues(with_medication(daily_dose="-200 mg/day"))
    assert found == ["medications[2].daily_dose: `-200 mg/day`: a daily dose cannot be negative"]


@pytest.mark.parametrize("field,value", [("dose", "-5 mg"), ("frequency", -1)])
def test_negative_doses_and_frequencies_are_record_errors(field, value):
    assert any(f"medications[2].{field}" in i and "cannot be negative" in i for i in issues(with_medication(
        **{field: value})))


def test_huge_dose_times_frequency_is_a_record_error_not_an_overflow():
    record = with_medication(dose={"value": Decimal("1e999999999"), "unit": "mg"}, frequency=Decimal("1e100000000"))
    found = issues(record)
    assert "medications[2].dose: `1E+999999999` is out of the range of recorded values (10^-30 to 10^30)" in found
    assert all(len(i) < 200 for i in found)


def test_a_5000_digit_number_is_a_record_error_with_a_bounded_message():
    record = with_medication(frequency=jsonread.loads("1" * 5000))
    (found,) = issues(record)
    assert found.startswith("medications[2].frequency: `1.1111") and len(found) < 200


@pytest.mark.parametrize("value", [Decimal("sNaN"), Decimal("NaN"), Decimal("Infinity"), float("nan")])
def test_nan_and_infinity_are_record_errors(value):
    assert issues(with_medication(frequency=value)) == ["medications[2].frequency: expected a finite number"]


def test_snan_in_an_mrss_component_is_a_record_error():
    record = copy.deepcopy(PATIENT)
    record["assessments"] = [{"id": "a9", "code": {"system": "LOCAL", "code": "mRSS"}, "date": "2025-09-01",
                              "components": {"face": Decimal("sNaN")}}]
    assert issues(record) == ["assessments[0].components.face: expected 0, 1, 2 or 3, found `sNaN`"]


def test_a_key_that_is_not_a_text_is_a_record_error():
    record = copy.deepcopy(PATIENT)
    record[1] = "x"
    assert issues(record) == ["[1]: a key must be a text, found `1`"]


def test_a_code_pattern_in_a_record_is_a_record_error():
    found = issues(with_medication(code={"system": "ATC", "code": "H02AB*"}, daily_dose="5 mg/day"))
    assert found == ["medications[2].code: `H02AB*` is a code pattern: a record gives the code itself "
                     "(patterns are for criteria)"]


def test_fvc_percent_predicted_above_250_is_a_record_error():
    record = copy.deepcopy(PATIENT)
    record["observations"][0]["value"] = "300 %"
    assert any("is outside the plausible range 0-250 %" in i for i in issues(record))


def test_an_mrss_outside_its_scale_is_a_record_error():
    record = copy.deepcopy(PATIENT)
    record["assessments"][0].pop("components", None)
    record["assessments"][0]["score"] = 60
    assert any("outside its scale 0-51" in i for i in issues(record))


@pytest.mark.parametrize("value", ["1e999999999", "1E+100000000"])
def test_huge_numbers_are_printed_in_scientific_notation(value):
    number = Decimal(value)
    assert text_value(number) == str(number) and json_value(number) == str(number)
    # A quantity this large is refused when made (README, "Security and limits"), and says so briefly.
    with pytest.raises(MagnitudeError) as refused:
        Quantity(number, "mg")
    assert len(str(refused.value)) < 200
    # The largest quantity allowed prints in scientific notation, never expanded.
    largest = Decimal("1E+999")
    assert json_value(Quantity(largest, "mg")) == {"value": str(largest), "unit": "mg"}
    assert str(Quantity(largest, "mg")) == f"{largest} mg"


def test_duplicate_keys_are_refused():
    with pytest.raises(jsonread.JSONProblem, match="duplicate key `id`"):
        jsonread.loads('{"id": "a", "id": "b"}')


def test_json_nan_is_refused():
    with pytest.raises(jsonread.JSONProblem, match="`NaN` is not a number"):
        jsonread.loads('{"facts": {"x": NaN}}')


def cli(capsys, *argv):
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def eval_file(capsys, path):
    return cli(capsys, "eval", str(TRIAL_PATH), str(path), "--anchor", "screening=2025-09-11",
               "--anchor", "first_dose=2025-09-20")


@pytest.mark.parametrize("text,message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"id": "a", "id": "b"}', "duplicate key `id`"),
])
def test_the_cli_refuses_malformed_json_in_one_line(capsys, tmp_path, text, message):
    path = tmp_path / "r.json"
    path.write_text(text)
    code, _, err = eval_file(capsys, path)
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1


def test_the_cli_refuses_a_device_or_a_fifo(capsys, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in ("/dev/zero", fifo):
        code, _, err = eval_file(capsys, path)
        assert code == 2 and "is not a regular file" in err and err.count("\n") == 1


def test_the_cli_refuses_a_5000_digit_integer_as_a_record_error(capsys, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(PATIENT, default=str).replace('"frequency": 2', '"frequency": ' + "9" * 5000))
    code, _, err = eval_file(capsys, path)
    assert code == 2 and err.startswith("error: ") and "medications[0].frequency" in err and len(err) < 1000


def test_the_cli_prints_a_lone_surrogate_escaped(capsys, tmp_path):
    path = tmp_path / "r.json"
    record = json.dumps(PATIENT, default=str).replace('"example-eligible"', '"p-\\udc80"')
    path.write_text(record)
    code, out, _ = eval_file(capsys, path)
    assert code == 0 and "p-\\udc80" in out
    code, _, err = cli(capsys, "eval", str(TRIAL_PATH), str(path), "--anchor", "screening=2025-09-11",
                       "--anchor", "first_dose=2025-09-20", "--format", "json")
    assert code == 2 and err.startswith("error: ") and "non-UTF-8" in err and err.count("\n") == 1
