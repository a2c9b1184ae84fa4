"""UCUM forms and analyte conversions as data: tests/fixtures/units/*.json.

Each file lists cases of one form (brackets, annotations, powers of ten, prefixes, suggestions) or one
conversion (an analyte's molar mass, HbA1c's master equation), with the expected result:

- ``{"a": "1 mm[Hg]", "b": "133.3220 Pa", "compare": 0}``: the two quantities compare so, both ways round;
- ``{"unit": "[arb'U]", "mismatch": "[IU]"}``: quantities in the two units never compare;
- ``{"unit": "cc", "error": "...", "help": "..."}``: the unit is refused with that message and help;
- ``{"unit": "mmHg", "ucum": "mm[Hg]"}``: an accepted spelling and its UCUM form (null: it is UCUM);
- ``{"loinc": "2160-0", "result": "88.4 umol/L", "threshold": "1 mg/dL", "compare": -1}``: a result
  coded so, against the threshold (``"mismatch": true``: they cannot be compared). These are checked
  with the library's comparison and with the reference interpreter's independent one.
"""

import json
import sys
from pathlib import Path

import pytest

from eligibility_dsl.runtime.codes import Coding
from eligibility_dsl.runtime.molar import analyte_of
from eligibility_dsl.runtime.quantity import Quantity, compare, with_analyte
from eligibility_dsl.runtime.units import UnitError, UnitMismatch, parse_unit, ucum_spelling

sys.path.insert(0, str(Path(__file__).parent))
import reference_interpreter as ref

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "units").glob("*.json"))


def quantity(text: str) -> Quantity:
    value, _, unit = text.partition(" ")
    return Quantity(value, unit)


def cases():
    for path in FIXTURES:
        spec = json.loads(path.read_text(encoding="utf-8"))
        assert spec.get("source"), f"{path.name} names its source"
        for i, case in enumerate(spec["cases"]):
            label = case.get("a") or case.get("unit") or f"{case.get('loinc')} {case.get('result')}"
            yield pytest.param(case, id=f"{path.stem}[{i}] {label}")


@pytest.mark.parametrize("case", list(cases()))
def test_unit_case(case: dict):
    if "a" in case:
        a, b = quantity(case["a"]), quantity(case["b"])
        assert compare(a, b) == case["compare"]
        assert compare(b, a) == -case["compare"]
        assert ref.order(a, b) == case["compare"]
    elif "loinc" in case:
        analyte = analyte_of((Coding("LOINC", case["loinc"]),))
        result, threshold = with_analyte(quantity(case["result"]), analyte), quantity(case["threshold"])
        if case.get("mismatch"):
            with pytest.raises(UnitMismatch):
                compare(result, threshold)
            assert ref.order(result, threshold) is None
        else:
            assert compare(result, threshold) == case["compare"]
            assert compare(threshold, result) == -case["compare"]
            assert ref.order(result, threshold) == case["compare"]
    elif "mismatch" in case:
        with pytest.raises(UnitMismatch):
            compare(Quantity(1, case["unit"]), Quantity(1, case["mismatch"]))
    elif "error" in case:
        with pytest.raises(UnitError) as err:
            parse_unit(case["unit"])
        assert err.value.message == case["error"]
        if "help" in case:
            assert err.value.help == case["help"]
    else:
        assert ucum_spelling(case["unit"]) == case["ucum"]
        if case["ucum"] is not None:  # the UCUM spelling means exactly the same unit
            assert parse_unit(case["ucum"]) == parse_unit(case["unit"])


def test_every_analyte_and_form_has_a_data_file():
    from eligibility_dsl.runtime.molar import ANALYTES

    names = {p.stem for p in FIXTURES}
    assert {"brackets", "annotations", "powers_of_ten", "prefixes", "suggestions", "hba1c"} <= names
    for analyte in ANALYTES.values():
        if analyte.kind == "molar":
            assert f"molar_{analyte.name.replace(' ', '_')}" in names, analyte.name


def _literal(text: str) -> str:
    """A quantity as a criterion writes it: a unit that does not start with a letter, `%`, `µ`, `[` or
    `{` is quoted (`1.5 '10*9/L'`)."""
    value, _, unit = text.partition(" ")
    bare = unit[:1].isalpha() or unit[:1] in "%µ[{"
    return f"{value} {unit}" if bare else f"{value} '{unit}'"


_OPS = {-1: "<", 0: "=", 1: ">"}


@pytest.mark.parametrize("case", [c for c in cases() if "a" in c.values[0]])
def test_every_form_is_written_in_a_criterion(case):
    """Each compared pair, written as literals in a criterion, compiles (the grammar lexes every UCUM
    form, including `[arb'U]`) and evaluates to the comparison the data file states."""
    from eligibility_dsl import evaluate_expression

    a, b = _literal(case["a"]), _literal(case["b"])
    assert evaluate_expression(f"{a} {_OPS[case['compare']]} {b}") is True
    assert evaluate_expression(f"{a} != {b}") is (case["compare"] != 0)


def test_the_formatter_keeps_every_unit_as_written():
    """`elig fmt` over a criterion holding every compared literal of the data files keeps each unit
    text exactly (brackets, apostrophes, annotations, quoted powers of ten) and is idempotent."""
    from eligibility_dsl.language.format import format_source

    literals = [_literal(c.values[0][side]) for c in cases() if "a" in c.values[0] for side in ("a", "b")]
    source = 'trial T "units"\ninclude I "all": ' + " or ".join(f"{x} = {x}" for x in literals) + "\n"
    formatted = format_source(source)
    assert format_source(formatted) == formatted
    assert " ".join(formatted.split()).count(" = ") == len(literals)
    for literal in literals:
        assert f"{literal} = {literal}" in " ".join(formatted.split())
