"""Exact quantities: the comparisons and arithmetic that decide eligibility at a cut-off."""

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.runtime.quantity import (
    Quantity,
    add,
    compare,
    div,
    divide_by_number,
    max_q,
    min_q,
    mul,
    scale,
    sub,
)
from eligibility_dsl.runtime.units import UnitMismatch, parse_unit


def q(value: str, unit: str) -> Quantity:
    return Quantity(Decimal(value), parse_unit(unit))


def test_exact_equalities_across_units():
    assert q("134.4", "h") * 5 == q("28", "days")
    assert scale(q("5.6", "days"), Decimal(5)) == q("28", "days")
    assert q("10", "mg/day") == q("0.07", "g/week")
    assert q("1", "cm") == q("0.01", "m")
    assert q("1", "week") == q("7", "days")
    assert q("1", "year") == q("12", "months")


def test_orderings_compare_exact_bases():
    assert q("999", "mg") < q("1", "g")
    assert q("1.0001", "g") > q("1000", "mg")
    assert q("60", "min") <= q("1", "h") <= q("3600", "s")
    assert compare(q("1", "h"), q("59", "min")) == 1
    assert compare(q("1", "h"), q("61", "min")) == -1
    assert compare(q("1.50", "mg"), q("1.5", "mg")) == 0


def test_mixing_dimensions_raises_instead_of_answering():
    with pytest.raises(UnitMismatch) as caught:
        compare(q("0.5", "1"), q("50", "%"))
    assert caught.value.message == "cannot compare `0.5` (dimensionless) with `50 %` (percent)"
    assert caught.value.help == "a percentage is not a plain number: write `50 %` rather than `0.5`"
    with pytest.raises(UnitMismatch) as caught:
        _ = q("1", "month") == q("30", "days")
    assert "calendar duration" in caught.value.message
    assert caught.value.help.startswith("months and years have no fixed length")
    with pytest.raises(UnitMismatch):
        add(q("1", "mg"), q("1", "mL"))
    with pytest.raises(UnitMismatch):
        q("1", "mg").to("mL")


def test_sum_is_expressed_in_the_finer_unit():
    total = add(q("28", "days"), q("12", "h"))
    assert total.unit.symbol == "h"
    assert total.value == Decimal(684)
    assert str(sub(q("1", "g"), q("1", "mg"))) == "999 mg"
    assert str(add(q("2", "mg"), q("3", "mg"))) == "5 mg"


def test_sum_falls_back_to_a_unit_that_holds_it_exactly():
    total = add(q("10", "mg/day"), q("1", "g/week"))
    assert str(total) == "1.07 g/week"
    assert total == q("10", "mg/day") + q("1", "g/week")
    # Neither unit holds 1 h/week + 1 min/day (= 67/7 min/day) exactly: rounded to 34 digits.
    rounded = add(q("1", "h/week"), q("1", "min/day"))
    assert rounded.unit.symbol == "min/day"
    assert rounded.value == Decimal("9.571428571428571428571428571428571")


def test_arithmetic_ignores_the_ambient_decimal_context():
    with localcontext() as context:
        context.prec = 3
        assert add(q("12345.678", "mg"), q("1", "mg")).value == Decimal("12346.678")
        assert scale(q("1.2345", "mg"), Decimal("1.1")).value == Decimal("1.35795")


def test_conversion_is_exact_when_it_can_be():
    assert q("0.07", "g/week").to("mg/day").value == Decimal(10)
    assert str(q("1", "L").to("mL")) == "1000 mL"
    assert q("1", "week").to(parse_unit("days")).value == Decimal(7)


def test_non_terminating_conversion_rounds_for_display_only():
    one_minute = q("1", "min")
    in_hours = one_minute.to("h")
    assert in_hours.value == Decimal("0.01666666666666666666666666667")  # 28 significant digits
    assert in_hours != one_minute  # the rounded display value is not passed off as exact


def test_products_and_quotients_combine_units():
    assert str(mul(q("5", "mg/kg"), q("70", "kg"))) == "350 mg"
    assert str(div(q("10", "mg"), q("1", "day"))) == "10 mg/day"
    assert str(div(q("10", "mg"), q("2", "dL"))) == "5 mg/dL"
    assert mul(q("3", "/min"), q("2", "min")) == Decimal(6)


def test_quotient_of_same_dimension_is_a_plain_number():
    assert div(q("1", "week"), q("1", "day")) == Decimal(7)
    assert q("50", "%") / q("25", "%") == Decimal(2)
    assert div(q("1", "mg"), q("3", "mg")) == Decimal("0.3333333333333333333333333333333333")


def test_division_rounds_to_34_digits_and_refuses_zero():
    assert divide_by_number(q("1", "mg"), Decimal(3)).value == Decimal("0." + "3" * 34)
    assert (q("28", "days") / 4).value == Decimal(7)
    with pytest.raises(ZeroDivisionError):
        divide_by_number(q("1", "mg"), Decimal(0))
    with pytest.raises(ZeroDivisionError):
        div(q("1", "mg"), q("0", "g"))
    with pytest.raises(ZeroDivisionError):
        div(q("1", "mg"), q("0", "day"))
    with pytest.raises(ZeroDivisionError):
        divide_by_number(q("0", "mg"), Decimal(0))
    with pytest.raises(ZeroDivisionError):
        div(q("0", "mg"), q("0", "day"))


def test_text_forms():
    assert str(q("48", "%")) == "48 %"
    assert str(q("10", "mg/day")) == "10 mg/day"
    assert str(q("5.6", "days")) == "5.6 days"
    assert str(q("1E+3", "mg")) == "1000 mg"
    assert str(q("2", "1")) == "2"
    assert repr(q("48", "%")) == "Quantity('48', '%')"
    assert repr(q("1E-7", "g")) == "Quantity('1E-7', 'g')"
    assert Quantity("48", "%") == q("48", "%")


def test_value_is_kept_exactly_as_written():
    assert q("5.60", "days").value.as_tuple() == Decimal("5.60").as_tuple()
    assert str(q("5.60", "days")) == "5.60 days"


def test_floats_and_non_finite_values_are_refused():
    with pytest.raises(TypeError):
        Quantity(0.1, "mg")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        scale(q("1", "mg"), 0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Quantity(Decimal("NaN"), "mg")
    with pytest.raises(ValueError):
        Quantity("Infinity", "mg")


def test_max_and_min_return_the_original_operand():
    week, days = q("1", "week"), q("8", "days")
    assert max_q(week, days) is days
    assert min_q(week, days) is week
    seven = q("7", "days")
    assert max_q(week, seven) is week  # tie: the first operand, as written
    assert min_q(seven, week) is seven


def test_equal_quantities_hash_alike():
    assert len({q("1", "week"), q("7", "days"), q("168", "h")}) == 1
    assert hash(q("1", "g")) == hash(q("1000", "mg"))


finite_decimals = st.decimals(
    min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6
)
METRIC = ["kg", "g", "mg", "ug", "ng", "pg", "mcg"]
TIME = ["s", "min", "h", "day", "week"]


@given(finite_decimals, st.sampled_from(METRIC), st.sampled_from(METRIC))
def test_conversion_round_trip_is_exact(value, source, target):
    """Law: for power-of-ten units, converting to another unit and back gives the identical number,
    and every intermediate compares equal to the original."""
    original = q(str(value), source)
    there = original.to(target)
    back = there.to(source)
    assert there == original
    assert back.value == original.value
    assert back == original


@given(finite_decimals, st.sampled_from(TIME), finite_decimals, st.sampled_from(TIME))
def test_compare_is_a_total_order_consistent_with_base(v1, u1, v2, u2):
    """Law: compare(a, b) is the sign of base(a) - base(b); it is antisymmetric; equal implies equal hash."""
    a, b = q(str(v1), u1), q(str(v2), u2)
    expected = (a.base > b.base) - (a.base < b.base)
    assert compare(a, b) == expected
    assert compare(b, a) == -expected
    assert (a == b) == (expected == 0)
    if expected == 0:
        assert hash(a) == hash(b)


@given(finite_decimals, st.sampled_from(TIME), finite_decimals, st.sampled_from(TIME))
def test_sum_and_difference_are_exact(v1, u1, v2, u2):
    """Law: base(a + b) = base(a) + base(b) and base(a - b) = base(a) - base(b), exactly."""
    a, b = q(str(v1), u1), q(str(v2), u2)
    assert add(a, b).base == a.base + b.base
    assert sub(a, b).base == a.base - b.base
