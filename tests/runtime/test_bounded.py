"""Values known only between bounds: which comparisons they settle, and which stay unknown."""

import operator
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.runtime.bounded import Bounded, bounded_or_exact, compare_bounded
from eligibility_dsl.runtime.quantity import Quantity
from eligibility_dsl.runtime.units import UnitMismatch

D = Decimal


def days(n) -> Quantity:
    return Quantity(D(n), "days")


def test_text_forms():
    assert str(Bounded(D(3))) == "at least 3"
    assert str(Bounded(D(3), None)) == "at least 3"
    assert str(Bounded(days(14))) == "at least 14 days"
    assert str(Bounded(D(7), D(11))) == "between 7 and 11"
    assert str(Bounded(D("7.5"), D(11))) == "between 7.5 and 11"
    assert str(Bounded(days(7), days(11))) == "between 7 and 11 days"
    assert str(Bounded(Quantity(D(1), "week"), days(11))) == "between 1 week and 11 days"
    assert repr(Bounded(D(7), D(11))) == "Bounded(Decimal('7'), Decimal('11'))"


def test_ints_are_accepted_as_decimals():
    b = Bounded(3, 5)
    assert b.low == D(3) and type(b.low) is Decimal and type(b.high) is Decimal


def test_equality_and_hash():
    assert Bounded(D(3)) == Bounded(D("3.0"))
    assert hash(Bounded(D(3))) == hash(Bounded(D("3.0")))
    assert Bounded(D(3), D(5)) != Bounded(D(3))
    assert Bounded(D(3), D(5)) != Bounded(D(3), D(6))
    assert Bounded(days(7)) == Bounded(Quantity(D(1), "week"))
    assert hash(Bounded(days(7))) == hash(Bounded(Quantity(D(1), "week")))
    assert Bounded(D(7)) != Bounded(days(7))
    assert Bounded(D(3)) != D(3)


def test_invalid_bounds():
    with pytest.raises(ValueError, match="use bounded_or_exact"):
        Bounded(D(3), D(3))
    with pytest.raises(ValueError, match="lower bound `5` exceeds upper bound `3`"):
        Bounded(D(5), D(3))
    with pytest.raises(TypeError):
        Bounded(3.0)
    with pytest.raises(TypeError):
        Bounded(True)
    with pytest.raises(TypeError, match="a number and a quantity"):
        Bounded(D(3), days(5))
    with pytest.raises(UnitMismatch):
        Bounded(days(3), Quantity(D(5), "mg"))
    with pytest.raises(ValueError, match="not a finite number"):
        Bounded(D("NaN"))


def test_bounded_or_exact():
    assert bounded_or_exact(D(3), D(3)) == D(3)
    assert type(bounded_or_exact(D(3), D(3))) is Decimal
    assert bounded_or_exact(days(7), Quantity(D(1), "week")) == days(7)
    assert bounded_or_exact(D(3), D(4)) == Bounded(D(3), D(4))
    assert bounded_or_exact(D(3), None) == Bounded(D(3))


@pytest.mark.parametrize(
    ("a", "op", "b", "expected"),
    [
        (Bounded(D(3)), ">=", D(2), True),
        (Bounded(D(3)), "<", D(2), False),
        (Bounded(D(1)), ">", D(2), None),
        (Bounded(D(7), D(11)), ">=", D(9), None),
        (Bounded(D(9), D(11)), ">=", D(9), True),
        (Bounded(D(7), D(8)), ">=", D(9), False),
        (Bounded(D(7), D(8)), "<", D(9), True),
        (Bounded(D(7), D(9)), "<", D(9), None),
        (Bounded(D(7), D(9)), "<=", D(9), True),
        (Bounded(D(9), D(11)), "<", D(9), False),
        (Bounded(D(9), D(11)), "<=", D(9), None),
        (Bounded(D(10), D(11)), "<=", D(9), False),
        (Bounded(D(9), D(11)), ">", D(9), None),
        (Bounded(D(3)), "=", D(2), False),
        (Bounded(D(3)), "!=", D(2), True),
        (Bounded(D(3)), "=", D(5), None),
        (Bounded(D(3)), "!=", D(5), None),
        (Bounded(D(3), D(5)), "=", D(6), False),
        (Bounded(D(3), D(5)), "=", D(5), None),
        # Plain value on the left.
        (D(2), "<=", Bounded(D(3)), True),
        (D(2), ">", Bounded(D(3)), False),
        (D(9), "<=", Bounded(D(7), D(11)), None),
        # Bounded on both sides.
        (Bounded(D(1), D(2)), "<", Bounded(D(3), D(4)), True),
        (Bounded(D(1), D(3)), "<", Bounded(D(3), D(4)), None),
        (Bounded(D(1), D(3)), "<=", Bounded(D(3), D(4)), True),
        (Bounded(D(5)), ">", Bounded(D(1), D(4)), True),
        (Bounded(D(5)), ">", Bounded(D(6)), None),
        (Bounded(D(1), D(2)), "=", Bounded(D(3), D(4)), False),
        (Bounded(D(1), D(3)), "=", Bounded(D(3), D(4)), None),
        (Bounded(D(1), D(3)), "!=", Bounded(D(4)), True),
        # Exact values compare as usual.
        (D(2), "=", D("2.00"), True),
        (D(2), "!=", D(2), False),
        (D(2), "<", D(3), True),
        (D(3), "<", D(3), False),
        (D(3), ">=", D(3), True),
        (3, ">", 2, True),
        # Quantities compare exactly across units.
        (Bounded(days(14)), ">=", Quantity(D(2), "weeks"), True),
        (Bounded(days(13)), ">=", Quantity(D(2), "weeks"), None),
        (Bounded(days(10), days(13)), ">=", Quantity(D(2), "weeks"), False),
        (Bounded(Quantity(D(1), "week"), days(13)), "<", Quantity(D(2), "weeks"), True),
        # Unknown stays unknown.
        (None, "<", D(3), None),
        (Bounded(D(3)), ">=", None, None),
    ],
)
def test_compare_bounded(a, op, b, expected):
    assert compare_bounded(op, a, b) is expected


def test_compare_bounded_errors():
    with pytest.raises(ValueError, match="unknown comparison `==`"):
        compare_bounded("==", D(1), D(2))
    with pytest.raises(UnitMismatch):
        compare_bounded("<", Bounded(days(3)), Quantity(D(1), "mg"))
    with pytest.raises(TypeError):
        compare_bounded("<", Bounded(D(3)), days(1))
    with pytest.raises(TypeError):
        compare_bounded("<", D(1), 1.5)


PLAIN = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
OPS = st.sampled_from(sorted(PLAIN))
_numbers = st.integers(-20, 20).map(D) | st.decimals(-20, 20, places=1, allow_nan=False, allow_infinity=False)


@st.composite
def ranges(draw):
    """(an exact value or a Bounded, one concrete value inside its range)."""
    low = draw(_numbers)
    kind = draw(st.sampled_from(["exact", "between", "at least"]))
    if kind == "exact":
        return low, low
    if kind == "at least":
        return Bounded(low), low + draw(st.integers(0, 50))
    high = low + draw(st.integers(1, 10))
    inside = draw(st.sampled_from([low, high])) if draw(st.booleans()) else low + (high - low) / 2
    return Bounded(low, high), inside


@given(OPS, ranges(), ranges())
def test_compare_bounded_is_sound(op, a, b):
    """Law (soundness): for any x in A's range and y in B's range, if compare_bounded(op, A, B)
    is not None then it equals op(x, y).  Endpoints are drawn often, since that is where
    strict and non-strict comparisons differ."""
    (range_a, x), (range_b, y) = a, b
    result = compare_bounded(op, range_a, range_b)
    if result is not None:
        assert result == PLAIN[op](x, y)


@given(OPS, _numbers, _numbers)
def test_compare_bounded_on_exact_values_is_plain_comparison(op, x, y):
    """Law: with exact values on both sides, compare_bounded(op, x, y) == op(x, y), never None."""
    assert compare_bounded(op, x, y) is PLAIN[op](x, y)


@given(OPS, ranges(), ranges())
def test_swapping_sides_mirrors_the_operator(op, a, b):
    """Law: compare_bounded(op, A, B) == compare_bounded(mirror(op), B, A)."""
    mirror = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
    assert compare_bounded(op, a[0], b[0]) is compare_bounded(mirror[op], b[0], a[0])


@given(ranges(), ranges())
def test_negation_is_kleene(a, b):
    """Law: `<` and `>=` (likewise `>`/`<=`, `=`/`!=`) are Kleene negations of each other."""
    negate = {True: False, False: True, None: None}
    for op, opposite in (("<", ">="), (">", "<="), ("=", "!=")):
        assert compare_bounded(op, a[0], b[0]) is negate[compare_bounded(opposite, a[0], b[0])]


_finite = st.tuples(_numbers, st.integers(0, 10)).map(lambda t: bounded_or_exact(t[0], t[0] + t[1]))


def _corners(v):
    return (v.low, v.high) if isinstance(v, Bounded) else (v, v)


@given(st.sampled_from(["<", "<=", ">", ">="]), _finite, _finite)
def test_orderings_decide_whenever_the_corners_agree(op, a, b):
    """Law (completeness, orderings on bounded ranges): the result is None exactly when the
    comparison differs between some pair of endpoints; since orderings are monotone, the
    endpoints decide every value in between."""
    answers = {PLAIN[op](x, y) for x in _corners(a) for y in _corners(b)}
    expected = answers.pop() if len(answers) == 1 else None
    assert compare_bounded(op, a, b) is expected
