"""Unit parsing and the exact unit algebra that criteria and patient data rely on."""

import re
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.runtime.units import (
    BASE_DIMENSIONS,
    DIMENSIONLESS,
    Unit,
    UnitError,
    dimension_name,
    parse_unit,
)


def dims(**exponents: int) -> tuple[int, ...]:
    return tuple(exponents.get(name, 0) for name in BASE_DIMENSIONS)


@pytest.mark.parametrize(
    "spellings",
    [
        ["mg/d", "mg/day", "mg/days"],
        ["ug", "µg", "μg", "mcg"],
        ["L", "l"],
        ["dL", "dl"],
        ["mL", "ml"],
        ["IU", "[IU]", "[iU]"],
        ["mmHg", "[mm_Hg]"],
        ["mmol", "mEq", "meq"],
        ["s", "sec", "second", "seconds"],
        ["h", "hr", "hour", "hours"],
        ["wk", "week", "weeks"],
        ["year", "years", "yr", "yrs"],
        ["m2", "m^2", "m.m", "m*m"],
        ["/s", "s-1", "1/s"],
        ["kg/m2", "kg.m-2"],
        ["10*9/L", "10^9/L", "10*3/uL"],
        ["mL/min", "mL/min/{1.73_m2}"],
        ["1", "{cells}"],
    ],
)
def test_synonyms_are_the_same_unit(spellings):
    units = [parse_unit(text) for text in spellings]
    assert all(unit == units[0] for unit in units)
    assert len({hash(unit) for unit in units}) == 1


def test_symbol_keeps_what_the_user_wrote():
    assert parse_unit("mg/dL").symbol == "mg/dL"
    assert parse_unit("mcg").symbol == "mcg"
    assert str(parse_unit("mL/min/{1.73_m2}")) == "mL/min/{1.73_m2}"


def test_compound_units_have_exact_factors_and_dimensions():
    assert parse_unit("mg/dL").factor == Fraction(10)  # g per m3
    assert parse_unit("mg/dL").dims == dims(mass=1, length=-3)
    assert parse_unit("fL").factor == Fraction(1, 10**18)
    assert parse_unit("10*9/L").factor == Fraction(10**12)
    assert parse_unit("10^-3").factor == Fraction(1, 1000)
    assert parse_unit("mmol/L").dims == dims(amount=1, length=-3)
    assert parse_unit("year") == Unit("12 months", Fraction(12), dims(calendar=1))
    assert parse_unit("week").factor == 7 * parse_unit("day").factor


def test_dimensionless_units():
    assert parse_unit("1") == DIMENSIONLESS
    assert parse_unit("{cells}").is_dimensionless
    assert parse_unit("10*9").is_dimensionless
    assert not parse_unit("%").is_dimensionless


def test_calendar_and_percent_are_their_own_dimensions():
    assert not parse_unit("month").compatible(parse_unit("day"))
    assert not parse_unit("year").compatible(parse_unit("s"))
    assert not parse_unit("%").compatible(parse_unit("1"))
    assert parse_unit("mg/d").compatible(parse_unit("g/week"))


@pytest.mark.parametrize(
    ("text", "message", "help_text"),
    [
        ("mgs", "unknown unit `mgs`", "did you mean `mg`?"),
        ("MG", "unknown unit `MG`", "did you mean `mg`?"),
        ("mgs/dL", "unknown unit `mgs` in `mgs/dL`", "did you mean `mg/dL`?"),
        ("xyzzy", "unknown unit `xyzzy`", None),
        ("mo", "unsupported unit `mo` (an average month length)", "write `months` for calendar months"),
        ("a", "unsupported unit `a` (an average year length)", "write `years` for calendar years"),
        ("mg / dL", "unit `mg / dL` contains whitespace", "did you mean `mg/dL`?"),
        ("", "empty unit", "write `1` for a plain number"),
        ("mg//dL", "unexpected `/` in unit `mg//dL`", None),
        ("mg/", "unit `mg/` ends with `/`", None),
        ("{cells", "unclosed annotation in unit `{cells`", "close it with `}`"),
        (
            "mL/min/1.73m2",
            "unexpected `m` in unit `mL/min/1.73m2`",
            "write body-surface-area normalisation as an annotation: `mL/min/{1.73_m2}`",
        ),
    ],
)
def test_unit_errors_have_exact_message_and_help(text, message, help_text):
    with pytest.raises(UnitError) as caught:
        parse_unit(text)
    assert caught.value.message == message
    assert caught.value.help == help_text
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_derived_units_use_preferred_symbols():
    mg, kg, day = parse_unit("mg"), parse_unit("kg"), parse_unit("day")
    assert mg.div(day).symbol == "mg/day"
    assert mg.div(kg).mul(kg).symbol == "mg"
    assert parse_unit("mg").div(parse_unit("dL")).symbol == "mg/dL"
    assert parse_unit("m").power(2).symbol == "m2"


def test_derived_units_compose_readable_symbols():
    assert parse_unit("mg").div(parse_unit("kg")).div(parse_unit("day")).symbol == "mg/kg/day"
    assert parse_unit("mg").div(parse_unit("kg.day")).symbol == "mg/kg/day"
    assert parse_unit("mg").div(parse_unit("/h")).symbol == "mg.h"
    assert parse_unit("mmol/fL").power(2).symbol == "mmol2/fL2"
    assert parse_unit("mg/kg").power(-1).symbol == "/mg.kg"


def test_dimension_names_for_messages():
    assert dimension_name(parse_unit("mg").dims) == "mass"
    assert dimension_name(parse_unit("h").dims) == "time"
    assert dimension_name(parse_unit("months").dims) == "calendar duration"
    assert dimension_name(parse_unit("mL").dims) == "volume"
    assert dimension_name(parse_unit("%").dims) == "percent"
    assert dimension_name(parse_unit("mg/day").dims) == "mass/time"
    assert dimension_name(parse_unit("mg/dL").dims) == "mass/volume"
    assert dimension_name(parse_unit("mmol/L").dims) == "amount/volume"
    assert dimension_name(parse_unit("1").dims) == "dimensionless"
    assert dimension_name(parse_unit("kg/m2").dims) == "mass·length^-2"


def test_parse_unit_is_cached():
    assert parse_unit("mg/dL") is parse_unit("mg/dL")


ATOMS = [
    "mg",
    "g",
    "kg",
    "mcg",
    "mL",
    "dL",
    "fL",
    "m",
    "cm2",
    "h",
    "day",
    "week",
    "month",
    "year",
    "mmol",
    "IU",
    "U",
    "%",
    "mmHg",
    "10*9",
    "{cells}",
    "/min",
    "mg/dL",
    "kg.m-2",
    "mL/min/{1.73_m2}",
]


@given(st.sampled_from(ATOMS), st.sampled_from(ATOMS), st.booleans())
def test_derived_symbols_parse_back_to_the_same_unit(left, right, divide):
    """Law: the symbol shown for a product or quotient, parsed again, denotes that same unit."""
    a, b = parse_unit(left), parse_unit(right)
    derived = a.div(b) if divide else a.mul(b)
    assert parse_unit(derived.symbol) == derived


@given(st.sampled_from(ATOMS), st.integers(min_value=-3, max_value=3))
def test_power_symbols_parse_back_to_the_same_unit(text, n):
    """Law: ``u.power(n)`` has factor ``u.factor**n``, dims scaled by n, and a symbol that parses back to it."""
    u = parse_unit(text)
    powered = u.power(n)
    assert powered.factor == u.factor**n
    assert powered.dims == tuple(e * n for e in u.dims)
    try:
        assert parse_unit(powered.symbol) == powered
    except UnitError as err:  # `10*27`: beyond the exponent bound (README, "Security and limits"), said so
        assert "too large" in err.message and max(int(x) for x in re.findall(r"\d+", powered.symbol)) > 24
