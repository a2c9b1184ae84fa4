"""The shipped terminology table covers every drug the shipped libraries and trials name (issue 10 §2).

Every ATC substance code (level 5) and every RxNorm code written in a shipped code set is in the table,
as an ingredient (with its products where the public source lists them) or as a product; an ingredient
without products says so in a note, so that the gap is visible data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eligibility_dsl import compile_file
from eligibility_dsl.terminology import shipped

ROOT = Path(__file__).parent.parent
SHIPPED = sorted((ROOT / "trials").glob("*.elig")) + sorted((ROOT / "trials" / "examples").glob("*.elig"))
TABLE = json.loads((ROOT / "eligibility_dsl/terminology/data/rxnorm_products.json").read_text(encoding="utf-8"))


def _written_codes():
    for path in SHIPPED:
        checked = compile_file(path, terminology=False, lib_path=[ROOT / "trials" / "lib"]).checked
        for spec in checked.codesets.values():
            for system, code, display in spec.codes:
                yield path.name, spec.name, system, code.strip(), display


def test_the_table_names_its_release_source_and_builder():
    assert TABLE["release"] and TABLE["source"] and TABLE["built_by"] == "tools/build_rxnorm_table.py"
    assert (ROOT / TABLE["built_by"]).is_file()
    assert shipped().release == TABLE["release"]


def test_every_drug_the_shipped_files_name_is_in_the_table():
    atc = {a for e in TABLE["ingredients"] for a in e["atc"]}
    rxnorm = {e["rxnorm"] for e in TABLE["ingredients"] if e["rxnorm"]}
    rxnorm |= {b["rxnorm"] for e in TABLE["ingredients"] for b in e["biosimilars"]}
    rxnorm |= {p[0] for e in TABLE["ingredients"] for p in e["products"]}
    missing = [(f, s, system, code) for f, s, system, code, _ in _written_codes()
               if (system == "ATC" and len(code) == 7 and code not in atc)
               or (system == "RxNorm" and code not in rxnorm)]
    assert missing == []


def test_an_ingredient_without_products_says_so():
    for entry in TABLE["ingredients"]:
        assert entry["products"] or entry.get("note"), entry["name"]
        for product in entry["products"]:
            assert len(product) == 3 and product[0].isdigit() and product[2] in (
                "SCD", "SBD", "GPCK", "BPCK", "SCDC", "SBDC", "SCDF", "SBDF", "SCDG", "SBDG"), product


@pytest.mark.parametrize(("ingredient", "product"), [
    ("121191", "1657865"),   # rituximab -> rituximab 10 MG/ML Injection
    ("327361", "1872986"),   # adalimumab -> Humira pen starter pack (BPCK)
    ("327361", "2103479"),   # adalimumab -> adalimumab-atto (biosimilar)
    ("8640", "206997"),      # prednisone -> Prednisone 20 MG Oral Tablet [Deltasone]
])
def test_an_ingredient_expands_to_its_products(ingredient, product):
    assert product in {code for _, code, _ in shipped().expand("RxNorm", ingredient)}


def test_an_atc_class_reaches_the_ingredients_and_products_of_its_substances():
    found = {code for _, code, _ in shipped().expand("ATC", "L04AB", prefix=True)}
    assert {"327361", "1872986"} <= found
    assert not shipped().expand("ATC", "L04AB", prefix=False)  # a class code is no substance
