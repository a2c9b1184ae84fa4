"""`elig diff OLD NEW`: a protocol amendment criterion by criterion (fixtures in tests/fixtures/diff/).

The pair: I1 reworded through a definition (equivalent), I2's HbA1c floor raised (stricter), I3
widened with an `or` (looser, even with consent unknown), I4's protocol text only, E1's exclusion
window shortened (a history query: outside the solver's fragment, so random search), E2 removed,
E3 added.  Each example the tool gives is checked against the real evaluator.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eligibility_dsl.amendments.compare import compare_trials
from eligibility_dsl.amendments.report import diff
from eligibility_dsl.api import compile_file, compile_source
from eligibility_dsl.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
OLD, NEW = str(FIXTURES / "old.elig"), str(FIXTURES / "new.elig")
ANCHORS = {"screening": "2025-06-01"}


@pytest.fixture(scope="module")
def result() -> dict:
    return diff(OLD, NEW)


def _changed(result: dict, cid: str) -> dict:
    return next(c for c in result["changed"] if c["id"] == cid)


def test_criteria_added_removed_and_changed_by_id(result):
    assert [c["id"] for c in result["added"]] == ["E3"]
    assert [c["id"] for c in result["removed"]] == ["E2"]
    assert [c["id"] for c in result["changed"]] == ["I1", "I2", "I3", "I4", "E1"]


def test_verdicts(result):
    assert _changed(result, "I1")["verdict"] == "equivalent"  # `not (age < 18)` is `age >= 18`
    assert _changed(result, "I2")["verdict"] == "stricter"
    assert _changed(result, "I3")["verdict"] == "looser"
    i4 = _changed(result, "I4")
    assert i4["verdict"] == "equivalent" and i4["text_changed"] and not i4["logic_changed"]


def test_solver_examples_show_the_difference_on_the_real_evaluator(result):
    """The example the solver gives, made a record, gets the statuses it claims under both versions."""
    old, new = compile_file(OLD), compile_file(NEW)
    for cid, direction in (("I2", "stricter"), ("I3", "looser")):
        example = _changed(result, cid)["examples"][direction]
        facts = {}
        for name, value in example["values"].items():
            if value == "unknown":
                continue
            facts[name] = value == "true" if value in ("true", "false") else value
        record = {"record_version": "1", "id": "example", "facts": facts}
        for trial, status in ((old, example["old"]), (new, example["new"])):
            own = {**record, "facts": {k: v for k, v in facts.items() if k in trial.facts}}
            assert str(trial.evaluate(own, ANCHORS).criterion(cid).status) == status


def test_history_changes_go_to_random_search_and_say_so(result):
    e1 = _changed(result, "E1")
    assert e1["method"] == "random search"
    assert any("history" in what for what in e1["differing_outside_fragment"])
    assert e1["verdict"] == "looser"  # a shorter exclusion window excludes fewer patients
    example = e1["examples"]["looser"]
    assert (example["old"], example["new"]) == ("MET", "NOT_MET")
    # and the record really is treated so
    new = compile_file(NEW)
    own = {**example["record"], "facts": {k: v for k, v in example["record"]["facts"].items() if k in new.facts}}
    assert str(new.evaluate(own, example["anchors"]).criterion("E1").status) == "NOT_MET"


def test_unknown_is_a_status_of_its_own():
    """Replacing `x` by `x or y` is looser only through y, and `y` unknown leaves an unknown, not a pass."""
    head = 'trial "T" "t"\nfact x: boolean\nfact y: boolean\n'
    old = compile_source(head + 'include I1 "x": x\n').checked
    new = compile_source(head + 'include I1 "x": x and y\n').checked
    [entry] = compare_trials(old, new)["changed"]
    assert entry["verdict"] == "stricter"
    assert entry["examples"]["stricter"]["new"] in ("UNKNOWN", "NOT_MET")
    same = compile_source(head + 'include I1 "x": not not x\n').checked
    assert compare_trials(old, same)["changed"][0]["verdict"] == "equivalent"


def test_exclusions_read_the_other_way():
    head = 'trial "T" "t"\nfact n: number\n'
    old = compile_source(head + 'exclude E1 "n": n > 10\n').checked
    new = compile_source(head + 'exclude E1 "n": n > 5\n').checked
    assert compare_trials(old, new)["changed"][0]["verdict"] == "stricter"  # excludes more


def test_patients_table_and_the_criterion_behind_each_change(capsys):
    code = main(["diff", OLD, NEW, "--patients", str(FIXTURES / "patients"), "--anchor", "screening=2025-06-01",
                 "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    table = out["patients"]["table"]
    assert table["ELIGIBLE"] == {"ELIGIBLE": 1, "INDETERMINATE": 1, "INELIGIBLE": 1}
    assert table["INELIGIBLE"] == {"ELIGIBLE": 1, "INDETERMINATE": 0, "INELIGIBLE": 0}
    why = {p["patient"]: [c["id"] for c in p["criteria"]] for p in out["patients"]["changed"]}
    assert why == {"b_hba1c_7.json": ["I2"], "c_egfr_35.json": ["I3"], "d_unknown_lactation.json": ["E3"]}


def test_text_output_and_missing_anchor(capsys):
    assert main(["diff", OLD, NEW]) == 0
    text = capsys.readouterr().out
    assert "~ include I2: stricter" in text and "+ exclude E3" in text and "- exclude E2" in text
    assert main(["diff", OLD, NEW, "--patients", str(FIXTURES / "patients")]) == 2
    assert "--anchor screening=YYYY-MM-DD" in capsys.readouterr().err


def test_a_code_fact_takes_only_its_declared_values():
    """With `arm` one of `a`, `b`: `arm = "a"` and `arm != "b"` pass the same patients."""
    head = 'trial "T" "t"\nfact arm: code of ["a", "b"]\n'
    old = compile_source(head + 'include I1 "x": arm = "a"\n').checked
    new = compile_source(head + 'include I1 "x": arm != "b"\n').checked
    assert compare_trials(old, new)["changed"][0]["verdict"] == "equivalent"
