"""Patient records: a record that does not fit gets an error naming the field and what was expected."""

from decimal import Decimal

import pytest

from eligibility_dsl import AnchorError, RecordError, compile_source
from eligibility_dsl.runtime.quantity import Quantity

TRIAL = compile_source("""trial T "t"
anchor screening
fact dose: quantity in mg/day
fact flag: boolean
fact score: number
fact when: date
fact status: code of ["active", "resolved"]
include I1 "x": flag
""")


def problems(record) -> list[str]:
    with pytest.raises(RecordError) as info:
        TRIAL.bind(record)
    return [str(i) for i in info.value.issues]


def test_values_are_typed_exactly():
    facts = TRIAL.bind({"birth_date": "1980-01-01", "facts": {"dose": {"value": 10.5, "unit": "mg/day"},
                                                              "score": "3.10", "flag": True}}).facts
    assert facts["dose"].value == Decimal("10.5") and facts["dose"].unit.symbol == "mg/day"
    assert facts["score"] == Decimal("3.10")
    assert facts["when"] is None and facts["sex"] is None  # absent means missing


def test_quantity_shorthand_and_equivalent_units():
    facts = TRIAL.bind({"facts": {"dose": "0.07 g/wk"}}).facts
    assert facts["dose"] == Quantity("10", "mg/day")


def test_every_problem_is_reported_with_its_path():
    assert problems({"birth_date": "1980-02-30", "sexx": "female", "facts": {
        "dose": {"value": 10, "unit": "mg"}, "flag": "yes", "score": True, "when": 20250101,
        "status": "actve", "dosage": 3}}) == [
        "sexx: unknown field `sexx` (did you mean `sex`?)",
        "birth_date: `1980-02-30` is not a valid date (expected YYYY-MM-DD)",
        "facts.dosage: unknown fact `dosage` (did you mean `dose`?)",
        "facts.dose: `mg` is a unit of mass, expected mass/time (such as `mg/day`)",
        "facts.flag: expected `true` or `false`, found text `\"yes\"`",
        "facts.score: expected a number, found `true`",
        "facts.when: expected a date `YYYY-MM-DD`, found `20250101`",
        "facts.status: `actve` is not one of `active`, `resolved` (did you mean `active`?)",
    ]


def test_unknown_units_and_non_objects():
    assert problems({"facts": {"dose": {"value": 1, "unit": "mgs/day"}}}) == [
        "facts.dose: unknown unit `mgs` in `mgs/day` (did you mean `mg/day`?)"]
    assert problems([1, 2]) == ["$: expected a JSON object, found a list"]
    assert problems({"facts": []}) == ["facts: expected an object, found a list"]


def test_builtin_fields_belong_at_the_top_level():
    assert problems({"facts": {"birth_date": "1980-01-01"}}) == [
        "facts.birth_date: unknown fact `birth_date` (it is a built-in field: put it at the top level of the record)"]


def test_anchors_are_required_and_checked():
    with pytest.raises(AnchorError, match="missing anchor `screening`"):
        TRIAL.evaluate({}, {})
    with pytest.raises(AnchorError, match="unknown anchor `screen`"):
        TRIAL.evaluate({}, {"screening": "2025-01-01", "screen": "2025-01-01"})
    with pytest.raises(AnchorError, match="`2025-13-01` is not a valid date"):
        TRIAL.evaluate({}, {"screening": "2025-13-01"})


def test_the_record_is_not_mutated():
    record = {"facts": {"dose": {"value": 10, "unit": "mg/day"}, "flag": True}}
    snapshot = repr(record)
    TRIAL.evaluate(record, {"screening": "2025-01-01"})
    assert repr(record) == snapshot


def test_a_batch_returns_a_failure_row_for_a_bad_record_and_goes_on():
    records = [{"id": "a", "facts": {"flag": True}}, {"id": "b", "facts": {"flag": "yes"}}, [1], {"facts": {}}]
    with pytest.raises(RecordError):
        list(TRIAL.evaluate_many(records, {"screening": "2025-01-01"}))
    results = list(TRIAL.evaluate_many(records, {"screening": "2025-01-01"}, errors="return"))
    assert [getattr(r, "outcome", None) for r in results][1:3] == ["ERROR", "ERROR"]
    assert str(results[0].outcome) == "ELIGIBLE" and str(results[3].outcome) == "INDETERMINATE"
    failure = results[1]
    assert (failure.record_id, failure.position) == ("b", 1)
    assert failure.to_dict()["issues"] == [{"path": "facts.flag", "message": "expected `true` or `false`, found "
                                            "text `\"yes\"`", "help": None}]
    assert results[2].position == 2 and results[2].record_id is None
