"""A malformed or unknown code is never silently a non-match (issue 10 §2, property test).

The example SSc records (``trials/patients``) are evaluated as written and again with one code of one
event corrupted the way exports garble codes (a character replaced, dropped, inserted or swapped).

Laws, for every corruption of a code of an event a query of the trial found in its window:
- the corrupted event is still named: found, undecided, "not counted" in the full trace, or in a
  problem of the decision (never silently dropped);
- (or the record is refused, with the reason and its path: also visible);
- a corruption that makes the code malformed for its system never turns a decision that was not
  ELIGIBLE into ELIGIBLE, and its problem is reported.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility_dsl import Outcome, compile_file
from eligibility_dsl.explain.render import render_text
from eligibility_dsl.records.binder import RecordError
from eligibility_dsl.runtime.code_formats import code_problem
from eligibility_dsl.runtime.codes import normalize_system

ROOT = Path(__file__).parent.parent
ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}
RECORDS = sorted((ROOT / "trials" / "patients").glob("*.json"))
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-"


@lru_cache(maxsize=1)
def trial():
    return compile_file(ROOT / "trials" / "ssc_telitacicept.elig")


@cache
def original(path: Path):
    record = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    decision = trial().evaluate(record, ANCHORS, trace="full")
    return record, decision, _found(decision)


def _found(decision) -> list[tuple[str, int]]:
    """(event id, coding index) of the coded events some query found in its window."""
    ids: set[str] = set()
    for c in decision.criteria:
        stack = [c.trace] if c.trace is not None else []
        while stack:
            t = stack.pop()
            if t.evidence is not None:
                ids.update(e.id for e in t.evidence.matched)
            stack.extend(t.children)
    return sorted(ids)


def _codings(event: dict) -> list[dict]:
    code = event.get("code")
    return code if isinstance(code, list) else [code] if isinstance(code, dict) else []


def _corrupt(text: str, op: str, i: int, ch: str) -> str:
    i %= len(text) + (op == "insert")
    if op == "replace":
        return text[:i] + ch + text[i + 1:]
    if op == "delete":
        return text[:i] + text[i + 1:]
    if op == "insert":
        return text[:i] + ch + text[i:]
    j = min(i + 1, len(text) - 1)
    return text[:i] + text[j] + text[i + 1:j] + text[i] + text[j + 1:] if j > i else text


def _events(record: dict):
    for events in record.values():
        if isinstance(events, list):
            for event in events:
                if isinstance(event, dict) and "id" in event:
                    yield event


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(RECORDS), pick=st.integers(0, 10_000), which=st.integers(0, 10),
       op=st.sampled_from(("replace", "delete", "insert", "swap")), at=st.integers(0, 20),
       ch=st.sampled_from(ALPHABET))
def test_a_corrupted_code_is_never_silently_dropped(path, pick, which, op, at, ch):
    record, before, found = original(path)
    if not found:
        return
    target = found[pick % len(found)]
    corrupted = copy.deepcopy(record)
    event = next(e for e in _events(corrupted) if e["id"] == target)
    codings = _codings(event)
    coding = codings[which % len(codings)]
    new = _corrupt(coding["code"], op, at, ch)
    if not new.strip() or new == coding["code"]:
        return
    coding["code"] = new
    try:
        after = trial().evaluate(corrupted, ANCHORS, trace="full")
    except RecordError as err:  # refused with its path (an mRSS's components need the mRSS code): visible
        assert err.issues
        return
    problems = [p for c in after.criteria for p in c.problems]
    text = render_text(after, "full", width=None, checked=trial().checked)
    assert target in text or any(target in p for p in problems), (target, new)
    system = normalize_system(coding["system"])
    if system is not None and code_problem(system, new) is not None:
        assert any(f"record {target}:" in p for p in problems), (target, new, problems)
        if before.outcome is not Outcome.ELIGIBLE:
            assert after.outcome is not Outcome.ELIGIBLE, (target, new)
