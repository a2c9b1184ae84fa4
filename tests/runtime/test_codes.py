"""Code systems, codings and code sets: how a record's codes are recognised by a criterion."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.runtime.code_formats import verhoeff_valid
from eligibility_dsl.runtime.codes import (
    PREFIX_SYSTEMS,
    SYSTEMS,
    CodeSet,
    Coding,
    normalize_code,
    normalize_system,
)


def test_systems_have_canonical_uris():
    assert SYSTEMS["ATC"] == "http://www.whocc.no/atc"
    assert SYSTEMS["RxNorm"] == "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert SYSTEMS["SNOMED"] == "http://snomed.info/sct"
    assert SYSTEMS["ICD10"] == "http://hl7.org/fhir/sid/icd-10"
    assert SYSTEMS["LOINC"] == "http://loinc.org"
    assert SYSTEMS["CVX"] == "http://hl7.org/fhir/sid/cvx"
    assert SYSTEMS["LOCAL"] == "urn:eligibility-dsl:local"
    assert SYSTEMS["ICD10CM"] == "http://hl7.org/fhir/sid/icd-10-cm"
    assert SYSTEMS["ICD10PCS"] == "http://www.cms.gov/Medicare/Coding/ICD10"
    assert SYSTEMS["ICD9CM"] == "http://hl7.org/fhir/sid/icd-9-cm"
    assert SYSTEMS["CPT"] == "http://www.ama-assn.org/go/cpt"
    assert SYSTEMS["NDC"] == "http://hl7.org/fhir/sid/ndc"
    assert SYSTEMS["UCUM"] == "http://unitsofmeasure.org"
    assert PREFIX_SYSTEMS == {"ATC", "ICD10", "ICD10CM", "ICD10PCS", "ICD9CM"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ATC", "ATC"),
        ("atc", "ATC"),
        ("rxnorm", "RxNorm"),
        ("RXNORM", "RxNorm"),
        ("ICD-10", "ICD10"),
        ("icd10", "ICD10"),
        ("ICD-10-CM", "ICD10CM"),
        ("ICD-10-PCS", "ICD10PCS"),
        ("icd_10_pcs", "ICD10PCS"),
        ("ICD-9-CM", "ICD9CM"),
        ("CPT", "CPT"),
        ("CPT-4", "CPT"),
        ("ndc", "NDC"),
        ("UCUM", "UCUM"),
        ("snomed ct", "SNOMED"),
        ("SNOMED-CT", "SNOMED"),
        ("snomed", "SNOMED"),
        ("loinc", "LOINC"),
        ("cvx", "CVX"),
        ("local", "LOCAL"),
        (" LOINC ", "LOINC"),
        ("http://www.whocc.no/atc", "ATC"),
        ("http://www.nlm.nih.gov/research/umls/rxnorm", "RxNorm"),
        ("http://snomed.info/sct", "SNOMED"),
        ("http://snomed.info/sct/", "SNOMED"),
        ("http://hl7.org/fhir/sid/icd-10", "ICD10"),
        ("http://hl7.org/fhir/sid/icd-10-cm", "ICD10CM"),
        ("http://www.cms.gov/Medicare/Coding/ICD10", "ICD10PCS"),
        ("http://hl7.org/fhir/sid/icd-9-cm", "ICD9CM"),
        ("http://www.ama-assn.org/go/cpt", "CPT"),
        ("http://hl7.org/fhir/sid/ndc", "NDC"),
        ("http://unitsofmeasure.org", "UCUM"),
        ("urn:oid:2.16.840.1.113883.6.96", "SNOMED"),
        ("urn:oid:2.16.840.1.113883.6.1", "LOINC"),
        ("urn:oid:2.16.840.1.113883.12.292", "CVX"),
        ("urn:oid:2.16.840.1.113883.6.104", "ICD9CM"),
        ("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "HL7:v3-ObservationInterpretation"),
        ("http://terminology.hl7.org/CodeSystem/condition-clinical", "HL7:condition-clinical"),
        ("http://hl7.org/fhir/v2/0203", "HL7:v2-0203"),
        ("http://hl7.org/fhir/v3/ActCode", "HL7:v3-ActCode"),
        ("HL7:v2-0203", "HL7:v2-0203"),
        ("http://terminology.hl7.org/CodeSystem/", None),
        ("urn:oid:1.2.3", None),
        ("http://loinc.org", "LOINC"),
        ("http://hl7.org/fhir/sid/cvx", "CVX"),
        ("urn:eligibility-dsl:local", "LOCAL"),
        ("FOO", None),
        ("ICD-9", None),
        ("http://example.org/codes", None),
        ("", None),
    ],
)
def test_normalize_system(text, expected):
    assert normalize_system(text) == expected


def test_normalize_code():
    assert normalize_code("ICD10", " M34.0 ") == "M340"
    assert normalize_code("ICD10", "m34.0") == "M340"
    assert normalize_code("icd-10", "M340") == "M340"
    assert normalize_code("ATC", "l04ab02") == "L04AB02"
    assert normalize_code("ATC", "L04AB02") == "L04AB02"
    # Other systems' codes are case-sensitive identifiers; only whitespace goes.
    assert normalize_code("LOINC", " 2160-0 ") == "2160-0"
    assert normalize_code("SNOMED", "  38013005") == "38013005"
    assert normalize_code("LOCAL", "abc.1") == "abc.1"
    with pytest.raises(ValueError, match="unknown code system `FOO`"):
        normalize_code("FOO", "1")


def test_coding_normalises_and_compares_on_system_and_code():
    a = Coding("icd-10", "M34.0", "Progressive systemic sclerosis")
    b = Coding("http://hl7.org/fhir/sid/icd-10", "m340")
    assert (a.system, a.code) == ("ICD10", "M340")
    assert a == b and hash(a) == hash(b)
    # ICD-10-CM is its own system (its codes still fall under ICD-10 entries of code sets).
    assert Coding("ICD-10-CM", "M34.0").system == "ICD10CM" and Coding("ICD-10-CM", "M34.0") != a
    assert Coding("ATC", "L04AB02", "infliximab") == Coding("atc", "l04ab02", "other text")
    assert Coding("ATC", "L04AB02") != Coding("ATC", "L04AB04")
    assert Coding("SNOMED", "1") != Coding("LOCAL", "1")
    assert Coding("ATC", "L04AB02") != ("ATC", "L04AB02")
    assert len({a, b, Coding("ICD10", "M34.1")}) == 2


def test_coding_text_keeps_the_code_as_written():
    assert str(Coding("ATC", "L04AB02", "infliximab")) == "ATC L04AB02 (infliximab)"
    assert str(Coding("ATC", "l04ab02")) == "ATC L04AB02"
    assert str(Coding("ICD10", "m34.0")) == "ICD10 M34.0"
    assert str(Coding("ICD10", "M340")) == "ICD10 M340"
    assert (
        str(Coding("snomed ct", "38013005", "Immunosuppressive drug"))
        == "SNOMED 38013005 (Immunosuppressive drug)"
    )
    assert Coding("ICD10", "M34.0").label == "M34.0"
    assert repr(Coding("ATC", "L04AB02", "infliximab")) == "Coding('ATC', 'L04AB02', 'infliximab')"
    assert repr(Coding("ICD10", "M34.0")) == "Coding('ICD10', 'M34.0')"


def test_coding_rejects_unknown_systems_with_a_suggestion():
    with pytest.raises(ValueError) as caught:
        Coding("snomd", "1")
    assert str(caught.value) == "unknown code system `snomd` (did you mean `SNOMED`?)"
    with pytest.raises(ValueError) as caught:
        Coding("rxnrm", "1")
    assert "did you mean `RxNorm`?" in str(caught.value)
    with pytest.raises(ValueError) as caught:
        Coding("FOO", "1")
    assert str(caught.value).startswith("unknown code system `FOO` (known systems: ATC, CPT, CVX, HGNC, ICD10, ICD10CM")
    with pytest.raises(ValueError, match="empty code"):
        Coding("ATC", "  ")
    with pytest.raises(TypeError):
        Coding("ATC", 5)


B_CELL = CodeSet(
    "b_cell_therapies",
    [("ATC", "L01FA01", "rituximab"), ("ATC", "L01FA03"), ("RxNorm", "121191"), ("ATC", "L04AA*")],
    "anti-CD20 and other B-cell depleting therapies",
)


def test_code_set_exact_and_prefix_membership():
    assert B_CELL.contains(Coding("ATC", "L01FA01"))
    assert B_CELL.contains(Coding("atc", "l01fa03"))
    assert B_CELL.contains(Coding("RxNorm", "121191"))
    assert B_CELL.contains(Coding("ATC", "L04AA26"))  # under the class prefix
    assert B_CELL.contains(Coding("ATC", "L04AA"))  # the class itself
    assert not B_CELL.contains(Coding("ATC", "L04AB02"))
    assert not B_CELL.contains(Coding("ATC", "L01FA"))  # a parent of an exact code is not in the set
    assert not B_CELL.contains(Coding("LOCAL", "L04AA26"))  # prefixes apply within their system only
    assert not B_CELL.contains(Coding("RxNorm", "1211910"))  # RxNorm codes are exact
    assert Coding("ATC", "L04AA26") in B_CELL


def test_icd10_prefixes_ignore_the_dot():
    ssc = CodeSet("systemic_sclerosis", [("ICD10", "M34.*"), ("ICD-10", "L94.0")])
    assert ssc.contains(Coding("ICD10", "M34.0"))
    assert ssc.contains(Coding("ICD10", "M341"))
    assert ssc.contains(Coding("ICD10", "M34"))
    assert ssc.contains(Coding("http://hl7.org/fhir/sid/icd-10-cm", "M34.81"))
    assert ssc.contains(Coding("ICD10", "L940"))
    assert not ssc.contains(Coding("ICD10", "L94.1"))
    assert not ssc.contains(Coding("ICD10", "M35.0"))
    assert ssc.entries == (("ICD10", "M34*"), ("ICD10", "L940"))


def test_match_returns_the_first_coding_in_the_set():
    rxnorm, atc = Coding("RxNorm", "999999"), Coding("ATC", "L04AA33", "vedolizumab")
    assert B_CELL.match([rxnorm, atc]) is atc
    assert B_CELL.match([Coding("ATC", "L01FA01"), atc]) == Coding("ATC", "L01FA01")
    assert B_CELL.match([rxnorm]) is None
    assert B_CELL.match([]) is None


def test_code_set_counts_and_text():
    assert len(B_CELL) == 4
    assert B_CELL.prefix_count == 1
    assert B_CELL.describe() == "b_cell_therapies (3 codes, 1 class prefix)"
    assert CodeSet("one", [("SNOMED", "1")]).describe() == "one (1 code)"
    assert CodeSet("p", [("ATC", "L04*"), ("ATC", "L01*")]).describe() == "p (0 codes, 2 class prefixes)"
    assert repr(B_CELL) == "<CodeSet b_cell_therapies: ATC L01FA01, ATC L01FA03, RxNorm 121191, ATC L04AA*>"
    assert B_CELL.displays == {("ATC", "L01FA01"): "rituximab"}
    assert B_CELL.description.startswith("anti-CD20")


def test_duplicate_spellings_count_once():
    s = CodeSet("s", [("ICD10", "M34.0"), ("icd-10", "m340"), ("ATC", "L04*"), ("atc", "l04*")])
    assert len(s) == 2
    assert s.describe() == "s (1 code, 1 class prefix)"


def test_prefixes_only_in_hierarchical_systems():
    with pytest.raises(ValueError) as caught:
        CodeSet("bad", [("SNOMED", "3801*")])
    assert str(caught.value) == "a class prefix (`*`) is only meaningful in ATC and ICD10, not in `SNOMED`"
    with pytest.raises(ValueError, match="not in `RxNorm`"):
        CodeSet("bad", [("rxnorm", "12*")])
    with pytest.raises(ValueError, match="at least one character before"):
        CodeSet("bad", [("ATC", "*")])
    with pytest.raises(ValueError, match="may only end a code"):
        CodeSet("bad", [("ATC", "L0*1")])
    with pytest.raises(ValueError, match="unknown code system `ICD-9`"):
        CodeSet("bad", [("ICD-9", "714.0")])
    with pytest.raises(ValueError, match="a code-set entry is"):
        CodeSet("bad", [("ATC",)])


def test_union_of_code_sets():
    tnf = CodeSet("tnf_inhibitors", [("ATC", "L04AB*")])
    combined = CodeSet.union(
        "biologics", [B_CELL, tnf, CodeSet("again", [("ATC", "L01FA01")])], "all biologics"
    )
    assert combined.name == "biologics" and combined.description == "all biologics"
    assert len(combined) == 5
    assert combined.describe() == "biologics (3 codes, 2 class prefixes)"
    assert combined.contains(Coding("ATC", "L04AB02"))
    assert combined.contains(Coding("ATC", "L01FA01"))
    assert combined.displays[("ATC", "L01FA01")] == "rituximab"
    assert CodeSet.union("empty", []).describe() == "empty (0 codes)"


# Short ATC-like codes over a tiny alphabet, so that prefixes and codes collide often.
_codes = st.text(alphabet="AB12", min_size=1, max_size=4)


@given(
    exact=st.lists(_codes, max_size=5),
    prefixes=st.lists(_codes, max_size=4),
    probe=_codes,
)
def test_membership_equals_brute_force(exact, prefixes, probe):
    """Law: a coding is in a code set iff its code equals one of the exact codes or starts with
    one of the class prefixes (same system), exactly as a linear startswith scan says."""
    s = CodeSet("s", [("ATC", c) for c in exact] + [("ATC", p + "*") for p in prefixes])
    expected = probe in exact or any(probe.startswith(p) for p in prefixes)
    assert s.contains(Coding("ATC", probe)) == expected
    assert not s.contains(Coding("LOCAL", probe))


@given(st.lists(_codes, max_size=4), st.lists(_codes, max_size=4), _codes)
def test_union_membership_is_the_or_of_its_parts(a, b, probe):
    """Law: x in union(A, B) iff x in A or x in B."""
    sa = CodeSet("a", [("ICD10", c + "*") for c in a])
    sb = CodeSet("b", [("ICD10", c) for c in b])
    coding = Coding("ICD10", probe)
    assert CodeSet.union("u", [sa, sb]).contains(coding) == (sa.contains(coding) or sb.contains(coding))


_systems = st.sampled_from(["ICD10", "ICD10CM", "ATC"])


@given(
    entries=st.lists(st.tuples(_systems, _codes, st.booleans()), max_size=6),
    probes=st.lists(st.tuples(_systems, _codes), max_size=3),
)
def test_the_hot_loop_matcher_equals_match(entries, probes):
    """Law: ``matcher()(codings)`` is ``match(codings)`` for every list of codings, including an
    ICD-10-CM coding under an ICD-10 entry (regression: the matcher once skipped BROADER systems,
    so a score over ICD-10-CM records was unknown where the reference engine knew it)."""
    s = CodeSet("s", [(system, code + "*" if prefix else code) for system, code, prefix in entries])
    codings = [Coding(system, code) for system, code in probes]
    assert s.matcher()(codings) == s.match(codings)


# ------------------------------------------------------------------ systems, normalisation, formats

def test_icd10cm_codings_fall_under_icd10_entries_but_not_the_reverse():
    who = CodeSet("ssc", [("ICD10", "M34*"), ("ICD10", "L94.0")])
    assert who.contains(Coding("ICD10CM", "M34.81")) and who.contains(Coding("ICD-10-CM", "L94.0"))
    cm_only = CodeSet("si", [("ICD10CM", "R45.851")])
    assert cm_only.contains(Coding("ICD10CM", "R45.851"))
    # A WHO ICD-10 record says nothing about a code that only the US modification has.
    assert not cm_only.contains(Coding("ICD10", "R45.851"))


@pytest.mark.parametrize(("system", "written", "matched", "shown"), [
    ("CVX", "3", "03", "03"),
    ("CVX", "003", "03", "03"),
    ("CVX", " 03 ", "03", "03"),
    ("CVX", "141", "141", "141"),
    ("ICD10CM", "m34.81", "M3481", "M34.81"),
    ("ICD10PCS", "6a550z3", "6A550Z3", "6A550Z3"),
    ("ICD9CM", "99.71", "99.71", "99.71"),  # ICD-9-CM keeps its dot: `9971` would be ambiguous
    ("CPT", "0001f", "0001F", "0001F"),
    ("LOINC", "la6576-8", "LA6576-8", "LA6576-8"),
    ("NDC", "0002-3227-30", "00002322730", "0002-3227-30"),  # 4-4-2 padded to 5-4-2
    ("NDC", "50242-040-62", "50242004062", "50242-040-62"),  # 5-3-2
    ("NDC", "60575-4112-1", "60575411201", "60575-4112-1"),  # 5-4-1
    ("NDC", "00002-3227-30", "00002322730", "00002-3227-30"),
    ("UCUM", "mm[Hg]", "mm[Hg]", "mm[Hg]"),  # case-sensitive
])
def test_each_system_normalises_its_spellings(system, written, matched, shown):
    coding = Coding(system, written)
    assert (coding.code, coding.label, coding.problem) == (matched, shown, None)


def test_cvx_without_its_leading_zero_matches_the_set():
    """False ELIGIBLE #3 of issue 10: CVX `3` (MMR) must match a set listing `03`."""
    live = CodeSet("live", [("CVX", "03"), ("CVX", "21")])
    assert live.contains(Coding("CVX", "3")) and live.contains(Coding("CVX", "003"))
    assert not live.contains(Coding("CVX", "30"))


@pytest.mark.parametrize(("system", "code"), [
    ("SNOMED", "38013005"), ("SNOMED", "428191000124101"), ("SNOMED", "89155008"),
    ("LOINC", "2160-0"), ("LOINC", "8302-2"), ("LOINC", "19872-1"), ("LOINC", "LA6576-8"),
    ("RxNorm", "121191"), ("ICD10", "M34.0"), ("ICD10", "M340"), ("ICD10", "U07.1"), ("ICD10CM", "T38.0X5A"),
    ("ICD10PCS", "6A550Z3"), ("ICD10PCS", "6A551Z3"), ("ICD9CM", "99.71"), ("ICD9CM", "714.0"),
    ("ICD9CM", "V12.72"), ("ICD9CM", "E880.9"), ("ICD9CM", "714"), ("CPT", "36514"), ("CPT", "0042T"),
    ("CVX", "03"), ("ATC", "L"), ("ATC", "L04"), ("ATC", "L04A"), ("ATC", "L04AB"), ("ATC", "L04AB02"),
    ("NDC", "00002322730"), ("LOCAL", "anything at all"), ("HL7:v3-ObservationInterpretation", "POS"),
])
def test_well_formed_codes_have_no_problem(system, code):
    assert Coding(system, code).problem is None


@pytest.mark.parametrize(("system", "code", "message"), [
    ("SNOMED", "38013006", "check digit (Verhoeff) is wrong"),
    ("SNOMED", "0123456", "not starting with 0"),
    ("SNOMED", "34552-0", "6 to 18 digits"),  # a LOINC code sent as SNOMED CT (as one Synthea bundle does)
    ("SNOMED", next(f"123456701{d}" for d in "0123456789" if verhoeff_valid(f"123456701{d}")),
     "a description identifier"),
    ("LOINC", "2160-1", "its check digit should be 0"),
    ("LOINC", "21600", "digits, a hyphen and a check digit"),
    ("RxNorm", "0121191", "1 to 9 digits"),
    ("ICD10", "M3.40", "the dot comes after the third character"),
    ("ICD10", "34.0", "not a well-formed ICD-10 code"),
    ("ICD10CM", "M34.0000000", "not a well-formed ICD-10 code"),
    ("ICD10PCS", "6A55OZ3", "other than I and O"),
    ("ICD10PCS", "6A550Z", "exactly 7 characters"),
    ("ICD9CM", "9971", "ambiguous"),
    ("ICD9CM", "M34.0", "not a well-formed ICD-9-CM code"),
    ("CPT", "3651", "a CPT code is 5 characters"),
    ("CVX", "0", "not a well-formed CVX code"),
    ("CVX", "MMR", "not a well-formed CVX code"),
    ("ATC", "L04A2", "not a well-formed ATC code"),
    ("NDC", "0002322730", "11 digits"),
    ("ICD10", "M34 .0", "has a space inside"),
])
def test_malformed_codes_are_kept_with_a_problem(system, code, message):
    coding = Coding(system, code)
    assert coding.problem is not None and message in coding.problem
    assert f"`{code.strip()}`" in coding.problem


@given(st.integers(min_value=1_000, max_value=10**15 - 1))
def test_a_wrong_snomed_check_digit_is_always_caught(number):
    """Law: the Verhoeff check digit catches every single-digit error, so of the ten possible last
    digits after a SNOMED CT concept body, exactly one gives a well-formed concept id."""
    body = str(number) + "00"  # partition 00: a concept
    valid = [d for d in "0123456789" if Coding("SNOMED", body + d).problem is None]
    assert len(valid) == 1


@given(st.integers(min_value=1, max_value=9_999_999))
def test_a_wrong_loinc_check_digit_is_always_caught(number):
    """Law: exactly one check digit makes a LOINC code of given digits well-formed."""
    valid = [d for d in "0123456789" if Coding("LOINC", f"{number}-{d}").problem is None]
    assert len(valid) == 1
