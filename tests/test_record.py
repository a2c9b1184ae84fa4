"""Decision records: canonical JSON per RFC 8785, the canonical syntax tree, and what a record ties together.

The RFC's own examples (sections 3.2.2 and 3.2.3, and Appendix B's numbers) pin the canonical form; the
rest pins what an auditor relies on: every criteria file named and hashed, a change of layout told apart
from a change of meaning, the record's hash, evaluation time kept out of the id, a record without an id
named by file and position, evidence with event ids, dates and windows.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from boundaries import BASE, merge_patch

from eligibility_dsl import compile_file, compile_source
from eligibility_dsl.explain.canonical import (
    CanonicalError,
    canonical_json,
    inexact_numbers,
    load_strict,
    sha256_hex,
    sha256_of,
)
from eligibility_dsl.explain.record import RecordBuilder, integrity_problems
from eligibility_dsl.language.canonical import canonical_ast
from eligibility_dsl.language.loader import file_loader
from eligibility_dsl.language.syntax import parse
from eligibility_dsl.version import __version__

ROOT = Path(__file__).parent.parent
TRIAL_FILE = ROOT / "trials" / "ssc_telitacicept.elig"
LIB_FILE = ROOT / "trials" / "lib" / "ssc_valuesets.elig"
ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}


# ------------------------------------------------------------------ RFC 8785


def test_rfc_8785_section_3_2_2_example():
    text = ('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], '
            '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}')
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert canonical_json(load_strict(text)) == expected.encode("utf-8")


def test_rfc_8785_section_3_2_3_sorts_keys_by_utf16_code_units():
    value = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
             "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
             "\u00f6": "Latin Small Letter O With Diaeresis"}
    got = json.loads(canonical_json(value))
    assert list(got.values()) == ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis",
                                  "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"]


@pytest.mark.parametrize(("number", "text"), [
    ("0", "0"), ("-0.0", "0"), ("1e21", "1e+21"), ("5e-324", "5e-324"),
    ("1.7976931348623157e308", "1.7976931348623157e+308"), ("9007199254740992", "9007199254740992"),
    ("295147905179352830000", "295147905179352830000"), ("0.000001", "0.000001"), ("1e-7", "1e-7"),
    ("333333333.3333332", "333333333.3333332"), ("4.50", "4.5"),
])
def test_rfc_8785_appendix_b_numbers(number, text):
    assert canonical_json(load_strict(number)) == text.encode()


def test_numbers_beyond_a_double_are_listed_not_hidden():
    record = load_strict('{"facts": {"x": {"value": 50.0000000000000001, "unit": "%"}, "n": 48.5}}')
    assert inexact_numbers(record) == ["facts.x.value"]
    assert sha256_of(record) == sha256_of(load_strict('{"facts": {"x": {"value": 50, "unit": "%"}, "n": 48.5}}'))


def test_strict_reading_refuses_duplicate_keys_and_nan():
    with pytest.raises(ValueError, match="appears twice"):
        load_strict('{"a": 1, "a": 2}')
    with pytest.raises(ValueError):
        load_strict('{"a": NaN}')
    with pytest.raises(CanonicalError):
        canonical_json({"a": {1, 2}})


# ------------------------------------------------------------------ canonical syntax tree


def test_canonical_ast_ignores_layout_and_comments_but_not_meaning():
    text = TRIAL_FILE.read_text(encoding="utf-8")
    relaid = "# a new comment\n\n" + text.replace("\n\n", "\n\n\n").replace(
        "include I3", "# why I3\ninclude I3")
    changed = text.replace("> 50 %", "> 51 %")
    assert changed != text and relaid != text
    tree = canonical_ast(parse(text, "a").module)
    assert canonical_ast(parse(relaid, "b").module) == tree  # layout, comments and the file name left out
    assert canonical_ast(parse(changed, "a").module) != tree
    assert json.loads(canonical_json(tree)) == tree  # plain JSON data


def test_canonical_ast_writes_numbers_by_value_as_the_ast_compares_them():
    a, b = parse("define x: 1.0 + 2", "f").module, parse("define x: 1 + 2.00", "f").module
    assert a == b and canonical_ast(a) == canonical_ast(b)
    assert canonical_ast(parse("define x: 10", "f").module) != canonical_ast(a)


# ------------------------------------------------------------------ the record


@pytest.fixture(scope="module")
def trial():
    return compile_file(TRIAL_FILE)


@pytest.fixture(scope="module")
def builder(trial):
    return RecordBuilder(trial.checked)


def test_record_names_and_hashes_every_criteria_file_and_the_engine(trial, builder):
    record = builder.build(trial.evaluate(BASE, ANCHORS), BASE)
    c = record["content"]
    assert c["engine"] == {"name": "eligibility_dsl", "version": __version__}
    assert c["criteria_files"] == [
        {"name": "ssc_telitacicept.elig", "role": "trial", "sha256": sha256_hex(TRIAL_FILE.read_text("utf-8")),
         "ast_sha256": sha256_of(canonical_ast(parse(TRIAL_FILE.read_text("utf-8"), "x").module))},
        {"name": "lib/ssc_valuesets.elig", "role": "import", "sha256": sha256_hex(LIB_FILE.read_text("utf-8")),
         "ast_sha256": sha256_of(canonical_ast(parse(LIB_FILE.read_text("utf-8"), "x").module))}]
    assert c["tables"][0]["name"] == "prednisone_equivalent_dose" and c["tables"][0]["source"]
    assert c["tables"][0]["file"] == "lib/ssc_valuesets.elig"
    assert {"system": "LOINC", "version": None} in c["terminology"]["systems"]
    derived = sum(len(cs.derived) for cs in trial.checked.codesets.values())
    assert c["terminology"]["releases"] == [{"release": trial.checked.terminology, "derived_codes": derived}]
    assert derived and c["terminology"]["field_version"] == "1"
    assert c["record"]["sha256"] == sha256_of(BASE) and c["record"]["canonicalization"] == "RFC 8785"
    assert c["coverage"]["policy"] and c["as_of"] == {"date": "2025-09-25", "basis": "latest coverage end"}
    assert record["id"] == "sha256:" + sha256_of(c) and integrity_problems(record) == []


def test_names_do_not_depend_on_the_folder_the_trial_was_loaded_from(trial, builder, monkeypatch):
    monkeypatch.chdir(TRIAL_FILE.parent)
    here = RecordBuilder(compile_source(TRIAL_FILE.name and TRIAL_FILE.read_text("utf-8"), TRIAL_FILE.name,
                                        file_loader).checked)
    assert here.files == builder.files and here.ast == builder.ast


def test_evaluation_time_is_metadata_outside_the_id(trial, builder):
    decision = trial.evaluate(BASE, ANCHORS)
    a = builder.build(decision, BASE, metadata={"evaluated_at": "2025-09-11T09:00:00+00:00"})
    b = builder.build(decision, BASE, metadata={"evaluated_at": "2031-01-01T00:00:00+00:00"})
    assert a["id"] == b["id"] and a["seal"] != b["seal"]
    b["metadata"]["evaluated_at"] = a["metadata"]["evaluated_at"][:-1] + "1"
    assert integrity_problems(b) == ["the record was altered after it was written: id, content and metadata no "
                                     "longer match its seal"]


def test_a_record_without_an_id_is_named_by_file_and_position(trial, builder):
    raw = {k: v for k, v in BASE.items() if k != "id"}
    record = builder.build(trial.evaluate(raw, ANCHORS), raw, input_file="batch.json", position=7)
    assert record["content"]["record"]["id"] is None
    assert (record["content"]["record"]["file"], record["content"]["record"]["position"]) == ("batch.json", 7)
    with_id = builder.build(trial.evaluate(BASE, ANCHORS), BASE, input_file="batch.json", position=7)
    assert "file" not in with_id["content"]["record"]  # an id names it; the file is metadata then


def test_evidence_lists_event_ids_dates_values_and_the_windows_computed(trial, builder):
    patient = merge_patch(BASE, {"observations": [
        {"id": "fvc-1", "code": {"system": "LOINC", "code": "19872-1"}, "date": "2025-08-28",
         "value": {"value": 48, "unit": "%"}}]})
    record = builder.build(trial.evaluate(patient, ANCHORS), patient)
    i3 = next(c for c in record["content"]["criteria"] if c["id"] == "I3")
    line = TRIAL_FILE.read_text(encoding="utf-8").split("\n").index('include I3 "Lung function FVC% > 50%":') + 1
    assert i3["status"] == "NOT_MET" and i3["source"] == {"file": "ssc_telitacicept.elig", "line": line}
    (evidence,) = i3["evidence"]
    assert evidence["matched"][0]["id"] == "fvc-1" and evidence["matched"][0]["start"] == "2025-08-28"
    assert evidence["matched"][0]["fields"]["value"] == {"value": "48", "unit": "%"}
    assert i3["windows"] == [{"text": "2025-06-11 .. 2025-09-11, both inclusive", "from": "2025-06-11",
                              "to": "2025-09-11", "from_inclusive": True, "to_inclusive": True}]
    assert "trace" not in i3  # the summary view keeps evidence, not trees


@pytest.mark.parametrize(("view", "trees"), [("summary", set()), ("worklist", set()), ("fails", {"I3", "I4"}),
                                             ("full", None)])
def test_the_view_chooses_the_traces_kept(trial, builder, view, trees):
    patient = merge_patch(BASE, {"observations": None})
    decision = trial.evaluate(patient, ANCHORS)
    record = builder.build(decision, patient, view=view)
    got = {c["id"] for c in record["content"]["criteria"] if "trace" in c}
    failing = {c.id for c in decision.criteria if c.decisive or str(c.status) == "UNKNOWN"}
    assert got == (trees if trees is not None else {c.id for c in decision.criteria})
    if view == "fails":
        assert got == failing
    assert all("evidence" in c and "summary" in c for c in record["content"]["criteria"])


def test_a_decision_shown_in_a_notebook_is_an_html_report(trial):
    html = trial.evaluate(BASE, ANCHORS)._repr_html_()
    assert html.startswith("<!DOCTYPE html>") and "ELIGIBLE" in html and "ssc_telitacicept.elig" in html
    assert "not supplied, not hashed" in html  # the record itself was not given to the notebook view


def test_the_record_carries_decimal_values_exactly(trial, builder):
    patient = merge_patch(BASE, {"observations": [
        {"id": "fvc-1", "code": {"system": "LOINC", "code": "19872-1"}, "date": "2025-08-28",
         "value": {"value": Decimal("50.05"), "unit": "%"}}]})
    record = builder.build(trial.evaluate(patient, ANCHORS), patient)
    i3 = next(c for c in record["content"]["criteria"] if c["id"] == "I3")
    assert i3["evidence"][0]["value"] == {"value": "50.05", "unit": "%"}
