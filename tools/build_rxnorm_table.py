"""Regenerate eligibility_dsl/terminology/data/rxnorm_products.json, the shipped ingredient-to-product table.

Sources (each named, with repository, commit, folder and licence, in the table's ``sources`` list and in
docs/terminology.md):

1. PEDSnet's Variable Dictionary (https://github.com/PEDSnet/Variable-Dictionary, folder ``drugs/``,
   commit 009e8ba): extracts of the OHDSI standardised vocabulary, one row per concept, with its code
   (for RxNorm, the RXCUI) and its name.  Rows of the vocabulary ``RxNorm Extension`` (OHDSI's own
   ``OMOP...`` identifiers, not RxNorm) are dropped; in files without a vocabulary column an RxNorm code
   is known by being all digits.
2. The NMDP/CIBMTR Reporting FHIR IG (https://github.com/nmdp-ig/cibmtr-reporting-ig, folder
   ``build/fsh-generated/resources/``, commit d15ab17, Apache-2.0): FHIR ValueSets of RxNorm codes for
   the drugs of CIBMTR form 2400 (``ValueSet-med-*.json``), including rituximab's biosimilars.
3. Canvas Medical's canvas-plugins SDK (https://github.com/canvas-medical/canvas-plugins, commit 344f0bc,
   MIT): the eCQM value sets of VSAC as Python classes, ``canvas_sdk/value_set/v2022/medication.py``
   (eCQM update 2021-05) and ``v2026/medication.py`` (eCQM update 2025-05), each ``RXNORM`` set one code a
   line with its RxNorm name in a comment (``"1599792",  # 1 ML secukinumab 150 MG/ML Prefilled Syringe``).
   Among them "Immunosuppressive Drugs for Urology Care" (2.16.840.1.113762.1.4.1248.364) lists the
   TNF, IL-17 and IL-12/23 inhibitors, basiliximab, leflunomide and mycophenolic acid products.
4. CPIC's drug table (https://github.com/cpicpgx/cpic-schema, ``drug.sql``, commit 05f9b09): RxNorm
   ingredient codes with their names; read by hand for ingredient codes only (written in ``DRUGS``), as it
   lists no products.

Each RxNorm product is assigned to the ingredients whose name it contains as a word of its own.  The
sources carry no term type, so it is inferred from the name's shape (packs in ``{...}``, brands in
``[...]``, a strength, a dose form); it is shown, never used for matching.  An all-lowercase name with no
digit is an ingredient (IN, PIN or MIN), not a product.  A name ``drug-abcd`` (FDA four-letter suffix) is
an ingredient of its own (a biosimilar, or a co-formulation such as daratumumab-fihj) and is listed, with
its products, under the drug it carries the name of.

Drugs the shipped libraries name but no source covers are listed with no products and a note, so a gap
is data a reader can see (and a test can count), not an absence.

    python tools/build_rxnorm_table.py PATH/TO/Variable-Dictionary/drugs PATH/TO/cibmtr-reporting-ig \
        PATH/TO/canvas-plugins
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "eligibility_dsl" / "terminology" / "data" / "rxnorm_products.json"
COMMIT = "009e8ba"
CIBMTR_COMMIT = "d15ab17"
CPIC_COMMIT = "05f9b09"
CANVAS_COMMIT = "344f0bc"
CANVAS_FILES = ["canvas_sdk/value_set/v2022/medication.py", "canvas_sdk/value_set/v2026/medication.py"]
SOURCES = [
    {"name": "PEDSnet Variable Dictionary", "repository": "github.com/PEDSnet/Variable-Dictionary",
     "commit": COMMIT, "path": "drugs/", "licence": "published openly by PEDSnet for reuse (repository README)",
     "content": "extracts of the OHDSI vocabulary (code sets dated 2019-11 to 2023-11); RxNorm rows only"},
    {"name": "NMDP/CIBMTR Reporting FHIR IG", "repository": "github.com/nmdp-ig/cibmtr-reporting-ig",
     "commit": CIBMTR_COMMIT, "path": "build/fsh-generated/resources/ValueSet-med-*.json", "licence": "Apache-2.0",
     "content": "FHIR ValueSets of RxNorm codes (ingredients, clinical and branded drugs) for CIBMTR form 2400"},
    {"name": "Canvas Medical canvas-plugins (eCQM value sets)",
     "repository": "github.com/canvas-medical/canvas-plugins", "commit": CANVAS_COMMIT,
     "path": "canvas_sdk/value_set/v2022/medication.py, canvas_sdk/value_set/v2026/medication.py",
     "licence": "MIT", "content": ("the RxNorm codes (with their names) of the eCQM medication value sets of VSAC, "
                                   "eCQM updates 2021-05 and 2025-05")},
    {"name": "CPIC drug table", "repository": "github.com/cpicpgx/cpic-schema", "commit": CPIC_COMMIT,
     "path": "drug.sql", "licence": "no licence file in the repository; CPIC publishes its data for reuse",
     "content": ("RxNorm ingredient codes with names (here: mycophenolic acid 7145, hydroxychloroquine 5521, "
                 "sulfasalazine 9524); no products")},
]
SOURCE = "; ".join(f"{s['name']} ({s['repository']}, {s['path']}, commit {s['commit']}, {s['licence']})"
                   for s in SOURCES)
RELEASE = (f"pedsnet-variable-dictionary@{COMMIT} + cibmtr-reporting-ig@{CIBMTR_COMMIT} "
           f"+ canvas-plugins@{CANVAS_COMMIT} + cpic-schema@{CPIC_COMMIT} "
           "(RxNorm as in the OHDSI vocabulary of code sets dated 2019-11 to 2023-11, as in the CIBMTR "
           "value sets of 2025-04, and as in the eCQM value sets of 2021-05 and 2025-05)")

# PEDSnet source files read (every drug named in DRUGS is looked for in every file).
FILES = [
    "rx_2019_11_Rituximab_V1.csv",
    "rx_2019_11_Mycophenolate_V1.csv",
    "rx_2019_11_Cyclophosphamide_V1.csv",
    "rx_2019_11_Azathioprine_V1.csv",
    "rx_2019_11_TacrolimusCyclosporine_V2.csv",
    "rx_2019_11_Steroids_V1.csv",
    "rx_2023_06_Adalimumab_V1.csv",
    "rx_2023_11_COVID19Medications_V1.csv",     # infliximab, anakinra, tocilizumab, sarilumab, siltuximab, IVIG
    "rx_2022_11_NephrotoxisChemotherapy_V1.csv",  # methotrexate, melphalan, bortezomib, carfilzomib, ...
    "rx_2022_09_AntiAsthmaticAgents_V1.csv",     # triamcinolone (inhaled forms only), budesonide, ...
    "abatacept.csv",
    "rx_pressors.csv",                           # norepinephrine, epinephrine, dopamine, vasopressin, ...
]
# Files whose header row misnames its columns (rx_pressors.csv's header says concept_name, vocabulary_id
# over columns that hold the code and the name; it has no vocabulary column, so an RxNorm code is known
# by being all digits, as the OMOP codes of RxNorm Extension are not).
HEADERS = {"rx_pressors.csv": ["concept_id", "concept_code", "concept_name", "codeset"]}
# The name a drug's products carry, where it differs from the drug's name in DRUGS.  IVIG: only the
# products RxNorm names "immune globulin intravenous" are intravenous by name; the many products of
# "immunoglobulin G, human" are "Injection" (intravenous or subcutaneous: RxNorm does not say), so they
# are not listed (a site's own release can add them).
PRODUCT_NAMES = {"immunoglobulin, normal human, intravascular": "immune globulin intravenous",
                 "vasopressin": "vasopressin (USP)"}
# The name RxNorm gives a drug's ingredient, where it differs from the drug's name in DRUGS.
INGREDIENT_NAMES = {"vasopressin": "vasopressin (usp)"}
# Other ingredients whose names begin with a drug's name (a product of these is not a product of it).
NOT_THE_DRUG = {"melphalan": ["melphalan flufenamide"]}

# Every drug the shipped libraries and trials name: (name, RxNorm ingredient code as verified in
# trials/lib/README.md or None, ATC codes as listed in trials/lib/ssc_valuesets.elig and the trials).
DRUGS: list[tuple[str, str | None, list[str]]] = [
    ("rituximab", "121191", ["L01FA01", "L01XC02"]),
    ("belimumab", None, ["L04AG04", "L04AA26"]),
    ("ocrelizumab", None, ["L04AG08", "L04AA36"]),
    ("ofatumumab", None, ["L01FA02", "L01XC10", "L04AG12"]),
    ("obinutuzumab", "974779", ["L01FA03", "L01XC15"]),
    ("inebilizumab", None, ["L04AG10", "L04AA47"]),
    ("etanercept", None, ["L04AB01"]),
    ("infliximab", None, ["L04AB02"]),
    ("adalimumab", None, ["L04AB04"]),
    ("certolizumab pegol", None, ["L04AB05"]),
    ("golimumab", None, ["L04AB06"]),
    ("daclizumab", "190353", ["L04AC01"]),
    ("basiliximab", None, ["L04AC02"]),
    ("anakinra", None, ["L04AC03"]),
    ("ustekinumab", None, ["L04AC05"]),
    ("tocilizumab", "612865", ["L04AC07"]),
    ("canakinumab", None, ["L04AC08"]),
    ("secukinumab", None, ["L04AC10"]),
    ("siltuximab", None, ["L04AC11"]),
    ("brodalumab", None, ["L04AC12"]),
    ("ixekizumab", None, ["L04AC13"]),
    ("sarilumab", None, ["L04AC14"]),
    ("satralizumab", None, ["L04AC19"]),
    ("immunoglobulin, normal human, intravascular", None, ["J06BA02"]),
    ("mycophenolate mofetil", "68149", ["L04AA06"]),
    ("mycophenolic acid", "7145", ["L04AA06"]),  # CPIC drug table (cpicpgx/cpic-schema drug.sql)
    ("cyclophosphamide", "3002", ["L01AA01"]),
    ("methotrexate", "6851", ["L04AX03", "L01BA01"]),
    ("azathioprine", None, ["L04AX01"]),
    ("cyclosporine", "3008", ["L04AD01"]),
    ("prednisone", "8640", ["H02AB07"]),
    ("prednisolone", "8638", ["H02AB06"]),
    ("methylprednisolone", "6902", ["H02AB04"]),
    ("hydrocortisone", "5492", ["H02AB09"]),
    ("cortisone", "2878", ["H02AB10"]),
    ("dexamethasone", "3264", ["H02AB02"]),
    ("betamethasone", "1514", ["H02AB01"]),
    ("triamcinolone", "10759", ["H02AB08"]),
    ("daratumumab", "1721947", ["L01FC01", "L01XC24"]),
    ("isatuximab", None, ["L01FC02", "L01XC38"]),
    ("bortezomib", "358258", ["L01XG01", "L01XX32"]),
    ("carfilzomib", "1302966", ["L01XG02", "L01XX45"]),
    ("ixazomib", "1723735", ["L01XG03", "L01XX50"]),
    ("thalidomide", "10432", ["L04AX02"]),
    ("lenalidomide", "342369", ["L04AX04"]),
    ("pomalidomide", None, ["L04AX06"]),
    ("elotuzumab", "1726104", ["L01FX08", "L01XC23"]),
    ("belantamab mafodotin", None, ["L01FX15"]),
    ("teclistamab", None, ["L01FX24"]),
    ("talquetamab", None, ["L01FX29"]),
    ("selinexor", None, ["L01XX66"]),
    ("melphalan", None, ["L01AA03"]),
    ("panobinostat", None, ["L01XH03"]),
    ("axicabtagene ciloleucel", None, ["L01XL03"]),
    ("tisagenlecleucel", None, ["L01XL04"]),
    ("ciltacabtagene autoleucel", None, ["L01XL05"]),
    ("brexucabtagene autoleucel", None, ["L01XL06"]),
    ("idecabtagene vicleucel", None, ["L01XL07"]),
    ("lisocabtagene maraleucel", None, ["L01XL08"]),
    ("metformin", "6809", ["A10BA02"]),
    # Named by trials/nct03863405_ra_metformin.elig and trials/nct03920982_septic_aki.elig (ATC as written
    # there; RxNorm ingredient codes from CPIC's drug table, cpicpgx/cpic-schema drug.sql).
    ("hydroxychloroquine", "5521", ["P01BA02"]),
    ("sulfasalazine", "9524", ["A07EC01"]),
    ("leflunomide", None, ["L04AA13", "L04AK01"]),
    ("abatacept", None, ["L04AA24"]),
    ("norepinephrine", None, ["C01CA03"]),
    ("epinephrine", None, ["C01CA24"]),
    ("dopamine", None, ["C01CA04"]),
    ("vasopressin", None, ["H01BA01"]),
    # Named by trials/examples/nct03925350_parp_hr_solid_tumours.elig (the PARP inhibitors, ATC L01XK since
    # 2022 and L01XX before) and nct03931941_recurrent_cdi.elig; no RxNorm code verified from a public source.
    ("olaparib", None, ["L01XK01", "L01XX46"]),
    ("niraparib", None, ["L01XK02", "L01XX54"]),
    ("rucaparib", None, ["L01XK03", "L01XX55"]),
    ("talazoparib", None, ["L01XK04", "L01XX60"]),
    ("vancomycin", None, ["A07AA09", "J01XA01"]),
    ("fidaxomicin", None, ["A07AA12"]),
    ("bezlotoxumab", None, ["J06BB21", "J06BC03"]),
]
# Why a drug has no products (the default note says the public sources named above lack it).
NO_PRODUCTS = ("the public sources read (see \"sources\") list no RxNorm product of it: matched by its ATC codes "
               "and RxNorm ingredient code only; a site's own RxNorm release or $expand files add its products")
NOTES: dict[str, str] = {
    "immunoglobulin, normal human, intravascular": (
        "only the products RxNorm names `immune globulin intravenous` are listed: the products of `immunoglobulin G, "
        "human` are `Injection` (intravenous or subcutaneous, RxNorm does not say) and are left out"),
}
# Products named in the shipped files themselves, with the file that names them.
EXTRA_PRODUCTS = {
    "metformin": [("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet", "SCD",
                   "trials/examples/t2dm_metformin_addon.elig")],
}

_STRENGTH = re.compile(r"\d+(\.\d+)? (MG|ML|MCG|UNT|MEQ|%|GM|HR|ACTUAT)\b", re.IGNORECASE)
_ENDS_WITH_STRENGTH = re.compile(r"(MG|ML|MCG|UNT|MEQ|%)(/(MG|ML|ACTUAT|MCG))?$", re.IGNORECASE)


def term_type(name: str) -> str:
    """The RxNorm term type a name's shape implies (SCD, SBD, GPCK, BPCK, SCDC, SBDC, SCDF, SBDF, SCDG, SBDG)."""
    if name.startswith("{"):
        return "BPCK" if name.endswith("]") else "GPCK"
    branded = name.endswith("]")
    core = re.sub(r"\s*\[[^\]]*\]$", "", name)
    if _STRENGTH.search(core):
        return ("SBDC" if branded else "SCDC") if _ENDS_WITH_STRENGTH.search(core) else ("SBD" if branded else "SCD")
    if core.endswith("Product"):
        return "SBDG" if branded else "SCDG"
    return "SBDF" if branded else "SCDF"


def _pattern(ingredient: str) -> re.Pattern:
    # A word of its own: `cortisone` is not in `hydrocortisone`, `prednisolone` not in `methylprednisolone`;
    # `adalimumab-adbm` is a biosimilar (its own ingredient), not `adalimumab`.
    return re.compile(rf"(?<![a-z\-]){re.escape(ingredient)}(?![a-z\-])", re.IGNORECASE)


def _is_ingredient(name: str) -> bool:
    """IN, PIN and MIN names are lowercase (but perhaps for the first letter) with no digit; every product
    has a dose form, a strength or a brand (capitalised)."""
    name = name.removesuffix(" (USP)")  # RxNorm's `vasopressin (USP)` is the ingredient
    return not re.search(r"[0-9\[{]", name) and not re.search(r"[A-Z]", name[1:])


def _csv_rows(path: Path):
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    fieldnames = HEADERS.get(path.name)
    if fieldnames is not None:
        text = text.split("\n", 1)[1]  # the misnamed header row
    for row in csv.DictReader(io.StringIO(text), fieldnames=fieldnames):
        code = (row.get("concept_code") or "").strip()
        vocabulary = row.get("vocabulary_id")
        if code and (vocabulary == "RxNorm" or (vocabulary is None and code.isdigit())):
            yield code, " ".join(row["concept_name"].split())


def _valueset_rows(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    for include in data.get("compose", {}).get("include", ()):
        if include.get("system") == "http://www.nlm.nih.gov/research/umls/rxnorm":
            for concept in include.get("concept", ()):
                yield str(concept["code"]).strip(), " ".join(str(concept.get("display", "")).split())


_CANVAS_LINE = re.compile(r'^\s+"(\d+)",\s+#\s*(\S.*)$')


def _canvas_rows(path: Path):
    """The codes of the ``RXNORM = {...}`` sets of a canvas-plugins value-set module, with the names their
    comments give (other code systems' sets are skipped)."""
    in_rxnorm = False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.endswith("= {"):
            in_rxnorm = stripped == "RXNORM = {"
        elif stripped == "}":
            in_rxnorm = False
        elif in_rxnorm and (m := _CANVAS_LINE.match(line)):
            yield m.group(1), " ".join(m.group(2).split())


def _all_rows(pedsnet: Path, cibmtr: Path | None, canvas: Path | None = None) -> list[tuple[str, str, str]]:
    rows: dict[str, tuple[str, str, str]] = {}
    for file in FILES:
        for code, name in _csv_rows(pedsnet / file):
            rows.setdefault(code, (code, name, f"PEDSnet drugs/{file}"))
    if cibmtr is not None:
        folder = cibmtr / "build" / "fsh-generated" / "resources"
        for file in sorted(folder.glob("ValueSet-med-*.json")):
            for code, name in _valueset_rows(file):
                rows.setdefault(code, (code, name, f"CIBMTR {file.name}"))
    if canvas is not None:
        for file in CANVAS_FILES:
            for code, name in _canvas_rows(canvas / file):
                rows.setdefault(code, (code, name, f"canvas-plugins {file}"))
    return sorted(rows.values(), key=lambda r: int(r[0]))


def build(pedsnet: Path, cibmtr: Path | None = None, canvas: Path | None = None) -> dict:
    entries = {name: {"name": name, "rxnorm": rx, "atc": atc, "products": [], "biosimilars": [], "source": None}
               for name, rx, atc in DRUGS}
    rows = _all_rows(pedsnet, cibmtr, canvas)
    by_name = {name.lower(): code for code, name, _ in rows if _is_ingredient(name)}
    for name, entry in entries.items():
        label = PRODUCT_NAMES.get(name, name)
        pat = _pattern(label)
        exclude = [_pattern(other) for other in NOT_THE_DRUG.get(name, ())]
        sources = set()
        key = INGREDIENT_NAMES.get(name, name)
        if key in by_name:
            if entry["rxnorm"] not in (None, by_name[key]):
                raise SystemExit(f"{name} is RxNorm {by_name[key]}, the library says {entry['rxnorm']}")
            entry["rxnorm"] = by_name[key]
        biosimilars: dict[str, dict] = {}
        for code, product, where in rows:
            if _is_ingredient(product) or any(x.search(product) for x in exclude):
                continue
            if pat.search(product):
                entry["products"].append([code, product, term_type(product)])
                sources.add(where)
            for suffixed in sorted(set(re.findall(rf"(?<![a-z\-]){re.escape(label)}-[a-z]{{4}}(?![a-z\-])",
                                                  product, re.IGNORECASE))):
                b = biosimilars.setdefault(suffixed.lower(), {"name": suffixed.lower(),
                                                             "rxnorm": by_name.get(suffixed.lower()),
                                                             "products": []})
                b["products"].append([code, product, term_type(product)])
                sources.add(where)
        for suffixed, code in by_name.items():  # a biosimilar ingredient with no product in the sources
            if re.fullmatch(rf"{re.escape(label)}-[a-z]{{4}}", suffixed):
                biosimilars.setdefault(suffixed, {"name": suffixed, "rxnorm": code, "products": []})
        entry["biosimilars"] = [biosimilars[k] for k in sorted(biosimilars)]
        entry["source"] = "; ".join(sorted(sources)) or None
    for name, extra in EXTRA_PRODUCTS.items():
        for code, label, tty, where in extra:
            if code not in {p[0] for p in entries[name]["products"]}:
                entries[name]["products"].append([code, label, tty])
            entries[name]["source"] = entries[name]["source"] or where
    for entry in entries.values():
        entry["products"].sort(key=lambda p: int(p[0]))
        if not entry["products"]:
            entry["note"] = NOTES.get(entry["name"], NO_PRODUCTS)
    return {"format": "eligibility-dsl-terminology/1", "release": RELEASE, "source": SOURCE,
            "sources": SOURCES, "built_by": "tools/build_rxnorm_table.py", "ingredients": list(entries.values())}


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    table = build(*(Path(arg) for arg in argv[1:]))
    OUT.write_text(json.dumps(table, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n",
                   encoding="utf-8")
    n = sum(len(e["products"]) for e in table["ingredients"])
    print(f"wrote {OUT} ({len(table['ingredients'])} ingredients, {n} products)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
