"""Evaluation grows near-linearly with the number of events, for every query form, traced or not.

Counted, not timed: the number of Python function calls (``sys.setprofile``) made while deciding a record
with 1,000 and then 10,000 events, per criterion. Linear work gives a ratio of about 10; sorting (in C) adds
nothing here, and anything quadratic would give about 100. The timed version, up to 100,000 events, is
``benchmarks/bench_scaling.py``.
"""

import sys

import pytest
from scaling import FORMS, SCREENING, TRIAL, record

from eligibility_dsl import compile_source

SCALE = compile_source(TRIAL)
BOUND = {n: SCALE.bind(record(n)) for n in (1_000, 10_000)}
ANCHORS = SCALE.parse_anchors({"screening": SCREENING})


def calls(criterion: str, n: int, trace: str) -> int:
    only = compile_source(TRIAL.split("include ")[0] + "include " + next(
        part for part in TRIAL.split("include ")[1:] if part.startswith(criterion + " ")))
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    bound, anchors = BOUND[n], only.parse_anchors({"screening": SCREENING})
    only.evaluate_bound(bound, anchors, trace=trace)  # batch constants prepared before counting
    sys.setprofile(profile)
    try:
        only.evaluate_bound(bound, anchors, trace=trace)
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("trace", ["off", "full"])
@pytest.mark.parametrize("criterion", FORMS)
def test_every_query_form_is_near_linear_in_events(criterion, trace):
    small, large = calls(criterion, 1_000, trace), calls(criterion, 10_000, trace)
    assert large / small <= 11, f"{criterion}: {small} calls for 1,000 events, {large} for 10,000"


def test_the_scaling_trial_decides_as_expected():
    decision = SCALE.evaluate_bound(BOUND[1_000], ANCHORS, trace="off")
    assert {c.id: str(c.status) for c in decision.criteria} == {
        "EXISTS": "MET", "COUNT": "MET", "DAYS_ON": "MET", "LATEST": "MET", "EARLIEST": "NOT_MET", "CHANGE": "MET",
        "STABLE": "NOT_MET", "STABLE_GAPS": "NOT_MET", "CONTINUOUS": "MET", "ALL": "MET", "POINT": "MET"}
