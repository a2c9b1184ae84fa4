"""Evaluation grows near-linearly with the number of events, for every query form, traced or not.

Counted, not timed: the number of Python function calls (``sys.setprofile``) made while deciding a record
with 1,000 and then 10,000 events, per criterion. Linear work gives a ratio of about 10; sorting (in C) adds
nothing here, and anything quadratic would give about 100. The timed version, up to 100,000 events, is
``benchmarks/bench_scaling.py``.
"""

import re
import sys
from pathlib import Path

import pytest
from lark import Tree
from scaling import FORMS, SCREENING, TRIAL, only, record

from eligibility_dsl import compile_source
from eligibility_dsl.language.syntax import parser

SCALE = compile_source(TRIAL)
BOUND = {n: SCALE.bind(record(n)) for n in (1_000, 10_000)}
ANCHORS = SCALE.parse_anchors({"screening": SCREENING})


def calls(criterion: str, n: int, trace: str) -> int:
    alone = compile_source(only(criterion))
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    bound, anchors = BOUND[n], alone.parse_anchors({"screening": SCREENING})
    alone.evaluate_bound(bound, anchors, trace=trace)  # batch constants prepared before counting
    sys.setprofile(profile)
    try:
        alone.evaluate_bound(bound, anchors, trace=trace)
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("trace", ["off", "full"])
@pytest.mark.parametrize("criterion", FORMS)
def test_every_query_form_is_near_linear_in_events(criterion, trace):
    small, large = calls(criterion, 1_000, trace), calls(criterion, 10_000, trace)
    assert large / small <= 11, f"{criterion}: {small} calls for 1,000 events, {large} for 10,000"


def test_the_scaling_trial_decides_as_expected():
    """1,000 events of each kind over 365 days: the last day holds two FVC results (54 %, 69 %: which came
    last is not known, but both are above 50 %) and two viral loads, one censored, so that `latest` is
    unknown; its two CMAI assessments list the same scores, so the item count is decided."""
    decision = SCALE.evaluate_bound(BOUND[1_000], ANCHORS, trace="off")
    assert {c.id: str(c.status) for c in decision.criteria} == {
        "EXISTS": "MET", "COUNT": "MET", "DAYS_ON": "MET", "LATEST": "MET", "EARLIEST": "NOT_MET", "CHANGE": "MET",
        "STABLE": "NOT_MET", "STABLE_GAPS": "NOT_MET", "CONTINUOUS": "MET", "ALL": "MET", "POINT": "MET",
        "DAILY_TOTAL": "NOT_MET", "RESULT_WORD": "MET", "RESULT_ALL": "MET", "CENSORED": "MET",
        "CENSORED_LATEST": "UNKNOWN", "HIGHEST": "MET", "LOWEST": "MET", "ITEMS": "MET"}


GRAMMAR = (Path(__file__).parent.parent / "grammars" / "elig.lark").read_text(encoding="utf-8")
# The query forms: every alternative of an atom that reads a `query`, by its alias (`-> days_on`).
QUERY_FORMS = set(re.findall(r"^\s+\|.*\bquery\b.*->\s*(\w+)", GRAMMAR, re.M))


def _rules(tree) -> set[str]:
    return {t.data for t in tree.iter_subtrees()} if isinstance(tree, Tree) else set()


def test_the_scaling_trial_holds_every_query_form_of_the_grammar():
    """A query form added to the grammar fails here until tests/scaling.py has a criterion using it; so do
    result words (`is`), gaps, table lookups and censored values."""
    assert {"exists", "count", "all", "latest", "earliest", "days_on", "stable", "continuous", "change",
            "daily_total"} <= QUERY_FORMS
    used = _rules(parser().parse(TRIAL))
    assert QUERY_FORMS | {"result_is", "gaps", "lookup"} <= used, QUERY_FORMS - used
    assert "<20 {copies}/mL" in str(record(2)["observations"])  # censored values among the events
    parts = TRIAL.split("\ninclude ")[1:]
    assert [p.split()[0] for p in parts] == list(FORMS)  # every criterion is measured
