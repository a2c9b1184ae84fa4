"""Example patients for the flagship trial (trials/ssc_telitacicept.elig), all as data.

The trial's test files, under trials/tests/ssc_telitacicept/ (the `elig test` format, docs/authoring.md;
tests/test_authoring.py runs them through `elig test` too):

- ``base.json`` is a clean ELIGIBLE record; ``<ID>.test.json`` holds, for each of the trial's 20
  criteria, exactly three cases (MET, NOT_MET, UNKNOWN), each an RFC 7386 JSON merge patch applied to
  base.json with the expected status of that one criterion and a sentence saying why.
- ``patients.test.json`` holds whole patients: a plain record under trials/patients/ (usable with the
  CLI), its anchors, and the expected outcome, status of every criterion, decision.missing,
  decision.reasons, and substrings that the criterion's full explanation must contain.

Here the same files are read independently of the runner, with the laws the runner does not check (an
UNKNOWN says what would settle it, the evaluation modes agree). No patient is written in Python here.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from boundaries import BASE_FILE, SSC_TESTS, merge_patch, ssc_criterion_cases, ssc_whole_patients

from eligibility_dsl import Status, compile_file

ROOT = Path(__file__).parent.parent
TRIAL_FILE = ROOT / "trials" / "ssc_telitacicept.elig"
ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}  # the anchors of base.json's cases
STATUSES = ("MET", "NOT_MET", "UNKNOWN")


def load_json(path: Path) -> Any:
    # Exact decimals, as the CLI reads records.
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)



@pytest.fixture(scope="module")
def trial():
    return compile_file(TRIAL_FILE)  # compiled once for the module


@pytest.fixture(scope="module")
def base():
    return load_json(BASE_FILE)


# ------------------------------------------------------------------ per-criterion cases

def criterion_files() -> dict[str, list[dict]]:
    """Each criterion's cases as they are written in its test file."""
    return {p.name.removesuffix(".test.json"): load_json(p)["cases"] for p in sorted(SSC_TESTS.glob("[IE]*.test.json"))}


def criterion_cases():
    for cid, case in ssc_criterion_cases():
        yield pytest.param(cid, case, id=f"{cid}-{case['expected']}")


def test_merge_patch_follows_rfc_7386():
    # The examples of RFC 7386, section 3, that matter here.
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": "b", "b": "c"}, {"a": None}) == {"b": "c"}
    assert merge_patch({"a": ["b"]}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "c"}, {"a": ["b"]}) == {"a": ["b"]}
    assert merge_patch({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}) == {"a": {"b": "d"}}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch([1, 2], {"a": "b", "c": None}) == {"a": "b"}
    assert merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}
    original = {"a": {"b": [1]}}
    merge_patch(original, {"a": {"b": None}})
    assert original == {"a": {"b": [1]}}  # the target is not modified


def test_base_record_is_eligible(trial, base):
    decision = trial.evaluate(base, ANCHORS)
    assert str(decision.outcome) == "ELIGIBLE", decision.explain()


@pytest.mark.parametrize(("criterion_id", "case"), list(criterion_cases()))
def test_criterion_case(trial, base, criterion_id: str, case: dict):
    record = merge_patch(base, case["patch"])
    result = trial.evaluate(record, ANCHORS).criterion(criterion_id)
    assert str(result.status) == case["expected"], f"{case['why']}\n{result.missing}"
    if case["expected"] == "UNKNOWN":
        assert result.missing, "an UNKNOWN criterion must say what data would settle it"
    else:
        assert result.missing == ()


def test_every_criterion_has_one_met_one_not_met_and_one_unknown_case(trial):
    files = criterion_files()
    ids = [c.id for c in trial.criteria]
    assert sorted(files) == sorted(ids), "one case file per criterion of the trial, and no other"
    for cid in ids:
        assert sorted(case["expect"]["criteria"][cid] for case in files[cid]) == sorted(STATUSES), cid
        for case in files[cid]:
            assert set(case) == {"name", "why", "patch", "expect"}, cid
            assert set(case["expect"]) == {"criteria"} and set(case["expect"]["criteria"]) == {cid}, cid
            assert case["why"].strip() and isinstance(case["patch"], dict), cid
        suite = load_json(SSC_TESTS / f"{cid}.test.json")
        assert suite["base"] == "base.json" and suite["anchors"] == ANCHORS, cid


# ------------------------------------------------------------------------ whole patients

def whole_patients():
    """Each whole patient as the old fixtures held it: record, anchors and the expectations."""
    for name, case in ssc_whole_patients():
        yield pytest.param({"record_path": case["record_path"], "anchors": case["anchors"], **case["expect"]}, id=name)


def explanation_by_criterion(text: str, ids: list[str]) -> dict[str, str]:
    """Cut ``decision.explain("full")`` into one block per criterion: each starts at the line that begins
    with the criterion's id and kind, and runs to the next such line."""
    header = re.compile(r"^\s*(" + "|".join(map(re.escape, ids)) + r")\s+(include|exclude)\s", re.MULTILINE)
    starts = [(m.start(), m.group(1)) for m in header.finditer(text)]
    blocks = {}
    for (start, cid), (end, _) in zip(starts, [*starts[1:], (len(text), None)], strict=False):
        blocks[cid] = text[start:end]
    return blocks


def evidence_cases():
    for param in whole_patients():
        spec, name = param.values[0], param.id
        for cid, substrings in spec.get("evidence", {}).items():
            for s in substrings:
                yield pytest.param(spec, cid, s, id=f"{name}-{cid}-{s}")


def decide(trial, spec: dict):
    return trial.evaluate(load_json(spec["record_path"]), spec["anchors"])


@pytest.mark.parametrize("spec", list(whole_patients()))
def test_whole_patient(trial, spec: dict):
    decision = decide(trial, spec)
    assert {c.id: str(c.status) for c in decision.criteria} == spec["criteria"], decision.explain()
    assert str(decision.outcome) == spec["outcome"]
    assert list(decision.reasons) == spec["reasons"]


@pytest.mark.parametrize("spec", list(whole_patients()))
def test_whole_patient_missing(trial, spec: dict):
    assert list(decide(trial, spec).missing) == spec["missing"]


@pytest.mark.parametrize(("spec", "criterion_id", "substring"), list(evidence_cases()))
def test_whole_patient_evidence(trial, spec: dict, criterion_id: str, substring: str):
    decision = decide(trial, spec)
    block = explanation_by_criterion(decision.explain("full"), [c.id for c in trial.criteria])[criterion_id]
    assert substring in block, f"{substring!r} not in the full explanation of {criterion_id}:\n{block}"


@pytest.mark.parametrize("spec", list(whole_patients()))
def test_whole_patient_modes_agree(trial, spec: dict):
    record = load_json(spec["record_path"])
    traced = trial.evaluate(record, spec["anchors"])
    plain = trial.evaluate(record, spec["anchors"], trace=False)
    fast = trial.evaluate(record, spec["anchors"], fast=True)
    assert traced.outcome == plain.outcome == fast.outcome
    assert plain.criteria == traced.criteria  # traces are excluded from equality
    assert plain.missing == traced.missing
    assert fast.reasons == traced.reasons[:1]  # fast mode stops at the first decisive criterion
    evaluated = [c for c in fast.criteria if c.status is not Status.NOT_EVALUATED]
    assert evaluated == list(traced.criteria[:len(evaluated)])


@pytest.mark.parametrize(("criterion_id", "case"), list(criterion_cases()))
def test_criterion_case_modes_agree(trial, base, criterion_id: str, case: dict):
    record = merge_patch(base, case["patch"])
    traced = trial.evaluate(record, ANCHORS)
    plain = trial.evaluate(record, ANCHORS, trace=False)
    fast = trial.evaluate(record, ANCHORS, fast=True)
    assert traced.outcome == plain.outcome == fast.outcome
    assert plain.criteria == traced.criteria


def test_whole_patients_cover_every_criterion_and_the_required_records():
    names = {p.id for p in whole_patients()}
    assert {"eligible", "ineligible_two_reasons", "indeterminate_missing_fvc", "methylprednisolone_conversion",
            "overlapping_prednisone"} <= names
    for param in whole_patients():
        spec = param.values[0]
        assert spec["record_path"].is_file(), spec["record_path"]
        assert set(spec) == {"record_path", "anchors", "outcome", "criteria", "missing", "reasons", "evidence"}
        assert set(spec["evidence"]) <= set(spec["criteria"]), param.id
