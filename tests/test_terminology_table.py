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


# Drugs the shipped files name for which the public sources read list no RxNorm product (each entry's
# note says so; docs/terminology.md lists them).  A change here is a change of coverage: say why.
WITHOUT_PRODUCTS = {
    "axicabtagene ciloleucel", "belantamab mafodotin", "belimumab", "betamethasone", "brexucabtagene autoleucel",
    "brodalumab", "canakinumab", "ciltacabtagene autoleucel", "idecabtagene vicleucel", "inebilizumab",
    "isatuximab", "lisocabtagene maraleucel", "ocrelizumab", "ofatumumab", "panobinostat", "pomalidomide",
    "satralizumab", "selinexor", "sulfasalazine", "talquetamab", "teclistamab", "tisagenlecleucel",
    # named by the oncology and C. difficile example trials (issue 11)
    "olaparib", "niraparib", "rucaparib", "talazoparib", "vancomycin", "fidaxomicin", "bezlotoxumab",
}


def test_coverage_every_named_drug_has_products_or_a_documented_gap():
    """Law: an ingredient the libraries name has RxNorm products in the table, or is one of the listed gaps
    and carries a note naming why (the gap is data, not an absence)."""
    without = {e["name"] for e in TABLE["ingredients"] if not e["products"]}
    assert without == WITHOUT_PRODUCTS
    for entry in TABLE["ingredients"]:
        if not entry["products"]:
            assert "RxNorm" in entry["note"], entry["name"]
        else:
            assert entry["source"], entry["name"]
    covered = len(TABLE["ingredients"]) - len(without)
    assert covered >= 46  # of 75 (issue 10 §2: was 11, then 29 of 60, then 46 of 68)
    docs = " ".join((ROOT / "docs" / "terminology.md").read_text(encoding="utf-8").split())
    assert [name for name in sorted(WITHOUT_PRODUCTS) if name not in docs] == []


def test_every_source_is_named_with_repository_commit_path_and_licence():
    assert len(TABLE["sources"]) >= 2
    docs = (ROOT / "docs" / "terminology.md").read_text(encoding="utf-8")
    for source in TABLE["sources"]:
        assert {"name", "repository", "commit", "path", "licence"} <= set(source)
        assert source["repository"] in docs and source["commit"] in docs


@pytest.mark.parametrize(("ingredient", "product", "why"), [
    ("121191", "2105831", "rituximab -> 10 ML rituximab-abbs 10 MG/ML Injection [Truxima] (biosimilar)"),
    ("121191", "2273510", "rituximab -> rituximab-pvvr (biosimilar ingredient, Ruxience)"),
    ("121191", "2472325", "rituximab -> rituximab-arrx (biosimilar ingredient, Riabni)"),
    ("191831", "1790541", "infliximab -> infliximab-dyyb 100 MG Injection (biosimilar)"),
    ("612865", "1657974", "tocilizumab -> 4 ML tocilizumab 20 MG/ML Injection"),
    ("974779", "1442693", "obinutuzumab -> 40 ML obinutuzumab 25 MG/ML Injection"),
    ("6851", "105585", "methotrexate -> methotrexate 2.5 MG Oral Tablet"),
    ("1721947", "2375130", "daratumumab -> daratumumab-fihj (with hyaluronidase, subcutaneous)"),
])
def test_biologics_and_biosimilars_are_reached(ingredient, product, why):
    assert product in {code for _, code, _ in shipped().expand("RxNorm", ingredient)}, why


@pytest.mark.parametrize(("atc", "product", "why"), [
    ("L04AB01", "727757", "etanercept -> 1 ML etanercept 50 MG/ML Prefilled Syringe (eCQM value set)"),
    ("L04AB06", "1482813", "golimumab -> 1 ML golimumab 100 MG/ML Prefilled Syringe"),
    ("L04AC10", "1599792", "secukinumab -> 1 ML secukinumab 150 MG/ML Prefilled Syringe"),
    ("L04AC05", "853350", "ustekinumab -> 0.5 ML ustekinumab 90 MG/ML Prefilled Syringe"),
    ("L04AC02", "1656648", "basiliximab -> basiliximab 20 MG Injection"),
    ("L04AA06", "7145", "mycophenolic acid (ingredient, CPIC drug table)"),
    ("H01BA01", "11149", "vasopressin -> vasopressin (USP), its RxNorm ingredient (PEDSnet rx_pressors.csv)"),
    ("C01CA03", "1159845", "norepinephrine -> norepinephrine Injectable Product"),
])
def test_drugs_without_a_verified_ingredient_code_are_reached_through_their_atc_code(atc, product, why):
    """Law: a product the sources list is reached from the drug's ATC substance code, even where the
    drug's own RxNorm ingredient code is not verified (etanercept, golimumab, ...)."""
    assert product in {code for _, code, _ in shipped().expand("ATC", atc)}, why


def test_ivig_reaches_only_products_named_intravenous():
    found = shipped().expand("ATC", "J06BA02")
    assert found and all("intravenous" in (d or "") for _, _, d in found)
