"""The checker: types of expressions, unit dimensions, and the IR it hands to backends."""

import pytest

from eligibility_dsl import CompileError, compile_source
from eligibility_dsl.api import check_source
from eligibility_dsl.check import ir

HEADER = """trial T "t"
anchor screening
fact dose: quantity in mg/day
fact weight: quantity in kg
fact score: number
fact diagnosed: date
fact sex_at_birth: code of ["female", "male"]
fact flag: boolean
"""


def checked(body: str):
    trial, diagnostics = check_source(HEADER + body, "t.elig")
    return trial, diagnostics


def codes(body: str) -> list[str]:
    return [d.code for d in checked(body)[1]]


@pytest.mark.parametrize("body", [
    'include I1 "x": dose <= 10 mg/day',
    'include I1 "x": dose <= 0.07 g/wk',
    'include I1 "x": dose * 28 days > 1 g',
    'include I1 "x": dose / weight < 1 mg/kg/day',
    'include I1 "x": diagnosed + 6 months < screening',
    'include I1 "x": 28 days + diagnosed < screening',
    'include I1 "x": months between diagnosed and screening >= 6 months',
    'include I1 "x": age at screening between 18 years and 75 years',
    'include I1 "x": max(28 days, 5 * 134.4 h) >= 28 days',
    'include I1 "x": sex_at_birth in ["female"] implies not flag',
    'include I1 "x": if flag then score > 3 else score > 5',
    'include I1 "x": score / 2 = 1.5',
    'include I1 "x": -score < 0',
])
def test_well_typed_criteria_check_clean(body):
    assert codes(body) == []


@pytest.mark.parametrize(("body", "code"), [
    ('include I1 "x": dose > 10 mg', "E0202"),           # mass/time vs mass
    ('include I1 "x": weight + 3 days > 1 kg', "E0202"),
    ('include I1 "x": score > 3 mg', "E0201"),           # number vs quantity
    ('include I1 "x": diagnosed - screening > 3 days', "E0201"),
    ('include I1 "x": diagnosed + 3 mg < screening', "E0201"),
    ('include I1 "x": flag < true', "E0201"),            # booleans are not ordered
    ('include I1 "x": score', "E0203"),
    ('include I1 "x": sex_at_birth = "f"', "E0107"),
    ('include I1 "x": max(1) > 0', "E0204"),
    ('include I1 "x": 1 month < 31 days', "E0202"),
    ('include I1 "x": score > 2 furlongs', "E0104"),
])
def test_mistakes_have_their_code(body, code):
    assert codes(body) == [code]


def test_one_mistake_is_reported_once_not_by_every_enclosing_expression():
    assert codes('include I1 "x": (nope > 3 and flag) or not (nope = 2)') == ["E0101", "E0101"]


def test_every_error_is_collected_in_one_pass():
    body = 'include I1 "x": nope\ninclude I1 "y": score > 3 mg\ninclude I2 "z": score\n'
    assert codes(body) == ["E0101", "E0102", "E0201", "E0203"]


def test_compile_raises_once_with_every_diagnostic():
    with pytest.raises(CompileError) as info:
        compile_source(HEADER + 'include I1 "x": nope\ninclude I2 "y": score\n', "t.elig")
    assert [d.code for d in info.value.diagnostics] == ["E0101", "E0203"]
    assert "t.elig" in info.value.sources
    assert str(info.value).startswith("t.elig:9:17: unknown name `nope` (and 1 more)")


def test_ir_resolves_names_and_types():
    trial, _ = checked('define adult: age at screening >= 18 years\ninclude I1 "x": adult and dose <= 10 mg/day')
    expr = trial.criteria[0].expr
    assert isinstance(expr, ir.And)
    ref, compare = expr.operands
    assert isinstance(ref, ir.DefRef) and ref.type.kind == "boolean"
    assert isinstance(compare.left, ir.Fact) and compare.left.type.kind == "quantity"
    assert str(compare.right.value) == "10 mg/day"
    assert isinstance(trial.definitions["adult"].expr.left, ir.Age)


def test_arithmetic_result_types_carry_dimensions():
    trial, _ = checked('define total: dose * 28 days\ninclude I1 "x": total > 1 g')
    assert trial.definitions["total"].expr.type.unit.dims == trial.facts["weight"].type.dims


def test_built_in_patient_model_names_are_known():
    trial, diagnostics = checked('include I1 "x": sex = "female" and birth_date < screening')
    assert diagnostics == []
    assert trial.facts["birth_date"].builtin and trial.facts["sex"].builtin
