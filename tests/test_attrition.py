"""The attrition (CONSORT) table: counts checked by hand on a data file, its three renderings, and the laws
that tie its columns together on a real trial's cohort."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import cohort

from eligibility_dsl import compile_file, compile_source
from eligibility_dsl.screening import Attrition, Input, flow_svg, screen_rows
from eligibility_dsl.screening.rows import Row

DATA = Path(__file__).parent / "fixtures" / "screening"
ANCHORS = {"screening": "2025-01-01"}
SVG = "{http://www.w3.org/2000/svg}"


def fixture_table() -> Attrition:
    trial = compile_file(DATA / "attrition.elig")
    table = Attrition.for_trial(trial)
    table.add(screen_rows(trial, [DATA / "attrition.ndjson"], ANCHORS))
    return table


def test_counts_match_the_hand_checked_table():
    expected = json.loads((DATA / "attrition.expected.json").read_text(encoding="utf-8"))
    got = fixture_table().to_dict("TEST_ATTRITION", "1", ANCHORS)
    for key in ("records", "errors", "evaluated", "outcomes"):
        assert got[key] == expected[key], key
    assert [{k: v for k, v in step.items() if k != "text"} for step in got["criteria"]] == expected["criteria"]


def test_text_table_is_the_reviewed_one():
    text = fixture_table().to_text("TEST_ATTRITION", "1", ANCHORS)
    assert text == (DATA / "attrition.expected.txt").read_text(encoding="utf-8")


def test_counts_kept_in_a_manifest_restore_exactly():
    """Resumed runs carry the counts of the rows committed before: state() then restore() is the identity,
    and adding rows in two parts gives what adding them at once gives."""
    trial = compile_file(DATA / "attrition.elig")
    rows = list(screen_rows(trial, [DATA / "attrition.ndjson"], ANCHORS))
    whole = Attrition.for_trial(trial)
    whole.add(rows)
    first = Attrition.for_trial(trial)
    first.add(rows[:5])
    resumed = Attrition.for_trial(trial)
    resumed.restore(json.loads(json.dumps(first.state())))
    resumed.add(rows[5:])
    assert resumed.to_dict() == whole.to_dict()


def test_columns_hold_together_on_a_cohort_of_the_real_trial():
    """Laws: met + not_met + unknown = evaluated for every criterion; remaining falls by `excluded` at each
    step and ends at ELIGIBLE + INDETERMINATE; the `excluded` column sums to INELIGIBLE; a record excluded by
    one criterion alone was excluded, so excluded_alone <= the records that criterion makes ineligible; review
    <= unknown and <= remaining."""
    trial = compile_file(Path(__file__).parent.parent / "trials" / "ssc_telitacicept.elig")
    table = Attrition.for_trial(trial)
    rows = list(screen_rows(trial, [Input("<cohort>", records=list(cohort.ssc_cohort(600, seed=5)))],
                            cohort.ANCHORS))
    table.add(rows)
    d = table.to_dict()
    remaining = d["evaluated"]
    for k, step in enumerate(d["criteria"]):
        assert step["met"] + step["not_met"] + step["unknown"] == d["evaluated"]
        remaining -= step["excluded"]
        assert step["remaining"] == remaining
        decisive = "NOT_MET" if step["kind"] == "include" else "MET"
        assert step["excluded_alone"] <= sum(1 for r in rows if r.statuses[k] == decisive)
        assert step["review"] <= min(step["unknown"], step["remaining"])
    assert remaining == d["outcomes"]["ELIGIBLE"] + d["outcomes"]["INDETERMINATE"]
    assert sum(s["excluded"] for s in d["criteria"]) == d["outcomes"]["INELIGIBLE"]
    assert d["outcomes"]["ERROR"] == sum(1 for r in rows if r.outcome == "ERROR") > 0


def test_svg_is_well_formed_self_contained_and_shows_every_count():
    svg = flow_svg(fixture_table().to_dict("TEST_ATTRITION", "1", ANCHORS))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "title", "g", "rect", "text", "line", "polygon"}  # no script, style, image, link
    assert not any(name.endswith("href") or name == "id" for el in root.iter() for name in el.attrib)
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert "Records screened: 13" in texts and "Not evaluated: 1" in texts
    assert "met 6 · not met 3 · unknown 3" in texts
    assert "remaining 5 · need review (unknown) 2" in texts
    assert "Excluded by E1: 2" in texts and "by it alone (gain): 2" in texts
    assert "ELIGIBLE 2 · INDETERMINATE 3" in texts


def test_svg_escapes_the_protocol_text_and_shortens_it_in_the_box_only():
    long_text = 'Dose < 5 mg & "stable" </text><script>alert(1)</script> ' + "word " * 20
    source = (f'trial T "A <b>trial</b> & more"\nanchor screening\nfact x: boolean\n'
              f'include I1 {json.dumps(long_text)}: x\n')
    trial = compile_source(source)
    table = Attrition.for_trial(trial)
    table.add([Row("s", 0, None, "ELIGIBLE", ("MET",))])
    svg = flow_svg(table.to_dict(trial.id, None, ANCHORS))
    root = ET.fromstring(svg)  # still well-formed: nothing the trial says can open or close an element
    assert "<script" not in svg and not any(el.tag.endswith("script") for el in root.iter())
    titles = [el.text for el in root.iter(f"{SVG}title")]
    assert f"I1 (include): {long_text}" in titles  # whole, as the tooltip
    box = next(el.text for el in root.iter(f"{SVG}text") if el.text.startswith("I1 (include)"))
    assert box.endswith("…") and len(box) <= 56
