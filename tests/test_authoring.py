"""`elig test` (eligibility_dsl.authoring): test files next to a trial, the runner, and outcome coverage.

- the SSc trial's example patients (trials/tests/ssc_telitacicept/, moved there from the test tree) pass
  through `elig test`, and reach every status of every criterion;
- a failing expectation is reported with what was expected, what came, and the criterion's explanation;
  a test file that does not fit is a failed file listing its problems, never a traceback;
- coverage on a small trial whose tests are known (tests/fixtures/authoring/): exact figures for
  outcomes, thresholds and window edges, and `--threshold`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from boundaries import SSC_TESTS

from eligibility_dsl.authoring import load_suite, merge_patch, run_tests
from eligibility_dsl.cli import main

ROOT = Path(__file__).parent.parent
SSC_TRIAL = ROOT / "trials" / "ssc_telitacicept.elig"
SMALL = ROOT / "tests" / "fixtures" / "authoring"


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


# ------------------------------------------------------------------------------- the SSc example patients

def test_the_ssc_example_patients_pass_through_elig_test(capsys):
    code, out = run(capsys, "test", str(SSC_TRIAL))
    assert code == 0, out
    assert "22 files, 76 cases: 76 passed, 0 failed" in out


def test_every_moved_case_is_run():
    """20 criteria with a MET, NOT_MET and UNKNOWN case each, and the 8 whole patients."""
    result = run_tests([SSC_TRIAL])
    names = {(Path(s.path).name, c.name) for s in result.suites for c in s.cases}
    assert len(names) == 76 and result.passed
    assert ("I3.test.json", "I3 UNKNOWN") in names and ("patients.test.json", "leap_day_birthday") in names


def test_the_ssc_tests_reach_every_status_of_every_criterion():
    result = run_tests([SSC_TESTS], coverage=True)
    (cov,) = result.coverage.values()
    criteria = [p for p in cov.points.values() if p.kind == "criterion"]
    assert len(criteria) == 20 and all(not p.missing for p in criteria), [(p.owner, p.missing) for p in criteria]


def test_json_format(capsys):
    code, out = run(capsys, "test", str(SSC_TESTS / "I3.test.json"), "--format", "json", "--coverage")
    data = json.loads(out)
    assert code == 0 and data["passed"] and data["summary"]["cases"] == 3
    assert [c["name"] for c in data["files"][0]["cases"]] == ["I3 MET", "I3 NOT_MET", "I3 UNKNOWN"]
    (trial_coverage,) = data["coverage"]["trials"].values()
    assert set(trial_coverage) >= {"outcomes", "boundaries", "points", "percent"}


# ------------------------------------------------------------------------------------------ failures

def write_suite(folder: Path, name: str, data: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path) -> Path:
    """A copy of the SSc trial with its library and its base record, and an empty tests folder."""
    shutil.copy(SSC_TRIAL, tmp_path / "ssc_telitacicept.elig")
    shutil.copytree(ROOT / "trials" / "lib", tmp_path / "lib")
    tests = tmp_path / "tests" / "ssc_telitacicept"
    tests.mkdir(parents=True)
    shutil.copy(SSC_TESTS / "base.json", tests / "base.json")
    return tests


ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}


def test_a_failure_shows_expected_got_and_the_explanation(workspace, capsys):
    write_suite(workspace, "wrong.test.json", {"base": "base.json", "anchors": ANCHORS, "cases": [
        {"name": "wrong", "why": "on purpose", "patch": {"facts": {"consented": False}},
         "expect": {"outcome": "ELIGIBLE", "criteria": {"I1": "MET", "I2": "MET"}, "reasons": [],
                    "evidence": {"I2": ["46 years", "no such text"]}}}]})
    code, out = run(capsys, "test", str(workspace))
    assert code == 1
    assert "FAIL  " in out and "✗ wrong" in out and "why: on purpose" in out
    assert "outcome: expected ELIGIBLE, got INELIGIBLE" in out
    assert "criterion I1: expected MET, got NOT_MET" in out
    assert "I1   include  NOT_MET" in out  # the criterion's explanation follows
    assert "reasons: expected and got differ (- expected, + got):" in out and "+ I1" in out and "+ E1" in out
    assert "evidence of I2: not in the explanation: `no such text`" in out
    assert "criterion I2" not in out  # what held is not reported
    assert "1 case: 0 passed, 1 failed" in out


def test_expected_missing_data_is_compared_exactly(workspace, capsys):
    write_suite(workspace, "missing.test.json", {"base": "base.json", "anchors": ANCHORS, "cases": [
        {"name": "no consent recorded", "patch": {"facts": {"consented": None}},
         "expect": {"outcome": "INDETERMINATE",
                    "missing": ["consented", "observations history complete over up to 2025-09-11, inclusive"],
                    "criteria": {"E1": {"status": "UNKNOWN", "missing": ["consented"]}}}},
        {"name": "wrong list", "patch": {"facts": {"consented": None}}, "expect": {"missing": ["fvc"]}}]})
    code, out = run(capsys, "test", str(workspace))
    assert code == 1 and "✗ wrong list" in out and "✗ no consent" not in out
    assert "- fvc" in out and "+ consented" in out and "+ observations history complete" in out


def test_a_test_file_that_does_not_fit_lists_its_problems_and_the_others_still_run(workspace, capsys):
    write_suite(workspace, "bad.test.json", {"base": "base.json", "anchors": ANCHORS, "cases": [
        {"name": "a", "expcet": {"outcome": "ELIGIBLE"}},
        {"name": "b", "expect": {"criteria": {"I33": "MET", "I2": "maybe"}}}]})
    (workspace / "broken.test.json").write_text('{"cases": [', encoding="utf-8")
    write_suite(workspace, "good.test.json", {"base": "base.json", "anchors": ANCHORS,
                                             "cases": [{"name": "base", "expect": {"outcome": "ELIGIBLE"}}]})
    code, out = run(capsys, "test", str(workspace))
    assert code == 1 and "Traceback" not in out
    assert "unknown key `expcet` (did you mean `expect`?)" in out
    assert "the trial has no criterion `I33`" in out and "`maybe` is not one of MET, NOT_MET, UNKNOWN" in out
    assert "invalid JSON at line 1" in out
    assert "ok    " in out and "good.test.json (1 case)" in out
    assert "2 files could not be run" in out


def test_a_record_that_does_not_fit_fails_its_case(workspace, capsys):
    write_suite(workspace, "record.test.json", {"base": "base.json", "anchors": {"screening": "2025-09-11"},
                                               "cases": [{"name": "x", "patch": {"smoker": True},
                                                          "expect": {"outcome": "ELIGIBLE"}}]})
    code, out = run(capsys, "test", str(workspace))
    assert code == 1 and "record: expected a record and anchors that fit the trial" in out
    assert "smoker" in out or "first_dose" in out


def test_no_test_files_is_an_input_error(tmp_path, capsys):
    assert main(["test", str(tmp_path)]) == 2
    assert "no test files" in capsys.readouterr().err


def test_suite_records_are_merge_patches_over_the_base():
    suite = load_suite(SSC_TESTS / "I2.test.json")
    base = json.loads((SSC_TESTS / "base.json").read_text(encoding="utf-8"))
    raw = json.loads((SSC_TESTS / "I2.test.json").read_text(encoding="utf-8"))
    assert [c.record for c in suite.cases] == [merge_patch(base, c["patch"]) for c in raw["cases"]]
    assert suite.trial.endswith("ssc_telitacicept.elig")


# -------------------------------------------------------------------------------------------- coverage

def test_coverage_of_a_small_trial(capsys):
    """tests/fixtures/authoring: I1 tested at 17, 18 and 19 (its threshold fully covered); I2's window
    tested on its first day and the day before; nothing ever NOT_MET in I2 or UNKNOWN in I1."""
    result = run_tests([SMALL / "small.elig"], coverage=True)
    (cov,) = result.coverage.values()
    assert cov.figures() == {"outcomes": {"reached": 11, "total": 18}, "boundaries": {"reached": 5, "total": 12}}
    missing = {(p.kind, p.text, tuple(p.missing)) for p in cov.points.values() if p.missing}
    assert missing == {
        ("criterion", 'include I1 "adult": age at screening >= 18 years', ("UNKNOWN",)),
        ("criterion", 'include I2 "consent and lung function": consented and (fvc > 50 % o...', ("NOT_MET",)),
        ("branch", "consented", ("false", "unknown")),
        ("branch", "fvc > 50 % or exists observations during 3 months before screening", ("false",)),
        ("branch", "fvc > 50 %", ("false",)),
        ("branch", "exists observations during 3 months before screening", ("unknown",)),
        ("edge", "3 months before screening (first day)", ("above",)),
        ("edge", "3 months before screening (last day)", ("below", "on", "above")),
        ("threshold", "fvc > 50 %", ("below", "on", "above")),
    }
    code, out = run(capsys, "test", str(SMALL / "small.elig"), "--coverage")
    assert code == 0
    assert "outcomes    11 of 18 (61.1 %)" in out and "boundaries  5 of 12 (41.7 %)" in out
    assert "edge `3 months before screening (first day)` [first day 2025-06-11]: above" in out


def test_threshold(capsys):
    assert main(["test", str(SMALL / "small.elig"), "--threshold", "50"]) == 0
    capsys.readouterr()
    code, out = run(capsys, "test", str(SMALL / "small.elig"), "--threshold", "60")
    assert code == 1 and "coverage 53.3 % is below the threshold of 60 %" in out


def test_the_readme_example_test_file_passes(workspace, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Writing criteria"):]
    example = section[section.index("```json\n") + 8:section.index("```", section.index("```json\n") + 8)]
    (workspace / "readme.test.json").write_text(example, encoding="utf-8")
    code, out = run(capsys, "test", str(workspace))
    assert code == 0 and "1 case: 1 passed, 0 failed" in out, out
