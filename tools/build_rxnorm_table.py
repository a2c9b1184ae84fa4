"""Regenerate eligibility_dsl/terminology/data/rxnorm_products.json, the shipped ingredient-to-product table.

Source: the drug code sets of PEDSnet's Variable Dictionary (https://github.com/PEDSnet/Variable-Dictionary,
folder ``drugs/``, commit 009e8ba), which are extracts of the OHDSI standardised vocabulary: one row per
concept, with its vocabulary (``RxNorm`` or ``RxNorm Extension``), its code (for RxNorm, the RXCUI) and
its name.  Only rows of the vocabulary ``RxNorm`` are used (``RxNorm Extension`` codes are OHDSI's own
``OMOP...`` identifiers, not RxNorm); each is assigned to the ingredients its name contains.  The
source carries no term type, so the RxNorm term type is inferred from the name's shape (packs in
``{...}``, brands in ``[...]``, a strength, a dose form); it is shown, never used for matching.

Drugs the shipped libraries name but the source does not cover are listed with no products and a
note, so a gap is data a reader can see (and a test can count), not an absence.

    python tools/build_rxnorm_table.py PATH/TO/Variable-Dictionary/drugs
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
SOURCE = (f"PEDSnet Variable Dictionary (github.com/PEDSnet/Variable-Dictionary, drugs/, commit {COMMIT}): "
          "extracts of the OHDSI vocabulary; RxNorm rows only")
RELEASE = (f"pedsnet-variable-dictionary@{COMMIT} "
           "(RxNorm as in the OHDSI vocabulary of code sets dated 2019-11 and 2023-06)")

# Source files and the ingredients whose products they list.
FILES = {
    "rx_2019_11_Rituximab_V1.csv": ["rituximab"],
    "rx_2019_11_Mycophenolate_V1.csv": ["mycophenolate mofetil", "mycophenolic acid"],
    "rx_2019_11_Cyclophosphamide_V1.csv": ["cyclophosphamide"],
    "rx_2019_11_Azathioprine_V1.csv": ["azathioprine"],
    "rx_2019_11_TacrolimusCyclosporine_V2.csv": ["cyclosporine"],
    "rx_2019_11_Steroids_V1.csv": ["prednisone", "prednisolone", "methylprednisolone", "hydrocortisone",
                                   "cortisone", "dexamethasone", "betamethasone", "triamcinolone"],
    "rx_2023_06_Adalimumab_V1.csv": ["adalimumab"],
}

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
    ("mycophenolic acid", None, ["L04AA06"]),
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
]
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


def _rows(path: Path):
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    for row in csv.DictReader(io.StringIO(text)):
        if row and row.get("vocabulary_id") == "RxNorm" and row.get("concept_code"):
            yield row["concept_code"].strip(), " ".join(row["concept_name"].split())


def build(folder: Path) -> dict:
    entries = {name: {"name": name, "rxnorm": rx, "atc": atc, "products": [], "biosimilars": [], "source": None}
               for name, rx, atc in DRUGS}
    biosimilar = re.compile(r"^([a-z]+)-([a-z]{4})$")
    for file, names in FILES.items():
        rows = list(_rows(folder / file))
        for name in names:
            pat, seen = _pattern(name), set()
            entry = entries[name]
            for code, label in rows:
                if label.lower() == name:
                    if entry["rxnorm"] not in (None, code):
                        raise SystemExit(f"{file}: {name} is {code}, the library says {entry['rxnorm']}")
                    entry["rxnorm"] = code
                elif pat.search(label) and code not in seen:
                    seen.add(code)
                    entry["products"].append([code, label, term_type(label)])
            for code, label in rows:
                m = biosimilar.match(label)
                if m and m.group(1) == name:  # a biosimilar ingredient (FDA suffix), and its products
                    products = [[c, n, term_type(n)] for c, n in rows if n.lower() != label and label in n.lower()]
                    entry["biosimilars"].append({"name": label, "rxnorm": code, "products": products})
            if rows:
                entry["source"] = f"drugs/{file}"
            entry["products"].sort(key=lambda p: int(p[0]))
    for name, extra in EXTRA_PRODUCTS.items():
        for code, label, tty, where in extra:
            entries[name]["products"].append([code, label, tty])
            entries[name]["source"] = entries[name]["source"] or where
    for entry in entries.values():
        if not entry["products"]:
            entry["note"] = "no public product list found: matched by its ingredient and ATC codes only"
    return {"format": "eligibility-dsl-terminology/1", "release": RELEASE, "source": SOURCE,
            "built_by": "tools/build_rxnorm_table.py", "ingredients": list(entries.values())}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    table = build(Path(argv[1]))
    OUT.write_text(json.dumps(table, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n",
                   encoding="utf-8")
    n = sum(len(e["products"]) for e in table["ingredients"])
    print(f"wrote {OUT} ({len(table['ingredients'])} ingredients, {n} products)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
