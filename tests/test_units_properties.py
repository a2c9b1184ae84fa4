"""Properties of unit conversion, and unit handling end to end.

Law (issue 10 §3): converting a laboratory result to any equivalent unit changes no decision. A
result is restated exactly: in another unit of its dimension (mg/dL as g/L, mm[Hg] as kPa), or
through its analyte in the other concentration kind (creatinine µmol/L as mg/dL) or, for HbA1c, from
NGSP % into IFCC mmol/mol. Only exact restatements are drawn (a value with no finite decimal in the
target unit is not a restatement a laboratory could send), and values cluster at the thresholds.
"""

from __future__ import annotations

import copy
import json
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility_dsl import compile_file, compile_source
from eligibility_dsl.records.fhir import CoveragePolicy, read_bundle
from eligibility_dsl.runtime.codes import Coding
from eligibility_dsl.runtime.molar import analyte_of, hba1c_ngsp_to_ifcc
from eligibility_dsl.runtime.units import BASE_DIMENSIONS, parse_unit

sys.path.insert(0, str(Path(__file__).parent))
import test_evaluation_fixtures as evaluation
from test_differential import disagreements

ROOT = Path(__file__).parent.parent
SUITE = ROOT / "tests" / "fixtures" / "units" / "evaluation" / "cases.json"
SPEC = json.loads(SUITE.read_text(encoding="utf-8"))
TRIAL = compile_file(SUITE.parent / "criteria.elig")

# Units a site may send; a restatement picks one that holds the value exactly.
UNITS = ["mg/dL", "g/L", "mg/L", "ug/mL", "g/dL", "mg/mL", "ug/dL", "mmol/L", "umol/L", "nmol/mL", "mol/m3",
         "umol/mL", "kg", "g", "mg", "[lb_av]", "[oz_av]", "mm[Hg]", "mmHg", "kPa", "Pa", "hPa", "bar", "cm[H2O]",
         "%", "mmol/mol", "mol/mol", "1", "[ppth]"]


@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["name"] for c in SPEC["cases"]])
def test_evaluation_case(case):
    """tests/fixtures/units/evaluation: Cockcroft-Gault over observation values, creatinine and HbA1c
    in either unit kind, blood pressure in mm[Hg], kPa and mmHg, a code with no analyte."""
    evaluation.test_case(SUITE, case)
    assert disagreements(TRIAL, case["record"], SPEC["anchors"]) == []  # the reference interpreter agrees
    decision = TRIAL.evaluate(case["record"], SPEC["anchors"])
    assert {c.id: list(c.problems) for c in decision.criteria if c.problems} == case.get("problems", {})


def _terminating(x: Fraction) -> Decimal | None:
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return None
    digits = 0
    while (x * 10**digits).denominator != 1:
        digits += 1
    return Decimal((x * 10**digits).numerator).scaleb(-digits)


def restatements(value: Decimal, unit: str, code: str) -> list[tuple[Decimal, str]]:
    """Every exact restatement of ``value unit`` for a result coded ``code`` (LOINC)."""
    source = parse_unit(unit)
    analyte = analyte_of((Coding("LOINC", code),))
    base = Fraction(value) * source.factor
    out = []
    for target in UNITS:
        t = parse_unit(target)
        if t.dims == source.dims:
            amount = base / t.factor
        elif analyte is not None and analyte.kind == "molar" and _differ_by_molar_mass(t.dims, source.dims):
            amount = (base * analyte.molar_mass if t.dims[0] > source.dims[0] else base / analyte.molar_mass) / t.factor
        elif analyte is not None and analyte.kind == "hba1c" and unit == "%" and not any(t.dims):
            amount = hba1c_ngsp_to_ifcc(Fraction(value)) / 1000 / t.factor
        else:
            continue
        exact = _terminating(amount)
        if exact is not None and len(exact.as_tuple().digits) <= 30:
            out.append((exact, target))
    return out


def _differ_by_molar_mass(a, b) -> bool:
    """Whether dimensions ``a`` and ``b`` differ by exactly a mass for an amount (mg/dL and mmol/L)."""
    diff = {name: x - y for name, x, y in zip(BASE_DIMENSIONS, a, b, strict=True) if x != y}
    return diff in ({"mass": 1, "amount": -1}, {"mass": -1, "amount": 1})


def _statuses(record):
    decision = TRIAL.evaluate(record, SPEC["anchors"])
    return str(decision.outcome), {c.id: str(c.status) for c in decision.criteria}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_restating_results_in_equivalent_units_changes_no_decision(data):
    """Law: for every fixture record, restating any of its results in an equivalent unit (exactly)
    gives the same outcome and the same status for every criterion."""
    case = data.draw(st.sampled_from(SPEC["cases"]), label="case")
    record = copy.deepcopy(case["record"])
    expected = _statuses(record)
    for obs in record["observations"]:
        if obs["code"]["system"] != "LOINC":
            continue
        value, unit = Decimal(str(obs["value"]["value"])), obs["value"]["unit"]
        options = restatements(value, unit, obs["code"]["code"])
        if options:
            new_value, new_unit = data.draw(st.sampled_from(options), label=f"{obs['id']} restated")
            obs["value"] = {"value": str(new_value), "unit": new_unit}
    assert _statuses(record) == expected
    assert disagreements(TRIAL, record, SPEC["anchors"]) == []


def test_every_restatement_is_the_same_quantity():
    """The restatements the law draws from are exact: each compares equal to the original result."""
    from eligibility_dsl.runtime.quantity import Quantity, compare, with_analyte

    for value, unit, code in [("88.4", "umol/L", "14682-9"), ("1.2", "mg/dL", "2160-0"), ("7.5", "%", "4548-4"),
                              ("150", "mm[Hg]", "8480-6"), ("72", "kg", "29463-7"), ("5.2", "mmol/L", "2093-3")]:
        analyte = analyte_of((Coding("LOINC", code),))
        original = with_analyte(Quantity(value, unit), analyte)
        options = restatements(Decimal(value), unit, code)
        assert len(options) >= 3, (value, unit)
        for new_value, new_unit in options:
            assert compare(with_analyte(Quantity(new_value, new_unit), analyte), original) == 0, (new_value, new_unit)


def test_fhir_blood_pressure_in_mm_hg_end_to_end():
    """A FHIR blood-pressure panel with components in UCUM `mm[Hg]` (and the display `mmHg`) reads into
    observations that compare with thresholds in mm[Hg] and in kPa."""
    [record] = read_bundle(ROOT / "tests" / "fixtures" / "fhir" / "cases" / "forms.json",
                           coverage=CoveragePolicy.first_encounter())
    trial = compile_source('''trial BP "bp"
anchor screening
codeset systolic: LOINC "8480-6"
codeset diastolic: LOINC "8462-4"
include S "systolic above 150 mm[Hg]":
    latest value of observations in systolic during 1 month before screening > 150 mm[Hg]
include K "systolic above 20 kPa":
    latest value of observations in systolic during 1 month before screening > 20 kPa
include D "diastolic at most 88 mmHg":
    latest value of observations in diastolic during 1 month before screening <= 88 mmHg
exclude X "systolic above 21 kPa":
    latest value of observations in systolic during 1 month before screening > 21 kPa
''')
    decision = trial.evaluate(record, {"screening": "2025-09-11"})
    assert {c.id: str(c.status) for c in decision.criteria} == {"S": "MET", "K": "MET", "D": "MET",
                                                                 "X": "NOT_MET"}
    assert str(decision.outcome) == "ELIGIBLE"
