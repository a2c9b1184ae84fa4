"""Never / always met (W0122, W0123): the interval domain's laws, and the warnings `elig check` gives on a
data file (tests/fixtures/intervals/never_always.elig: each case one line, the quiet ones at the end)."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.api import check_source
from eligibility_dsl.check.intervals import IntervalSet, interval_warnings
from eligibility_dsl.check.unused import with_unused
from eligibility_dsl.report import render_text

FIXTURE = Path(__file__).parent / "fixtures" / "intervals" / "never_always.elig"
OPS = ("<", "<=", ">", ">=", "=", "!=")
HOLDS = {"<": lambda x, c: x < c, "<=": lambda x, c: x <= c, ">": lambda x, c: x > c,
         ">=": lambda x, c: x >= c, "=": lambda x, c: x == c, "!=": lambda x, c: x != c}

# Bounds and probe points on a small grid, so that ends meet often (the cases that need care).
bounds = st.integers(-3, 3).map(Decimal)
atoms = st.tuples(st.sampled_from(OPS), bounds)


def member(s: IntervalSet, x) -> bool:
    for low, low_closed, high, high_closed in s.parts:
        above = low is None or x > low or (low_closed and x == low)
        below = high is None or x < high or (high_closed and x == high)
        if above and below:
            return True
    return False


PROBES = [Decimal(n) / 2 for n in range(-9, 10)]


@st.composite
def formulas(draw, depth=0):
    """(IntervalSet, predicate) pairs built from comparisons with and / or / not."""
    if depth >= 3 or draw(st.booleans()):
        op, c = draw(atoms)
        return IntervalSet.compare(op, c), (lambda x, op=op, c=c: HOLDS[op](x, c))
    kind = draw(st.sampled_from(("and", "or", "not")))
    a, fa = draw(formulas(depth + 1))
    if kind == "not":
        return a.complement(), (lambda x: not fa(x))
    b, fb = draw(formulas(depth + 1))
    if kind == "and":
        return a & b, (lambda x: fa(x) and fb(x))
    return a | b, (lambda x: fa(x) or fb(x))


@given(formulas())
def test_the_set_holds_exactly_the_values_that_make_the_formula_true(pair):
    """Law: x is in the set of a formula iff the formula is true at x (probed on a grid finer than the
    bounds', so every open and closed end is tested from both sides)."""
    s, holds = pair
    for x in PROBES:
        assert member(s, x) == holds(x), (s, x)


@given(formulas())
def test_complement_is_an_involution_and_partitions_the_line(pair):
    s, _ = pair
    assert s.complement().complement() == s
    assert (s | s.complement()).is_full()
    assert (s & s.complement()).is_empty()


def test_dates_and_quantities_in_other_units_are_ordered_as_the_runtime_orders_them():
    from eligibility_dsl.runtime.quantity import Quantity

    assert (IntervalSet.compare(">", date(2020, 1, 1)) & IntervalSet.compare("<", date(2020, 1, 2))).parts
    assert (IntervalSet.compare(">=", date(2020, 1, 2)) & IntervalSet.compare("<", date(2020, 1, 2))).is_empty()
    kg, g = Quantity(Decimal(2), "kg"), Quantity(Decimal(1500), "g")
    assert (IntervalSet.compare(">", kg) & IntervalSet.compare("<", g)).is_empty()
    assert not (IntervalSet.compare("<", kg) & IntervalSet.compare(">", g)).is_empty()


def rendered() -> str:
    text = FIXTURE.read_text(encoding="utf-8")
    trial, diagnostics = check_source(text, FIXTURE.name)
    return render_text(with_unused(trial, diagnostics), {FIXTURE.name: text})


def test_elig_check_prints_the_reviewed_warnings():
    """The fixture's rendered warnings (regenerate with UPDATE_FIXTURES=1 and read the diff)."""
    expected = FIXTURE.with_suffix(".expected")
    if os.environ.get("UPDATE_FIXTURES"):
        expected.write_text(rendered(), encoding="utf-8")
    assert rendered() == expected.read_text(encoding="utf-8")


def test_each_warning_is_located_on_its_condition_and_the_quiet_criterion_gets_none():
    trial, diagnostics = check_source(FIXTURE.read_text(encoding="utf-8"), FIXTURE.name)
    assert not diagnostics
    found = [(d.code, d.span.line) for d in interval_warnings(trial)]
    assert sorted(found) == [("W0122", 8), ("W0122", 17), ("W0122", 20), ("W0122", 23), ("W0123", 11),
                             ("W0123", 26)]
    assert all(d.severity == "warning" and d.help for d in interval_warnings(trial))


def test_the_shipped_trials_have_no_never_or_always_true_condition():
    from eligibility_dsl.api import compile_file

    root = Path(__file__).parent.parent / "trials"
    for path in [*root.glob("*.elig"), *(root / "examples").glob("*.elig")]:
        trial = compile_file(path, lib_path=[root / "lib"])
        assert interval_warnings(trial.checked) == [], path.name


def test_w0102_reports_unused_facts_code_sets_and_definitions():
    """The unused-declaration warning covers the three kinds the issue names (and tables, scores, anchors)."""
    text = ('trial T "t"\nanchor screening\nfact used: boolean\nfact spare: boolean\n'
            'codeset spare_codes "x":\n    ICD10 "A00"\ndefine spare_def: used\n'
            'include I1 "x":\n    used\n')
    trial, diagnostics = check_source(text, "t.elig")
    messages = [d.message for d in with_unused(trial, diagnostics) if d.code == "W0102"]
    assert messages == ["anchor `screening` is declared but never used", "fact `spare` is declared but never used",
                        "code set `spare_codes` is declared but never used",
                        "definition `spare_def` is declared but never used"]
