"""Issue 8: all runtime arithmetic runs in the runtime's own decimal contexts (runtime/decimal_context.py).

A caller's thread-local decimal context (a precision of 1, every trap on, flooring) changes no decision, no
trace and no decision record; a result beyond the runtime's bounds is an UNKNOWN naming the arithmetic,
never an exception, an Infinity or a silent zero."""

import decimal
import json
from decimal import Decimal
from pathlib import Path

import pytest
import strategies as S
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility_dsl import compile_source
from eligibility_dsl.explain.record import RecordBuilder
from eligibility_dsl.explain.render import render_text
from eligibility_dsl.language.loader import file_loader
from eligibility_dsl.runtime import decimal_context as DC

ROOT = Path(__file__).parent.parent
TRIAL_PATH = ROOT / "trials" / "ssc_telitacicept.elig"
TRIAL = compile_source(TRIAL_PATH.read_text(), str(TRIAL_PATH), file_loader)
ANCHORS = TRIAL.parse_anchors({"screening": "2025-09-11", "first_dose": "2025-09-20"})
PATIENTS = sorted((ROOT / "trials" / "patients").glob("*.json"))

ALL_TRAPS = [decimal.Clamped, decimal.DivisionByZero, decimal.Inexact, decimal.InvalidOperation,
             decimal.Overflow, decimal.Rounded, decimal.Subnormal, decimal.Underflow, decimal.FloatOperation]
HOSTILE = {
    # every operation that used the caller's context would round, overflow or raise here
    "prec-1-all-traps": decimal.Context(prec=1, Emax=1, Emin=-1, rounding=decimal.ROUND_FLOOR, traps=ALL_TRAPS),
    # ... or quietly give NaN, Infinity and three-digit sums
    "prec-3-no-traps": decimal.Context(prec=3, Emax=3, Emin=-3, rounding=decimal.ROUND_UP, traps=[]),
}


def everything_said(trial, record, anchors) -> tuple[str, str, str]:
    """The decision as the user sees it: the full text, the decision record, and the fast path's statuses."""
    decision = trial.evaluate(record, anchors, trace="full")
    built = RecordBuilder(trial.checked).build(decision, record, view="full", metadata={"evaluated_at": "t"})
    fast = trial.evaluate(record, anchors, trace="off", fast=True)
    return (render_text(decision, "full", 100, trial.checked), json.dumps(built, sort_keys=True, default=str),
            repr([(c.id, str(c.status)) for c in fast.criteria]))


@pytest.mark.parametrize("context", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("path", PATIENTS, ids=[p.stem for p in PATIENTS])
def test_a_hostile_caller_context_changes_no_decision_of_the_ssc_trial(path, context):
    record = json.loads(path.read_text(), parse_float=Decimal)
    expected = everything_said(TRIAL, record, ANCHORS)
    with decimal.localcontext(context):
        assert everything_said(TRIAL, record, ANCHORS) == expected


@settings(deadline=None)
@given(st.data(), st.sampled_from(sorted(HOSTILE)))
def test_law_the_callers_decimal_context_never_changes_an_answer(data, context_name):
    """Law: for random well-typed trials and records, evaluating inside any decimal context gives the same
    decision, trace and decision record as the default context."""
    source, _env = data.draw(S.trials(allow_unknown=True), label="trial")
    trial = compile_source(source, "generated.elig")
    record = data.draw(S.records(trial), label="record")
    anchors = trial.parse_anchors({name: S.DEFAULT_ANCHORS[name] for name in trial.anchors})
    expected = everything_said(trial, record, anchors)
    with decimal.localcontext(HOSTILE[context_name]):
        assert everything_said(trial, record, anchors) == expected


FORMULAS = """trial T "every formula"
anchor screening
fact n: number
include ROUND "round": round(n, 2) < 0.05
include ROUND0 "round to a whole": round(n * 100, 0) = 1
include SQRT "sqrt": sqrt(n) > 0.05
include LN "ln": ln(n) < 0
include EXP "exp": exp(n) > 1
include POW "power": n ^ 3 < 0.001
"""


@pytest.mark.parametrize("context", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("n", ["0.01", "2.5", "0.0000001"])
def test_a_hostile_caller_context_changes_no_formula(n, context):
    """Regression (found by the law below in CI: `round(f, 2)` raised Underflow under a caller's context with
    Emin=-1): every formula computes in the library's own context."""
    trial = compile_source(FORMULAS, "formulas.elig")
    record = {"id": "r", "birth_date": "1980-01-01", "sex": "female", "facts": {"n": n}}
    anchors = trial.parse_anchors({"screening": "2025-09-11"})
    expected = everything_said(trial, record, anchors)
    with decimal.localcontext(context):
        assert everything_said(trial, record, anchors) == expected


EXTREME = '''trial T "extreme arithmetic"
anchor screening
fact n: number
fact q: quantity in mg
define a: n * n * n * n * n * n * n * n * n * n
define b: a * a * a * a * a * a * a * a * a * a
define s: 1 / n / n / n / n / n / n / n / n / n / n
define t: s * s * s * s * s * s * s * s * s * s
include BIG "overflow": b * b * b * b > 1
include SMALL "underflow": t * t * t * t < 1
include QUANTITY "a quantity beyond 10^1000": q * b > 1 mg
include NEGATED "a negated overflow": -(b * b * b * b) < 1
include FINE "in range": a > 1
'''


@pytest.mark.parametrize("trace", ["full", "off"])
def test_arithmetic_beyond_the_bounds_is_unknown_with_a_problem(trace):
    trial = compile_source(EXTREME, "extreme.elig")
    anchors = trial.parse_anchors({"screening": "2025-01-01"})
    record = {"id": "x", "facts": {"n": "123456789012345678901234567890", "q": "1 mg"}}
    decision = trial.evaluate(record, anchors, trace=trace)
    status = {c.id: str(c.status) for c in decision.criteria}
    assert status == {"BIG": "UNKNOWN", "SMALL": "UNKNOWN", "QUANTITY": "UNKNOWN", "NEGATED": "UNKNOWN",
                      "FINE": "MET"}
    text = " ".join(render_text(trial.evaluate(record, anchors, trace="full"), "summary", 100, trial.checked).split())
    beyond = f"the result is beyond the range of exact numbers (10^-{DC.EMAX} to 10^{DC.EMAX})"
    assert text.count(beyond) == 3 and "beyond the limit of 10^1000" in text
    assert str(decision.outcome) == "INDETERMINATE"


def test_the_runtime_contexts_trap_every_bound():
    for context in (DC.EXACT, DC.DIVISION):
        assert all(context.traps[t] for t in DC.TRAPS) and context.Emax == DC.EMAX and context.Emin == -DC.EMAX
    assert DC.EXACT.prec == decimal.MAX_PREC and DC.DIVISION.prec == 34
    with pytest.raises(decimal.Overflow):
        DC.EXACT.multiply(Decimal("1e9000"), Decimal("1e9000"))
    with pytest.raises(ArithmeticError):
        DC.EXACT.multiply(Decimal("1e-9000"), Decimal("1e-9000"))


@pytest.mark.parametrize("context", HOSTILE.values(), ids=HOSTILE.keys())
def test_compiling_inside_a_hostile_context_generates_the_same_module(context):
    with decimal.localcontext(context):
        again = compile_source(TRIAL_PATH.read_text(), str(TRIAL_PATH), file_loader)
    assert again.python_source == TRIAL.python_source
