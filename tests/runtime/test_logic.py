"""Kleene three-valued logic: how unknown patient data propagates through criteria."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.runtime.logic import and_, implies, is_true, not_, or_

T, F, U = True, False, None

# fmt: off
AND_TABLE = [
    (T, T, T), (T, F, F), (T, U, U),
    (F, T, F), (F, F, F), (F, U, F),
    (U, T, U), (U, F, F), (U, U, U),
]
OR_TABLE = [
    (T, T, T), (T, F, T), (T, U, T),
    (F, T, T), (F, F, F), (F, U, U),
    (U, T, T), (U, F, U), (U, U, U),
]
IMPLIES_TABLE = [
    (T, T, T), (T, F, F), (T, U, U),
    (F, T, T), (F, F, T), (F, U, T),
    (U, T, T), (U, F, U), (U, U, U),
]
# fmt: on


@pytest.mark.parametrize(("a", "b", "expected"), AND_TABLE)
def test_and_truth_table(a, b, expected):
    assert and_(a, b) is expected


@pytest.mark.parametrize(("a", "b", "expected"), OR_TABLE)
def test_or_truth_table(a, b, expected):
    assert or_(a, b) is expected


@pytest.mark.parametrize(("a", "b", "expected"), IMPLIES_TABLE)
def test_implies_truth_table(a, b, expected):
    assert implies(a, b) is expected


def test_not_and_is_true():
    assert not_(T) is F
    assert not_(F) is T
    assert not_(U) is U
    assert is_true(T) is True
    assert is_true(F) is False
    assert is_true(U) is False


def test_variadic_forms_and_empty_identities():
    assert and_() is T
    assert or_() is F
    assert and_(T, T, U, T) is U
    assert and_(U, T, F) is F
    assert or_(F, U, F) is U
    assert or_(U, F, T) is T


def test_non_truth_values_are_refused():
    for bad in (0, 1, "", "yes"):
        with pytest.raises(TypeError):
            and_(T, bad)
        with pytest.raises(TypeError):
            not_(bad)


truths = st.sampled_from([T, F, U])


@given(truths, truths)
def test_de_morgan(a, b):
    """Law: not(a and b) == (not a) or (not b), and not(a or b) == (not a) and (not b)."""
    assert not_(and_(a, b)) is or_(not_(a), not_(b))
    assert not_(or_(a, b)) is and_(not_(a), not_(b))


@given(st.lists(truths, max_size=6))
def test_variadic_and_or_fold_the_binary_forms(values):
    """Law: and_/or_ over many operands equal the left fold of the binary operation, in any order."""
    folded_and, folded_or = T, F
    for value in values:
        folded_and, folded_or = and_(folded_and, value), or_(folded_or, value)
    assert and_(*values) is folded_and is and_(*reversed(values))
    assert or_(*values) is folded_or is or_(*reversed(values))
