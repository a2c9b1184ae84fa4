"""Issue 8: an invisible character in a record's code or code system (a zero-width space, a BOM, an RTL/LTR
mark or isolate, a no-break space, any format character) is a record problem, never trimmed into a match
and never a quiet non-match.

In a code it is the coding's problem (runtime/code_formats.py, ``invisible_problem``): a criterion that the
code could decide is UNKNOWN and names it. In a code system it is a record error naming the field."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility_dsl import compile_source
from eligibility_dsl.language.loader import file_loader
from eligibility_dsl.records.binder import RecordError
from eligibility_dsl.runtime.code_formats import code_problem
from eligibility_dsl.runtime.codes import CodeSet, Coding

ROOT = Path(__file__).parent.parent
TRIAL_PATH = ROOT / "trials" / "ssc_telitacicept.elig"
TRIAL = compile_source(TRIAL_PATH.read_text(), str(TRIAL_PATH), file_loader)
ANCHORS = TRIAL.parse_anchors({"screening": "2025-09-11", "first_dose": "2025-09-20"})
PATIENT = json.loads((ROOT / "trials" / "patients" / "example.json").read_text(), parse_float=Decimal)

INVISIBLE = [
    "\u200b",  # zero width space
    "\u200c", "\u200d",  # zero width non-joiner, joiner
    "\ufeff",  # byte order mark (zero width no-break space)
    "\u200e", "\u200f",  # left-to-right, right-to-left mark
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # bidi embeddings and overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # bidi isolates
    "\u00a0", "\u2007", "\u202f", "\u2009", "\u3000",  # no-break, figure, narrow no-break, thin, ideographic spaces
    "\u2060", "\u00ad", "\u061c",  # word joiner, soft hyphen, Arabic letter mark
    "\u2028", "\u2029",  # line and paragraph separators
    "\x00", "\x7f", "\x85",  # controls
]
# Codes the trials' code sets hold, one per system with a format check, and one without (LOCAL).
CODES = [("ATC", "H02AB07"), ("ATC", "L04AB02"), ("ICD10", "M34.0"), ("SNOMED", "89155008"), ("LOINC", "19872-1"),
         ("LOCAL", "mRSS"), ("CVX", "03"), ("NDC", "00002322730")]


def insert(text: str, position: int, char: str) -> str:
    position = min(position, len(text))
    return text[:position] + char + text[position:]


@given(code=st.sampled_from(CODES), char=st.sampled_from(INVISIBLE), position=st.integers(0, 20))
def test_law_an_invisible_character_anywhere_in_a_code_is_its_problem_and_never_a_match(code, char, position):
    """Law: for every system, every invisible character and every position (both ends included), the coding
    has a problem naming the character, differs from the clean coding, and a code set holding the clean code
    does not match it (so evaluators report the problem instead of a quiet answer)."""
    system, clean = code
    corrupted = Coding(system, insert(clean, position, char))
    assert corrupted.problem is not None and f"U+{ord(char):04X}" in corrupted.problem
    assert corrupted != Coding(system, clean)
    assert CodeSet("s", [(system, clean)]).match((corrupted,)) is None


@pytest.mark.parametrize("system,code", CODES)
def test_ascii_white_space_at_the_ends_is_still_trimmed(system, code):
    assert Coding(system, f" {code}\t\n") == Coding(system, code) and code_problem(system, f" {code} ") is None


def _coded_events(record):
    return [(collection, i) for collection in ("conditions", "medications", "observations", "assessments")
            for i, event in enumerate(record.get(collection, ())) if isinstance(event.get("code"), dict)]


EVENTS = _coded_events(PATIENT)
BASELINE = {c.id: c.status for c in TRIAL.evaluate(PATIENT, ANCHORS).criteria}


@settings(deadline=None)
@given(event=st.sampled_from(EVENTS), char=st.sampled_from(INVISIBLE), position=st.integers(0, 12))
def test_law_a_corrupted_code_in_the_ssc_patient_changes_answers_only_to_unknown_naming_it(event, char, position):
    """Law: corrupting one code of the example patient never yields a different decided status; every
    criterion whose status changes is UNKNOWN and its problems name the invisible character (or the record
    is refused, naming the event and the character)."""
    collection, index = event
    record = copy.deepcopy(PATIENT)
    coding = record[collection][index]["code"]
    coding["code"] = insert(coding["code"], position, char)
    try:
        decision = TRIAL.evaluate(record, ANCHORS)
    except RecordError as err:  # a field that needs the clean code (an mRSS's components): refused, saying why
        assert any(str(i).startswith(f"{collection}[{index}]") and f"U+{ord(char):04X}" in str(i)
                   for i in err.issues), err.issues
        return
    changed = [c for c in decision.criteria if c.status != BASELINE[c.id]]
    for result in changed:
        assert str(result.status) == "UNKNOWN", result.id
        assert any(f"U+{ord(char):04X}" in p for p in result.problems), (result.id, result.problems)
    assert str(decision.outcome) != "ELIGIBLE" or not changed


def test_a_zero_width_space_in_a_prednisone_code_is_unknown_not_a_pass():
    record = copy.deepcopy(PATIENT)
    prednisone = next(m for m in record["medications"] if m["code"]["code"].startswith("H02AB"))
    prednisone["code"]["code"] = prednisone["code"]["code"][:3] + "\u200b" + prednisone["code"]["code"][3:]
    prednisone["daily_dose"] = "40 mg/day"  # above the trial's limit: the clean code would make it NOT_MET
    decision = TRIAL.evaluate(record, ANCHORS)
    unknown = [c for c in decision.criteria if str(c.status) == "UNKNOWN"]
    assert unknown and str(decision.outcome) == "INDETERMINATE"
    assert any("holds an invisible character (U+200B, zero width space)" in p for c in unknown for p in c.problems)


@pytest.mark.parametrize("char", ["\u200b", "\ufeff", "\u00a0", "\u200e", "\u2066"])
def test_an_invisible_character_in_a_code_system_is_a_record_error(char):
    record = copy.deepcopy(PATIENT)
    record["medications"][0]["code"]["system"] += char
    with pytest.raises(RecordError) as caught:
        TRIAL.bind(record)
    found = [str(i) for i in caught.value.issues]
    assert any(i.startswith("medications[0].code") and f"holds an invisible character (U+{ord(char):04X}" in i
               for i in found), found
