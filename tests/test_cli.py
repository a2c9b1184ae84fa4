"""The `elig` command as a trial designer and a screening coordinator use it."""

import json
from pathlib import Path

import pytest

from eligibility_dsl.cli import main

ROOT = Path(__file__).parent.parent
TRIAL = str(ROOT / "trials" / "ssc_telitacicept.elig")
PATIENT = str(ROOT / "trials" / "patients" / "example.json")
FIVE = ROOT / "tests" / "fixtures" / "diagnostics" / "five_mistakes.elig"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_passes_on_the_trial_file(capsys):
    code, out, _ = run(capsys, "check", TRIAL)
    assert code == 0
    assert out.strip().endswith("ok (NCT06546540, 20 criteria)")


def test_check_reports_all_five_mistakes_with_line_and_column(capsys, monkeypatch):
    monkeypatch.chdir(FIVE.parent)
    code, out, _ = run(capsys, "check", FIVE.name)
    assert code == 1
    for location in ("five_mistakes.elig:8:5", "five_mistakes.elig:11:5", "five_mistakes.elig:13:9",
                     "five_mistakes.elig:17:5", "five_mistakes.elig:20:29"):
        assert f"--> {location}\n" in out
    assert out == FIVE.with_suffix(".expected").read_text(encoding="utf-8")


def test_check_json(capsys):
    code, out, _ = run(capsys, "check", str(FIVE), "--format", "json")
    assert code == 1
    assert [d["code"] for d in json.loads(out)] == ["E0101", "E0202", "E0102", "E0203", "E0001"]


ANCHORS = ("--anchor", "screening=2025-09-11", "--anchor", "first_dose=2025-09-25")


def test_eval_prints_an_explained_decision(capsys):
    code, out, _ = run(capsys, "eval", TRIAL, PATIENT, *ANCHORS)
    assert code == 0
    assert out.startswith("ELIGIBLE  NCT06546540 v1.0 · record example-eligible · screening 2025-09-11 · "
                          "first_dose 2025-09-25\n")
    text = " ".join(out.split())  # wrapped to the width: compare words
    assert "→ latest value of observations in fvc_percent_predicted 72 % is > 50 % — found o1: LOINC 19872-1" in text


def test_eval_json_and_full_explanations(capsys):
    code, out, _ = run(capsys, "eval", TRIAL, PATIENT, *ANCHORS, "--format", "json")
    assert code == 0 and json.loads(out)["content"]["outcome"] == "ELIGIBLE"
    code, out, _ = run(capsys, "eval", TRIAL, PATIENT, *ANCHORS, "--explain", "full")
    assert "found: o1: LOINC 19872-1 (FVC measured/predicted), 2025-08-28, value 72 %" in out
    assert ("prednisone_equivalent_dose: ATC H02AB04 (methylprednisolone) is in `methylprednisolone` → 4 mg"
            in " ".join(out.split()))  # a long note is wrapped to the width


def test_eval_of_a_list_of_records(capsys, tmp_path):
    record = json.loads(Path(PATIENT).read_text())
    second = dict(record, id="second")
    path = tmp_path / "many.json"
    path.write_text(json.dumps([record, second]))
    code, out, _ = run(capsys, "eval", TRIAL, str(path), *ANCHORS, "--format", "json")
    # one decision record per patient, one per line (JSON Lines: a batch streams)
    ids = [json.loads(line)["content"]["record"]["id"] for line in out.splitlines()]
    assert code == 0 and ids == ["example-eligible", "second"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--anchor", "screening=2025-02-30", "--anchor", "first_dose=2025-09-25"],
     "anchor `screening`: `2025-02-30` is not a valid date"),
    (["--anchor", "first_dose=2025-09-25"], "missing anchor `screening`"),
    (["--anchor", "screening"], "should be NAME=YYYY-MM-DD"),
])
def test_eval_input_mistakes_are_errors_not_tracebacks(capsys, argv, message):
    code, out, err = run(capsys, "eval", TRIAL, PATIENT, *argv)
    assert code == 2 and message in err and "Traceback" not in err
    assert out == ""  # nothing half-evaluated on standard output


def test_eval_reports_record_problems_with_paths(capsys, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"id": "x", "facts": {"consented": "yes"}, "observations": [{"date": "2025-01-01", '
                    '"code": {"system": "LOINC", "code": "19872-1"}}]}')
    code, _, err = run(capsys, "eval", TRIAL, str(path), *ANCHORS)
    assert code == 2
    assert "(record `x`) does not fit the patient model" in err
    assert "observations[0].id: every event needs an `id` (a text), for provenance" in err
    assert "facts.consented: expected `true` or `false`, found text `\"yes\"`" in err


def test_eval_reports_invalid_json_and_missing_files(capsys, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"facts": {')
    code, _, err = run(capsys, "eval", TRIAL, str(path), *ANCHORS)
    assert code == 2 and "broken.json:1:12: invalid JSON" in err
    code, _, err = run(capsys, "eval", TRIAL, str(tmp_path / "nope.json"), *ANCHORS)
    assert code == 2 and "cannot read" in err


def test_eval_of_a_broken_criteria_file_prints_diagnostics(capsys):
    code, out, _ = run(capsys, "eval", str(FIVE), PATIENT, *ANCHORS)
    assert code == 1 and "5 errors" in out


def test_compile_emits_the_generated_python_module(capsys):
    assert main(["compile", "trials/ssc_telitacicept.elig", "--emit", "python"]) == 0
    source = capsys.readouterr().out
    assert source.startswith("# Generated by eligibility_dsl from trials/ssc_telitacicept.elig")
    assert "# include I3 (trials/ssc_telitacicept.elig:" in source and "def run(F, E, C, B, BP, stop):" in source
    compile(source, "<emitted>", "exec")


def test_compile_of_a_broken_file_prints_diagnostics(tmp_path, capsys):
    bad = tmp_path / "bad.elig"
    bad.write_text('trial T "t"\ninclude I1 "x": nope\n', encoding="utf-8")
    assert main(["compile", str(bad)]) == 1
    assert "unknown name `nope`" in capsys.readouterr().out
