"""Evaluation fixtures as data: tests/fixtures/evaluation/SUITE/ holds criteria (criteria.elig, or a
`criteria_file` named in cases.json relative to the repository) and cases.json: for each record, the
expected outcome, status per criterion, missing facts and, where given, the one-line summary."""

import json
from pathlib import Path

import pytest

from eligibility_dsl import Status, compile_file
from eligibility_dsl.explain import summarize
from eligibility_dsl.explain.render import _Source

ROOT = Path(__file__).parent.parent
SUITES = sorted((Path(__file__).parent / "fixtures" / "evaluation").glob("*/cases.json"))


def load(cases_path: Path):
    spec = json.loads(cases_path.read_text(encoding="utf-8"))
    criteria = ROOT / spec["criteria_file"] if "criteria_file" in spec else cases_path.parent / "criteria.elig"
    return compile_file(criteria), spec


def all_cases():
    for path in SUITES:
        spec = json.loads(path.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            yield pytest.param(path, case, id=f"{path.parent.name}: {case['name']}")


@pytest.mark.parametrize(("suite", "case"), list(all_cases()))
def test_case(suite: Path, case: dict):
    trial, spec = load(suite)
    decision = trial.evaluate(case["record"], spec["anchors"])
    statuses = {c.id: str(c.status) for c in decision.criteria}
    assert statuses == case["criteria"]
    assert str(decision.outcome) == case["outcome"]
    for cid, expected in case.get("missing", {}).items():
        assert list(decision.criterion(cid).missing) == expected, cid
    for c in decision.criteria:  # a criterion that is decided reports nothing missing
        if c.status is not Status.UNKNOWN:
            assert c.missing == (), c.id
    assert list(decision.missing) == case.get("decision_missing", [])
    if "reasons" in case:
        assert list(decision.reasons) == case["reasons"]
    src = _Source(decision.source)
    for cid, sentence in case.get("summaries", {}).items():
        assert summarize(decision.criterion(cid).trace, src) == sentence


@pytest.mark.parametrize(("suite", "case"), list(all_cases()))
def test_untraced_and_fast_modes_agree_with_the_traced_decision(suite: Path, case: dict):
    trial, spec = load(suite)
    traced = trial.evaluate(case["record"], spec["anchors"])
    plain = trial.evaluate(case["record"], spec["anchors"], trace=False)
    fast = trial.evaluate(case["record"], spec["anchors"], fast=True)
    assert plain.outcome == traced.outcome == fast.outcome
    assert plain.criteria == traced.criteria  # traces are excluded from equality
    assert plain.missing == traced.missing
    evaluated = [c for c in fast.criteria if c.status is not Status.NOT_EVALUATED]
    assert evaluated == list(traced.criteria[: len(evaluated)])
