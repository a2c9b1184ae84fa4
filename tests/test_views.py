"""Explanations as an auditor and a coordinator read them: the views, the text, the command's output.

Each of the faults found by trying the output as an auditor would has its test here: the JSON of a summary
is not the full trace; `--fast --explain full` shows traces; lines are wrapped; a score known as a range
reads properly; a missing list whose items hold commas is one item per line; a trace line names its file;
`between` cites its evidence as `>` does; a `where` filter shows what it turned away; NOT_EVALUATED is
documented; `--exit-code` says the outcome.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from boundaries import BASE, merge_patch

from eligibility_dsl import compile_file, compile_source
from eligibility_dsl.cli import main
from eligibility_dsl.explain import render_text
from eligibility_dsl.explain.views import worklist

ROOT = Path(__file__).parent.parent
TRIAL = str(ROOT / "trials" / "ssc_telitacicept.elig")


def trial_line(start: str) -> int:
    """The number of the trial's first line that starts with ``start`` (after indentation), so that tests
    follow the file when it is edited or reformatted."""
    lines = Path(TRIAL).read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, 1) if line.strip().startswith(start))
PATIENTS = ROOT / "trials" / "patients"
ANCHORS = ("--anchor", "screening=2025-09-11", "--anchor", "first_dose=2025-09-25")
ANCHOR_MAP = {"screening": "2025-09-11", "first_dose": "2025-09-25"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def patient(name: str) -> str:
    return str(PATIENTS / f"{name}.json")


@pytest.fixture(scope="module")
def trial():
    return compile_file(TRIAL)


def test_json_of_a_summary_is_the_decision_record_without_trace_trees(capsys):
    code, out, _ = run(capsys, "eval", TRIAL, patient("example"), *ANCHORS, "--format", "json")
    record = json.loads(out)
    assert code == 0 and record["format"] == "eligibility-dsl/decision-record"
    assert record["content"]["evaluation"] == {"mode": "full", "traces": "full", "view": "summary"}
    assert not any("trace" in c for c in record["content"]["criteria"])
    assert all(c["summary"] and "evidence" in c for c in record["content"]["criteria"])
    summary_size = len(out)
    code, out, _ = run(capsys, "eval", TRIAL, patient("example"), *ANCHORS, "--format", "json", "--explain", "full")
    full = json.loads(out)
    assert all("trace" in c for c in full["content"]["criteria"]) and len(out) > 2 * summary_size


def test_fast_with_full_shows_the_traces_of_the_criteria_evaluated(capsys):
    code, out, _ = run(capsys, "eval", TRIAL, patient("ineligible_two_reasons"), *ANCHORS, "--fast",
                       "--explain", "full")
    assert code == 0
    assert "fast mode: stopped at the first decisive criterion" in out
    assert "✗ latest value of observations in fvc_percent_predicted" in out  # I3's trace, the decisive one
    assert f"[ssc_telitacicept.elig:{trial_line('latest value of observations in fvc_percent_predicted')}]" in out
    statuses = [line.split()[2] for line in out.splitlines() if line[2:3].isalpha() and len(line.split()) > 2
                and line.split()[1] in ("include", "exclude")]
    assert statuses[:3] == ["MET", "MET", "NOT_MET"] and statuses[3:] == ["NOT_EVALUATED"] * 17  # after I3


def test_summary_lines_are_wrapped_to_the_width(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    code, out, _ = run(capsys, "eval", TRIAL, patient("example"), *ANCHORS)
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 72
    # a wrapped sentence keeps its words: nothing lost, only line breaks added
    assert "acr_eular_2013 lies between 11 and 14 (not every part is known)" in " ".join(out.split())


def test_a_score_known_as_a_range_reads_properly(trial):
    d = trial.evaluate(json.loads(Path(patient("example")).read_text()), ANCHOR_MAP)
    text = render_text(d, width=None)
    assert "acr_eular_2013 between 11 and 14 is >= 9" not in text
    assert ("acr_eular_2013 lies between 11 and 14 (not every part is known), so it is >= 9 whatever the "
            "unknown parts are") in text


def test_a_missing_list_whose_items_hold_commas_is_one_item_per_line(trial):
    record = merge_patch(BASE, {"observations": None, "coverage": {"medications": None}})
    d = trial.evaluate(record, ANCHOR_MAP)
    assert len(d.missing) >= 2 and all("," in m for m in d.missing)
    lines = render_text(d, width=None).splitlines()
    start = lines.index("  missing (supplying these would settle the decision):")
    assert lines[start + 1:start + 1 + len(d.missing)] == [f"    - {m}" for m in d.missing]


def test_a_trace_line_names_its_file_and_line(trial):
    d = trial.evaluate(json.loads(Path(patient("example")).read_text()), ANCHOR_MAP)
    text = d.explain("full")
    line = trial_line('exists conditions in pregnancy where status = "active"')
    assert f"[ssc_telitacicept.elig:{line}]" in text and "[line " not in text


BETWEEN = compile_source('''trial NCT00000077 "Between"
anchor screening
codeset fvc "FVC % predicted":
    LOINC "19872-1"
include B "FVC between 40% and 60%":
    latest value of observations in fvc during 1 year before screening between 40 % and 60 %
include G "FVC above 40%": latest value of observations in fvc during 1 year before screening > 40 %
''', "between.elig")


def test_between_cites_its_evidence_as_a_comparison_does():
    record = {"id": "b1", "observations": [{"id": "o9", "code": {"system": "LOINC", "code": "19872-1"},
                                            "date": "2025-05-01", "value": {"value": 55, "unit": "%"}}],
              "coverage": {"observations": {"from": "2024-01-01", "to": "2025-09-11"}}}
    text = render_text(BETWEEN.evaluate(record, {"screening": "2025-09-11"}), width=None)
    between, greater = (line for line in text.splitlines() if line.lstrip().startswith("→"))
    assert "is between 40 % and 60 % (inclusive) — found o9: LOINC 19872-1, 2025-05-01, value 55 %" in between
    assert between.split(" — ", 1)[1] == greater.split(" — ", 1)[1]  # the same evidence, cited the same way


def test_a_where_filter_shows_what_it_filtered(trial, capsys):
    d = trial.evaluate(json.loads(Path(patient("example")).read_text()), ANCHOR_MAP)
    summary = render_text(d, width=None)
    e10 = next(line for line in summary.splitlines() if "days on medications in systemic_corticosteroids" in line)
    assert "where daily_dose / prednisone_equivalent_dose[code] * 5 mg >= 100 mg/day" in e10
    assert "excluded by the where filter: m2: ATC H02AB04 (methylprednisolone), 2025-01-10..ongoing" in e10
    assert "    excluded by the where filter: m2: ATC H02AB04" in d.explain("full")


def test_not_evaluated_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "NOT_EVALUATED" in readme
    from eligibility_dsl.cli.eval import __doc__ as doc
    assert "NOT_EVALUATED" in doc


@pytest.mark.parametrize(("name", "code"), [("example", 0), ("ineligible_two_reasons", 3),
                                            ("indeterminate_missing_fvc", 4)])
def test_exit_code_says_the_outcome(capsys, name, code):
    assert run(capsys, "eval", TRIAL, patient(name), *ANCHORS, "--exit-code")[0] == code
    assert run(capsys, "eval", TRIAL, patient(name), *ANCHORS)[0] == 0  # only when asked


def test_exit_code_of_several_patients_is_the_highest(capsys):
    assert run(capsys, "eval", TRIAL, patient("example"), patient("ineligible_two_reasons"),
               patient("indeterminate_missing_fvc"), *ANCHORS, "--exit-code")[0] == 4


def test_several_patients_in_json_are_one_record_per_line(capsys):
    code, out, _ = run(capsys, "eval", TRIAL, patient("example"), patient("ineligible_two_reasons"), *ANCHORS,
                       "--format", "json")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert [json.loads(line)["content"]["record"]["id"] for line in lines] == ["example-eligible",
                                                                              "ineligible-two-reasons"]


# ------------------------------------------------------------------ views


def test_fails_view_shows_only_what_failed_with_its_trace(trial):
    d = trial.evaluate(json.loads(Path(patient("ineligible_two_reasons")).read_text()), ANCHOR_MAP)
    text = d.explain("fails")
    headers = [line.split()[0] for line in text.splitlines() if line.startswith("  ") and '"' in line
               and line.split()[1] in ("include", "exclude")]
    assert headers == ["I3", "E8"]
    assert "found: m3: ATC L01FA01 (rituximab)" in text


def test_worklist_groups_what_to_find_by_source_with_its_window(trial):
    d = trial.evaluate(json.loads(Path(patient("indeterminate_missing_fvc")).read_text()), ANCHOR_MAP)
    (group,) = worklist(d, trial.checked)
    assert group["source"] == "observations"
    (item,) = group["items"]
    assert item["text"] == "FVC, percent of predicted measured between 2025-06-11 and 2025-09-11"
    assert item["criteria"] == ["I3"]
    text = render_text(d, "worklist", width=None, checked=trial.checked)
    assert "  observations\n    - FVC, percent of predicted measured between 2025-06-11 and 2025-09-11 (I3)" in text


def test_worklist_of_unknown_facts_and_incomplete_histories(trial):
    record = merge_patch(BASE, {"facts": {"consented": None}, "coverage": {"medications": None}})
    groups = {g["source"]: g["items"] for g in worklist(trial.evaluate(record, ANCHOR_MAP), trial.checked)}
    assert groups["facts"][0]["fact"] == "consented" and "E1" in groups["facts"][0]["criteria"]
    assert next(iter(groups)) == "facts"  # the site's answers first
    meds = [i for i in groups["medications"] if "B cell" in i["text"] or "B-cell" in i["text"]
            or "b_cell" in i["text"]]
    assert meds and "does not state that its medications are complete" in meds[0]["why"]


def test_views_of_one_decision_agree(trial):
    d = trial.evaluate(json.loads(Path(patient("ineligible_two_reasons")).read_text()), ANCHOR_MAP)
    full, fails = d.explain("full"), d.explain("fails")
    for block in fails.split("\n  ")[1:]:  # every line the fails view shows is in the full view
        assert block.split("\n")[0] in full


# ------------------------------------------------------------------ colour


def _on_a_terminal(env: dict) -> bytes:
    """Run `elig eval` with its output on a pseudo-terminal; what the terminal received."""
    import pty

    leader, follower = pty.openpty()
    code = ("import sys; from eligibility_dsl.cli import main; "
            f"sys.exit(main({['eval', TRIAL, patient('ineligible_two_reasons'), *ANCHORS]!r}))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=follower, stderr=subprocess.PIPE,
                            env={**{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")},
                                 **env, "COLUMNS": "100"})
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait()
    os.close(leader)
    assert proc.returncode == 0, proc.stderr.read()
    return out


def test_colour_on_a_terminal_and_none_with_no_color():
    coloured = _on_a_terminal({"TERM": "xterm-256color"})
    assert b"\x1b[" in coloured and b"INELIGIBLE" in coloured
    plain = _on_a_terminal({"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert b"\x1b[3" not in plain and b"\x1b[9" not in plain  # no foreground colour at all
    assert b"INELIGIBLE" in plain


def test_piped_output_has_no_colour(capsys):
    _, out, _ = run(capsys, "eval", TRIAL, patient("ineligible_two_reasons"), *ANCHORS)
    assert "\x1b[" not in out
