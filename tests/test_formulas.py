"""Formulas: `sqrt`, `ln`, `exp`, `round`, `x ^ y`, and `function` declarations (trials/lib/formulas.elig).

What a user relies on: results are exact decimals to 28 significant digits, compared exactly; a formula
with no value (the square root of a negative number, the logarithm of zero, a value with the wrong unit
reaching a function at run time) makes the criterion UNKNOWN with the reason as a problem, never a guess;
units are checked when compiling, with located diagnostics; the shipped library reproduces published
worked examples (tests/fixtures/formulas/worked_examples.json, each case citing its source).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility_dsl.api import check_source, compile_file, compile_source, evaluate_expression
from eligibility_dsl.runtime.formulas import FORMULA_DIGITS, formula_value
from eligibility_dsl.runtime.quantity import Quantity

ROOT = Path(__file__).parent.parent
LIB = ROOT / "trials" / "lib"
WORKED = json.loads((Path(__file__).parent / "fixtures" / "formulas" / "worked_examples.json").read_text("utf-8"))
ANCHORS = {"screening": "2025-06-01"}


def status_of(source: str, record: dict, criterion: str = "C"):
    trial = compile_source(source, "t.elig")
    result = trial.evaluate(record, ANCHORS).criterion(criterion)
    return result.status.value, result.problems


# ------------------------------------------------------------------ values


@pytest.mark.parametrize(("text", "value"), [
    ("sqrt(2)", "1.414213562373095048801688724"),
    ("ln(1)", "0"),
    ("exp(1)", "2.718281828459045235360287471"),
    ("2 ^ 0.5", "1.414213562373095048801688724"),
    ("1.75 ^ 2", "3.0625"),          # a whole power is exact when it fits in 28 digits
    ("2 ^ -1", "0.5"),
    ("-2 ^ 2", "-4"),                 # `^` binds tighter than unary minus
    ("2 ^ 3 ^ 2", "512"),             # and to the right
    ("(-2) ^ 3", "-8"),               # a negative number to a whole power
    ("round(2.25, 1)", "2.3"),        # half away from zero, as clinical forms round
    ("round(-2.25, 1)", "-2.3"),
    ("round(2.2499, 1)", "2.2"),
])
def test_formula_values_are_exact_decimals_in_the_stated_context(text, value):
    assert evaluate_expression(text) == Decimal(value)


def test_powers_of_quantities_carry_the_unit():
    assert evaluate_expression("1.75 m ^ 2") == Quantity("3.0625", "m2")
    assert evaluate_expression("2 cm ^ 3") == Quantity("8", "mL")
    assert evaluate_expression("round(2.25 mg, 1)") == Quantity("2.3", "mg")


@pytest.mark.parametrize(("func", "args", "why"), [
    ("sqrt", (Decimal(-4),), "cannot take the square root of -4: a negative number"),
    ("ln", (Decimal(0),), "cannot take the natural logarithm of 0: it is not positive"),
    ("ln", (Decimal(-1),), "cannot take the natural logarithm of -1: it is not positive"),
    ("^", (Decimal(0), Decimal(-1)), "cannot compute 0 ^ -1: zero to a negative power"),
    ("^", (Decimal(-8), Decimal("0.5")), "cannot compute -8 ^ 0.5: a negative number to a fractional power"),
    ("exp", (Decimal(5000),), "exp of 5000 is beyond the limit of 10^1000 (or 10^-1000)"),
    ("sqrt", (Quantity(4, "mg"),), "`sqrt` needs a number without a unit, found 4 mg"),
    ("^", (Quantity(4, "mg"), Decimal("0.5")),
     "cannot raise 4 mg to the fractional power 0.5: a quantity with a unit needs a whole exponent"),
])
def test_a_formula_with_no_value_is_unknown_and_says_why(func, args, why):
    problems: list = []
    assert formula_value(func, args, problems) is None
    assert problems == [why]


def test_unknown_arguments_give_unknown_without_a_problem():
    problems: list = []
    assert formula_value("sqrt", (None,), problems) is None
    assert problems == []


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**6), places=4))
def test_sqrt_squared_is_the_number_to_28_digits(x):
    """Law: sqrt is correctly rounded, so sqrt(x)^2 is within one unit in the 27th digit of x."""
    r = formula_value("sqrt", (x,), [])
    assert abs(r * r - x) <= abs(x) * Decimal(10) ** (2 - FORMULA_DIGITS)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**4), places=3))
def test_exp_undoes_ln_to_27_digits(x):
    """Law: exp(ln(x)) is x to within the stated precision (two roundings, each half a unit)."""
    r = formula_value("exp", (formula_value("ln", (x,), []),), [])
    assert abs(r - x) <= abs(x) * Decimal(10) ** (3 - FORMULA_DIGITS)


# ------------------------------------------------------------ in criteria


TRIAL = """trial T "formulas"
anchor screening
fact height: quantity in cm
fact weight: quantity in kg
codeset creatinine: LOINC "2160-0" "Creatinine [Mass/volume] in Serum or Plasma"
define bmi: weight / 1 kg / (height / 1 m) ^ 2 * 1 kg/m2
define scr: latest value of observations in creatinine during 3 months before screening
include C "obese": bmi > 30 kg/m2
include L "creatinine ratio": ln(scr / 1 mg/dL) < 0.5
"""


def record(height="180", weight="100", creatinine=("1.2", "mg/dL")):
    out = {"birth_date": "1970-01-01", "facts": {"height": {"value": height, "unit": "cm"},
                                                   "weight": {"value": weight, "unit": "kg"}}}
    if creatinine is not None:
        out["observations"] = [{"id": "o1", "code": {"system": "LOINC", "code": "2160-0"}, "date": "2025-05-01",
                                "value": {"value": creatinine[0], "unit": creatinine[1]}}]
        out["coverage"] = {"observations": {"from": None, "to": "2025-06-01"}}
    return out


def test_a_bmi_over_a_threshold_decides():
    assert status_of(TRIAL, record(weight="100"))[0] == "MET"  # 30.86 kg/m2
    assert status_of(TRIAL, record(weight="97"))[0] == "NOT_MET"  # 29.94 kg/m2


def test_a_zero_height_is_unknown_with_its_reason_not_a_crash():
    status, problems = status_of(TRIAL, record(height="0"))
    assert status == "UNKNOWN" and problems


def test_a_creatinine_in_umol_per_l_converts_through_its_analyte():
    # LOINC 2160-0 names creatinine (runtime/molar.py): 106 umol/L is 1.19909... mg/dL, so it decides as that.
    assert status_of(TRIAL, record(creatinine=("106", "umol/L")), "L")[0] == "MET"
    assert status_of(TRIAL, record(creatinine=("106", "umol/L")), "L") == status_of(
        TRIAL, record(creatinine=(str(Decimal(106) * Decimal("113.12") / Decimal(10_000)), "mg/dL")), "L")


def test_an_observation_in_a_unit_of_another_dimension_is_unknown_with_a_problem():
    status, problems = status_of(TRIAL, record(creatinine=("106", "U/L")), "L")
    assert status == "UNKNOWN"
    assert any("needs a number without a unit" in p or "cannot" in p for p in problems), problems


def test_the_logarithm_of_a_zero_observation_is_unknown_with_a_problem():
    status, problems = status_of(TRIAL, record(creatinine=("0", "mg/dL")), "L")
    assert (status, problems) == ("UNKNOWN", ("cannot take the natural logarithm of 0: it is not positive",))


def test_the_trace_shows_each_argument_of_a_formula():
    trial = compile_source(TRIAL, "t.elig")
    text = trial.evaluate(record(), ANCHORS).explain("full")
    assert "(height / 1 m) ^ 2  →  3.24" in text


# ------------------------------------------------------------ diagnostics


@pytest.mark.parametrize(("body", "code", "where"), [
    ("sqrt(height) > 2", "E0170", "height"),
    ("ln(weight) > 2", "E0170", "weight"),
    ("height ^ 0.5 > 2 cm", "E0171", "0.5"),
    ("round(weight, 1.5) > 2 kg", "E0171", "1.5"),
    ("2 ^ weight > 2", "E0170", "weight"),
    ("sqrt(1, 2) > 1", "E0204", "sqrt(1, 2)"),
    ("sqr(2) > 1", "E0106", "sqr(2)"),
    ("height ^ 2 > 2 cm", "E0202", "height ^ 2 > 2 cm"),  # an area compared with a length
])
def test_unit_mistakes_in_formulas_are_located_diagnostics(body, code, where):
    source = f'trial T "t"\nfact height: quantity in cm\nfact weight: quantity in kg\ninclude C "c": {body}\n'
    _, diagnostics = check_source(source, "t.elig")
    assert [d.code for d in diagnostics] == [code], diagnostics
    d = diagnostics[0]
    assert source[d.span.start:d.span.end] == where


def test_the_sql_backend_rejects_formulas_at_compile_time_naming_them():
    pytest.importorskip("sqlglot")
    from eligibility_dsl.backends.sql.criteria import SqlCompileError, compile_trial
    trial = compile_source(TRIAL, "t.elig")
    with pytest.raises(SqlCompileError) as err:
        compile_trial(trial.checked, {"screening": __import__("datetime").date(2025, 6, 1)})
    found = [(d.code, d.message, d.span.line) for d in err.value.diagnostics]
    assert ("E0401", "the SQL backend does not compile a formula (`sqrt`, `ln`, `exp`, `round`, `^`) "
            "(in criterion `L`)", 9) in found


# ------------------------------------------------------------ functions


FUNCTIONS = """trial T "functions"
anchor screening
fact height: quantity in cm
fact weight: quantity in kg
function bmi_of(w: quantity in kg, h: quantity in m): w / 1 kg / (h / 1 m) ^ 2 * 1 kg/m2
include C "obese": bmi_of(weight, height) > 30 kg/m2
"""


def test_a_function_converts_its_arguments_to_the_declared_units():
    assert status_of(FUNCTIONS, record(weight="100"))[0] == "MET"
    assert status_of(FUNCTIONS, record(weight="97"))[0] == "NOT_MET"


@pytest.mark.parametrize(("use", "code"), [
    ("bmi_of(weight) > 30 kg/m2", "E0204"),          # an argument short
    ("bmi_of(height, weight) > 30 kg/m2", "E0202"),  # arguments swapped: a length for a mass
    ("bmi_of > 30 kg/m2", "E0201"),                 # a function is not a value
])
def test_function_misuse_is_a_located_diagnostic(use, code):
    source = FUNCTIONS.replace("bmi_of(weight, height) > 30 kg/m2", use)
    _, diagnostics = check_source(source, "t.elig")
    assert [d.code for d in diagnostics] == [code], diagnostics


def test_a_function_using_itself_is_reported():
    source = ('trial T "t"\nfact x: number\nfunction f(a: number): f(a) + 1\ninclude C "c": f(x) > 1\n')
    _, diagnostics = check_source(source, "t.elig")
    assert "E0105" in [d.code for d in diagnostics]


def test_the_library_checks_with_no_diagnostics():
    from eligibility_dsl.api import check_file
    _, diagnostics = check_file(LIB / "formulas.elig")
    assert diagnostics == []


def _case_source(case: dict) -> tuple[str, dict]:
    facts, decls, record_facts = [], [], {}
    for n, (_param, value) in enumerate(case["args"]):
        fact = f"a{n}"
        facts.append(fact)
        if isinstance(value, bool):
            decls.append(f"fact {fact}: boolean")
            record_facts[fact] = value
        elif " " in value:
            number, unit = value.split(" ", 1)
            decls.append(f"fact {fact}: quantity in {unit}")
            record_facts[fact] = {"value": number, "unit": unit}
        else:
            decls.append(f"fact {fact}: number")
            record_facts[fact] = value
    call = f"{case['function']}({', '.join(facts)})"
    if "float" in case:
        expected = float(case["float"])
        low, high = expected * (1 - 1e-9), expected * (1 + 1e-9)
        unit = {"egfr": " mL/min/{1.73_m2}", "bsa_": " m2"}.get(case["function"][:4], "")
        body = f"{call} between {low:.12f}{unit} and {high:.12f}{unit}"
    else:
        unit = {"bmi": " kg/m2", "bsa_mosteller": " m2", "crcl_cockcroft_gault": " mL/min"}.get(case["function"], "")
        body = f"round({call}, {case['places']}) = {case['expected']}{unit}"
    source = ('trial T "worked example"\nimport "formulas.elig"\n' + "\n".join(decls)
              + f'\ninclude C "case": {body}\n')
    return source, {"birth_date": "1970-01-01", "facts": record_facts}


@pytest.mark.parametrize("case", WORKED["cases"], ids=lambda c: f"{c['function']}:{c['args'][0][1]}")
def test_the_library_reproduces_the_worked_examples(case, tmp_path):
    source, rec = _case_source(case)
    path = tmp_path / "case.elig"
    path.write_text(source, encoding="utf-8")
    trial = compile_file(path, lib_path=[LIB])
    result = trial.evaluate(rec, {}).criterion("C")
    assert result.status.value == "MET", (case, result, trial.evaluate(rec, {}).explain("full"))


def test_every_library_function_has_a_worked_example():
    text = (LIB / "formulas.elig").read_text("utf-8")
    declared = {line.split()[1].split("(")[0] for line in text.splitlines() if line.startswith("function ")}
    covered = {c["function"] for c in WORKED["cases"]}
    assert declared - covered <= {"meld_na_adjusted"}  # used by meld_na, covered through it


def test_float_reference_values_are_sane():
    """The computed cases are what the formula gives in floating point (guards the fixture itself)."""
    ckd = next(c for c in WORKED["cases"] if c["function"] == "egfr_ckd_epi_2021")
    assert math.isclose(float(ckd["float"]), 142 * 1.012 * (1.0 / 0.7) ** -1.2 * 0.9938 ** 50, rel_tol=1e-12)


# ------------------------------------------------ the example trials against the reference interpreter

EXAMPLES = ROOT / "trials" / "examples"
FORMULA_TRIALS = ("nct03863405_ra_metformin", "nct03928158_hfpef_lvh", "nct03860428_preterm_pda",
                  "nct03920982_septic_aki")


def _suite_cases():
    from eligibility_dsl.authoring.suite import load_suite
    for stem in FORMULA_TRIALS:
        for path in sorted((EXAMPLES / "tests" / stem).glob("*.test.json")):
            for case in load_suite(path).cases:
                yield pytest.param(stem, case, id=f"{stem}:{case.name}")


@pytest.mark.parametrize(("stem", "case"), list(_suite_cases()))
def test_example_patients_agree_with_the_reference_interpreter(stem, case):
    """Law (differential): the generated evaluator and the reference interpreter give every criterion of the
    formula trials the same status on their example patients."""

    import reference_interpreter as R
    trial = compile_file(EXAMPLES / f"{stem}.elig", lib_path=[LIB])
    anchors = trial.parse_anchors(case.anchors)  # dates, or date-times (issue 11)
    reference = R.evaluate(trial.checked, trial.bind(case.record), anchors)
    decision = trial.evaluate(case.record, case.anchors)
    assert {c.id: c.status.value for c in decision.criteria} == {k: R.STATUS[v] for k, v in reference.items()}


def test_the_editor_knows_a_function_and_shows_its_signature():
    from eligibility_dsl.lsp import features
    from eligibility_dsl.lsp.index import analyse
    analysis = analyse(FUNCTIONS, "t.elig", None)
    symbol = analysis.symbols["bmi_of"]
    assert symbol.kind == "function"
    assert "function bmi_of(w: quantity in kg, h: quantity in m)" in features.describe(analysis, symbol)


BOUNDARIES = json.loads((Path(__file__).parent / "fixtures" / "formulas" / "boundaries.json").read_text("utf-8"))


@pytest.mark.parametrize("case", BOUNDARIES["cases"], ids=lambda c: c["expression"])
def test_formula_boundaries_from_the_data_file(case):
    value = evaluate_expression(case["expression"])
    if case["value"] is None:
        assert value is None, case["why"]
    else:
        assert value == Decimal(case["value"]), (case["why"], value)


def test_the_summary_of_a_function_use_names_the_call():
    """A use of a function is its body with the arguments in place; the decision's one-line summary quotes
    the call as written (`bmi(weight, height)`), not the body, and the full trace shows the body."""
    trial = compile_source(
        'trial T "t"\nfact weight: quantity in kg\nfact height: quantity in m\n'
        'function bmi(w: quantity in kg, h: quantity in m): w / 1 kg / (h / 1 m) ^ 2 * 1 kg/m2\n'
        'include I1 "BMI under 30": bmi(weight, height) < 30 kg/m2\n', "t.elig")
    decision = trial.evaluate({"id": "r", "facts": {"weight": "81 kg", "height": "1.8 m"}}, {})
    summary = decision.explain("summary")
    assert "bmi(weight, height) 25 kg/m2 is < 30 kg/m2" in summary, summary
    assert "/ 1 kg" not in summary
    assert "w / 1 kg / (h / 1 m) ^ 2" in decision.explain("full")
