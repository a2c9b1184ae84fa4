"""Analytes: which laboratory results convert between mass and molar units, and how HbA1c converts.

A creatinine result in µmol/L and a threshold in mg/dL measure the same thing only through
creatinine's molar mass; the engine converts when, and only when, the result's code says which
analyte it is. The table is keyed by LOINC code (the code of the observation); each analyte states
its molar mass exactly as the laboratory conversion factors use it, with the source.

Molar masses (g/mol) are those behind the conventional SI conversion factors: Young DS,
"Implementation of SI units for clinical laboratory data", Ann Intern Med 1987;106:114-129, and
the AMA Manual of Style SI conversion table (the factor in the comment is µmol/L or mmol/L per
conventional unit, rounded as those tables print it). Cholesterol and its fractions are reported as
cholesterol; triglycerides as triolein (the conventional 0.01129 factor); urea nitrogen (BUN) per mol
of urea (two nitrogen atoms, 28.014 g/mol).

HbA1c: NGSP (DCCT-aligned) % and IFCC mmol/mol are related by the IFCC-NGSP master equation,
NGSP = 0.09148 x IFCC + 2.152, whose inverse as published by the IFCC and NGSP is
IFCC (mmol/mol) = (NGSP (%) - 2.15) x 10.929 (Hoelzel W et al., Clin Chem 2004;50:166-174; NGSP,
"IFCC Standardization of HbA1c", https://ngsp.org/ifcc.asp). The engine uses the latter exactly.
"""

from __future__ import annotations

from fractions import Fraction

import attrs

__all__ = ["ANALYTES", "HBA1C", "LOINC_ANALYTES", "Analyte", "analyte_of", "hba1c_ifcc_to_ngsp",
           "hba1c_ngsp_to_ifcc"]


@attrs.frozen
class Analyte:
    """A substance whose results convert between units: by ``molar_mass`` (g/mol, exact) between mass
    and amount, or (``kind == "hba1c"``) by the IFCC-NGSP master equation between % and mmol/mol."""

    name: str
    molar_mass: Fraction | None
    source: str
    kind: str = "molar"


_YOUNG = "Young DS, Ann Intern Med 1987;106:114-129 (SI conversion factors)"

# fmt: off
ANALYTES: dict[str, Analyte] = {a.name: a for a in (
    Analyte("creatinine", Fraction("113.12"), _YOUNG + "; C4H7N3O; 88.4 umol/L per mg/dL"),
    Analyte("glucose", Fraction("180.16"), _YOUNG + "; C6H12O6; 0.0555 mmol/L per mg/dL"),
    Analyte("cholesterol", Fraction("386.65"), _YOUNG + "; C27H46O; 0.02586 mmol/L per mg/dL; total, HDL and LDL"),
    Analyte("triglycerides", Fraction("885.4"), _YOUNG + "; as triolein; 0.01129 mmol/L per mg/dL"),
    Analyte("bilirubin", Fraction("584.66"), _YOUNG + "; C33H36N4O6; 17.1 umol/L per mg/dL"),
    Analyte("urea", Fraction("60.06"), _YOUNG + "; CH4N2O; 0.1665 mmol/L per mg/dL"),
    Analyte("urea nitrogen", Fraction("28.014"), _YOUNG + "; N2 per mol urea; 0.357 mmol/L urea per mg/dL BUN"),
    Analyte("uric acid", Fraction("168.11"), _YOUNG + "; C5H4N4O3; 59.48 umol/L per mg/dL"),
    Analyte("calcium", Fraction("40.08"), _YOUNG + "; Ca; 0.2495 mmol/L per mg/dL"),
    Analyte("potassium", Fraction("39.0983"), "IUPAC standard atomic weight of K; 1 mEq/L = 1 mmol/L"),
    Analyte("lactate", Fraction("90.08"), _YOUNG + "; as lactic acid C3H6O3; 0.111 mmol/L per mg/dL"),
    Analyte("hemoglobin", Fraction("16114"), _YOUNG + "; as the monomer Hb(Fe); 0.6206 mmol/L per g/dL"),
    Analyte("albumin", Fraction("66438"), "Peters T, All About Albumin (1996): 585 residues, 66,438 Da; "
            "about 150.5 umol/L per g/dL"),
    Analyte("c-peptide", Fraction("3020.3"), "human C-peptide C129H211N35O48, 31 residues, 3020.3 g/mol; "
            "0.331 nmol/L per ng/mL"),
    Analyte("hba1c", None, "IFCC-NGSP master equation: IFCC = (NGSP - 2.15) x 10.929 (Hoelzel 2004; ngsp.org)",
            kind="hba1c"),
)}
HBA1C = ANALYTES["hba1c"]

# LOINC code -> analyte: the mass and the molar codes of each (serum/plasma unless noted).
LOINC_ANALYTES: dict[str, str] = {
    "2160-0": "creatinine", "38483-4": "creatinine", "14682-9": "creatinine",  # SerPl mass, Bld mass, SerPl moles
    "2345-7": "glucose", "2339-0": "glucose", "1558-6": "glucose",  # SerPl, Bld, fasting SerPl mass
    "14749-6": "glucose", "15074-8": "glucose", "14771-0": "glucose",  # SerPl, Bld, fasting SerPl moles
    "2093-3": "cholesterol", "14647-2": "cholesterol",                                    # total: mass, moles
    "2085-9": "cholesterol", "14646-4": "cholesterol",                                    # HDL: mass, moles
    "13457-7": "cholesterol", "18262-6": "cholesterol", "2089-1": "cholesterol",          # LDL calc, direct, mass
    "22748-8": "cholesterol", "39469-2": "cholesterol",                                   # LDL moles, calc moles
    "2571-8": "triglycerides", "14927-8": "triglycerides",
    "1975-2": "bilirubin", "14631-6": "bilirubin",                                        # total: mass, moles
    "3091-6": "urea", "22664-7": "urea",
    "3094-0": "urea nitrogen",
    "3084-1": "uric acid", "14933-6": "uric acid",
    "17861-6": "calcium", "2000-8": "calcium",
    "2823-3": "potassium",                                                                # SerPl moles
    "2524-7": "lactate", "32693-4": "lactate",                                            # SerPl, Bld moles
    "718-7": "hemoglobin",                                                                # Bld mass
    "1751-7": "albumin",                                                                  # SerPl mass
    "1986-9": "c-peptide", "13037-7": "c-peptide", "42180-0": "c-peptide",  # SerPl mass, fasting mass, fasting moles
    "4548-4": "hba1c", "17856-6": "hba1c", "59261-8": "hba1c",  # NGSP %, HPLC %, IFCC mmol/mol
}
# fmt: on

_SLOPE, _OFFSET = Fraction("10.929"), Fraction("2.15")


def hba1c_ngsp_to_ifcc(ngsp_percent: Fraction) -> Fraction:
    """IFCC mmol/mol from NGSP %: (NGSP - 2.15) x 10.929, exactly."""
    return (ngsp_percent - _OFFSET) * _SLOPE


def hba1c_ifcc_to_ngsp(ifcc_mmol_per_mol: Fraction) -> Fraction:
    """NGSP % from IFCC mmol/mol: the exact inverse of :func:`hba1c_ngsp_to_ifcc`."""
    return ifcc_mmol_per_mol / _SLOPE + _OFFSET


def analyte_of(codes) -> Analyte | None:
    """The analyte a result's codings name (LOINC), or None when none or several different ones do."""
    found = {ANALYTES[LOINC_ANALYTES[c.code]] for c in codes
             if getattr(c, "system", None) == "LOINC" and c.code in LOINC_ANALYTES}
    return found.pop() if len(found) == 1 else None
