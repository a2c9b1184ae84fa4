"""`import valueset`: a site's FHIR ValueSet resources are code sets (issue 10 §2).

A ValueSet's compose (include/exclude concept lists) or expansion becomes a code set, expanded by the
terminology like any other; one that cannot be read completely is a located compile error, never a
silently smaller set.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eligibility_dsl import Outcome, Status, compile_file, compile_source
from eligibility_dsl.api import check_source
from eligibility_dsl.language.loader import file_loader
from eligibility_dsl.terminology import TerminologyError, load

FIXTURES = Path(__file__).parent / "fixtures" / "terminology"
ANCHORS = {"screening": "2025-09-11"}


def _record(*meds):
    return {"id": "p", "birth_date": "1980-01-01", "sex": "female", "medications": list(meds),
            "coverage": {"medications": {"from": "2023-01-01", "to": "2025-09-11"}}}


def _med(code, start="2025-09-01", system="RxNorm"):
    return {"id": f"m{code}", "code": {"system": system, "code": code}, "start": start}


@pytest.fixture(scope="module")
def trial():
    return compile_file(FIXTURES / "valueset_trial.elig")


def test_a_compose_includes_its_concepts_and_the_products_of_its_ingredients(trial):
    spec = trial.checked.codesets["b_cell"]
    assert spec.description == "B cell-targeted therapies (site value set)"
    assert ("RxNorm", "121191", "rituximab") in spec.codes
    assert trial.evaluate(_record(_med("1657865")), ANCHORS).criterion("E1").status is Status.MET
    assert trial.evaluate(_record(_med("L04AG04", system="ATC")), ANCHORS).outcome is Outcome.INELIGIBLE


def test_an_excluded_concept_stays_out_even_when_an_ingredient_would_reach_it(trial):
    spec = trial.checked.codesets["b_cell"]
    assert "1657862" not in {code for _, code, _ in spec.codes}
    decision = trial.evaluate(_record(_med("1657862")), ANCHORS)
    assert decision.criterion("E1").status is Status.NOT_MET


def test_an_expansion_is_read_with_nested_contains_and_abstract_entries_left_out(trial):
    spec = trial.checked.codesets["oral_prednisone"]
    assert {code for _, code, _ in spec.codes} >= {"206997", "8640"}
    assert trial.evaluate(_record(_med("206997")), ANCHORS).criterion("E2").status is Status.MET


@pytest.mark.parametrize(("file", "words"), [
    ("vs/not_json.json", "is not JSON"),
    ("vs/filtered.json", "`compose.include[0].filter` selects concepts by a rule"),
    ("vs/unknown_system.json", "`compose.include[0].concept[0].system` is an unknown code system"),
    ("vs/patient.json", "not a FHIR ValueSet (found `Patient`)"),
    ("vs/missing.json", "cannot import `vs/missing.json`"),
])
def test_a_valueset_that_cannot_be_read_is_a_located_error(file, words):
    source = f'trial NCT1 "t"\nanchor screening\nimport valueset "{file}" as vs\n' \
             'include I1 "x": exists medications in vs during 1 year before screening\n'
    _, diagnostics = check_source(source, str(FIXTURES / "inline.elig"), file_loader)
    errors = [d for d in diagnostics if d.severity == "error"]
    assert errors and words in errors[0].message, [d.message for d in errors]
    assert errors[0].code in ("E0131", "E0116")
    assert (errors[0].span.line, errors[0].span.column) == (3, 17)  # the path, as written


def test_a_valueset_import_needs_a_loader():
    with pytest.raises(Exception) as caught:
        compile_source('trial NCT1 "t"\nimport valueset "vs/b_cell.json" as b\ninclude I1 "x": true\n')
    assert "E0116" in str(caught.value) or "cannot import" in str(caught.value)


def test_a_site_terminology_from_expansion_files(tmp_path):
    """A terminology server's $expand result, keyed by its compose filter, reaches products the shipped
    table does not know (belimumab has no public product list in the shipped table)."""
    expansion = {"resourceType": "ValueSet", "status": "active",
                 "compose": {"include": [{"system": "http://www.whocc.no/atc",
                                          "filter": [{"property": "concept", "op": "=", "value": "L04AG04"}]}]},
                 "expansion": {"contains": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                             "code": "999001", "display": "belimumab product (test code)"}]}}
    (tmp_path / "belimumab.json").write_text(json.dumps(expansion), encoding="utf-8")
    site = load(tmp_path)
    assert site.expand("ATC", "L04AG04") == (("RxNorm", "999001", "belimumab product (test code)"),)
    trial = compile_file(FIXTURES / "valueset_trial.elig", terminology=tmp_path)
    assert trial.evaluate(_record(_med("999001")), ANCHORS).criterion("E1").status is Status.MET
    assert trial.checked.terminology == f"expansions in {tmp_path}"


def test_a_terminology_file_that_cannot_be_read_says_which_and_why(tmp_path):
    (tmp_path / "bad.json").write_text('{"format": "something else", "ingredients": 3}', encoding="utf-8")
    with pytest.raises(TerminologyError, match="not a terminology table"):
        load(tmp_path / "bad.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TerminologyError, match=r"holds no \.json"):
        load(tmp_path / "empty")


def test_the_command_line_takes_a_terminology(tmp_path, capsys):
    from eligibility_dsl.cli import main

    trial = str(FIXTURES / "valueset_trial.elig")
    assert main(["check", trial, "--terminology", "none"]) == 0
    assert main(["check", trial, "--terminology", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    record = tmp_path / "p.json"
    record.write_text(json.dumps(_record(_med("1657865"))), encoding="utf-8")
    args = ["eval", trial, str(record), "--anchor", "screening=2025-09-11", "--format", "json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["content"]["outcome"] == "INELIGIBLE"
    assert main([*args, "--terminology", "none"]) == 0
    assert json.loads(capsys.readouterr().out)["content"]["outcome"] == "ELIGIBLE"
